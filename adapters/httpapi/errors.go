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
// the others the error itself says (a bank may be down for good). typ is set
// only for the HTTP edge's own kinds: the domain's are named by
// domain.Kind.OkraType.
type errorClass struct {
	status    int
	typ       string
	retryable bool
}

// errorTable is the one place where error kinds become HTTP statuses.
var errorTable = map[domain.Kind]errorClass{
	domain.KindInvalid:          {status: http.StatusBadRequest},
	domain.KindUnauthorized:     {status: http.StatusUnauthorized},
	domain.KindWrongEnv:         {status: http.StatusUnauthorized},
	domain.KindForbidden:        {status: http.StatusForbidden},
	domain.KindFlagged:          {status: http.StatusForbidden},
	domain.KindNotFound:         {status: http.StatusNotFound},
	kindMethodNotAllowed:        {status: http.StatusMethodNotAllowed, typ: "METHOD_NOT_ALLOWED"},
	domain.KindConflict:         {status: http.StatusConflict},
	domain.KindDuplicateAccount: {status: http.StatusConflict},
	domain.KindTokenRequired:    {status: http.StatusConflict},
	domain.KindExpired:          {status: http.StatusGone},
	kindTooLarge:                {status: http.StatusRequestEntityTooLarge, typ: "PAYLOAD_TOO_LARGE"},
	kindUnsupportedMedia:        {status: http.StatusUnsupportedMediaType, typ: "UNSUPPORTED_MEDIA_TYPE"},
	domain.KindRejected:         {status: http.StatusUnprocessableEntity},
	domain.KindRateLimited:      {status: http.StatusTooManyRequests, retryable: true},
	domain.KindConnectorFailed:  {status: http.StatusBadGateway},
	domain.KindUnavailable:      {status: http.StatusServiceUnavailable},
	domain.KindTimeout:          {status: http.StatusGatewayTimeout},
	domain.KindStoreUnavailable: {status: http.StatusServiceUnavailable, retryable: true},
	domain.KindStoreFull:        {status: http.StatusInsufficientStorage},
	domain.KindInternal:         {status: http.StatusInternalServerError},
	kindNotOffered:              {status: http.StatusNotImplemented, typ: "PRODUCT_NOT_AVAILABLE"},
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
	if c.typ == "" {
		c.typ = de.Kind.OkraType() // "API" for a kind outside the table, as the internal row
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
