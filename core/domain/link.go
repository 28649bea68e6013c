package domain

import "time"

// Link session step statuses, as the link API shows them.
type StepStatus string

const (
	StepChallenge StepStatus = "challenge"
	StepPending   StepStatus = "pending"
	StepAccounts  StepStatus = "accounts"
	StepFailed    StepStatus = "failed"
	StepDone      StepStatus = "done"
	// StepStart is a session that has not logged in yet.
	StepStart StepStatus = "start"
	// StepCancelled is a session the customer or company closed.
	StepCancelled StepStatus = "cancelled"
)

// LinkSession is one run of the widget. It lives in the database so any
// instance can continue it. Secret parts (flow state, pending session) are
// sealed with the session id as associated data.
type LinkSession struct {
	ID        ID
	CompanyID ID
	Env       Env
	// TokenHash is the SHA-256 of the session token; the token itself is
	// shown once.
	TokenHash []byte
	// Options is the JSON of the options the session was opened with.
	Options    []byte
	Status     StepStatus
	BankID     ID
	Method     LoginMethod
	CustomerID ID // the recognised or created customer, once known
	RecordID   ID // the record being reauthenticated or written
	// Step is the JSON of the current step as the link API shows it.
	Step []byte
	// SealedState holds what the host keeps between steps: the connector's
	// flow state, the authenticated session, accounts and owner.
	SealedState []byte
	// Attempts counts wrong answers to the current challenge.
	Attempts  int
	Version   int // optimistic concurrency
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ShortLink is a stored set of widget options reachable by a short code.
type ShortLink struct {
	Code      string
	CompanyID ID
	Env       Env
	Options   []byte
	CreatedAt time.Time
	ExpiresAt *time.Time
}
