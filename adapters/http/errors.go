package httpapi

import (
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
)

// errorClass is one row of the error table.
type errorClass struct {
	status int
	typ    string
}

// errorTable is the one place where error kinds become HTTP statuses and
// Okra error types. Okra's own type names are used where one fits (ENV,
// RATE_LIMIT, EXPIRED); the others follow the same upper-case style.
var errorTable = map[domain.Kind]errorClass{
	domain.KindInvalid:          {http.StatusBadRequest, "INVALID_REQUEST"},
	domain.KindUnauthorized:     {http.StatusUnauthorized, "UNAUTHORIZED"},
	domain.KindWrongEnv:         {http.StatusUnauthorized, "ENV"},
	domain.KindForbidden:        {http.StatusForbidden, "FORBIDDEN"},
	domain.KindNotFound:         {http.StatusNotFound, "NOT_FOUND"},
	kindMethodNotAllowed:        {http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
	domain.KindConflict:         {http.StatusConflict, "CONFLICT"},
	domain.KindDuplicateAccount: {http.StatusConflict, "DUPLICATE_ACCOUNT"},
	domain.KindTokenRequired:    {http.StatusConflict, "TOKEN_REQUIRED"},
	domain.KindExpired:          {http.StatusGone, "EXPIRED"},
	kindTooLarge:                {http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE"},
	kindUnsupportedMedia:        {http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"},
	domain.KindRejected:         {http.StatusUnprocessableEntity, "BANK_REJECTED"},
	domain.KindRateLimited:      {http.StatusTooManyRequests, "RATE_LIMIT"},
	domain.KindConnectorFailed:  {http.StatusBadGateway, "CONNECTOR_ERROR"},
	domain.KindUnavailable:      {http.StatusServiceUnavailable, "BANK_UNAVAILABLE"},
	domain.KindTimeout:          {http.StatusGatewayTimeout, "BANK_TIMEOUT"},
	domain.KindInternal:         {http.StatusInternalServerError, "API"},
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

// writeError answers with the error envelope. Internal errors are logged
// with their cause and shown to the caller as a generic sentence.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	c, de := classify(err)
	msg := de.Message
	if de.Kind == domain.KindInternal {
		slog.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "path", r.URL.Path, "error", err.Error())
		msg = "something went wrong on our side; quote the request id to support"
	}
	if msg == "" {
		msg = http.StatusText(c.status)
	}
	code := de.Code
	if code == "" {
		code = c.typ
	}
	if c.status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, c.status, errorBody{
		Status: "error", Message: msg, Type: c.typ, Code: code, Field: de.Field,
		Retryable: de.Retryable, RequestID: requestID(r.Context()),
	})
}
