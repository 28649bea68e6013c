package auth

import (
	"strings"

	"github.com/bankauth/bankauth/core/domain"
)

// Origins is what a browser said about where a session is being opened.
// None of it is proof (a script sets what it likes); it lets a company's
// list of allowed origins stop another site's page from driving its
// widget in a customer's browser.
type Origins struct {
	// Request is the Origin header of the open request.
	Request string
	// Server is this server's own origin (the widget iframe's), always
	// allowed.
	Server string
	// Parent is the origin of the page that framed the widget, as the
	// widget learnt it from the postMessage event.
	Parent string
}

var errOriginNotAllowed = &domain.Error{Kind: domain.KindForbidden, Code: domain.CodeOriginNotAllowed,
	Message: "this page's origin is not among the company's allowed origins (bankauth company set --allowed-origins)"}

var errFramingNotAllowed = &domain.Error{Kind: domain.KindForbidden, Code: domain.CodeOriginNotAllowed,
	Message: "this link may not be opened inside another page: the company does not allow framing"}

// checkOrigins applies the company's allowed origins to a session open;
// shortLink is true for a session of a hosted short link.
func checkOrigins(c domain.Company, o Origins, shortLink bool) error {
	listed := func(origin string) bool {
		return origin == "" || (o.Server != "" && origin == o.Server) || c.AllowsOrigin(origin)
	}
	if !listed(o.Request) || !listed(o.Parent) {
		return errOriginNotAllowed
	}
	if shortLink && o.Parent != "" && strings.TrimSpace(c.FrameAncestors) == "'none'" {
		return errFramingNotAllowed
	}
	return nil
}
