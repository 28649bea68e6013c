package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxCaller
)

// Caller is the company and environment a request acts for.
type Caller struct {
	Company domain.Company
	Env     domain.Env
}

// Scope is the tenant scope of the caller.
func (c Caller) Scope() domain.Scope { return domain.Scope{CompanyID: c.Company.ID, Env: c.Env} }

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

func callerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(ctxCaller).(Caller)
	return c, ok
}

func withCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, ctxCaller, c)
}

// newRequestID makes a 24-hex request id (the same shape as our ids).
func newRequestID() string {
	var b [12]byte
	// crypto/rand.Read is documented never to return an error.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// saneRequestID accepts a caller's request id only if it is short and plain,
// so it cannot smuggle anything into logs.
func saneRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// edge is the outermost middleware: request id, body limit, panic safety
// net, access log and metrics.
func (s *Server) edge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), ctxRequestID, id)
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				slog.ErrorContext(ctx, "handler panicked", "request_id", id, "path", r.URL.Path, "panic", fmt.Sprint(p))
				if rec.status == 0 {
					writeError(rec, r, &domain.Error{Kind: domain.KindInternal, Message: "internal error"})
				}
			}
			route := routeLabel(r)
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			s.metrics.observe(route, r.Method, status, elapsed)
			// The query string is left out: callbacks carry ids only, but
			// nothing a client puts there belongs in a log.
			s.log.LogAttrs(ctx, slog.LevelInfo, "request",
				slog.String("request_id", id), slog.String("method", r.Method),
				slog.String("route", route), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Int("bytes", rec.bytes),
				slog.Duration("duration", elapsed))
		}()

		if r.ContentLength > s.cfg.MaxBodyBytes {
			writeError(rec, r, &domain.Error{Kind: kindTooLarge, Message: fmt.Sprintf("the body is over the limit of %d bytes", s.cfg.MaxBodyBytes)})
			return
		}
		r.Body = http.MaxBytesReader(rec, r.Body, s.cfg.MaxBodyBytes)
		next.ServeHTTP(rec, r)
	})
}

// routeLabel is the registered pattern that served r, for metrics and logs
// (never the raw path, which would carry ids).
func routeLabel(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}
