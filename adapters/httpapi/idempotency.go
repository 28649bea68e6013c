package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// idempotencyLease is how long an in-flight key is held before a retry may
// take it over: longer than a request may run (the handler's deadline is
// the write timeout) plus the time spent settling the key.
func (c Config) idempotencyLease() time.Duration {
	if c.IdempotencyLease > 0 {
		return c.IdempotencyLease
	}
	return c.WriteTimeout + c.idempotencySettle() + 5*time.Second
}

// idempotencySettle bounds how long storing a response (or releasing the
// key) is retried while the database is unreachable.
func (c Config) idempotencySettle() time.Duration {
	if c.IdempotencySettle > 0 {
		return c.IdempotencySettle
	}
	return 10 * time.Second
}

// errRolledBack makes an atomic route's transaction roll back when its
// handler answered 5xx.
var errRolledBack = errors.New("handler failed; its writes are rolled back")

// idempotent stores the first response to a POST that carries an
// Idempotency-Key and replays it for the same key and body. A different
// body gets 409; a duplicate that arrives while the first is running gets
// 409 with Retry-After, until the first attempt's lease lapses and a retry
// may take the key over.
//
// A 2xx or 4xx answer reaches the client only once it is stored: on an
// Atomic route in the same transaction as the handler's writes, elsewhere
// right after the handler, retried with backoff while the database is
// away. If it cannot be stored the client gets a retryable 503 and the key
// is released (or lapses with its lease), so a retry runs the request
// again: on an Atomic route nothing was written; elsewhere the route's own
// effect may have happened and runs again. 5xx answers are not stored, so
// the client may retry them. Answers of sensitive routes (they carry a
// secret shown once) are stored only sealed with the route's ReplaySealer,
// or, without one, not at all: those keep only the in-flight guard.
func (s *Server) idempotent(next http.Handler, rt Route) http.Handler {
	sensitive, atomic, sealer := rt.Sensitive, rt.Atomic, rt.ReplaySealer
	lease, settleFor := s.cfg.idempotencyLease(), s.cfg.idempotencySettle()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 {
			writeError(w, r, domain.Invalid("Idempotency-Key", "must be at most 255 characters"))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, r, &domain.Error{Kind: kindTooLarge, Message: "the body is over the limit"})
				return
			}
			writeError(w, r, &domain.Error{Kind: domain.KindInvalid, Message: "could not read the body", Err: err})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		c, _ := callerFrom(r.Context())
		h := sha256.New()
		h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
		h.Write(body)
		now := s.deps.Clock.Now()
		entry := domain.IdempotencyEntry{
			CompanyID: c.Company.ID, Env: c.Env, Key: key, RequestHash: h.Sum(nil),
			State: domain.IdemInFlight, CreatedAt: now, ExpiresAt: now.Add(s.cfg.IdempotencyTTL), LeaseUntil: now.Add(lease),
		}
		store := s.deps.Store
		stored, existed, err := store.Idempotency().Begin(r.Context(), entry)
		if err != nil {
			s.log.WarnContext(r.Context(), "begin idempotent request", "request_id", requestID(r.Context()), "error", err.Error())
			unavailable(w, r, 1, "IDEMPOTENCY_UNAVAILABLE", "the Idempotency-Key could not be recorded; nothing was done, retry with the same key")
			return
		}
		if existed {
			switch {
			case !bytes.Equal(stored.RequestHash, entry.RequestHash):
				writeError(w, r, &domain.Error{Kind: domain.KindConflict, Code: "IDEMPOTENCY_KEY_REUSED",
					Message: "this Idempotency-Key was used with a different request"})
			case stored.State != domain.IdemDone:
				w.Header().Set("Retry-After", retryAfterSeconds(stored.LeaseUntil.Sub(now)))
				writeError(w, r, &domain.Error{Kind: domain.KindConflict, Code: "IDEMPOTENCY_IN_FLIGHT",
					Message: "a request with this Idempotency-Key is still being processed"})
			default:
				answer := stored.Response
				if sensitive && sealer != nil {
					if answer, err = sealer.Open(answer, replayAD(entry)); err != nil {
						writeError(w, r, fmt.Errorf("open the stored answer: %w", err))
						return
					}
				}
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(stored.StatusCode)
				_, _ = w.Write(answer)
			}
			return
		}

		// The handler may not outlive its lease; past the write timeout its
		// answer could not be written anyway.
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.WriteTimeout)
		defer cancel()
		rec := newBuffered()
		// The key must be settled even if the client went away.
		settle, stop := context.WithTimeout(context.WithoutCancel(r.Context()), settleFor)
		defer stop()
		release := func() {
			if err := retry(settle, func(ctx context.Context) error { return store.Idempotency().Abandon(ctx, entry) }); err != nil {
				// It lapses with its lease instead.
				s.log.WarnContext(settle, "release idempotency key", "request_id", requestID(settle), "error", err.Error())
			}
		}

		if atomic {
			err := store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
				rec.reset()
				next.ServeHTTP(rec, r.WithContext(ctx))
				if rec.code() >= 500 {
					return errRolledBack
				}
				done := entry
				done.State, done.StatusCode, done.Response = domain.IdemDone, rec.code(), rec.body.Bytes()
				return tx.Idempotency().Complete(ctx, done)
			})
			switch {
			case err == nil:
				rec.flush(w)
			case errors.Is(err, errRolledBack):
				release()
				rec.flush(w)
			default:
				s.log.WarnContext(r.Context(), "store idempotent response", "request_id", requestID(r.Context()), "error", err.Error())
				release()
				unavailable(w, r, 1, "IDEMPOTENCY_NOT_STORED", "the request could not be completed; nothing was done, retry with the same key")
			}
			return
		}

		next.ServeHTTP(rec, r.WithContext(ctx))
		if rec.code() >= 500 || (sensitive && sealer == nil) {
			release()
			rec.flush(w)
			return
		}
		done := entry
		done.State, done.StatusCode, done.Response = domain.IdemDone, rec.code(), rec.body.Bytes()
		if sensitive {
			if done.Response, err = sealer.Seal(done.Response, replayAD(entry)); err != nil {
				s.log.ErrorContext(settle, "seal idempotent response", "request_id", requestID(settle), "error", err.Error())
				release()
				rec.flush(w)
				return
			}
		}
		if err := retry(settle, func(ctx context.Context) error { return store.Idempotency().Complete(ctx, done) }); err != nil {
			s.log.WarnContext(settle, "store idempotent response", "request_id", requestID(settle), "error", err.Error())
			release()
			unavailable(w, r, 1, "IDEMPOTENCY_NOT_STORED", "the answer could not be stored; retry with the same key, which runs the request again")
			return
		}
		rec.flush(w)
	})
}

