package domain

import "time"

// EventMethod is what a webhook event is about (Okra's "method").
type EventMethod string

// Webhook methods.
const (
	MethodAuth    EventMethod = "AUTH"
	MethodBalance EventMethod = "BALANCE"
	MethodRecord  EventMethod = "RECORD"
	// MethodIdentity events tell that a record's identity was pulled.
	MethodIdentity EventMethod = "IDENTITY"
)

// Webhook codes. CodeTokenRequired and CodeQuickLoginLocked are also the
// error codes of the same facts.
const (
	CodeAuthSuccess     = "AUTH_SUCCESS"
	CodeAuthFailed      = "AUTH_FAILED"
	CodeBalanceSuccess  = "BALANCE_SUCCESS"
	CodeBalanceFailed   = "BALANCE_FAILED"
	CodeIdentitySuccess = "IDENTITY_SUCCESS"
	CodeIdentityFailed  = "IDENTITY_FAILED"
	CodeTokenRequired   = "TOKEN_REQUIRED"
	CodeInvalid         = "INVALID"
	// CodeReauthSuccess tells that a token_required or invalid record works
	// again after the customer reauthenticated.
	CodeReauthSuccess = "REAUTH_SUCCESS"
	// CodeQuickLoginLocked tells that too many quick logins of a record
	// failed and quick login is refused for a while.
	CodeQuickLoginLocked = "QUICK_LOGIN_LOCKED"
)

// WebhookEndpoint is a company's webhook target in one environment.
type WebhookEndpoint struct {
	CompanyID ID
	Env       Env
	URL       string
	// SealedToken is the optional bearer token, sealed.
	SealedToken []byte
	// SealedSecret is the current signing secret, sealed; SealedPrevious
	// stays valid until PreviousUntil so receivers can rotate.
	SealedSecret   []byte
	SealedPrevious []byte
	PreviousUntil  *time.Time
	// Failures counts the receiver's consecutive failed deliveries; while
	// RetryAfter lies ahead none of the endpoint's events is claimed.
	// Setting the endpoint again clears both.
	Failures   int
	RetryAfter *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Outbox event delivery states.
const (
	OutboxPending   = "pending"
	OutboxDelivered = "delivered"
	OutboxFailed    = "failed" // gave up after the retry window
)

// OutboxEvent is a webhook event written in the same transaction as the
// change it reports, then delivered by a worker.
type OutboxEvent struct {
	ID          ID // the stable event id receivers see
	CompanyID   ID
	Env         Env
	Method      EventMethod
	Code        string
	RecordID    ID
	Payload     []byte // the JSON body
	Status      string
	Attempts    int
	NextAttempt time.Time
	LastStatus  int    // last HTTP status, 0 if none
	LastError   string // last delivery error, no secrets
	ClaimedBy   string
	ClaimedTill *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// DeliveryAttempt is one logged attempt to deliver an event.
type DeliveryAttempt struct {
	ID         ID
	EventID    ID
	CompanyID  ID
	Env        Env
	URL        string
	HTTPStatus int
	Error      string
	DurationMS int64
	CreatedAt  time.Time
}

// AuditEvent records who did what, without secrets.
type AuditEvent struct {
	ID        ID
	CompanyID ID
	Env       Env
	Actor     string // "api", "widget", "operator", "system"
	Action    string // e.g. "auth.created"
	Subject   ID
	Detail    []byte // JSON, no secrets
	CreatedAt time.Time
}

// Idempotency entry states.
const (
	IdemInFlight = "in_flight"
	IdemDone     = "done"
)

// IdempotencyEntry stores the first response to a mutating request.
type IdempotencyEntry struct {
	CompanyID   ID
	Env         Env
	Key         string
	RequestHash []byte // SHA-256 of method, path and body
	State       string
	StatusCode  int
	Response    []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
	// LeaseUntil is how long an in-flight entry is held by the attempt that
	// began it; a retry after that may take it over.
	LeaseUntil time.Time
}

// Job kinds and states for durable background work.
const (
	JobBalanceRefresh  = "balance_refresh"
	JobIdentityRefresh = "identity_refresh"

	JobPending = "pending"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Job is durable background work (e.g. a balance refresh) claimed once
// across instances.
type Job struct {
	ID          ID
	CompanyID   ID
	Env         Env
	Kind        string
	Subject     ID // e.g. the account id
	RecordID    ID
	Payload     []byte // JSON input
	Result      []byte // JSON output
	Status      string
	Attempts    int
	RunAfter    time.Time
	ClaimedBy   string
	ClaimedTill *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}
