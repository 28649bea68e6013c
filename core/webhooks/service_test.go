package webhooks

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// adSealer "seals" by prefixing the associated data, so opening with other
// associated data fails the way AES-GCM would.
type adSealer struct{}

func (adSealer) Seal(p, ad []byte) ([]byte, error) {
	return append(append(append([]byte{}, ad...), 0xff), p...), nil
}

func (adSealer) Open(c, ad []byte) ([]byte, error) {
	prefix := append(append([]byte{}, ad...), 0xff)
	if !bytes.HasPrefix(c, prefix) {
		return nil, errors.New("message authentication failed")
	}
	return c[len(prefix):], nil
}

// guardFunc adapts a function to URLGuard.
type guardFunc func(string) error

func (g guardFunc) Check(_ context.Context, u string) error { return g(u) }

func TestSetRefusesBadInputBeforeStoring(t *testing.T) {
	refuse := guardFunc(func(u string) error {
		if strings.Contains(u, "10.0.0.1") {
			return domain.Invalid("url", "must not point to a private address")
		}
		return nil
	})
	// A nil store: none of these may reach it.
	svc := NewService(nil, adSealer{}, ports.SystemClock{}, ports.RandomIDs{}, refuse)
	scope := domain.Scope{CompanyID: domain.NewID(), Env: domain.EnvSandbox}
	for _, tc := range []struct {
		name, url, token, field string
	}{
		{"no url", "", "", "url"},
		{"blank url", "   ", "", "url"},
		{"url too long", "https://example.com/" + strings.Repeat("a", MaxURLLength), "", "url"},
		{"refused by the guard", "http://10.0.0.1/", "", "url"},
		{"token with a newline", "https://example.com/", "abc\r\nX-Injected: 1", "token"},
		{"token too long", "https://example.com/", strings.Repeat("t", MaxTokenLength+1), "token"},
	} {
		_, err := svc.Set(context.Background(), scope, tc.url, tc.token)
		de, ok := domain.AsError(err)
		if !ok || de.Kind != domain.KindInvalid || de.Field != tc.field {
			t.Errorf("%s: %v, want invalid %s", tc.name, err, tc.field)
		}
	}
}

func TestOpenEndpointBindsSecretsToTheirPlace(t *testing.T) {
	scope := domain.Scope{CompanyID: domain.NewID(), Env: domain.EnvProduction}
	seal := func(s domain.Scope, purpose, v string) []byte {
		b, _ := adSealer{}.Seal([]byte(v), domain.WebhookAD(s, purpose))
		return b
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	later := now.Add(time.Hour)
	ep := domain.WebhookEndpoint{
		CompanyID: scope.CompanyID, Env: scope.Env, URL: "https://example.com/h",
		SealedSecret: seal(scope, domain.WebhookSecretPurpose, "whsec_new"), SealedPrevious: seal(scope, domain.WebhookSecretPurpose, "whsec_old"),
		PreviousUntil: &later, SealedToken: seal(scope, domain.WebhookTokenPurpose, "tok"),
	}
	c, err := OpenEndpoint(adSealer{}, ep, now)
	if err != nil || c.Token != "tok" || len(c.Secrets) != 2 || c.Secrets[0] != "whsec_new" || c.Secrets[1] != "whsec_old" {
		t.Fatalf("open: %+v, %v", c, err)
	}
	if c, err := OpenEndpoint(adSealer{}, ep, later); err != nil || len(c.Secrets) != 1 {
		t.Errorf("after the grace period: %+v, %v", c, err)
	}

	swapped := ep
	swapped.SealedSecret = ep.SealedToken // a token must not open as a secret
	if _, err := OpenEndpoint(adSealer{}, swapped, now); err == nil {
		t.Error("a sealed token opened as a signing secret")
	}
	moved := ep
	moved.Env = domain.EnvSandbox // nor may a row move to the other environment
	if _, err := OpenEndpoint(adSealer{}, moved, now); err == nil {
		t.Error("a secret opened in another environment")
	}
	stolen := ep
	stolen.CompanyID = domain.NewID()
	if _, err := OpenEndpoint(adSealer{}, stolen, now); err == nil {
		t.Error("a secret opened for another company")
	}
}
