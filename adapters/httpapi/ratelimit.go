package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// rateLimiter is a token bucket per API key (one active secret key per
// company and environment), held in memory by each instance.
type rateLimiter struct {
	rate  float64 // tokens per second; <0 disables
	burst float64
	mu    sync.Mutex
	keys  map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), keys: map[string]*bucket{}}
}

// take spends a token for key; when none is left it returns how long until
// one is.
func (l *rateLimiter) take(key string, now time.Time) (bool, time.Duration) {
	if l.rate < 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.keys[key]
	if !found {
		if len(l.keys) > 100_000 {
			// Bound memory: forget everyone; at worst a burst is refilled.
			l.keys = map[string]*bucket{}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.keys[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

func (s *Server) rateLimited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := callerFrom(r.Context())
		key := c.Company.ID + "/" + string(c.Env)
		if p, isPartner := partnerFrom(r.Context()); isPartner {
			key = "partner/" + p.Partner.ID + "/" + string(p.Env)
		}
		okay, wait := s.limiter.take(key, s.deps.Clock.Now())
		if !okay {
			secs := int(math.Ceil(wait.Seconds()))
			if secs < 1 {
				secs = 1
			}
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, r, &domain.Error{Kind: domain.KindRateLimited, Message: "too many requests for this key; retry after " + strconv.Itoa(secs) + "s"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
