package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// Budget is a token bucket: Burst attempts at once, refilled at Rate per
// second.
type Budget struct {
	Rate  float64
	Burst int
}

// Per builds a budget of n attempts per window, all of which may come at
// once.
func Per(n int, window time.Duration) Budget {
	return Budget{Rate: float64(n) / window.Seconds(), Burst: n}
}

// Budgets bound what callers holding only public facts (a public key, a
// phone number) can cost, across sessions. They are kept in memory by each
// instance; the quick-login lock-out, which must hold across instances, is
// stored on the record instead.
type Budgets struct {
	OpenPerKey      Budget
	OpenPerAddress  Budget
	OpenPerCustomer Budget
	// Logins and challenge answers.
	LoginPerAddress  Budget
	LoginPerCustomer Budget
	// Off turns every bucket off (an operator's --rate-limit -1, tests).
	Off bool
}

// DefaultBudgets are generous for a person and tight for a script.
func DefaultBudgets() Budgets {
	return Budgets{
		OpenPerKey:       Budget{Rate: 10, Burst: 30},
		OpenPerAddress:   Budget{Rate: 1, Burst: 10},
		OpenPerCustomer:  Per(20, 10*time.Minute),
		LoginPerAddress:  Per(30, 10*time.Minute),
		LoginPerCustomer: Per(10, 10*time.Minute),
	}
}

func (b Budgets) withDefaults() Budgets {
	d := DefaultBudgets()
	for _, p := range []struct{ have, def *Budget }{
		{&b.OpenPerKey, &d.OpenPerKey}, {&b.OpenPerAddress, &d.OpenPerAddress}, {&b.OpenPerCustomer, &d.OpenPerCustomer},
		{&b.LoginPerAddress, &d.LoginPerAddress}, {&b.LoginPerCustomer, &d.LoginPerCustomer},
	} {
		if p.have.Rate <= 0 || p.have.Burst <= 0 {
			*p.have = *p.def
		}
	}
	return b
}

// LimitError is a spent budget. It unwraps to a domain error of kind
// rate_limited; RetryAfter says when the next attempt may succeed.
type LimitError struct {
	Cause      *domain.Error
	RetryAfter time.Duration
}

func (e *LimitError) Error() string { return e.Cause.Error() }
func (e *LimitError) Unwrap() error { return e.Cause }

func limited(code, what string, wait time.Duration) *LimitError {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return &LimitError{RetryAfter: time.Duration(secs) * time.Second, Cause: &domain.Error{Kind: domain.KindRateLimited, Code: code,
		Message: fmt.Sprintf("too many %s; retry after %ds", what, secs)}}
}

// buckets holds the token buckets of one instance.
type buckets struct {
	mu   sync.Mutex
	keys map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	// full is when the bucket is back to its burst; from then on it holds
	// nothing worth remembering.
	full time.Time
}

// maxBuckets bounds the memory the budgets use, however many addresses or
// identifiers callers make up.
const maxBuckets = 200_000

// take spends one token of key's bucket, or says how long until one is
// there.
func (bs *buckets) take(key string, b Budget, now time.Time) (bool, time.Duration) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.keys == nil {
		bs.keys = map[string]*bucket{}
	}
	bk, found := bs.keys[key]
	if !found {
		if len(bs.keys) >= maxBuckets {
			bs.evict(now)
		}
		bk = &bucket{tokens: float64(b.Burst), last: now}
		bs.keys[key] = bk
	}
	if elapsed := now.Sub(bk.last); elapsed > 0 {
		bk.tokens = math.Min(float64(b.Burst), bk.tokens+elapsed.Seconds()*b.Rate)
		bk.last = now
	}
	if bk.tokens < 1 {
		return false, time.Duration((1 - bk.tokens) / b.Rate * float64(time.Second))
	}
	bk.tokens--
	bk.full = now.Add(time.Duration((float64(b.Burst) - bk.tokens) / b.Rate * float64(time.Second)))
	return true, 0
}

// evict forgets the buckets that have refilled (forgetting them changes
// nothing). Only when every bucket is still spending — a flood of made-up
// keys — are all forgotten, which at worst refills one burst each; the
// keys that matter most (per address) are few, so a flood cannot keep an
// attacker's own address bucket from emptying again.
func (bs *buckets) evict(now time.Time) {
	for k, bk := range bs.keys {
		if !now.Before(bk.full) {
			delete(bs.keys, k)
		}
	}
	if len(bs.keys) >= maxBuckets {
		clear(bs.keys)
	}
}

// spend takes one attempt from every named bucket; the first one spent
// answers the error (the others are not refunded: a caller at a limit
// loses nothing it needs).
func (s *Service) spend(what string, b Budget, keys ...string) error {
	if s.cfg.Budgets.Off {
		return nil
	}
	now := s.clock.Now()
	for _, k := range keys {
		if k == "" {
			continue
		}
		if okay, wait := s.buckets.take(what+"\x00"+k, b, now); !okay {
			return limited("RATE_LIMIT", what, wait)
		}
	}
	return nil
}

// budgetKey names a bucket by a digest of the value, so no identifier is
// kept in memory in plain text.
func budgetKey(kind, value string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + value))
	return hex.EncodeToString(h[:16])
}

type clientKey struct{}

// WithClient tells the service the caller's network address (the HTTP
// adapter's view of it), for the per-address budgets.
func WithClient(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientKey{}, addr)
}

func clientOf(ctx context.Context) string {
	addr, _ := ctx.Value(clientKey{}).(string)
	return addr
}
