// Package shortlink stores widget options server-side under a short,
// random, URL-safe code, so a company can hand a customer a link
// (/link/<code>) instead of embedding the widget.
package shortlink

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// CodeLength is the length of a code: 12 characters of a 62-letter
// alphabet, about 71 bits, too many to guess.
const CodeLength = 12

// MaxOptionsBytes bounds the stored options.
const MaxOptionsBytes = 16 << 10

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// KeyChecker tells which company a public key belongs to
// (core/company.Service). It may be nil: then the key is not checked here
// (the widget checks it when it opens the session).
type KeyChecker = ports.KeyChecker

// DefaultTTL is how long a link without "exp" works: a short link can
// carry a customer and open their returning-user view, so it must not live
// forever.
const DefaultTTL = 7 * 24 * time.Hour

// Config tunes the service.
type Config struct {
	// DefaultTTL is the expiry of links created without "exp" (default
	// DefaultTTL; negative: such links never expire).
	DefaultTTL time.Duration
}

// Service creates and resolves short links.
type Service struct {
	repo  ports.ShortLinkRepo
	clock ports.Clock
	keys  KeyChecker
	cfg   Config
}

// New builds the service with the default configuration.
func New(repo ports.ShortLinkRepo, clock ports.Clock, keys KeyChecker) *Service {
	return NewWithConfig(repo, clock, keys, Config{})
}

// NewWithConfig builds the service.
func NewWithConfig(repo ports.ShortLinkRepo, clock ports.Clock, keys KeyChecker, cfg Config) *Service {
	if clock == nil {
		clock = ports.SystemClock{}
	}
	if cfg.DefaultTTL == 0 {
		cfg.DefaultTTL = DefaultTTL
	}
	return &Service{repo: repo, clock: clock, keys: keys, cfg: cfg}
}

// Create validates options and stores them under a new code. Options must
// be a JSON object with at least the public key ("key") of the caller's
// company and environment; "token" and "env" are filled in (or must match);
// "exp", when given, is the link's expiry: an RFC 3339 time, or a date
// (YYYY-MM-DD) meaning the link works to the end of that day (UTC);
// without it the link expires after the configured default TTL.
func (s *Service) Create(ctx context.Context, scope domain.Scope, options json.RawMessage) (domain.ShortLink, error) {
	trimmed := bytes.TrimSpace(options)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return domain.ShortLink{}, domain.Invalid("options", "is required (the widget options, with at least key)")
	}
	if len(trimmed) > MaxOptionsBytes {
		return domain.ShortLink{}, domain.Invalid("options", fmt.Sprintf("must be at most %d bytes of JSON", MaxOptionsBytes))
	}
	var opts map[string]any
	if err := json.Unmarshal(trimmed, &opts); err != nil || opts == nil {
		return domain.ShortLink{}, domain.Invalid("options", "must be a JSON object")
	}
	key, _ := opts["key"].(string)
	if strings.TrimSpace(key) == "" {
		return domain.ShortLink{}, domain.Invalid("options.key", "is required (the public key)")
	}
	if s.keys != nil {
		c, err := s.keys.Authenticate(ctx, key, domain.KeyPublic, scope.Env)
		if err != nil || c.ID != scope.CompanyID {
			return domain.ShortLink{}, domain.Invalid("options.key", fmt.Sprintf("must be a public key of this company for %s", scope.Env))
		}
	}
	switch tok := opts["token"].(type) {
	case nil:
		opts["token"] = scope.CompanyID
	case string:
		if tok != scope.CompanyID {
			return domain.ShortLink{}, domain.Invalid("options.token", "must be this company's client token")
		}
	default:
		return domain.ShortLink{}, domain.Invalid("options.token", "must be a string")
	}
	switch env := opts["env"].(type) {
	case nil:
		opts["env"] = string(scope.Env)
	case string:
		got, err := domain.ParseEnv(env)
		if err != nil || got != scope.Env {
			return domain.ShortLink{}, domain.Invalid("options.env", fmt.Sprintf("must be %s (the environment of the key that created the link)", scope.Env))
		}
		opts["env"] = string(got)
	default:
		return domain.ShortLink{}, domain.Invalid("options.env", "must be a string")
	}
	if r, found := opts["redirect_url"]; found {
		u, isString := r.(string)
		if !isString || !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) {
			return domain.ShortLink{}, domain.Invalid("options.redirect_url", "must be an http(s) URL")
		}
	}
	now := s.clock.Now().UTC()
	var expires *time.Time
	if raw, found := opts["exp"]; found && raw != nil {
		str, isString := raw.(string)
		if !isString {
			return domain.ShortLink{}, domain.Invalid("options.exp", "must be a date (YYYY-MM-DD) or an RFC 3339 time")
		}
		t, err := parseExpiry(str)
		if err != nil {
			return domain.ShortLink{}, err
		}
		if !t.After(now) {
			return domain.ShortLink{}, domain.Invalid("options.exp", "must be in the future")
		}
		expires = &t
	} else if s.cfg.DefaultTTL > 0 {
		t := now.Add(s.cfg.DefaultTTL)
		expires = &t
	}
	stored, err := json.Marshal(opts)
	if err != nil {
		return domain.ShortLink{}, fmt.Errorf("encode link options: %w", err)
	}
	l := domain.ShortLink{CompanyID: scope.CompanyID, Env: scope.Env, Options: stored, CreatedAt: now, ExpiresAt: expires}
	// A clash of 71 random bits is all but impossible; retry a few times
	// rather than assume it.
	for range 3 {
		l.Code = NewCode()
		err = s.repo.Create(ctx, l)
		if err == nil {
			return l, nil
		}
		if domain.KindOf(err) != domain.KindConflict {
			return domain.ShortLink{}, fmt.Errorf("store short link: %w", err)
		}
	}
	return domain.ShortLink{}, fmt.Errorf("store short link: %w", err)
}

func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC().AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, domain.Invalid("options.exp", "must be a date (YYYY-MM-DD) or an RFC 3339 time")
}

// Resolve returns the link stored under code. An unknown or malformed code
// is not found; an expired link is expired.
func (s *Service) Resolve(ctx context.Context, code string) (domain.ShortLink, error) {
	if !ValidCode(code) {
		return domain.ShortLink{}, domain.NotFound("link")
	}
	l, err := s.repo.Get(ctx, code)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.ShortLink{}, domain.NotFound("link")
	}
	if err != nil {
		return domain.ShortLink{}, fmt.Errorf("load short link: %w", err)
	}
	if l.ExpiresAt != nil && !s.clock.Now().Before(*l.ExpiresAt) {
		return domain.ShortLink{}, &domain.Error{Kind: domain.KindExpired, Code: domain.CodeLinkExpired, Message: "this link has expired; ask for a new one"}
	}
	return l, nil
}

// NewCode makes a random code of CodeLength URL-safe characters.
func NewCode() string {
	var b [CodeLength]byte
	out := make([]byte, CodeLength)
	for i := 0; i < CodeLength; {
		// crypto/rand.Read is documented never to return an error.
		_, _ = rand.Read(b[:])
		for _, c := range b {
			// 248 is the largest multiple of 62 below 256: rejecting the
			// rest keeps every letter equally likely.
			if c < 248 && i < CodeLength {
				out[i] = alphabet[int(c)%len(alphabet)]
				i++
			}
		}
	}
	return string(out)
}

// ValidCode tells whether s has the shape of a code.
func ValidCode(s string) bool {
	if len(s) != CodeLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(alphabet, rune(s[i])) {
			return false
		}
	}
	return true
}
