package webhook

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// mapResolver resolves from a fixed table; other names do not resolve.
type mapResolver map[string][]string

func (m mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := m[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func TestURLGuard(t *testing.T) {
	resolver := mapResolver{
		"hooks.example.com": {"93.184.216.34"},
		"v6.example.com":    {"2606:2800:220:1:248:1893:25c8:1946"},
		"localhost":         {"127.0.0.1", "::1"},
		"internal.example":  {"10.0.0.7"},
		"mixed.example":     {"93.184.216.34", "192.168.1.10"},
		"metadata.example":  {"169.254.169.254"},
	}
	tests := []struct {
		url          string
		strict, open bool // accepted by the default guard / with private addresses allowed
	}{
		{"https://hooks.example.com/bankauth", true, true},
		{"http://hooks.example.com:8080/x?y=1", true, true},
		{"https://v6.example.com/", true, true},
		{"https://93.184.216.34/", true, true},
		{"http://localhost:8080/", false, true},
		{"http://127.0.0.1/", false, true},
		{"http://127.8.9.10/", false, true},
		{"http://[::1]:9000/", false, true},
		{"http://[::ffff:127.0.0.1]/", false, true},
		{"http://10.1.2.3/", false, true},
		{"http://172.16.0.1/", false, true},
		{"http://172.31.255.255/", false, true},
		{"http://192.168.0.1/", false, true},
		{"http://100.64.0.1/", false, true},
		{"http://100.127.255.254/", false, true},
		{"http://169.254.169.254/latest/meta-data", false, true},
		{"http://metadata.example/", false, true},
		{"http://[fe80::1]/", false, true},
		{"http://[fd12:3456::1]/", false, true},
		{"http://[fc00::1]/", false, true},
		{"http://0.0.0.0/", false, true},
		{"http://[::]/", false, true},
		{"http://224.0.0.1/", false, true},
		{"http://[ff02::1]/", false, true},
		{"http://internal.example/", false, true},
		{"http://mixed.example/", false, true},
		{"http://does-not-resolve.example/", false, true},
		{"ftp://hooks.example.com/", false, false},
		{"file:///etc/passwd", false, false},
		{"javascript:alert(1)", false, false},
		{"hooks.example.com/path", false, false},
		{"https://user:pass@hooks.example.com/", false, false},
		{"https://user@hooks.example.com/", false, false},
		{"https:///nohost", false, false},
		{"http://hooks.example.com:99999/", false, false},
		{"http://hooks.example.com:0/", false, false},
		{"http://[::1", false, false},
	}
	strict := NewURLGuard(false).WithResolver(resolver)
	open := NewURLGuard(true).WithResolver(resolver)
	ctx := context.Background()
	for _, tc := range tests {
		for _, g := range []struct {
			name  string
			guard *URLGuard
			want  bool
		}{{"default", strict, tc.strict}, {"allow-private", open, tc.open}} {
			err := g.guard.Check(ctx, tc.url)
			if tc := tc; g.want != (err == nil) {
				t.Errorf("%s guard, %q: err %v, want accepted=%v", g.name, tc.url, err, g.want)
				continue
			}
			if err != nil {
				de, ok := domain.AsError(err)
				if !ok || de.Kind != domain.KindInvalid || de.Field != "url" {
					t.Errorf("%s guard, %q: %v is not an invalid-url domain error", g.name, tc.url, err)
				}
			}
		}
	}
}

func TestDialControlRefusesBlockedAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34:443":      true,
		"[2606:2800:220::1]:443": true,
		"127.0.0.1:80":           false,
		"[::1]:80":               false,
		"10.0.0.1:443":           false,
		"[::ffff:10.0.0.1]:443":  false,
		"100.64.3.4:443":         false,
		"169.254.169.254:80":     false,
		"not-an-address":         false,
	} {
		if err := dialControl("tcp", addr, nil); (err == nil) != want {
			t.Errorf("dial %s: %v, want allowed=%v", addr, err, want)
		}
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"event_id":"abc","code":"AUTH_SUCCESS"}`)
	at := time.Unix(1_800_000_000, 0)
	header := Sign([]string{"whsec_new", "whsec_old"}, at, body)
	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"current secret", "whsec_new", header, body, at, nil},
		{"previous secret", "whsec_old", header, body, at, nil},
		{"within tolerance", "whsec_new", header, body, at.Add(4 * time.Minute), nil},
		{"clock behind", "whsec_new", header, body, at.Add(-4 * time.Minute), nil},
		{"too old", "whsec_new", header, body, at.Add(6 * time.Minute), ErrStaleSignature},
		{"from the future", "whsec_new", header, body, at.Add(-6 * time.Minute), ErrStaleSignature},
		{"wrong secret", "whsec_other", header, body, at, ErrBadSignature},
		{"tampered body", "whsec_new", header, []byte(`{"event_id":"abd","code":"AUTH_SUCCESS"}`), at, ErrBadSignature},
		{"timestamp swapped", "whsec_new", "t=1800000001" + header[len("t=1800000000"):], body, at, ErrBadSignature},
		{"no timestamp", "whsec_new", header[len("t=1800000000,"):], body, at, ErrMalformedSignature},
		{"no signature", "whsec_new", "t=1800000000", body, at, ErrMalformedSignature},
		{"empty", "whsec_new", "", body, at, ErrMalformedSignature},
		{"garbage", "whsec_new", "t=abc,v1=00", body, at, ErrMalformedSignature},
		{"two timestamps", "whsec_new", "t=1800000000," + header, body, at, ErrMalformedSignature},
	}
	for _, tc := range tests {
		err := Verify(tc.secret, tc.header, tc.body, tc.now, 5*time.Minute)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A zero tolerance skips the timestamp check.
	if err := Verify("whsec_new", header, body, at.Add(time.Hour), 0); err != nil {
		t.Errorf("zero tolerance: %v", err)
	}
}
