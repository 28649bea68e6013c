package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/domain"
)

// LinkFlow is the link service the widget drives (core/auth.Service).
type LinkFlow interface {
	OpenSession(ctx context.Context, req auth.OpenRequest) (auth.Opened, error)
	Authorize(ctx context.Context, id, token string) (domain.LinkSession, error)
	Current(ctx context.Context, l domain.LinkSession) (auth.Step, error)
	Login(ctx context.Context, l domain.LinkSession, req auth.LoginRequest) (auth.Step, error)
	Answer(ctx context.Context, l domain.LinkSession, answer string) (auth.Step, error)
	Choose(ctx context.Context, l domain.LinkSession, req auth.ChooseRequest) (auth.Step, error)
	Cancel(ctx context.Context, l domain.LinkSession) (auth.Step, error)
}

// LinkRoutes are the link API. Opening a session takes the public key and
// client token; every later call presents the session token. cfg gives the
// server's public origin, which the open's Origin check always allows.
func LinkRoutes(f LinkFlow, limiter *SessionLimiter, cfg WidgetConfig, addrs ClientAddresses) Routes {
	session := func(next func(w http.ResponseWriter, r *http.Request, l domain.LinkSession)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			token, err := bearer(r)
			if err != nil {
				writeError(w, r, &domain.Error{Kind: domain.KindUnauthorized, Code: "INVALID_SESSION_TOKEN", Message: "this call needs Authorization: Bearer <session_token>"})
				return
			}
			l, err := f.Authorize(r.Context(), r.PathValue("id"), token)
			if err != nil {
				writeLinkError(w, r, err)
				return
			}
			if limiter != nil {
				if err := limiter.take(l.ID); err != nil {
					writeError(w, r, err)
					return
				}
			}
			next(w, r.WithContext(auth.WithClient(r.Context(), addrs.Of(r))), l)
		}
	}
	open := func(w http.ResponseWriter, r *http.Request) {
		var req auth.OpenRequest
		if err := decodeBody(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
		req.Origins = auth.Origins{Request: r.Header.Get("Origin"), Server: serverOrigin(r, cfg.PublicURL)}
		out, err := f.OpenSession(auth.WithClient(r.Context(), addrs.Of(r)), req)
		if err != nil {
			writeLinkError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, out)
	}
	current := session(func(w http.ResponseWriter, r *http.Request, l domain.LinkSession) {
		step, err := f.Current(r.Context(), l)
		writeStep(w, r, step, err)
	})
	login := session(func(w http.ResponseWriter, r *http.Request, l domain.LinkSession) {
		var req auth.LoginRequest
		if err := decodeBody(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
		step, err := f.Login(r.Context(), l, req)
		writeStep(w, r, step, err)
	})
	challenge := session(func(w http.ResponseWriter, r *http.Request, l domain.LinkSession) {
		var req struct {
			Answer string `json:"answer"`
		}
		if err := decodeBody(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
		step, err := f.Answer(r.Context(), l, req.Answer)
		writeStep(w, r, step, err)
	})
	accounts := session(func(w http.ResponseWriter, r *http.Request, l domain.LinkSession) {
		var req auth.ChooseRequest
		if err := decodeBody(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
		step, err := f.Choose(r.Context(), l, req)
		if err != nil {
			writeLinkError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, step.Payload)
	})
	cancel := session(func(w http.ResponseWriter, r *http.Request, l domain.LinkSession) {
		step, err := f.Cancel(r.Context(), l)
		writeStep(w, r, step, err)
	})
	const base = "/widget/v1/sessions"
	return Routes{
		{Method: http.MethodPost, Path: base, Access: Public, Tag: "link", Summary: "Open a link session with the public key and client token.", Request: "OpenSession", Response: "Opened", Handler: open},
		{Method: http.MethodGet, Path: base + "/{id}", Access: SessionToken, Tag: "link", Summary: "The current step (poll it while a USSD code waits).", Response: "Step", Handler: current},
		{Method: http.MethodPost, Path: base + "/{id}/login", Access: SessionToken, Tag: "link", Summary: "Log in at a bank; credentials go to the connector only.", Request: "Login", Response: "Step", Handler: login},
		{Method: http.MethodPost, Path: base + "/{id}/challenge", Access: SessionToken, Tag: "link", Summary: "Answer the bank's OTP or security question.", Request: "Answer", Response: "Step", Handler: challenge},
		{Method: http.MethodPost, Path: base + "/{id}/accounts", Access: SessionToken, Tag: "link", Summary: "Choose accounts with consent; answers the success payload.", Request: "Choose", Response: "SuccessPayload", Handler: accounts},
		{Method: http.MethodPost, Path: base + "/{id}/cancel", Access: SessionToken, Tag: "link", Summary: "Close the session.", Response: "Step", Handler: cancel},
	}
}

// writeStep answers a step. A failed step carries the HTTP status of its
// error's kind (504 for a bank timeout, 422 for a refusal, …) with the step
// as the body, so clients that only look at the status still see it.
func writeStep(w http.ResponseWriter, r *http.Request, step auth.Step, err error) {
	if err != nil {
		writeLinkError(w, r, err)
		return
	}
	status := http.StatusOK
	if step.Status == domain.StepFailed && step.Error != nil {
		if c, found := errorTable[step.Error.Kind]; found {
			status = c.status
		} else {
			status = http.StatusUnprocessableEntity
		}
	}
	writeJSON(w, status, step)
}

// writeLinkError is writeError with the Retry-After a spent budget names.
func writeLinkError(w http.ResponseWriter, r *http.Request, err error) {
	var le *auth.LimitError
	if errors.As(err, &le) {
		secs := int(le.RetryAfter.Seconds())
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	writeError(w, r, err)
}

// ClientAddresses tells who a request comes from, for the per-address
// budgets of the link API.
type ClientAddresses struct {
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed. Without any, the connection's peer is the client: any
	// client can write X-Forwarded-For.
	TrustedProxies []netip.Prefix
}

// ParseTrustedProxies reads a list of addresses or CIDR prefixes separated
// by commas or spaces (the --trusted-proxies flag).
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an address or a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return out, nil
}

func (c ClientAddresses) trusted(ip netip.Addr) bool {
	for _, p := range c.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Of is the client's address as the budgets count it: the connection's
// peer, or, when that is a trusted proxy, the nearest address in
// X-Forwarded-For that is not one (the ones before it were written by the
// client and prove nothing). An IPv6 client is counted by its /64: a
// single host is usually handed a whole /64, so counting /128s would give
// it endless budgets.
func (c ClientAddresses) Of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if c.trusted(ip) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			ip = hop.Unmap().WithZone("")
			if !c.trusted(ip) {
				break
			}
		}
	}
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

// serverOrigin is the origin of the widget iframe: the configured public
// URL, else the origin the request was addressed to.
func serverOrigin(r *http.Request, publicURL string) string {
	if publicURL != "" {
		u := strings.TrimRight(publicURL, "/")
		if i := strings.Index(u, "://"); i >= 0 {
			if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
				u = u[:i+3+j]
			}
		}
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
