package httpapi

import (
	"net/http"
	"testing"
)

func TestClientAddresses(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.1 2001:db8:ffff::/48")
	if err != nil {
		t.Fatal(err)
	}
	behind := ClientAddresses{TrustedProxies: proxies}
	for _, c := range []struct {
		name   string
		addrs  ClientAddresses
		remote string
		xff    []string
		want   string
	}{
		{"v4 peer", ClientAddresses{}, "198.51.100.7:5555", nil, "198.51.100.7"},
		{"mapped v4 peer", ClientAddresses{}, "[::ffff:198.51.100.7]:5555", nil, "198.51.100.7"},
		{"v6 peer counts by /64", ClientAddresses{}, "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2::/64"},
		{"another /128 of the same /64", ClientAddresses{}, "[2001:db8:1:2:ffff::1]:443", nil, "2001:db8:1:2::/64"},
		{"zoned peer", ClientAddresses{}, "[fe80::1%eth0]:80", nil, "fe80::/64"},
		{"not an address", ClientAddresses{}, "pipe", nil, "pipe"},
		{"forwarded-for ignored without trusted proxies", ClientAddresses{}, "198.51.100.7:1", []string{"203.0.113.9"}, "198.51.100.7"},
		{"forwarded-for ignored from an untrusted peer", behind, "198.51.100.7:1", []string{"203.0.113.9"}, "198.51.100.7"},
		{"trusted proxy names the client", behind, "10.1.2.3:1", []string{"203.0.113.9"}, "203.0.113.9"},
		{"a client's own forged hops are skipped", behind, "10.1.2.3:1", []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"a chain of trusted proxies", behind, "10.1.2.3:1", []string{"203.0.113.9, 192.0.2.1", "10.9.9.9"}, "203.0.113.9"},
		{"garbage stops the walk at the last good hop", behind, "10.1.2.3:1", []string{"nonsense, 10.0.0.5"}, "10.0.0.5"},
		{"trusted v6 proxy, v6 client by /64", behind, "[2001:db8:ffff::1]:1", []string{"2001:db8:5:6::77"}, "2001:db8:5:6::/64"},
	} {
		r := &http.Request{RemoteAddr: c.remote, Header: http.Header{}}
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := c.addrs.Of(r); got != c.want {
			t.Errorf("%s: Of(%q, %q) = %q, want %q", c.name, c.remote, c.xff, got, c.want)
		}
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8, not-a-proxy"); err == nil {
		t.Error("a bad trusted proxy was accepted")
	}
}
