// Package company manages tenants and their API keys: creating companies,
// issuing and rotating keys, and telling who presents a key.
package company

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// KeyPair is the two keys of one environment. The secret key is shown only
// when it is made.
type KeyPair struct {
	PublicKey string `json:"public_key"`
	SecretKey string `json:"secret_key"`
}

// Created is a new company with its keys in both environments.
type Created struct {
	Company    domain.Company
	Sandbox    KeyPair
	Production KeyPair
}

// Service is the company and key service.
type Service struct {
	store ports.Store
	clock ports.Clock
	ids   ports.IDs
	// known remembers keys that authenticated recently, so a busy API key
	// costs no database round trip on every request. Entries live
	// keyCacheTTL; a rotation in this process forgets them at once, and
	// other instances see it within keyCacheTTL.
	mu    sync.Mutex
	known map[string]knownKey
}

type knownKey struct {
	company domain.Company
	keyID   domain.ID
	until   time.Time
}

// keyCacheTTL bounds how long another instance may still accept a key
// rotated away elsewhere.
const keyCacheTTL = 2 * time.Second

// NewService builds the service.
func NewService(store ports.Store, clock ports.Clock, ids ports.IDs) *Service {
	return &Service{store: store, clock: clock, ids: ids, known: map[string]knownKey{}}
}

func (s *Service) forgetKeys() {
	s.mu.Lock()
	s.known = map[string]knownKey{}
	s.mu.Unlock()
}

// Create makes a company with key pairs for both environments.
func (s *Service) Create(ctx context.Context, name string) (Created, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return Created{}, domain.Invalid("name", "must be 1 to 200 characters")
	}
	now := s.clock.Now()
	c := domain.Company{ID: s.ids.NewID(), Name: name, DuplicatePolicy: domain.DuplicateMerge, CreatedAt: now, UpdatedAt: now}
	out := Created{Company: c}
	err := s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		if err := tx.Companies().Create(ctx, c); err != nil {
			return fmt.Errorf("create company: %w", err)
		}
		var err error
		if out.Sandbox, err = s.issue(ctx, tx, c.ID, domain.EnvSandbox); err != nil {
			return err
		}
		out.Production, err = s.issue(ctx, tx, c.ID, domain.EnvProduction)
		return err
	})
	return out, err
}

// RotateKeys issues new key pairs for both environments and revokes the old
// ones at once.
func (s *Service) RotateKeys(ctx context.Context, companyID domain.ID) (Created, error) {
	defer s.forgetKeys()
	out := Created{}
	err := s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		c, err := tx.Companies().Get(ctx, companyID)
		if err != nil {
			return fmt.Errorf("load company %s: %w", companyID, err)
		}
		out.Company = c
		keys, err := tx.Keys().ListByCompany(ctx, companyID)
		if err != nil {
			return fmt.Errorf("list keys of %s: %w", companyID, err)
		}
		now := s.clock.Now()
		for _, k := range keys {
			if k.RevokedAt == nil {
				if err := tx.Keys().Revoke(ctx, k.ID, now); err != nil {
					return fmt.Errorf("revoke key %s: %w", k.ID, err)
				}
			}
		}
		if out.Sandbox, err = s.issue(ctx, tx, companyID, domain.EnvSandbox); err != nil {
			return err
		}
		out.Production, err = s.issue(ctx, tx, companyID, domain.EnvProduction)
		return err
	})
	return out, err
}

// SetDuplicatePolicy changes what happens when another customer links an
// account that is already linked.
func (s *Service) SetDuplicatePolicy(ctx context.Context, companyID domain.ID, p domain.DuplicatePolicy) error {
	if !p.Valid() {
		return domain.Invalid("duplicate_policy", "must be merge, reject or allow")
	}
	return s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		c, err := tx.Companies().Get(ctx, companyID)
		if err != nil {
			return fmt.Errorf("load company %s: %w", companyID, err)
		}
		c.DuplicatePolicy = p
		c.UpdatedAt = s.clock.Now()
		s.forgetKeys()
		return tx.Companies().Update(ctx, c)
	})
}

