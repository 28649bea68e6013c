package delivery

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
	out := []netip.Addr{}
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

// TestURLGuard is the set-time check, run the way an attacker would probe
// it: every spelling of an internal address that some parser or resolver
// reads differently from the guard. strict is the default policy, open is
// --allow-private-webhooks (which still refuses spellings no receiver
// needs: zones and odd IPv4 forms).
func TestURLGuard(t *testing.T) {
	resolver := mapResolver{
		"hooks.example.com":  {"93.184.216.34"},
		"hooks.example.com.": {"93.184.216.34"},
		"v6.example.com":     {"2606:2800:220:1:248:1893:25c8:1946"},
		"nat64.example.com":  {"64:ff9b::5db8:d822"}, // DNS64 for 93.184.216.34
		"localhost":          {"127.0.0.1", "::1"},
		"internal.example":   {"10.0.0.7"},
		"mixed.example":      {"93.184.216.34", "192.168.1.10"},
		"metadata.example":   {"169.254.169.254"},
		"mapped.example":     {"::ffff:10.0.0.1"},
		"compat.example":     {"::7f00:1"},
		"zoned.example":      {"fe80::1%eth0"},
		"ec2meta.example":    {"fd00:ec2::254"},
		"bad64.example":      {"64:ff9b::a9fe:a9fe"},
		"bad6to4.example":    {"2002:7f00:1::1"},
		"cgnat.example":      {"100.64.1.1"},
		"empty.example":      {},
	}
	tests := []struct {
		url          string
		strict, open bool // accepted by the default guard / with private addresses allowed
	}{
		// Public receivers.
		{"https://hooks.example.com/bankauth", true, true},
		{"http://hooks.example.com:8080/x?y=1", true, true},
		{"https://hooks.example.com./trailing-dot", true, true},
		{"https://HOOKS.Example.COM/", true, true},
		{"https://v6.example.com/", true, true},
		{"https://nat64.example.com/", true, true},
		{"https://93.184.216.34/", true, true},
		{"https://[2606:2800:220:1:248:1893:25c8:1946]/", true, true},
		{"https://[64:ff9b::93.184.216.34]/", true, true}, // NAT64 of a public address
		{"https://[2002:5db8:d822::1]/", true, true},      // 6to4 of a public address
		// Zoned IPv6: netip.Prefix.Contains is false for every one of them.
		{"http://[::1%25lo]:8080/hook", false, false},
		{"http://[fe80::1%25eth0]/", false, false},
		{"http://[fd00:ec2::254%25eth0]/", false, false},
		{"http://[::ffff:127.0.0.1%25lo]/", false, false},
		{"http://[2606:2800:220:1:248:1893:25c8:1946%25eth0]/", false, false},
		// IPv4-compatible (::/96), mapped and translated forms.
		{"http://[::127.0.0.1]/", false, true},
		{"http://[::7f00:1]/", false, true},
		{"http://[::169.254.169.254]/", false, true},
		{"http://[::ffff:127.0.0.1]/", false, true},
		{"http://[::ffff:7f00:1]/", false, true},
		{"http://[::ffff:169.254.169.254]/", false, true},
		{"http://[::ffff:0:127.0.0.1]/", false, true}, // SIIT
		// NAT64 and 6to4 embedding an internal IPv4 address; Teredo.
		{"http://[64:ff9b::127.0.0.1]/", false, true},
		{"http://[64:ff9b::a9fe:a9fe]/", false, true},
		{"http://[64:ff9b::10.0.0.1]/", false, true},
		{"http://[64:ff9b:1::a00:1]/", false, true}, // local-use NAT64
		{"http://[2002:7f00:1::1]/", false, true},
		{"http://[2002:a9fe:a9fe::1]/", false, true},
		{"http://[2002:c0a8:101::1]/", false, true},
		{"http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", false, true},
		// Loopback and local names.
		{"http://localhost:8080/", false, true},
		{"http://LOCALHOST/", false, true},
		{"http://localhost./", false, true},
		{"http://foo.localhost/", false, true},
		{"http://a.b.localhost:9/", false, true},
		{"http://printer.local/", false, true},
		{"http://metadata.google.internal/computeMetadata/v1/", false, true},
		{"http://metadata/", false, true}, // one label: completed by the search domains
		{"http://router.home.arpa/", false, true},
		{"http://localhost.localdomain/", false, true},
		// IPv4 spelled so that inet_aton and the guard disagree.
		{"http://2130706433/", false, false},
		{"http://0x7f.1/", false, false},
		{"http://0x7f000001/", false, false},
		{"http://0x7F.0.0.1/", false, false},
		{"http://0177.0.0.1/", false, false},
		{"http://017700000001/", false, false},
		{"http://127.1/", false, false},
		{"http://127.0.1/", false, false},
		{"http://0/", false, false},
		{"http://3232235777/", false, false}, // 192.168.1.1
		{"http://127.0.0.1./", false, true},  // trailing dot, still loopback
		// Loopback, private, CGNAT, link-local, metadata.
		{"http://127.0.0.1/", false, true},
		{"http://127.8.9.10/", false, true},
		{"http://[::1]:9000/", false, true},
		{"http://10.1.2.3/", false, true},
		{"http://172.16.0.1/", false, true},
		{"http://172.31.255.255/", false, true},
		{"http://192.168.0.1/", false, true},
		{"http://100.64.0.1/", false, true},
		{"http://100.127.255.254/", false, true},
		{"http://169.254.0.1/", false, true},
		{"http://169.254.169.254/latest/meta-data", false, true},
		{"http://[fd00:ec2::254]/latest/meta-data", false, true},
		{"http://[fe80::1]/", false, true},
		{"http://[fe80::a9fe:a9fe]/", false, true},
		{"http://[fd12:3456::1]/", false, true},
		{"http://[fc00::1]/", false, true},
		{"http://[fec0::1]/", false, true}, // site-local
		// Unspecified, "this network", multicast, broadcast, reserved.
		{"http://0.0.0.0/", false, true},
		{"http://0.1.2.3/", false, true},
		{"http://[::]/", false, true},
		{"http://224.0.0.1/", false, true},
		{"http://239.255.255.250/", false, true},
		{"http://[ff02::1]/", false, true},
		{"http://[ff05::1:3]/", false, true},
		{"http://255.255.255.255/", false, true},
		{"http://240.0.0.1/", false, true},
		{"http://192.0.0.8/", false, true},
		// Benchmarking and documentation.
		{"http://198.18.0.1/", false, true},
		{"http://198.19.255.255/", false, true},
		{"http://[2001:2::1]/", false, true},
		{"http://192.0.2.1/", false, true},
		{"http://198.51.100.7/", false, true},
		{"http://203.0.113.9/", false, true},
		{"http://[2001:db8::1]/", false, true},
		{"http://[3fff::1]/", false, true},
		// Names that resolve to internal addresses (checked after DNS).
		{"http://internal.example/", false, true},
		{"http://mixed.example/", false, true},
		{"http://metadata.example/", false, true},
		{"http://mapped.example/", false, true},
		{"http://compat.example/", false, true},
		{"http://zoned.example/", false, true},
		{"http://ec2meta.example/", false, true},
		{"http://bad64.example/", false, true},
		{"http://bad6to4.example/", false, true},
		{"http://cgnat.example/", false, true},
		{"http://empty.example/", false, true},
		{"http://does-not-resolve.example/", false, true},
		// Not a usable http(s) URL at all.
		{"http://ｌｏｃａｌｈｏｓｔ/", false, false},
		{"http://bad_host!.example/", false, false},
		{"http://127.0.0.1#@hooks.example.com/", false, true},
		{"http://hooks.example.com@127.0.0.1/", false, false},
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
			if g.want != (err == nil) {
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

// TestDialControlRefusesBlockedAddresses is the dial-time check: what a
// DNS answer (rebinding after the URL was set) may hand the dialer.
func TestDialControlRefusesBlockedAddresses(t *testing.T) {
	tests := []struct {
		addr  string
		allow bool
	}{
		{"93.184.216.34:443", true},
		{"[2606:2800:220::1]:443", true},
		{"[64:ff9b::5db8:d822]:443", true},   // NAT64 of a public address
		{"[2002:5db8:d822::1]:443", true},    // 6to4 of a public address
		{"[::ffff:93.184.216.34]:443", true}, // mapped public
		{"127.0.0.1:80", false},
		{"127.255.255.254:80", false},
		{"[::1]:80", false},
		{"[::1%lo]:80", false},
		{"[fe80::1%eth0]:80", false},
		{"[fd00:ec2::254%eth0]:80", false},
		{"[2606:2800:220::1%eth0]:443", false}, // a zone names our own interface
		{"[::127.0.0.1]:80", false},
		{"[::ffff:127.0.0.1]:80", false},
		{"[::ffff:10.0.0.1]:443", false},
		{"[::ffff:0:a9fe:a9fe]:80", false},
		{"[64:ff9b::a9fe:a9fe]:80", false},
		{"[64:ff9b::7f00:1]:80", false},
		{"[64:ff9b:1::1]:80", false},
		{"[2002:7f00:1::1]:80", false},
		{"[2002:a9fe:a9fe::]:80", false},
		{"[2001:0:4136:e378:8000:63bf:3fff:fdd2]:443", false},
		{"10.0.0.1:443", false},
		{"172.20.1.1:443", false},
		{"192.168.1.1:443", false},
		{"100.64.3.4:443", false},
		{"169.254.169.254:80", false},
		{"[fd00:ec2::254]:80", false},
		{"[fc00::1]:80", false},
		{"0.0.0.0:80", false},
		{"[::]:80", false},
		{"224.0.0.251:5353", false},
		{"[ff02::fb]:5353", false},
		{"255.255.255.255:80", false},
		{"198.18.0.1:80", false},
		{"192.0.2.1:80", false},
		{"[2001:db8::1]:80", false},
		{"not-an-address", false},
	}
	for _, tc := range tests {
		err := dialControl("tcp", tc.addr, nil)
		if (err == nil) != tc.allow {
			t.Errorf("dial %s: %v, want allowed=%v", tc.addr, err, tc.allow)
		}
		var forbidden errForbiddenAddress
		if err != nil && !errors.As(err, &forbidden) {
			t.Errorf("dial %s: %v is not the forbidden-address error the log maps to %q", tc.addr, err, ReasonPrivate)
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
