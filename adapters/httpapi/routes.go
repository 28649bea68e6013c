package httpapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
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
	// OptionalKey routes are Okra API routes that serve public data
	// (banks): a key, when given, must be good; without one the caller is
	// anonymous in the environment of the path.
	OptionalKey
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
	if r.Access == SecretKey || r.Access == OptionalKey || r.Access == PartnerKey {
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

// notOffered lists Okra v2 routes of products this server does not offer,
// from Okra's client libraries (okra-node 0.2.0 and 0.1.17). They answer
// 501 PRODUCT_NOT_AVAILABLE naming the product, so an integration can
// tell a product that is absent from a typo (404). Identity's routes are
// left out: they are being built.
var notOffered = []struct {
	product string
	method  string
	paths   []string
}{
	{"transactions", http.MethodPost, []string{
		"products/transactions", "transactions/getById", "transactions/getByAccount", "transactions/getByBank",
		"transactions/getByType", "transactions/getByNuban", "transactions/getByCustomerDate", "transactions/getByCustomer",
		"transactions/getByDate", "transactions/refresh", "transactions/process", "transactions/balance/process",
		"products/trans-networks/process", "products/transactions/download", "products/record/download",
		"complete-view/process", "products/benefactors/process", "products/guarantors/request",
		"products/transactions/periodic", "products/total-debits-credits",
		// okra-node 0.1's singular spellings.
		"transaction/getById", "transaction/byRecord", "transaction/refresh", "transaction/process",
		"transaction/getByCustomer", "transaction/getByAccount", "transaction/getByDate", "transaction/byOptions",
		"transaction/getByType", "transaction/getByBank", "transaction/getByCustomerDate",
	}},
	{"periodic balance", http.MethodPost, []string{"products/balance/periodic"}},
	{"spending patterns", http.MethodPost, []string{"products/spending-patterns/process", "products/transactions/spending-pattern"}},
	{"income", http.MethodPost, []string{
		"products/income/get", "products/income/process", "income/getById", "income/getByCustomer",
		"income/getByDate", "income/getByCustomerDate", "income/byOptions", "revenue/",
	}},
	{"payments", http.MethodPost, []string{
		"pay/get/id", "pay/get/", "pay/list", "pay/authorization/getByCustomer", "pay/authorization/list",
		"pay/link/create", "pay/verify", "pay/initiate", "authorization/initiate", "pay/authorization/initiate",
		"pay/authorization/cancel", "pay/authorization/reauth", "bulkfiles/initiate", "pay/refund", "pay/cancel", "pay/payout",
		"charge/create", "pay/get", "pay/get/Id",
	}},
	{"wallet", http.MethodPost, []string{
		"wallet/balance/check", "wallet/topups", "wallet/autotopup", "wallet/get", "wallet/list", "wallet/threshold",
		"wallet/edit", "wallet/company/{id}/autotopup",
	}},
	{"wallet", http.MethodGet, []string{"wallet/company/{id}"}},
	{"reports", http.MethodPost, []string{"reports/schedule"}},
	{"reports", http.MethodGet, []string{"reports/details", "reports/details/{id}", "reports/download/{id}", "reports/schedule/{id}"}},
	{"reports", http.MethodDelete, []string{"reports/details/{id}", "reports/schedule/{id}"}},
	{"reports", http.MethodPut, []string{"reports/schedule/{id}"}},
	{"liabilities", http.MethodPost, []string{
		"liabilities/process", "liabilities/getById", "liabilities/getByCustomer", "liabilities/list", "liabilities/getByDate",
	}},
	{"investments", http.MethodPost, []string{"assets/investment/process"}},
	{"insurance", http.MethodPost, []string{"insurance/process", "insurance/getByCustomer", "insurance/list"}},
	{"kyc verification", http.MethodPost, []string{
		"products/kyc/bvn-verify", "products/kyc/customer-verify", "products/kyc/rc-tin-verify", "products/kyc/tin-verify",
		"products/kyc/rc-verify", "products/kyc/nuban-verify", "products/kyc/nuban-name-verify",
	}},
}

// tagNotOffered tags the routes of notOffered (OpenAPI documents 501 for
// them).
const tagNotOffered = "not offered"

// notOfferedRoutes turns notOffered into routes, leaving out any path and
// method a real route already serves (a product that lands later wins).
func notOfferedRoutes(have []Route) []Route {
	taken := map[string]bool{}
	for _, r := range have {
		for _, p := range r.fullPaths() {
			taken[r.Method+" "+p] = true
		}
	}
	var out []Route
	for _, group := range notOffered {
		for _, path := range group.paths {
			rt := Route{
				Method: group.method, Path: path, Access: SecretKey, Tag: tagNotOffered,
				Summary: "Okra's " + group.product + " product: not offered by this server (501 PRODUCT_NOT_AVAILABLE).",
				Handler: productNotAvailable(group.product),
			}
			clash := false
			for _, p := range rt.fullPaths() {
				clash = clash || taken[rt.Method+" "+p]
			}
			if !clash {
				out = append(out, rt)
			}
		}
	}
	return out
}

func productNotAvailable(product string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &domain.Error{Kind: kindNotOffered, Code: "PRODUCT_NOT_AVAILABLE",
			Message: "this server does not offer Okra's " + product + " product; it offers auth, balance and identity"})
	}
}
