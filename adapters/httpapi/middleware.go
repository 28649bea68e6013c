package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxCaller
	ctxLogger
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

// loggerFrom is the server's logger, which edge puts in every request's
// context, so that helpers without a *Server log through it too.
func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(ctxLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
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

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// A body the server will not read is still drained, up to drainMaxBytes
// and for at most drainTimeout, before the connection closes: a client that
// writes its whole body before it reads would otherwise meet a reset
// connection (EPIPE, ECONNRESET) instead of the 413 or 401 sent to it.
const (
	drainMaxBytes = 8 << 20
	drainTimeout  = 5 * time.Second
)

// statusClientGone is logged (never sent) for a request whose client hung
// up before anything was written; nginx's number for it.
const statusClientGone = 499

// edge is the outermost middleware: request id, logger, body limit, panic
// safety net, access log and metrics.
func (s *Server) edge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), ctxRequestID, id)
		ctx = context.WithValue(ctx, ctxLogger, s.log)
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		body := r.Body

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.LogAttrs(ctx, slog.LevelError, "handler panicked",
					slog.String("request_id", id), slog.String("path", logPath(r)), slog.String("panic", fmt.Sprint(p)))
				if rec.status == 0 {
					writeError(rec, r, &domain.Error{Kind: domain.KindInternal, Message: "internal error"})
				}
			}
			route := routeLabel(r)
			status := rec.status
			switch {
			case status == 0 && ctx.Err() != nil:
				status = statusClientGone
			case status == 0:
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			s.metrics.observe(route, r.Method, status, elapsed)
			// The query string is left out: callbacks carry ids only, but
			// nothing a client puts there belongs in a log.
			s.log.LogAttrs(ctx, slog.LevelInfo, "request",
				slog.String("request_id", id), slog.String("method", r.Method),
				slog.String("route", route), slog.String("path", logPath(r)),
				slog.Int("status", status), slog.Int("bytes", rec.bytes),
				slog.Duration("duration", elapsed))
		}()

		if r.ContentLength > s.cfg.MaxBodyBytes {
			rec.Header().Set("Connection", "close")
			writeError(rec, r, &domain.Error{Kind: kindTooLarge, Message: fmt.Sprintf("the body is over the limit of %d bytes", s.cfg.MaxBodyBytes)})
			drainBody(rec, r, body)
			return
		}
		read := &eofReader{ReadCloser: body}
		r.Body = http.MaxBytesReader(rec, read, s.cfg.MaxBodyBytes)
		next.ServeHTTP(rec, r)
		if !read.eof {
			drainBody(rec, r, body)
		}
	})
}

// eofReader remembers that its body was read to the end, so the common
// request that left nothing to drain skips the drain and its deadline.
type eofReader struct {
	io.ReadCloser
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.ReadCloser.Read(p)
	if err == io.EOF {
		e.eof = true
	}
	return n, err
}

// drainBody reads and drops what is left of a request body, bounded in bytes
// and time. A client that waits for 100 Continue has sent nothing to drain.
func drainBody(w http.ResponseWriter, r *http.Request, body io.Reader) {
	if body == nil || body == http.NoBody || strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		return
	}
	// The deadline is reset by the server before it reads the next request.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(drainTimeout))
	_, _ = io.CopyN(io.Discard, body, drainMaxBytes)
}

// logPath is r's path as logs may show it: a short-link code (a bearer
// capability) in /link/{code} or /widget/v1/links/{code} becomes :code, in
// whatever case or with whatever extra slashes the path was sent.
func logPath(r *http.Request) string {
	segs := strings.Split(r.URL.Path, "/")
	for i := 1; i < len(segs); i++ {
		prev := strings.ToLower(segs[i-1])
		capability := prev == "link" || (prev == "links" && i >= 2 && strings.EqualFold(segs[i-2], "v1"))
		if capability && segs[i] != "" {
			segs[i] = ":code"
		}
	}
	return strings.Join(segs, "/")
}

// routeLabel is the registered pattern that served r, for metrics and logs
// (never the raw path, which would carry ids).
func routeLabel(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "unmatched"
}
