package domain

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the callers that must react to it: the HTTP
// adapter maps kinds to statuses, and OkraType names each kind the Okra way.
type Kind string

const (
	KindInvalid          Kind = "invalid"           // the request is malformed or a field is wrong (400)
	KindUnauthorized     Kind = "unauthorized"      // missing or bad credentials (401)
	KindForbidden        Kind = "forbidden"         // known caller, not allowed here (403)
	KindWrongEnv         Kind = "wrong_env"         // a key of the other environment (401, type ENV)
	KindNotFound         Kind = "not_found"         // absent, or another tenant's (404)
	KindConflict         Kind = "conflict"          // unique constraint or idempotency conflict (409)
	KindRateLimited      Kind = "rate_limited"      // too many requests (429)
	KindRejected         Kind = "rejected"          // the bank refused the login or answer (400-class step failure)
	KindDuplicateAccount Kind = "duplicate_account" // the company's policy refuses a second link (409)
	KindTokenRequired    Kind = "token_required"    // the bank needs the customer again (409-class)
	KindFlagged          Kind = "flagged"           // the company flagged the customer: no link until unflagged (403, FLAGGED_USER)
	KindExpired          Kind = "expired"           // a session or challenge ran out of time (410)
	KindConnectorFailed  Kind = "connector_failed"  // the connector crashed or answered garbage (502)
	KindUnavailable      Kind = "unavailable"       // bank or connector unavailable (503)
	KindTimeout          Kind = "timeout"           // the bank did not answer in time (504)
	KindStoreUnavailable Kind = "store_unavailable" // the database does not answer; retry later (503)
	KindStoreFull        Kind = "store_full"        // the database's disk is full (507)
	KindInternal         Kind = "internal"          // our fault (500)
)

// okraTypes are the Okra error type names of the kinds, the one table used
// by the HTTP error envelope, link steps and stored job results. Okra's own
// names are used where one fits (ENV, RATE_LIMIT, EXPIRED); the others
// follow the same upper-case style.
var okraTypes = map[Kind]string{
	KindInvalid:          "INVALID_REQUEST",
	KindUnauthorized:     "UNAUTHORIZED",
	KindForbidden:        "FORBIDDEN",
	KindWrongEnv:         "ENV",
	KindNotFound:         "NOT_FOUND",
	KindConflict:         "CONFLICT",
	KindRateLimited:      "RATE_LIMIT",
	KindRejected:         "BANK_REJECTED",
	KindDuplicateAccount: "DUPLICATE_ACCOUNT",
	KindTokenRequired:    "TOKEN_REQUIRED",
	KindFlagged:          "FLAGGED_USER",
	KindExpired:          "EXPIRED",
	KindConnectorFailed:  "CONNECTOR_ERROR",
	KindUnavailable:      "BANK_UNAVAILABLE",
	KindTimeout:          "BANK_TIMEOUT",
	KindStoreUnavailable: "DATABASE_UNAVAILABLE",
	KindStoreFull:        "STORAGE_FULL",
	KindInternal:         "API",
}

// OkraType is the Okra error type of the kind. A kind outside the table is
// one of ours gone unnamed: it shows as an internal error ("API").
func (k Kind) OkraType() string {
	if t, ok := okraTypes[k]; ok {
		return t
	}
	return okraTypes[KindInternal]
}

// Error codes (Error.Code) set in more than one place or compared by
// callers. The values are on the wire. CodeTokenRequired and
// CodeQuickLoginLocked (events.go) are both webhook and error codes.
const (
	CodeSessionFinished  = "SESSION_FINISHED"
	CodeSessionCancelled = "SESSION_CANCELLED"
	CodeSessionExpired   = "SESSION_EXPIRED"
	CodeSessionFailed    = "SESSION_FAILED"
	// CodeSessionBusy: another call changed the session first.
	CodeSessionBusy      = "SESSION_BUSY"
	CodeOriginNotAllowed = "ORIGIN_NOT_ALLOWED"
	CodeLinkExpired      = "LINK_EXPIRED"
	CodeInvalidKey       = "INVALID_KEY"
	CodeWrongKeyKind     = "WRONG_KEY_KIND"
	CodeWrongEnv         = "ENV"
	CodeReauthMismatch   = "REAUTH_MISMATCH"
)

// Error is the typed error of the domain. Message is safe to show to the
// API caller; Err (the cause) is for logs only.
type Error struct {
	Kind      Kind
	Code      string // machine-readable detail, e.g. the bank's rejection reason
	Field     string // the offending input field for KindInvalid
	Message   string
	Retryable bool
	Err       error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = string(e.Kind)
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, domain.ErrNotFound) match any error of that kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Kind == e.Kind && (t.Code == "" || t.Code == e.Code) && t.Message == "" && t.Field == ""
}

// Sentinels for errors.Is; they match any error of their kind.
var (
	ErrNotFound         = &Error{Kind: KindNotFound}
	ErrConflict         = &Error{Kind: KindConflict}
	ErrInvalid          = &Error{Kind: KindInvalid}
	ErrUnauthorized     = &Error{Kind: KindUnauthorized}
	ErrTokenRequired    = &Error{Kind: KindTokenRequired}
	ErrUnavailable      = &Error{Kind: KindUnavailable}
	ErrTimeout          = &Error{Kind: KindTimeout}
	ErrExpired          = &Error{Kind: KindExpired}
	ErrStoreUnavailable = &Error{Kind: KindStoreUnavailable}
)

// KindOf returns the kind of the first domain error in err's chain, or
// KindInternal when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// AsError returns the first domain error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Invalid reports a bad input field.
func Invalid(field, problem string) *Error {
	return &Error{Kind: KindInvalid, Field: field, Message: fmt.Sprintf("%s: %s", field, problem)}
}

// NotFound reports an absent object. The message never says whether the
// object exists for someone else.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Message: what + " not found"}
}

// Conflict reports a uniqueness or state conflict.
func Conflict(msg string, cause error) *Error {
	return &Error{Kind: KindConflict, Message: msg, Err: cause}
}

// Errorf builds a domain error of a kind with a formatted message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}
