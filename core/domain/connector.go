package domain

import "time"

// Challenge kinds a bank may ask.
const (
	ChallengeOTP              = "otp"
	ChallengeSecurityQuestion = "security_question"
	ChallengeUSSD             = "ussd"
)

// Rejection reasons a connector may give.
const (
	RejectInvalidCredentials = "INVALID_CREDENTIALS"
	RejectMFAFailed          = "MFA_FAILED"
	RejectAccountLocked      = "ACCOUNT_LOCKED"
	RejectSessionExpired     = "SESSION_EXPIRED"
	RejectUSSDDeclined       = "USSD_DECLINED"
	RejectExpired            = "EXPIRED"
	RejectBankUnavailable    = "BANK_UNAVAILABLE"
	RejectRateLimited        = "RATE_LIMITED"
	RejectUnsupported        = "UNSUPPORTED"
)

// BankStep is what a connector answers to a login call. Exactly one of
// Challenge, Pending, Authenticated or Rejected is set.
type BankStep struct {
	Challenge     *BankChallenge
	Pending       *BankPending
	Authenticated *BankLogin
	Rejected      *BankRejection
	// FlowState is the connector's opaque state to pass to the next call.
	FlowState []byte
}

// BankChallenge is a question the bank asks the customer.
type BankChallenge struct {
	Kind         string
	Prompt       string
	USSDCode     string
	AttemptsLeft int
	ExpiresAt    time.Time
}

// BankPending says the bank has not decided yet (USSD); poll again later.
type BankPending struct {
	PollAfter time.Duration
}

// BankLogin is a successful login: the bank session, accounts and owner,
// and the owner's full identity when the login carried it.
type BankLogin struct {
	Session  []byte
	Accounts []BankAccount
	Owner    BankOwner
	Identity *Person
}

// BankAccount is an account as the connector reports it.
type BankAccount struct {
	Ref       string // the connector's account id
	NUBAN     string
	Name      string
	Type      string
	Currency  string
	Available *Minor
	Ledger    *Minor
}

// BankOwner is the account holder as the bank knows them.
type BankOwner struct {
	Name  string
	BVN   string
	Phone string
	Email string
}

// BankRejection is the bank's refusal.
type BankRejection struct {
	Reason    string
	Message   string
	Retryable bool
}

// BankBalance is one account's balance from the bank.
type BankBalance struct {
	Ref       string
	Available Minor
	Ledger    Minor
	Currency  string
	AsOf      time.Time
}

// BankBalances is a GetBalance answer: balances, or a rejection, and
// perhaps a rotated session to store.
type BankBalances struct {
	Balances       []BankBalance
	Rejected       *BankRejection
	RotatedSession []byte
}
