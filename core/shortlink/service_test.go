package shortlink

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

type memRepo struct {
	mu    sync.Mutex
	links map[string]domain.ShortLink
}

func (m *memRepo) Create(_ context.Context, l domain.ShortLink) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, found := m.links[l.Code]; found {
		return &domain.Error{Kind: domain.KindConflict, Message: "code taken"}
	}
	m.links[l.Code] = l
	return nil
}

func (m *memRepo) Get(_ context.Context, code string) (domain.ShortLink, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, found := m.links[code]
	if !found {
		return domain.ShortLink{}, domain.NotFound("short link")
	}
	return l, nil
}

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

type keys map[string]domain.Company

func (k keys) Authenticate(_ context.Context, key string, kind domain.KeyKind, env domain.Env) (domain.Company, error) {
	c, found := k[string(env)+"/"+key]
	if !found || kind != domain.KeyPublic {
		return domain.Company{}, &domain.Error{Kind: domain.KindUnauthorized}
	}
	return c, nil
}

const company = "0123456789abcdef01234567"

func TestCreateValidates(t *testing.T) {
	clock := &fixedClock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	k := keys{"production-sandbox/pk_test_ours": {ID: company}, "production-sandbox/pk_test_theirs": {ID: "aaaaaaaaaaaaaaaaaaaaaaaa"}}
	s := New(&memRepo{links: map[string]domain.ShortLink{}}, clock, k)
	scope := domain.Scope{CompanyID: company, Env: domain.EnvSandbox}
	for _, tc := range []struct {
		name, options, field string
	}{
		{"missing", ``, "options"},
		{"null", `null`, "options"},
		{"array", `[1]`, "options"},
		{"string", `"x"`, "options"},
		{"no key", `{"name":"Acme"}`, "options.key"},
		{"key of another company", `{"key":"pk_test_theirs"}`, "options.key"},
		{"unknown key", `{"key":"pk_test_nobody"}`, "options.key"},
		{"other token", `{"key":"pk_test_ours","token":"aaaaaaaaaaaaaaaaaaaaaaaa"}`, "options.token"},
		{"other env", `{"key":"pk_test_ours","env":"production"}`, "options.env"},
		{"bad redirect", `{"key":"pk_test_ours","redirect_url":"javascript:alert(1)"}`, "options.redirect_url"},
		{"bad exp", `{"key":"pk_test_ours","exp":"tomorrow"}`, "options.exp"},
		{"past exp", `{"key":"pk_test_ours","exp":"2026-02-28"}`, "options.exp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Create(context.Background(), scope, json.RawMessage(tc.options))
			de, ok := domain.AsError(err)
			if !ok || de.Kind != domain.KindInvalid || de.Field != tc.field {
				t.Fatalf("want invalid %s, got %v", tc.field, err)
			}
		})
	}
}

func TestCreateResolveExpire(t *testing.T) {
	clock := &fixedClock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := New(&memRepo{links: map[string]domain.ShortLink{}}, clock, nil)
	scope := domain.Scope{CompanyID: company, Env: domain.EnvSandbox}
	l, err := s.Create(context.Background(), scope, json.RawMessage(`{"key":"pk_test_x","name":"Acme","exp":"2026-03-02"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !ValidCode(l.Code) || l.ExpiresAt == nil || !l.ExpiresAt.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("link: %+v", l)
	}
	var opts map[string]any
	if err := json.Unmarshal(l.Options, &opts); err != nil || opts["token"] != company || opts["env"] != "production-sandbox" || opts["name"] != "Acme" {
		t.Fatalf("stored options: %s", l.Options)
	}
	got, err := s.Resolve(context.Background(), l.Code)
	if err != nil || got.Code != l.Code {
		t.Fatalf("resolve: %v %+v", err, got)
	}
	if _, err := s.Resolve(context.Background(), "nope"); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("malformed code: %v", err)
	}
	if _, err := s.Resolve(context.Background(), NewCode()); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("unknown code: %v", err)
	}
	clock.t = time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	if _, err := s.Resolve(context.Background(), l.Code); domain.KindOf(err) != domain.KindExpired {
		t.Fatalf("expired link: %v", err)
	}
}

func TestCodesAreURLSafeAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := NewCode()
		if !ValidCode(c) || seen[c] {
			t.Fatalf("code %q invalid or repeated", c)
		}
		seen[c] = true
	}
}

func TestDefaultExpiry(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	scope := domain.Scope{CompanyID: company, Env: domain.EnvSandbox}
	for _, tc := range []struct {
		name    string
		cfg     Config
		options string
		want    *time.Time // nil: never expires
	}{
		{"default seven days", Config{}, `{"key":"pk_test_x"}`, ptr(now.Add(7 * 24 * time.Hour))},
		{"configured", Config{DefaultTTL: time.Hour}, `{"key":"pk_test_x"}`, ptr(now.Add(time.Hour))},
		{"exp wins over the default", Config{DefaultTTL: time.Hour}, `{"key":"pk_test_x","exp":"2026-03-20"}`, ptr(time.Date(2026, 3, 21, 0, 0, 0, 0, time.UTC))},
		{"negative: no default expiry", Config{DefaultTTL: -1}, `{"key":"pk_test_x"}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fixedClock{now}
			s := NewWithConfig(&memRepo{links: map[string]domain.ShortLink{}}, clock, nil, tc.cfg)
			l, err := s.Create(context.Background(), scope, json.RawMessage(tc.options))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == nil && l.ExpiresAt != nil:
				t.Fatalf("expires at %v, want never", *l.ExpiresAt)
			case tc.want != nil && (l.ExpiresAt == nil || !l.ExpiresAt.Equal(*tc.want)):
				t.Fatalf("expires at %v, want %v", l.ExpiresAt, *tc.want)
			}
			if tc.want == nil {
				return
			}
			clock.t = *tc.want
			if _, err := s.Resolve(context.Background(), l.Code); domain.KindOf(err) != domain.KindExpired {
				t.Fatalf("at its expiry the link resolves: %v", err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