func (s *Service) issue(ctx context.Context, tx ports.Repos, companyID domain.ID, env domain.Env) (KeyPair, error) {
	pair := KeyPair{PublicKey: newKey(domain.KeyPublic, env), SecretKey: newKey(domain.KeySecret, env)}
	now := s.clock.Now()
	for _, k := range []struct {
		kind   domain.KeyKind
		key    string
		prefix string
	}{
		{domain.KeyPublic, pair.PublicKey, pair.PublicKey},
		{domain.KeySecret, pair.SecretKey, pair.SecretKey[:len("sk_test_")+6]},
	} {
		err := tx.Keys().Create(ctx, domain.APIKey{
			ID: s.ids.NewID(), CompanyID: companyID, Env: env, Kind: k.kind,
			Prefix: k.prefix, Hash: hashKey(k.key), CreatedAt: now,
		})
		if err != nil {
			return KeyPair{}, fmt.Errorf("store %s key: %w", k.kind, err)
		}
	}
	return pair, nil
}

// errBadKey is the one answer for every key that does not work, so a caller
// cannot tell an unknown key from a revoked one.
var errBadKey = &domain.Error{Kind: domain.KindUnauthorized, Code: domain.CodeInvalidKey, Message: "the key is not valid"}

// Authenticate tells which company a key belongs to. The key must be of
// kind and be meant for env; a key of the other environment is refused with
// kind wrong_env.
func (s *Service) Authenticate(ctx context.Context, key string, kind domain.KeyKind, env domain.Env) (domain.Company, error) {
	gotKind, gotEnv, err := parseKey(key)
	if err != nil {
		return domain.Company{}, err
	}
	if gotKind != kind {
		return domain.Company{}, &domain.Error{Kind: domain.KindUnauthorized, Code: domain.CodeWrongKeyKind,
			Message: fmt.Sprintf("a %s key is needed here", kind)}
	}
	if gotEnv != env {
		return domain.Company{}, &domain.Error{Kind: domain.KindWrongEnv, Code: domain.CodeWrongEnv,
			Message: fmt.Sprintf("this key is for %s, not %s", gotEnv, env)}
	}
	h := hashKey(key)
	now := s.clock.Now()
	s.mu.Lock()
	k, cached := s.known[string(h)]
	s.mu.Unlock()
	if cached && now.Before(k.until) {
		return k.company, nil
	}
	stored, err := s.store.Keys().FindByHash(ctx, h)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Company{}, errBadKey
	}
	if err != nil {
		return domain.Company{}, fmt.Errorf("look up key: %w", err)
	}
	if subtle.ConstantTimeCompare(stored.Hash, h) != 1 || stored.Kind != kind || stored.Env != env || !stored.Active(s.clock.Now()) {
		return domain.Company{}, errBadKey
	}
	c, err := s.store.Companies().Get(ctx, stored.CompanyID)
	if err != nil {
		return domain.Company{}, fmt.Errorf("load company of key: %w", err)
	}
	s.mu.Lock()
	if len(s.known) > 10_000 {
		s.known = map[string]knownKey{}
	}
	s.known[string(h)] = knownKey{company: c, keyID: stored.ID, until: now.Add(keyCacheTTL)}
	s.mu.Unlock()
	return c, nil
}

// PublicKey returns a company's active public key for env, for pages that
// embed it (the demo host page).
func (s *Service) PublicKey(ctx context.Context, companyID domain.ID, env domain.Env) (string, error) {
	keys, err := s.store.Keys().ListByCompany(ctx, companyID)
	if err != nil {
		return "", fmt.Errorf("list keys of %s: %w", companyID, err)
	}
	now := s.clock.Now()
	for _, k := range keys {
		if k.Kind == domain.KeyPublic && k.Env == env && k.Active(now) {
			return k.Prefix, nil
		}
	}
	return "", domain.NotFound("public key")
}

// EnsureDemo creates a demo company when the database has none and returns
// it with its keys; created is false (and keys empty) when companies exist.
func (s *Service) EnsureDemo(ctx context.Context) (Created, bool, error) {
	n, err := s.store.Companies().Count(ctx)
	if err != nil {
		return Created{}, false, fmt.Errorf("count companies: %w", err)
	}
	if n > 0 {
		return Created{}, false, nil
	}
	c, err := s.Create(ctx, DemoName)
	return c, err == nil, err
}

// DemoName is the name of the company serve creates on an empty database.
const DemoName = "Demo company"

