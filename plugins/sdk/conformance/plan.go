package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/bankauth/bankauth/plugins/sdk"
)

// Plan tells the kit which inputs lead to which outcomes at the connector
// under test. Everything but Bank, Method and Success is optional: a check
// whose inputs are missing is skipped, and Skip names checks (or groups of
// checks) to leave out on purpose.
type Plan struct {
	// Bank and Method are used for credential logins.
	Bank   string     `json:"bank"`
	Method sdk.Method `json:"method"`
	// Success logs in without any challenge.
	Success map[string]string `json:"success"`
	// Challenges lead to one or more challenges before success.
	Challenges []ChallengePlan `json:"challenges,omitempty"`
	// Rejections lead to a rejection at BeginLogin.
	Rejections []RejectionPlan `json:"rejections,omitempty"`
	// USSD login phones.
	USSD *USSDPlan `json:"ussd,omitempty"`
	// Resume: quick login with a session, and the OTP it may ask for.
	Resume *ResumePlan `json:"resume,omitempty"`
	// Balances expected for the Success login, matched by account type.
	Balances []BalanceExpectation `json:"balances,omitempty"`
	// Identity expected for the Success login (checked when the connector
	// declares the identity capability); empty fields are not compared.
	Identity *IdentityExpectation `json:"identity,omitempty"`
	// ExpiredSession logs in successfully but yields a session the bank
	// refuses with SESSION_EXPIRED.
	ExpiredSession map[string]string `json:"expired_session,omitempty"`
	// Hang makes BeginLogin block until the caller's deadline.
	Hang *HangPlan `json:"hang,omitempty"`
	// Skip lists check names to skip, e.g. "ussd" or "ussd/expire".
	Skip []string `json:"skip,omitempty"`
	// MaxWaitMS bounds every polling loop (USSD); default 15000.
	MaxWaitMS int `json:"max_wait_ms,omitempty"`
	// CallTimeoutMS bounds every other call; default 10000.
	CallTimeoutMS int `json:"call_timeout_ms,omitempty"`
}

// ChallengePlan is one login that is challenged. Steps are the challenges
// in order, each with its right answer; a WrongAnswer enables the wrong
// answer checks at that step.
type ChallengePlan struct {
	Name        string            `json:"name"`
	Credentials map[string]string `json:"credentials"`
	Steps       []ChallengeStep   `json:"steps"`
}

// ChallengeStep is one expected challenge.
type ChallengeStep struct {
	Kind        sdk.ChallengeKind `json:"kind"`
	Answer      string            `json:"answer"`
	WrongAnswer string            `json:"wrong_answer,omitempty"`
}

// RejectionPlan is a login rejected with Reason. Retryable, when set, is
// checked; BANK_UNAVAILABLE and RATE_LIMITED are expected retryable unless
// it says otherwise.
type RejectionPlan struct {
	Reason      sdk.RejectReason  `json:"reason"`
	Credentials map[string]string `json:"credentials"`
	Retryable   *bool             `json:"retryable,omitempty"`
}

// USSDPlan lists phones for USSD logins ("phone" credential). Bank defaults
// to the plan's bank.
type USSDPlan struct {
	Bank         string `json:"bank,omitempty"`
	ConfirmPhone string `json:"confirm_phone,omitempty"`
	DeclinePhone string `json:"decline_phone,omitempty"`
	ExpirePhone  string `json:"expire_phone,omitempty"`
}

// ResumePlan is the answer to the OTP a quick login may ask for.
type ResumePlan struct {
	Answer string `json:"answer"`
}

// BalanceExpectation is the balance of the Success login's account of Type.
type BalanceExpectation struct {
	Type           string `json:"type"`
	AvailableMinor int64  `json:"available_minor"`
	LedgerMinor    int64  `json:"ledger_minor"`
	Currency       string `json:"currency"`
}

// IdentityExpectation is the identity GetIdentity should answer for the
// Success login. Lists are compared whole, in order.
type IdentityExpectation struct {
	FirstName   string   `json:"first_name,omitempty"`
	MiddleName  string   `json:"middle_name,omitempty"`
	LastName    string   `json:"last_name,omitempty"`
	DateOfBirth string   `json:"date_of_birth,omitempty"`
	Gender      string   `json:"gender,omitempty"`
	BVN         string   `json:"bvn,omitempty"`
	NIN         string   `json:"nin,omitempty"`
	Phones      []string `json:"phones,omitempty"`
	Emails      []string `json:"emails,omitempty"`
	Addresses   []string `json:"addresses,omitempty"`
}

// HangPlan: credentials whose BeginLogin never answers, and the deadline
// the kit gives it (default 1000 ms).
type HangPlan struct {
	Credentials map[string]string `json:"credentials"`
	DeadlineMS  int               `json:"deadline_ms,omitempty"`
}

// LoadPlan reads a JSON plan file.
func LoadPlan(path string) (Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Plan{}, fmt.Errorf("conformance plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return Plan{}, fmt.Errorf("conformance plan %s: %w", path, err)
	}
	return p, p.Validate()
}

// Validate checks the plan itself.
func (p Plan) Validate() error {
	switch {
	case p.Bank == "":
		return fmt.Errorf("conformance plan: bank is required")
	case !p.Method.Valid():
		return fmt.Errorf("conformance plan: method %q is not one of internet_banking, mobile_banking, ussd", p.Method)
	case len(p.Success) == 0:
		return fmt.Errorf("conformance plan: success credentials are required")
	}
	for _, c := range p.Challenges {
		if c.Name == "" || len(c.Steps) == 0 {
			return fmt.Errorf("conformance plan: every challenge needs a name and at least one step")
		}
		for _, s := range c.Steps {
			if !s.Kind.Valid() {
				return fmt.Errorf("conformance plan: challenge %q: kind %q is unknown", c.Name, s.Kind)
			}
		}
	}
	for _, r := range p.Rejections {
		if !r.Reason.Valid() {
			return fmt.Errorf("conformance plan: rejection reason %q is unknown", r.Reason)
		}
	}
	return nil
}

func (p Plan) maxWait() time.Duration {
	if p.MaxWaitMS > 0 {
		return time.Duration(p.MaxWaitMS) * time.Millisecond
	}
	return 15 * time.Second
}

func (p Plan) callTimeout() time.Duration {
	if p.CallTimeoutMS > 0 {
		return time.Duration(p.CallTimeoutMS) * time.Millisecond
	}
	return 10 * time.Second
}
