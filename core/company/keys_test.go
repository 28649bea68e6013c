package company

import (
	"strings"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
)

func TestKeyShapeAndChecksum(t *testing.T) {
	for _, c := range []struct {
		kind domain.KeyKind
		env  domain.Env
		pfx  string
	}{
		{domain.KeySecret, domain.EnvSandbox, "sk_test_"},
		{domain.KeySecret, domain.EnvProduction, "sk_live_"},
		{domain.KeyPublic, domain.EnvSandbox, "pk_test_"},
		{domain.KeyPublic, domain.EnvProduction, "pk_live_"},
	} {
		k := newKey(c.kind, c.env)
		if !strings.HasPrefix(k, c.pfx) {
			t.Fatalf("key %q lacks prefix %q", k, c.pfx)
		}
		kind, env, err := parseKey(k)
		if err != nil || kind != c.kind || env != c.env {
			t.Fatalf("parseKey(%q) = %v, %v, %v", k, kind, env, err)
		}
		// flip one character of the random part: the checksum must catch it
		b := []byte(k)
		if b[10] == 'a' {
			b[10] = 'b'
		} else {
			b[10] = 'a'
		}
		if _, _, err := parseKey(string(b)); err == nil {
			t.Fatalf("a mistyped key %q passed the checksum", b)
		}
	}
	for _, bad := range []string{"", "sk_test_", "Bearer x", "sk_prod_" + strings.Repeat("a", 40), "sk_test_" + strings.Repeat("Z", 40)} {
		if _, _, err := parseKey(bad); domain.KindOf(err) != domain.KindUnauthorized {
			t.Errorf("parseKey(%q) err = %v, want unauthorized", bad, err)
		}
	}
}