// Demo returns the demo company and its sandbox public key, for the /demo
// host page; not found when serve never created one.
func (s *Service) Demo(ctx context.Context) (domain.Company, string, error) {
	list, err := s.store.Companies().List(ctx)
	if err != nil {
		return domain.Company{}, "", fmt.Errorf("list companies: %w", err)
	}
	for _, c := range list {
		if c.Name == DemoName {
			pk, err := s.PublicKey(ctx, c.ID, domain.EnvSandbox)
			return c, pk, err
		}
	}
	return domain.Company{}, "", domain.NotFound("demo company")
}

// SetFrameAncestors sets the CSP frame-ancestors sources of the company's
// hosted widget pages: "'self'", "'none'", "*" or http(s) origins
// (optionally "https://*.example.com"), separated by spaces; empty means
// any origin.
func (s *Service) SetFrameAncestors(ctx context.Context, companyID domain.ID, sources string) error {
	fields := strings.Fields(sources)
	for _, f := range fields {
		if !validFrameSource(f) {
			return domain.Invalid("frame_ancestors", fmt.Sprintf("%q is not 'self', 'none', * or an http(s) origin", f))
		}
	}
	return s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		c, err := tx.Companies().Get(ctx, companyID)
		if err != nil {
			return fmt.Errorf("load company %s: %w", companyID, err)
		}
		c.FrameAncestors = strings.Join(fields, " ")
		c.UpdatedAt = s.clock.Now()
		s.forgetKeys()
		return tx.Companies().Update(ctx, c)
	})
}

// SetAllowedOrigins sets the web origins that may embed the company's
// widget and receive its results ("https://app.example.com", separated by
// spaces or commas); "none" clears the list. Each is an exact origin:
// scheme, host and optional port, no path and no wildcard, because the
// widget posts results to exactly that origin.
func (s *Service) SetAllowedOrigins(ctx context.Context, companyID domain.ID, list string) error {
	origins, err := ParseOrigins(list)
	if err != nil {
		return err
	}
	return s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		c, err := tx.Companies().Get(ctx, companyID)
		if err != nil {
			return fmt.Errorf("load company %s: %w", companyID, err)
		}
		c.AllowedOrigins = origins
		c.UpdatedAt = s.clock.Now()
		s.forgetKeys()
		return tx.Companies().Update(ctx, c)
	})
}

// ParseOrigins reads a list of web origins, normalised (lower case, no
// trailing slash, no default port), refusing anything that is not one.
func ParseOrigins(list string) ([]string, error) {
	fields := strings.FieldsFunc(list, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
	if len(fields) == 1 && fields[0] == "none" {
		return nil, nil
	}
	var out []string
	for _, f := range fields {
		o, ok := normalizeOrigin(f)
		if !ok {
			return nil, domain.Invalid("allowed_origins", fmt.Sprintf("%q is not a web origin like https://app.example.com (scheme, host, optional port; no path)", f))
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

func normalizeOrigin(f string) (string, bool) {
	f = strings.TrimSuffix(strings.ToLower(f), "/")
	scheme, host, found := strings.Cut(f, "://")
	if !found || (scheme != "https" && scheme != "http") || host == "" {
		return "", false
	}
	name, port, hasPort := strings.Cut(host, ":")
	if name == "" || (hasPort && port == "") {
		return "", false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return "", false
		}
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		hasPort = false
	}
	if hasPort {
		return scheme + "://" + name + ":" + port, true
	}
	return scheme + "://" + name, true
}

func validFrameSource(f string) bool {
	switch f {
	case "'self'", "'none'", "*":
		return true
	}
	rest, found := strings.CutPrefix(f, "https://")
	if !found {
		rest, found = strings.CutPrefix(f, "http://")
	}
	if !found || rest == "" {
		return false
	}
	rest = strings.TrimPrefix(rest, "*.")
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// SetHideAccountNumbers decides whether the company sees account numbers
// masked everywhere (API, link payload, webhooks); its payment partners
// still get them through processor tokens.
func (s *Service) SetHideAccountNumbers(ctx context.Context, companyID domain.ID, hide bool) error {
	return s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		c, err := tx.Companies().Get(ctx, companyID)
		if err != nil {
			return fmt.Errorf("load company %s: %w", companyID, err)
		}
		c.HideAccountNumbers = hide
		c.UpdatedAt = s.clock.Now()
		s.forgetKeys()
		return tx.Companies().Update(ctx, c)
	})
}
