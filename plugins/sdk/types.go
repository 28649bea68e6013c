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
	// Identity (protocol 1.1): the connector implements [IdentityConnector].
	Identity bool
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
	// Identity (protocol 1.1, optional) is the full identity when the login
	// already has it; the host then needs no GetIdentity call.
	Identity *Identity
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

// Owner is the customer as a login reports them (the fields of protocol
// 1.0). A connector of 1.1 may add the full [Identity] to the login.
type Owner struct {
	Name  string
	BVN   string
	Phone string
	Email string
}

// Identity is the account owner as the bank knows them (protocol 1.1):
// what GetIdentity answers and what a login may report besides the Owner.
type Identity struct {
	// Name is the full name as the bank shows it.
	Name       string
	FirstName  string
	MiddleName string
	LastName   string
	// DateOfBirth is written YYYY-MM-DD.
	DateOfBirth string
	Gender      Gender
	BVN         string
	NIN         string
	Phones      []string
	Emails      []string
	// Addresses are postal addresses, one line each.
	Addresses []string
}

// Gender as a bank reports it; empty when it does not say.
type Gender string

// Genders.
const (
	GenderFemale Gender = "female"
	GenderMale   Gender = "male"
)

// Valid reports whether g is empty or a known gender.
func (g Gender) Valid() bool { return g == "" || g == GenderFemale || g == GenderMale }

// FullName is Name, or the name parts joined when the bank gave no Name.
func (i Identity) FullName() string {
	if strings.TrimSpace(i.Name) != "" {
		return i.Name
	}
	return strings.Join(strings.Fields(i.FirstName+" "+i.MiddleName+" "+i.LastName), " ")
}

// Owner is the identity as a 1.0 login reports the owner.
func (i Identity) Owner() Owner {
	o := Owner{Name: i.FullName(), BVN: i.BVN}
	if len(i.Phones) > 0 {
		o.Phone = i.Phones[0]
	}
	if len(i.Emails) > 0 {
		o.Email = i.Emails[0]
	}
	return o
}

// Validate checks that an identity is well formed: a name (full, or first
// and last), a date of birth written YYYY-MM-DD and not in the future, a
// known gender, 11-digit BVN and NIN, phones of 7 to 15 digits, emails
// with an @, no empty address. Empty optional fields pass.
func (i Identity) Validate() error {
	if strings.TrimSpace(i.Name) == "" && (strings.TrimSpace(i.FirstName) == "" || strings.TrimSpace(i.LastName) == "") {
		return errors.New("identity has neither a name nor a first and last name")
	}
	if i.DateOfBirth != "" {
		d, err := time.Parse(time.DateOnly, i.DateOfBirth)
		if err != nil {
			return fmt.Errorf("date of birth %q is not written YYYY-MM-DD", i.DateOfBirth)
		}
		if d.After(time.Now()) {
			return fmt.Errorf("date of birth %s is in the future", i.DateOfBirth)
		}
	}
	if !i.Gender.Valid() {
		return fmt.Errorf("gender %q is not female, male or empty", i.Gender)
	}
	for _, id := range []struct{ name, v string }{{"BVN", i.BVN}, {"NIN", i.NIN}} {
		if id.v != "" && !elevenDigits(id.v) {
			return fmt.Errorf("%s %q is not 11 digits", id.name, id.v)
		}
	}
	for _, p := range i.Phones {
		if !phoneLike(p) {
			return fmt.Errorf("phone %q is not 7 to 15 digits", p)
		}
	}
	for _, e := range i.Emails {
		if at := strings.LastIndexByte(e, '@'); at < 1 || at == len(e)-1 || strings.ContainsAny(e, " \t") {
			return fmt.Errorf("email %q is not an address", e)
		}
	}
	for _, a := range i.Addresses {
		if strings.TrimSpace(a) == "" {
			return errors.New("identity has an empty address")
		}
	}
	return nil
}

func elevenDigits(s string) bool {
	if len(s) != 11 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// phoneLike accepts digits with an optional leading + and the spaces,
// hyphens and parentheses people write.
func phoneLike(s string) bool {
	n := 0
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == '+' && i == 0, c == ' ', c == '-', c == '(', c == ')':
		default:
			return false
		}
	}
	return n >= 7 && n <= 15
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

// IdentityResult is what GetIdentity answers: the identity, or a rejection
// (SESSION_EXPIRED …). RotatedSession, when not empty, replaces the
// session the host holds.
type IdentityResult struct {
	Identity       *Identity
	Rejected       *Rejected
	RotatedSession []byte
}

// Validate checks that exactly one of Identity or Rejected is set and that
// it is well formed.
func (r IdentityResult) Validate() error {
	switch {
	case r.Identity != nil && r.Rejected != nil:
		return errors.New("identity result has both an identity and a rejection")
	case r.Rejected != nil:
		if !r.Rejected.Reason.Valid() {
			return fmt.Errorf("rejection reason %q is unknown", r.Rejected.Reason)
		}
	case r.Identity != nil:
		return r.Identity.Validate()
	default:
		return errors.New("identity result has neither an identity nor a rejection")
	}
	return nil
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
		if id := s.Authenticated.Identity; id != nil {
			if err := id.Validate(); err != nil {
				return fmt.Errorf("authenticated step: %w", err)
			}
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
