package sdk

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Method is a way of logging in at a bank.
type Method string

// Login methods.
const (
	MethodInternetBanking Method = "internet_banking"
	MethodMobileBanking   Method = "mobile_banking"
	MethodUSSD            Method = "ussd"
)

// Methods lists every login method the protocol knows.
func Methods() []Method {
	return []Method{MethodInternetBanking, MethodMobileBanking, MethodUSSD}
}

// Valid reports whether m is a known login method.
func (m Method) Valid() bool {
	switch m {
	case MethodInternetBanking, MethodMobileBanking, MethodUSSD:
		return true
	}
	return false
}

// ChallengeKind is what a bank asks of the customer before it lets them in.
type ChallengeKind string

// Challenge kinds.
const (
	ChallengeOTP              ChallengeKind = "otp"
	ChallengeSecurityQuestion ChallengeKind = "security_question"
	ChallengeUSSD             ChallengeKind = "ussd"
)

// Valid reports whether k is a known challenge kind.
func (k ChallengeKind) Valid() bool {
	switch k {
	case ChallengeOTP, ChallengeSecurityQuestion, ChallengeUSSD:
		return true
	}
	return false
}

// RejectReason says why a bank refused a login or a request.
type RejectReason string

// Rejection reasons; the values are the protocol's enum names.
const (
	RejectInvalidCredentials RejectReason = "INVALID_CREDENTIALS"
	RejectMFAFailed          RejectReason = "MFA_FAILED"
	RejectAccountLocked      RejectReason = "ACCOUNT_LOCKED"
	RejectSessionExpired     RejectReason = "SESSION_EXPIRED"
	RejectUSSDDeclined       RejectReason = "USSD_DECLINED"
	RejectExpired            RejectReason = "EXPIRED"
	RejectBankUnavailable    RejectReason = "BANK_UNAVAILABLE"
	RejectRateLimited        RejectReason = "RATE_LIMITED"
	RejectUnsupported        RejectReason = "UNSUPPORTED"
)

// RejectReasons lists every reason the protocol knows.
func RejectReasons() []RejectReason {
	return []RejectReason{RejectInvalidCredentials, RejectMFAFailed, RejectAccountLocked,
		RejectSessionExpired, RejectUSSDDeclined, RejectExpired, RejectBankUnavailable,
		RejectRateLimited, RejectUnsupported}
}

// Valid reports whether r is a known reason.
func (r RejectReason) Valid() bool {
	for _, k := range RejectReasons() {
		if r == k {
			return true
		}
	}
	return false
}

// Products a bank can offer.
const (
	ProductAuth     = "auth"
	ProductBalance  = "balance"
	ProductIdentity = "identity"
)

// Metadata describes a connector and the banks it serves.
type Metadata struct {
	Name string
	// Version is the connector's semantic version, e.g. "1.4.0".
	Version string
	// ProtocolMinor is the minor version of protocol v1 the connector
	// implements; the SDK fills it in when left zero.
	ProtocolMinor uint32
	Capabilities  Capabilities
	Banks         []Bank
}

// Capabilities are the optional parts of the protocol a connector supports.
type Capabilities struct {
	MFAKinds      []ChallengeKind
	USSD          bool
	SessionResume bool
	Balance       bool
}

// Bank is one institution a connector serves.
type Bank struct {
	// ID is the bank's stable identifier and slug, e.g. "sandbox-bank".
	ID      string
	Name    string
	Country string // ISO 3166-1 alpha-2
	// Code is the bank's 3-digit CBN code, the one its NUBANs' check digit
	// is computed with (see ValidNUBAN); empty when unknown. The host
	// refuses an account whose NUBAN does not verify against it.
	Code    string
	Methods []Method
	// MFAKinds the bank may ask for during a login.
	MFAKinds []ChallengeKind
	Products []string
	// Fields lists, per login method, the credentials BeginLogin expects.
	Fields map[Method][]CredentialField
}

// CredentialField describes one credential a login method needs.
type CredentialField struct {
	Name   string
	Label  string
	Secret bool
}

// Credentials are the values a customer typed. They never print, log or
// serialise their values: fmt, JSON and slog all see a redacted form.
// Read them by key.
type Credentials map[string]string

func (c Credentials) redacted() string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":<redacted>"
	}
	return "Credentials{" + strings.Join(parts, " ") + "}"
}