// replayAD binds a sealed answer to its company, environment and key.
func replayAD(e domain.IdempotencyEntry) []byte {
	return []byte("idempotent-answer\x00" + e.CompanyID + "\x00" + string(e.Env) + "\x00" + e.Key)
}

// unavailable answers a retryable 503.
func unavailable(w http.ResponseWriter, r *http.Request, after int, code, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(after))
	writeError(w, r, &domain.Error{Kind: domain.KindUnavailable, Code: code, Message: msg, Retryable: true})
}

// retryAfterSeconds is a Retry-After value for d, at least one second.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// retry runs fn until it succeeds, ctx ends, or it fails in a way another
// try cannot fix (a domain error: not found, conflict).
func retry(ctx context.Context, fn func(ctx context.Context) error) error {
	wait := 25 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if _, isDomain := domain.AsError(err); isDomain {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
	}
}

// buffered holds a handler's answer until the key is settled.
type buffered struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBuffered() *buffered { return &buffered{header: http.Header{}} }

func (b *buffered) Header() http.Header { return b.header }

func (b *buffered) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *buffered) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// code is the status the handler answered; none means it wrote nothing,
// which counts as a failure.
func (b *buffered) code() int {
	if b.status == 0 {
		return http.StatusInternalServerError
	}
	return b.status
}

// reset forgets a previous run (a transaction retried by the store).
func (b *buffered) reset() {
	b.header, b.status = http.Header{}, 0
	b.body.Reset()
}

func (b *buffered) flush(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.code())
	_, _ = w.Write(b.body.Bytes())
}
