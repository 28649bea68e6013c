// Package fakebank is the sandbox connector: scenario-driven fake banks whose
// outcomes are fixed by the credentials used (see the README's "Sandbox"
// section). It keeps no state: everything a flow needs travels
// in the flow state and the session, as JSON.
package fakebank

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/bankauth/bankauth/plugins/sdk"
)

// Version of the fake-bank connector.
const Version = "1.0.0"

// Fixed answers and limits.
const (
	OTPCode          = "123456"
	SecurityQuestion = "What is your favourite colour?"
	SecurityAnswer   = "blue"
	MaxAttempts      = 3
	// USSDConfirmDelay is how long after the challenge a USSD login is
	// confirmed at the earliest.
	USSDConfirmDelay = time.Second
	// hangCap bounds error_TIMEOUT so that nothing leaks forever.
	hangCap = 10 * time.Minute
)

// Connector is the fake-bank connector.
type Connector struct {
	sc   Scenario
	now  func() time.Time
	exit func(int)
	rand func() float64
}

var (
	_ sdk.Connector         = (*Connector)(nil)
	_ sdk.IdentityConnector = (*Connector)(nil)
)

// Option changes a Connector; used by tests.
type Option func(*Connector)

// WithClock replaces the clock.
func WithClock(now func() time.Time) Option { return func(c *Connector) { c.now = now } }

// WithExit replaces os.Exit, which error_CRASH calls.
func WithExit(exit func(int)) Option { return func(c *Connector) { c.exit = exit } }

// WithRand replaces the random source of failure injection (values in [0,1)).
func WithRand(r func() float64) Option { return func(c *Connector) { c.rand = r } }

