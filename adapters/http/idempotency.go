package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// idempotent stores the first response to a POST that carries an
// Idempotency-Key and replays it for the same key and body. A different
// body gets 409; a duplicate that arrives while the first is running gets
// 409 too. 5xx answers are not stored, so the client may retry them, and
// answers of sensitive routes (they carry a secret shown once) are stored
// only sealed with sealer, or, without one, not at all: those keep only the
// in-flight guard.
func (s *Server) idempotent(next http.Handler, sensitive bool, sealer ports.Sealer) http.Handler {
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
			State: domain.IdemInFlight, CreatedAt: now, ExpiresAt: now.Add(s.cfg.IdempotencyTTL),
		}
		repo := s.deps.Store.Idempotency()
		stored, existed, err := repo.Begin(r.Context(), entry)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if existed {
			switch {
			case !bytes.Equal(stored.RequestHash, entry.RequestHash):
				writeError(w, r, &domain.Error{Kind: domain.KindConflict, Code: "IDEMPOTENCY_KEY_REUSED",
					Message: "this Idempotency-Key was used with a different request"})
			case stored.State != domain.IdemDone:
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
		rec := &capture{ResponseWriter: w}
		// The entry must be settled even if the client goes away.
		settle := context.WithoutCancel(r.Context())
		defer func() {
			keep := rec.status < 500 && rec.status != 0 && (!sensitive || sealer != nil)
			answer := rec.body.Bytes()
			if keep && sensitive {
				var err error
				if answer, err = sealer.Seal(answer, replayAD(entry)); err != nil {
					s.log.ErrorContext(settle, "seal idempotent response", "request_id", requestID(settle), "error", err.Error())
					keep = false
				}
			}
			if !keep {
				if err := repo.Abandon(settle, c.Company.ID, c.Env, key); err != nil {
					s.log.ErrorContext(settle, "abandon idempotency key", "request_id", requestID(settle), "error", err.Error())
				}
				return
			}
			entry.State, entry.StatusCode, entry.Response = domain.IdemDone, rec.status, answer
			if err := repo.Complete(settle, entry); err != nil {
				s.log.ErrorContext(settle, "store idempotent response", "request_id", requestID(settle), "error", err.Error())
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// replayAD binds a sealed answer to its company, environment and key.
func replayAD(e domain.IdempotencyEntry) []byte {
	return []byte("idempotent-answer\x00" + e.CompanyID + "\x00" + string(e.Env) + "\x00" + e.Key)
}

// capture copies what a handler writes.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}