// String returns the credential names with their values redacted.
func (c Credentials) String() string { return c.redacted() }

// GoString is the %#v form; redacted too.
func (c Credentials) GoString() string { return c.redacted() }

// Format makes every fmt verb print the redacted form.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.redacted())) }

// MarshalJSON writes the credential names with redacted values, so that a
// structured logger never writes a secret.
func (c Credentials) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:\"<redacted>\"", k)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// Step is the outcome of a login call: exactly one of Challenge, Pending,
// Authenticated or Rejected is set. FlowState is opaque to the host, which
// passes it back in ContinueLogin; it should be set with Challenge and Pending.
type Step struct {
	Challenge     *Challenge
	Pending       *Pending
	Authenticated *Authenticated
	Rejected      *Rejected
	FlowState     []byte
}

// Challenge asks the customer for something: an OTP, an answer, or to dial a
// USSD code (then the host polls with an empty answer).
type Challenge struct {
	Kind         ChallengeKind
	Prompt       string
	USSDCode     string
	AttemptsLeft int
	ExpiresAt    time.Time
}

// Pending means "ask again later with an empty answer".
type Pending struct {
	PollAfter time.Duration
}

// Authenticated ends a login successfully.
type Authenticated struct {
	// Session is opaque to the host and passed back in ResumeSession and
	// GetBalance.
	Session  []byte
	Accounts []Account
	Owner    Owner
}

// Account is a bank account reached by a login.
type Account struct {
	// ID is stable for the same login and unique within the connector's bank.
	ID       string
	NUBAN    string // 10 digits
	Name     string
	Type     string // e.g. "current", "savings"
	Currency string // ISO 4217
	// Balances in minor units, when the bank shows them at login.
	AvailableMinor *int64
	LedgerMinor    *int64
}

// Owner is the customer as the bank knows them.
type Owner struct {
	Name  string
	BVN   string
	Phone string
	Email string
}

// Rejected ends a flow or a request unsuccessfully.
type Rejected struct {
	Reason    RejectReason
	Message   string
	Retryable bool
}

// Balance of one account, in minor units.
type Balance struct {
	AccountID      string
	AvailableMinor int64
	LedgerMinor    int64
	Currency       string
	AsOf           time.Time
}

// BalanceResult is either Balances or Rejected. RotatedSession, when not
// empty, replaces the session the host holds.
type BalanceResult struct {
	Balances       []Balance
	Rejected       *Rejected
	RotatedSession []byte
}

// Reject builds a rejected step.
func Reject(reason RejectReason, message string, retryable bool) Step {
	return Step{Rejected: &Rejected{Reason: reason, Message: message, Retryable: retryable}}
}

// Kind names the step's outcome: "challenge", "pending", "authenticated",
// "rejected", or "" when none is set.
func (s Step) Kind() string {
	switch {
	case s.Challenge != nil:
		return "challenge"
	case s.Pending != nil:
		return "pending"
	case s.Authenticated != nil:
		return "authenticated"
	case s.Rejected != nil:
		return "rejected"
	}
	return ""
}

// Validate checks that exactly one outcome is set and that it is well formed.
func (s Step) Validate() error {
	n := 0
	for _, set := range []bool{s.Challenge != nil, s.Pending != nil, s.Authenticated != nil, s.Rejected != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("step must have exactly one of challenge, pending, authenticated, rejected; has %d", n)
	}
	switch {
	case s.Challenge != nil:
		if !s.Challenge.Kind.Valid() {
			return fmt.Errorf("challenge kind %q is not one of otp, security_question, ussd", s.Challenge.Kind)
		}
	case s.Rejected != nil:
		if !s.Rejected.Reason.Valid() {
			return fmt.Errorf("rejection reason %q is unknown", s.Rejected.Reason)
		}
	case s.Authenticated != nil:
		if len(s.Authenticated.Session) == 0 {
			return errors.New("authenticated step has an empty session")
		}
	}
	return nil
}

// Validate checks that exactly one of Balances or Rejected is meaningful.
func (r BalanceResult) Validate() error {
	if r.Rejected != nil {
		if len(r.Balances) > 0 {
			return errors.New("balance result has both balances and a rejection")
		}
		if !r.Rejected.Reason.Valid() {
			return fmt.Errorf("rejection reason %q is unknown", r.Rejected.Reason)
		}
	}
	return nil
}