// New returns the fake-bank connector for a scenario.
func New(sc Scenario, opts ...Option) *Connector {
	c := &Connector{sc: sc, now: time.Now, exit: os.Exit, rand: rand.Float64}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Main serves the fake banks as a connector plugin, with the scenario named
// by FAKEBANK_SCENARIO (or the default). It is what cmd/bankauth-fakebank and
// the main binary's hidden sub-command call.
func Main() {
	sc, err := LoadScenario(os.Getenv(ScenarioEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bankauth-fakebank:", err)
		os.Exit(1)
	}
	sdk.Serve(New(sc))
}

func (c *Connector) clock() time.Time { return c.now().UTC() }

func (c *Connector) bankScenario(id string) BankScenario {
	if b, ok := c.sc.Banks[id]; ok {
		return b
	}
	d := DefaultScenario().Banks["sandbox-bank"]
	return d
}

// GetMetadata implements sdk.Connector.
func (c *Connector) GetMetadata(context.Context) (sdk.Metadata, error) {
	md := sdk.Metadata{
		Name:          "bankauth-fakebank",
		Version:       Version,
		ProtocolMinor: sdk.ProtocolMinor,
		Capabilities: sdk.Capabilities{
			MFAKinds:      []sdk.ChallengeKind{sdk.ChallengeOTP, sdk.ChallengeSecurityQuestion},
			USSD:          true,
			SessionResume: true,
			Balance:       true,
			Identity:      true,
		},
	}
	for _, b := range banks {
		bank := sdk.Bank{
			ID: b.ID, Name: b.Name, Country: "NG", Code: b.Code,
			Methods:  append([]sdk.Method(nil), b.Methods...),
			MFAKinds: append([]sdk.ChallengeKind(nil), b.MFA...),
			Products: []string{sdk.ProductAuth, sdk.ProductBalance, sdk.ProductIdentity},
			Fields:   map[sdk.Method][]sdk.CredentialField{},
		}
		for _, m := range b.Methods {
			if m == sdk.MethodUSSD {
				bank.Fields[m] = []sdk.CredentialField{{Name: "phone", Label: "Phone number"}}
				continue
			}
			bank.Fields[m] = []sdk.CredentialField{
				{Name: "username", Label: "Username"},
				{Name: "password", Label: "Password", Secret: true},
			}
		}
		md.Banks = append(md.Banks, bank)
	}
	return md, nil
}

// flowState is the login in progress. The host stores it sealed.
type flowState struct {
	V        int    `json:"v"`
	Bank     string `json:"bank"`
	Person   string `json:"person"`
	Phone    string `json:"phone,omitempty"`
	USSDCode string `json:"ussd_code,omitempty"`
	// ExpiredSession marks a login whose session the bank will refuse.
	ExpiredSession bool `json:"expired_session,omitempty"`
	// Stages still to pass; the first is the current challenge.
	Stages       []sdk.ChallengeKind `json:"stages"`
	AttemptsLeft int                 `json:"attempts_left"`
	IssuedAt     time.Time           `json:"issued_at"`
	ExpiresAt    time.Time           `json:"expires_at"`
}

// session is what an authenticated customer holds.
type session struct {
	V        int       `json:"v"`
	Bank     string    `json:"bank"`
	Person   string    `json:"person"`
	Expired  bool      `json:"expired,omitempty"`
	IssuedAt time.Time `json:"issued_at"`
}

// simulate applies the bank's latency and failure rate. It returns a
// rejection to answer with, or the context's error.
func (c *Connector) simulate(ctx context.Context, bank string) (*sdk.Rejected, error) {
	bs := c.bankScenario(bank)
	if bs.LatencyMS > 0 {
		t := time.NewTimer(time.Duration(bs.LatencyMS) * time.Millisecond)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	if bs.FailureRate > 0 && c.rand() < bs.FailureRate {
		return &sdk.Rejected{Reason: sdk.RejectBankUnavailable, Message: bank + " is temporarily unavailable; try again", Retryable: true}, nil
	}
	return nil, nil
}

// BeginLogin implements sdk.Connector.
func (c *Connector) BeginLogin(ctx context.Context, req sdk.BeginLoginRequest) (sdk.Step, error) {
	b, ok := findBank(req.Bank)
	if !ok {
		return sdk.Step{}, fmt.Errorf("%w: unknown bank %q", sdk.ErrInvalidRequest, req.Bank)
	}
	if !b.supports(req.Method) {
		return sdk.Reject(sdk.RejectUnsupported, fmt.Sprintf("%s does not support %s login", b.Name, req.Method), false), nil
	}
	if rej, err := c.simulate(ctx, b.ID); err != nil || rej != nil {
		return sdk.Step{Rejected: rej}, err
	}
	if req.Method == sdk.MethodUSSD {
		return c.beginUSSD(b, strings.TrimSpace(req.Credentials["phone"]))
	}
	username := strings.TrimSpace(req.Credentials["username"])
	password := req.Credentials["password"]
	if username == "" || password == "" {
		return sdk.Reject(sdk.RejectInvalidCredentials, "username and password are required", false), nil
	}
	fs := flowState{V: 1, Bank: b.ID, Person: username}
	switch password {
	case "pass_good":
		return c.authenticated(fs)
	case "pass_expired_session":
		fs.ExpiredSession = true
		return c.authenticated(fs)
	case "pass_otp":
		fs.Stages = []sdk.ChallengeKind{sdk.ChallengeOTP}
	case "pass_question":
		fs.Stages = []sdk.ChallengeKind{sdk.ChallengeSecurityQuestion}
	case "pass_otp_question":
		fs.Stages = []sdk.ChallengeKind{sdk.ChallengeOTP, sdk.ChallengeSecurityQuestion}
	case "error_ACCOUNT_LOCKED":
		return sdk.Reject(sdk.RejectAccountLocked, "this account is locked; contact the bank", false), nil
	case "error_BANK_UNAVAILABLE":
		return sdk.Reject(sdk.RejectBankUnavailable, b.Name+" is temporarily unavailable; try again", true), nil
	case "error_TIMEOUT":
		return c.hang(ctx)
	case "error_CRASH":
		c.exit(3)
		return sdk.Step{}, fmt.Errorf("%w: the fake bank crashed", sdk.ErrUnavailable)
	default: // includes error_INVALID_CREDENTIALS
		return sdk.Reject(sdk.RejectInvalidCredentials, "the username or password is wrong", false), nil
	}
	return c.challenge(fs)
}

func (c *Connector) hang(ctx context.Context) (sdk.Step, error) {
	t := time.NewTimer(hangCap)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return sdk.Step{}, ctx.Err()
	case <-t.C:
		return sdk.Reject(sdk.RejectBankUnavailable, "the bank did not answer", true), nil
	}
}

func (c *Connector) beginUSSD(b bankDef, phone string) (sdk.Step, error) {
	if phone == "" {
		return sdk.Reject(sdk.RejectInvalidCredentials, "a phone number is required", false), nil
	}
	now := c.clock()
	fs := flowState{
		V: 1, Bank: b.ID, Person: ussdPersonKey(phone), Phone: phone,
		USSDCode:  "*000*" + hashOf("ussd", b.ID, phone, now.Format(time.RFC3339Nano)).digits(0, 4) + "#",
		Stages:    []sdk.ChallengeKind{sdk.ChallengeUSSD},
		IssuedAt:  now,
		ExpiresAt: now.Add(time.Duration(c.bankScenario(b.ID).USSDTTL)),
	}
	return c.present(fs)
}

// challenge starts the first stage of fs.
func (c *Connector) challenge(fs flowState) (sdk.Step, error) {
	now := c.clock()
	fs.AttemptsLeft = MaxAttempts
	fs.IssuedAt = now
	fs.ExpiresAt = now.Add(time.Duration(c.bankScenario(fs.Bank).ChallengeTTL))
	return c.present(fs)
}

// present returns the current stage of fs as a challenge.
func (c *Connector) present(fs flowState) (sdk.Step, error) {
	state, err := json.Marshal(fs)
	if err != nil {
		return sdk.Step{}, err
	}
	ch := &sdk.Challenge{Kind: fs.Stages[0], AttemptsLeft: fs.AttemptsLeft, ExpiresAt: fs.ExpiresAt}
	switch ch.Kind {
	case sdk.ChallengeOTP:
		ch.Prompt = "Enter the one-time code sent to your phone"
	case sdk.ChallengeSecurityQuestion:
		ch.Prompt = SecurityQuestion
	case sdk.ChallengeUSSD:
		ch.USSDCode = fs.USSDCode
		ch.Prompt = "Dial " + fs.USSDCode + " from " + fs.Phone + " to approve the login"
	}
	return sdk.Step{Challenge: ch, FlowState: state}, nil
}

func (c *Connector) authenticated(fs flowState) (sdk.Step, error) {
	b, _ := findBank(fs.Bank)
	accounts, p := accountsFor(b, fs.Person)
	sess, err := json.Marshal(session{V: 1, Bank: fs.Bank, Person: fs.Person, Expired: fs.ExpiredSession, IssuedAt: c.clock()})
	if err != nil {
		return sdk.Step{}, err
	}
	return sdk.Step{Authenticated: &sdk.Authenticated{Session: sess, Accounts: accounts, Owner: p.Identity.Owner()}}, nil
}

// ContinueLogin implements sdk.Connector.
func (c *Connector) ContinueLogin(ctx context.Context, req sdk.ContinueLoginRequest) (sdk.Step, error) {
	var fs flowState
	if err := json.Unmarshal(req.FlowState, &fs); err != nil || fs.V != 1 || len(fs.Stages) == 0 {
		return sdk.Step{}, fmt.Errorf("%w: flow state is not one this connector issued", sdk.ErrInvalidRequest)
	}
	if _, ok := findBank(fs.Bank); !ok {
		return sdk.Step{}, fmt.Errorf("%w: flow state names an unknown bank", sdk.ErrInvalidRequest)
	}
	if rej, err := c.simulate(ctx, fs.Bank); err != nil || rej != nil {
		return sdk.Step{Rejected: rej, FlowState: req.FlowState}, err
	}
	now := c.clock()
	if !now.Before(fs.ExpiresAt) {
		return sdk.Reject(sdk.RejectExpired, "the "+strings.ReplaceAll(string(fs.Stages[0]), "_", " ")+" challenge expired; start again", false), nil
	}
	if fs.Stages[0] == sdk.ChallengeUSSD {
		return c.pollUSSD(fs, req.FlowState, now)
	}
	answer := strings.TrimSpace(req.Answer)
	if answer == "" {
		return c.present(fs) // nothing to check; ask again
	}
	right := false
	switch fs.Stages[0] {
	case sdk.ChallengeOTP:
		right = answer == OTPCode
	case sdk.ChallengeSecurityQuestion:
		right = strings.EqualFold(answer, SecurityAnswer)
	}
	if !right {
		fs.AttemptsLeft--
		if fs.AttemptsLeft <= 0 {
			return sdk.Reject(sdk.RejectMFAFailed, "too many wrong answers", false), nil
		}
		return c.present(fs)
	}
	fs.Stages = fs.Stages[1:]
	if len(fs.Stages) == 0 {
		return c.authenticated(fs)
	}
	return c.challenge(fs)
}

func (c *Connector) pollUSSD(fs flowState, state []byte, now time.Time) (sdk.Step, error) {
	switch fs.Phone {
	case phoneDecline:
		return sdk.Reject(sdk.RejectUSSDDeclined, "the customer declined the USSD request", false), nil
	case phoneExpire:
		return sdk.Step{Pending: &sdk.Pending{PollAfter: time.Second}, FlowState: state}, nil
	}
	if wait := fs.IssuedAt.Add(USSDConfirmDelay).Sub(now); wait > 0 {
		return sdk.Step{Pending: &sdk.Pending{PollAfter: wait}, FlowState: state}, nil
	}
	return c.authenticated(fs)
}

// openSession decodes a session for bank, or says why it is refused.
func (c *Connector) openSession(bank string, raw []byte) (session, *sdk.Rejected) {
	var s session
	if err := json.Unmarshal(raw, &s); err != nil || s.V != 1 || s.Person == "" {
		return s, &sdk.Rejected{Reason: sdk.RejectSessionExpired, Message: "the session is not valid; log in again"}
	}
	if s.Bank != bank {
		return s, &sdk.Rejected{Reason: sdk.RejectSessionExpired, Message: "the session belongs to another bank; log in again"}
	}
	if s.Expired {
		return s, &sdk.Rejected{Reason: sdk.RejectSessionExpired, Message: "the session has expired; log in again"}
	}
	return s, nil
}

// ResumeSession implements sdk.Connector: quick login asks for the OTP.
func (c *Connector) ResumeSession(ctx context.Context, req sdk.ResumeSessionRequest) (sdk.Step, error) {
	if _, ok := findBank(req.Bank); !ok {
		return sdk.Step{}, fmt.Errorf("%w: unknown bank %q", sdk.ErrInvalidRequest, req.Bank)
	}
	if rej, err := c.simulate(ctx, req.Bank); err != nil || rej != nil {
		return sdk.Step{Rejected: rej}, err
	}
	s, rej := c.openSession(req.Bank, req.Session)
	if rej != nil {
		return sdk.Step{Rejected: rej}, nil
	}
	return c.challenge(flowState{V: 1, Bank: s.Bank, Person: s.Person, Stages: []sdk.ChallengeKind{sdk.ChallengeOTP}})
}

// GetBalance implements sdk.Connector. It rotates the session on success.
func (c *Connector) GetBalance(ctx context.Context, req sdk.GetBalanceRequest) (sdk.BalanceResult, error) {
	b, ok := findBank(req.Bank)
	if !ok {
		return sdk.BalanceResult{}, fmt.Errorf("%w: unknown bank %q", sdk.ErrInvalidRequest, req.Bank)
	}
	if rej, err := c.simulate(ctx, req.Bank); err != nil || rej != nil {
		return sdk.BalanceResult{Rejected: rej}, err
	}
	s, rej := c.openSession(req.Bank, req.Session)
	if rej != nil {
		return sdk.BalanceResult{Rejected: rej}, nil
	}
	accounts, _ := accountsFor(b, s.Person)
	byID := make(map[string]sdk.Account, len(accounts))
	for _, a := range accounts {
		byID[a.ID] = a
	}
	ids := req.AccountIDs
	if len(ids) == 0 {
		for _, a := range accounts {
			ids = append(ids, a.ID)
		}
	}
	now := c.clock()
	var res sdk.BalanceResult
	for _, id := range ids {
		a, ok := byID[id]
		if !ok {
			return sdk.BalanceResult{}, fmt.Errorf("%w: unknown account id %q", sdk.ErrInvalidRequest, id)
		}
		res.Balances = append(res.Balances, sdk.Balance{
			AccountID: a.ID, AvailableMinor: *a.AvailableMinor, LedgerMinor: *a.LedgerMinor,
			Currency: a.Currency, AsOf: now,
		})
	}
	s.IssuedAt = now
	rotated, err := json.Marshal(s)
	if err != nil {
		return sdk.BalanceResult{}, err
	}
	res.RotatedSession = rotated
	return res, nil
}

// GetIdentity implements sdk.IdentityConnector: the full identity of the
// session's person.
func (c *Connector) GetIdentity(ctx context.Context, req sdk.GetIdentityRequest) (sdk.IdentityResult, error) {
	if _, ok := findBank(req.Bank); !ok {
		return sdk.IdentityResult{}, fmt.Errorf("%w: unknown bank %q", sdk.ErrInvalidRequest, req.Bank)
	}
	if rej, err := c.simulate(ctx, req.Bank); err != nil || rej != nil {
		return sdk.IdentityResult{Rejected: rej}, err
	}
	s, rej := c.openSession(req.Bank, req.Session)
	if rej != nil {
		return sdk.IdentityResult{Rejected: rej}, nil
	}
	id := personFor(s.Person).identity()
	return sdk.IdentityResult{Identity: &id}, nil
}
