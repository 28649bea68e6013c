package jobs

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

// Started is the answer to a queued job: where to find its result.
type Started struct {
	CallbackURL string             `json:"callback_url"`
	Record      string             `json:"record"`
	Method      domain.EventMethod `json:"method"`
}

// CallbackURL is where the result of a record's method (BALANCE,
// IDENTITY) is served. origin, when set and answering, wins over
// publicURL (a server whose address is known only once it listens).
func CallbackURL(publicURL string, origin func() string, env domain.Env, recordID domain.ID, method domain.EventMethod) string {
	if origin != nil {
		if o := origin(); o != "" {
			publicURL = o
		}
	}
	base := "/v2/"
	if env == domain.EnvSandbox {
		base = "/v2/sandbox/"
	}
	return strings.TrimRight(publicURL, "/") + base + "callback?record=" + url.QueryEscape(recordID) + "&method=" + string(method)
}

// Status says where a record and its latest job stand.
type Status struct {
	Record  domain.RecordStatus `json:"record"`
	Refresh string              `json:"refresh"` // none, pending, running, done, failed
	Process Process             `json:"process"`
	// RequestedAt is when the latest job was asked for.
	RequestedAt string `json:"requested_at,omitempty"`
	// FinishedAt is when it finished.
	FinishedAt string `json:"finished_at,omitempty"`
}

// Process is Okra's running/completed pair.
type Process struct {
	Running   bool `json:"running"`
	Completed bool `json:"completed"`
}

// Status is where rec and its latest job stand, and the job's stored
// result once it has finished (nil before).
func (q *Queue) Status(ctx context.Context, scope domain.Scope, rec domain.Record) (Status, []byte, error) {
	st := Status{Record: rec.Status, Refresh: "none", Process: Process{Completed: true}}
	j, err := q.Latest(ctx, scope, rec.ID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return st, nil, nil
	case err != nil:
		return Status{}, nil, err
	}
	st.Refresh, st.RequestedAt = j.Status, okra.Time(j.CreatedAt)
	if j.Status == domain.JobPending || j.Status == domain.JobRunning {
		st.Process = Process{Running: true}
		return st, nil, nil
	}
	st.FinishedAt = okra.Time(j.UpdatedAt)
	return st, j.Result, nil
}

// Error is why a job failed, as its result and callback say.
type Error struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrorOf is err for the company: its kind and code, or a generic
// message for an error of ours.
func ErrorOf(err error) *Error {
	de, ok := domain.AsError(err)
	if !ok || de.Kind == domain.KindInternal {
		return &Error{Type: "API", Code: "API", Message: "the refresh failed on our side"}
	}
	typ := de.Kind.OkraType()
	code := de.Code
	if code == "" {
		code = typ
	}
	return &Error{Type: typ, Code: code, Message: de.Message}
}

// Retryable reports whether a failed bank call may succeed if tried
// again: our own errors, timeouts, an unavailable or failing bank, rate
// limits, and what the bank marked retryable, but never a session the
// customer must renew.
func Retryable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return true
	}
	de, ok := domain.AsError(err)
	if !ok {
		return true // an internal error, e.g. the database; try again
	}
	switch de.Kind {
	case domain.KindTimeout, domain.KindUnavailable, domain.KindConnectorFailed, domain.KindRateLimited, domain.KindInternal:
		return true
	}
	return de.Retryable && de.Kind != domain.KindTokenRequired
}
