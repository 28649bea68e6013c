package webhook

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/webhooks"
)

// blockedPrefixes are the ranges a webhook may not reach unless private
// addresses are allowed: loopback, link-local, private, CGNAT, unspecified,
// multicast and other special-purpose ranges.
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",      // "this network", includes the unspecified address
		"10.0.0.0/8",     // RFC 1918
		"100.64.0.0/10",  // carrier-grade NAT
		"127.0.0.0/8",    // loopback
		"169.254.0.0/16", // link-local, cloud metadata services
		"172.16.0.0/12",  // RFC 1918
		"192.0.0.0/24",   // IETF protocol assignments
		"192.168.0.0/16", // RFC 1918
		"198.18.0.0/15",  // benchmarking
		"224.0.0.0/4",    // multicast
		"240.0.0.0/4",    // reserved, includes broadcast
		"::/128",         // unspecified
		"::1/128",        // loopback
		"64:ff9b::/96",   // NAT64: embeds IPv4 addresses
		"64:ff9b:1::/48", // local-use NAT64
		"fc00::/7",       // unique local
		"fe80::/10",      // link-local
		"ff00::/8",       // multicast
		"2002::/16",      // 6to4: embeds IPv4 addresses
		"2001:db8::/32",  // documentation
		"100::/64",       // discard-only
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// forbiddenIP reports whether ip is in a blocked range.
func forbiddenIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Resolver looks host names up; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// URLGuard checks webhook URLs: http or https, a host, no user info, and,
// unless private addresses are allowed, a host that resolves only to public
// addresses. It implements webhooks.URLGuard.
type URLGuard struct {
	allowPrivate bool
	resolver     Resolver
}

var _ webhooks.URLGuard = (*URLGuard)(nil)

// NewURLGuard returns a guard; allowPrivate lets URLs reach loopback,
// link-local and private addresses (development and tests).
func NewURLGuard(allowPrivate bool) *URLGuard {
	return &URLGuard{allowPrivate: allowPrivate, resolver: net.DefaultResolver}
}

// WithResolver returns a copy of g that resolves host names with r.
func (g *URLGuard) WithResolver(r Resolver) *URLGuard {
	c := *g
	c.resolver = r
	return &c
}

// Check returns a domain.Invalid("url", …) error when rawURL may not be used.
func (g *URLGuard) Check(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return domain.Invalid("url", "is not a valid URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return domain.Invalid("url", "must be an http or https URL")
	}
	if u.User != nil {
		return domain.Invalid("url", "must not contain a user name or password (use token)")
	}
	host := u.Hostname()
	if host == "" {
		return domain.Invalid("url", "must name a host")
	}
	if port := u.Port(); port != "" {
		if n, err := parsePort(port); err != nil || n == 0 {
			return domain.Invalid("url", "has an invalid port")
		}
	}
	if g.allowPrivate {
		return nil
	}
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return domain.Invalid("url", "the host does not resolve")
	}
	for _, a := range addrs {
		if forbiddenIP(a) {
			return domain.Invalid("url", "must not point to a loopback, link-local or private address")
		}
	}
	return nil
}

func (g *URLGuard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	addrs, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("no addresses for %s", host)
	}
	return addrs, nil
}

func parsePort(s string) (int, error) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("port %q is not a number", s)
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return 0, fmt.Errorf("port %q is out of range", s)
		}
	}
	return n, nil
}

// errForbiddenAddress is the dial error for a blocked address; its text is
// what the delivery log shows.
type errForbiddenAddress struct{ addr string }

func (e errForbiddenAddress) Error() string {
	return "refused to connect to " + e.addr + ": loopback, link-local or private address"
}

// dialControl re-checks the address actually dialled, after DNS
// resolution, so a host that resolved to a public address when the URL was
// set cannot later point the worker at an internal one (DNS rebinding).
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return errForbiddenAddress{addr: address}
	}
	if forbiddenIP(ap.Addr()) {
		return errForbiddenAddress{addr: ap.Addr().String()}
	}
	return nil
}
