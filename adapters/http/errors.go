package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/bankauth/bankauth/core/domain"
)

// Kinds that exist only at the HTTP edge.
const (
	kindMethodNotAllowed domain.Kind = "method_not_allowed"
	kindTooLarge         domain.Kind = "too_large"
	kindUnsupportedMedia domain.Kind = "unsupported_media_type"
	// kindNotOffered is an Okra route of a product this server does not
	// offer: known, unlike a typo (404).
	kindNotOffered domain.Kind = "not_offered"
)

// errorClass is one row of the error table. retryable marks the kinds a
// client may always send again later (with the same Idempotency-Key); for
// the others the error itself says (a bank may be down for good).
type errorClass struct {
	status    int
	typ       string
	retryable bool
}

// errorTable is the one place where error kinds become HTTP statuses and
// Okra error types. Okra's own type names are used where one fits (ENV,
// RATE_LIMIT, EXPIRED); the others follow the same upper-case style.
var errorTable = map[domain.Kind]errorClass{
	domain.KindInvalid:          {http.StatusBadRequest, "INVALID_REQUEST", false},
	domain.KindUnauthorized:     {http.StatusUnauthorized, "UNAUTHORIZED", false},
	domain.KindWrongEnv:         {http.StatusUnauthorized, "ENV", false},
	domain.KindForbidden:        {http.StatusForbidden, "FORBIDDEN", false},
	domain.KindFlagged:          {http.StatusForbidden, "FLAGGED_USER", false},
	domain.KindNotFound:         {http.StatusNotFound, "NOT_FOUND", false},
	kindMethodNotAllowed:        {http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", false},
	domain.KindConflict:         {http.StatusConflict, "CONFLICT", false},
	domain.KindDuplicateAccount: {http.StatusConflict, "DUPLICATE_ACCOUNT", false},
	domain.KindTokenRequired:    {http.StatusConflict, "TOKEN_REQUIRED", false},
	domain.KindExpired:          {http.StatusGone, "EXPIRED", false},
	kindTooLarge:                {http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", false},
	kindUnsupportedMedia:        {http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", false},
	domain.KindRejected:         {http.StatusUnprocessableEntity, "BANK_REJECTED", false},
	domain.KindRateLimited:      {http.StatusTooManyRequests, "RATE_LIMIT", true},
	domain.KindConnectorFailed:  {http.StatusBadGateway, "CONNECTOR_ERROR", false},
	domain.KindUnavailable:      {http.StatusServiceUnavailable, "BANK_UNAVAILABLE", false},
	domain.KindTimeout:          {http.StatusGatewayTimeout, "BANK_TIMEOUT", false},
	domain.KindStoreUnavailable: {http.StatusServiceUnavailable, "DATABASE_UNAVAILABLE", true},
	domain.KindStoreFull:        {http.StatusInsufficientStorage, "STORAGE_FULL", false},
	domain.KindInternal:         {http.StatusInternalServerError, "API", false},
	kindNotOffered:              {http.StatusNotImplemented, "PRODUCT_NOT_AVAILABLE", false},
}

// retryAfter is the Retry-After (seconds) of the retryable statuses that
// carry no better value of their own.
var retryAfter = map[int]string{
	http.StatusTooManyRequests:    "1",
	http.StatusServiceUnavailable: "2",
}

// classify returns the table row for err.
func classify(err error) (errorClass, *domain.Error) {
	var de *domain.Error
	if !errors.As(err, &de) {
		de = &domain.Error{Kind: domain.KindInternal, Message: "internal error", Err: err}
	}
	c, ok := errorTable[de.Kind]
	if !ok {
		c = errorTable[domain.KindInternal]
	}
	return c, de
}

// errorBody is Okra's error envelope.
type errorBody struct {
	Status    string `json:"status"`
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	Retryable bool   `json:"retryable,omitempty"`
	RequestID string `json:"request_id"`
}

// clientGone tells an error caused by the client hanging up: the request's
// own context was cancelled, so nobody is left to read an answer.
func clientGone(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) && errors.Is(r.Context().Err(), context.Canceled)
}

// writeError answers with the error envelope. Internal and storage errors
// are logged with their cause (through the server's logger) and shown to the
// caller as a sentence without it. A client that hung up gets no answer and
// an INFO line: it is not a fault of ours.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	log := loggerFrom(ctx)
	if clientGone(r, err) {
		log.LogAttrs(ctx, slog.LevelInfo, "client went away before the answer",
			slog.String("request_id", requestID(ctx)), slog.String("path", logPath(r)), slog.String("error", err.Error()))
		return
	}
	c, de := classify(err)
	msg := de.Message
	switch de.Kind {
	case domain.KindInternal:
		log.LogAttrs(ctx, slog.LevelError, "request failed",
			slog.String("request_id", requestID(ctx)), slog.String("path", logPath(r)), slog.String("error", err.Error()))
		msg = "something went wrong on our side; quote the request id to support"
	case domain.KindStoreUnavailable, domain.KindStoreFull:
		log.LogAttrs(ctx, slog.LevelError, "database failure",
			slog.String("request_id", requestID(ctx)), slog.String("path", logPath(r)),
			slog.String("kind", string(de.Kind)), slog.String("error", err.Error()))
	}
	if msg == "" {
		msg = http.StatusText(c.status)
	}
	code := de.Code
	if code == "" {
		code = c.typ
	}
	retryable := de.Retryable || c.retryable
	if ra, found := retryAfter[c.status]; found && retryable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", ra)
	}
	writeJSON(w, c.status, errorBody{
		Status: "error", Message: msg, Type: c.typ, Code: code, Field: de.Field,
		Retryable: retryable, RequestID: requestID(ctx),
	})
}
