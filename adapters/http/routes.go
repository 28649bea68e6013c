package httpapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/bankauth/bankauth/core/ports"
)

// Access says who may call a route.
type Access int

const (
	// Public routes need no key (operator endpoints, widget assets).
	Public Access = iota
	// SecretKey routes are Okra API routes: served under /v2/ (production)
	// and /v2/sandbox/ (sandbox), with a secret key of that environment.
	SecretKey
	// SessionToken routes are link API calls after the first: they check
	// the link session's bearer token themselves.
	SessionToken
	// PartnerKey routes are the payment partners' API: served under both
	// base paths like SecretKey routes, with a partner's secret key of
	// that environment (a company's key is refused).
	PartnerKey
)

// Route is one endpoint. The server's mux, its OpenAPI document and its
// metrics labels are all built from the same list.
type Route struct {
	Method string
	// Path is relative for SecretKey routes ("auth/getById") and absolute
	// otherwise ("/healthz", "/widget/v1/sessions/{id}").
	Path    string
	Access  Access
	Handler http.HandlerFunc
	// OpenAPI description.
	Summary  string
	Tag      string
	Request  string   // name of the request body schema, "" for none
	Query    []string // required query parameters
	Response string   // name of the data schema in the envelope, "" for a free object
	// Hidden routes are left out of the OpenAPI document (test hooks).
	Hidden bool
	// Sensitive routes answer a secret once (a webhook signing secret), so
	// their answers are never stored in plain text: with a ReplaySealer the
	// stored answer is sealed with it and replayed like any other; without
	// one it is not stored and only the in-flight guard applies.
	Sensitive    bool
	ReplaySealer ports.Sealer
	// Atomic routes make every change through the store with the request's
	// context and quickly, so the handler runs inside one transaction with
	// the storing of its idempotent answer: both commit or neither does.
	Atomic bool
}

// Routes is what each feature contributes to the server (an fx value
// group).
type Routes []Route

// Base paths of the two environments.
const (
	ProductionBase = "/v2/"
	SandboxBase    = "/v2/sandbox/"
)

// fullPaths lists the absolute paths a route answers on.
func (r Route) fullPaths() []string {
	if r.Access == SecretKey || r.Access == PartnerKey {
		return []string{ProductionBase + r.Path, SandboxBase + r.Path}
	}
	return []string{r.Path}
}

// byPath groups routes by absolute path so one mux entry can answer 405
// with the allowed methods.
func byPath(routes []Route) map[string]map[string]Route {
	out := map[string]map[string]Route{}
	for _, r := range routes {
		for _, p := range r.fullPaths() {
			if out[p] == nil {
				out[p] = map[string]Route{}
			}
			out[p][r.Method] = r
		}
	}
	return out
}

func allowed(methods map[string]Route) string {
	var ms []string
	for m := range methods {
		ms = append(ms, m)
	}
	sort.Strings(ms)
	return strings.Join(ms, ", ")
}
