package delivery

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

// globalUnicast6 is the only IPv6 space a webhook may reach (besides NAT64
// addresses of public IPv4 ones): everything outside it is loopback,
// unspecified, IPv4-compatible (::/96), unique-local, link-local,
// site-local, multicast or reserved.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// blockedPrefixes are special-purpose ranges a webhook may not reach unless
// private addresses are allowed, on top of what netip classifies as
// loopback, link-local, private, multicast and unspecified.
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network", includes the unspecified address
		"10.0.0.0/8",      // RFC 1918
		"100.64.0.0/10",   // carrier-grade NAT
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata services (169.254.169.254)
		"172.16.0.0/12",   // RFC 1918
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation (TEST-NET-1)
		"192.31.196.0/24", // AS112
		"192.52.193.0/24", // AMT
		"192.88.99.0/24",  // 6to4 relay anycast
		"192.168.0.0/16",  // RFC 1918
		"192.175.48.0/24", // AS112 direct delegation
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation (TEST-NET-2)
		"203.0.113.0/24",  // documentation (TEST-NET-3)
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, includes the broadcast address
		"2001::/23",       // IETF protocol assignments: Teredo, benchmarking, ORCHID…
		"2001:db8::/32",   // documentation
		"3fff::/20",       // documentation
		"5f00::/16",       // SRv6 segment identifiers
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Prefixes whose addresses carry an IPv4 address that the network will
// reach on the sender's behalf; such an address is as forbidden as the
// IPv4 address it embeds.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64: the last 32 bits
	sixToFour   = netip.MustParsePrefix("2002::/16")    // 6to4: bits 16 to 47
)

// embeddedIPv4 returns the IPv4 address a NAT64 or 6to4 address leads to.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	b := ip.As16()
	switch {
	case nat64Prefix.Contains(ip):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// forbiddenIP reports whether a webhook may not reach ip. A zone names one
// of this server's own interfaces and is always forbidden; the zone is
// stripped and IPv4-mapped addresses unmapped before any range check, since
// netip.Prefix.Contains is false for zoned addresses and mapped ones are
// IPv4 in disguise.
func forbiddenIP(ip netip.Addr) bool {
	if !ip.IsValid() || ip.Zone() != "" {
		return true
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if v4, ok := embeddedIPv4(ip); ok {
			return forbiddenIP(v4)
		}
		if !globalUnicast6.Contains(ip) {
			return true
		}
	}
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// localSuffixes are names that resolve on the server's own network (or to
// itself), whatever public DNS says.
var localSuffixes = []string{"localhost", "local", "internal", "localdomain", "home.arpa", "lan", "intranet", "corp"}

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

// Refusals Check returns (as domain.Invalid("url", …)).
const (
	refusePrivate = "must not point to a loopback, link-local, private or other special-purpose address"
	refuseZone    = "must not name a network interface (an IPv6 zone)"
	refuseNumeric = "must spell an IPv4 address as four decimal numbers (a.b.c.d)"
	refuseName    = "must name a host with a valid DNS name"
	refuseLocal   = "must not name a local host (localhost, .local, .internal and the like)"
)

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
	ip, name, msg := classifyHost(host)
	if msg != "" {
		return domain.Invalid("url", msg)
	}
	if g.allowPrivate {
		return nil
	}
	addrs := []netip.Addr{ip}
	if name != "" {
		if isLocalName(name) {
			return domain.Invalid("url", refuseLocal)
		}
		if addrs, err = g.resolver.LookupNetIP(ctx, "ip", strings.ToLower(host)); err != nil || len(addrs) == 0 {
			return domain.Invalid("url", "the host does not resolve")
		}
	}
	for _, a := range addrs {
		if forbiddenIP(a) {
			return domain.Invalid("url", refusePrivate)
		}
	}
	return nil
}

// classifyHost tells an IP literal (ip) from a DNS name (name, lower case,
// without a trailing dot) and refuses, whatever the policy, the spellings
// that one resolver would read as an address and another as a name:
// zoned IPv6, and IPv4 in anything but dotted decimal (2130706433,
// 0x7f.1, 0177.0.0.1, 127.1).
func classifyHost(host string) (ip netip.Addr, name string, refusal string) {
	if strings.Contains(host, ":") {
		a, err := netip.ParseAddr(host)
		switch {
		case err != nil:
			return netip.Addr{}, "", "is not a valid URL"
		case a.Zone() != "":
			return netip.Addr{}, "", refuseZone
		}
		return a, "", ""
	}
	name = strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "" || strings.HasSuffix(name, ".") {
		return netip.Addr{}, "", refuseName
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if !validLabel(l) {
			return netip.Addr{}, "", refuseName
		}
	}
	if last := labels[len(labels)-1]; allDigits(last) || strings.HasPrefix(last, "0x") {
		// Ends in a number: it is an IPv4 address, so it must be one in
		// the one spelling every parser agrees on.
		a, err := netip.ParseAddr(name)
		if err != nil || !a.Is4() || a.String() != name {
			return netip.Addr{}, "", refuseNumeric
		}
		return a, "", ""
	}
	return netip.Addr{}, name, ""
}

// validLabel accepts letters, digits, hyphens and underscores, 1 to 63 of
// them: ASCII only, so an internationalised name must come as punycode
// and cannot be mapped onto another by a resolver.
func validLabel(l string) bool {
	if l == "" || len(l) > 63 {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isLocalName reports names that never leave the server's own network: a
// single label (completed by the search domains) or a local suffix.
func isLocalName(name string) bool {
	if !strings.Contains(name, ".") {
		return true
	}
	for _, s := range localSuffixes {
		if name == s || strings.HasSuffix(name, "."+s) {
			return true
		}
	}
	return false
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

// errForbiddenAddress is the dial error for a blocked address. The
// delivery log shows only ReasonPrivate, never the address.
type errForbiddenAddress struct{ addr string }

func (e errForbiddenAddress) Error() string {
	return "refused to connect to " + e.addr + ": not a public address"
}

// dialControl re-checks the address actually dialled, after DNS
// resolution, so a host that resolved to a public address when the URL was
// set cannot later point the worker at an internal one (DNS rebinding).
func dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return errForbiddenAddress{addr: address}
	}
	if forbiddenIP(ap.Addr()) {
		return errForbiddenAddress{addr: ap.Addr().String()}
	}
	return nil
}
