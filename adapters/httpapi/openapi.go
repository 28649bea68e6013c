package httpapi

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-zA-Z_]+)\}`)

// openapiDoc builds the OpenAPI 3.1 document from the route list, so the
// document cannot forget a route the server answers.
func (s *Server) openapiDoc() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.routes {
		if rt.Hidden {
			continue
		}
		for _, p := range rt.fullPaths() {
			// "/{$}" is the mux's way to say "exactly /".
			p = strings.TrimSuffix(p, "{$}")
			item, _ := paths[p].(map[string]any)
			if item == nil {
				item = map[string]any{}
				paths[p] = item
			}
			item[strings.ToLower(rt.Method)] = s.operation(rt, p)
		}
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "bankauth",
			"version": "2.0.0",
			"summary": "Bank account authentication, returning users and balance checks, on Okra's v2 wire format.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"tags": []any{
			map[string]any{"name": "auth"}, map[string]any{"name": "accounts"}, map[string]any{"name": "customers"},
			map[string]any{"name": "records"}, map[string]any{"name": "banks"}, map[string]any{"name": "balance"},
			map[string]any{"name": "webhooks"}, map[string]any{"name": "link"}, map[string]any{"name": "widget"},
			map[string]any{"name": "operator"}, map[string]any{"name": "sandbox"}, map[string]any{"name": "processor"},
			map[string]any{"name": tagNotOffered, "description": "Okra routes of products this server does not offer: 501 PRODUCT_NOT_AVAILABLE."},
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"secretKey":    map[string]any{"type": "http", "scheme": "bearer", "description": "A secret key: sk_test_… on /v2/sandbox/, sk_live_… on /v2/."},
				"sessionToken": map[string]any{"type": "http", "scheme": "bearer", "description": "The session_token a link session was opened with."},
				"partnerKey":   map[string]any{"type": "http", "scheme": "bearer", "description": "A payment partner's secret key: psk_test_… on /v2/sandbox/, psk_live_… on /v2/."},
			},
			"schemas": schemas(),
		},
	}
}

func (s *Server) operation(rt Route, path string) map[string]any {
	id := strings.ToLower(rt.Method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_", "-", "_").Replace(path)
	op := map[string]any{
		"operationId": id,
		"summary":     rt.Summary,
		"responses":   responses(rt),
	}
	if rt.Tag != "" {
		op["tags"] = []any{rt.Tag}
	}
	switch rt.Access {
	case SecretKey:
		op["security"] = []any{map[string]any{"secretKey": []any{}}}
	case SessionToken:
		op["security"] = []any{map[string]any{"sessionToken": []any{}}}
	case OptionalKey:
		// Public data: anonymous callers are served too.
		op["security"] = []any{map[string]any{}, map[string]any{"secretKey": []any{}}}
	case PartnerKey:
		op["security"] = []any{map[string]any{"partnerKey": []any{}}}
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range rt.Query {
		params = append(params, map[string]any{"name": q, "in": "query", "required": true, "schema": map[string]any{"type": "string"}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.Request != "" {
		op["requestBody"] = map[string]any{
			"required": false,
			"content":  map[string]any{"application/json": map[string]any{"schema": ref(rt.Request)}},
		}
	}
	return op
}

// statusText describes each error status in the document.
var statusText = map[int]string{
	400: "Malformed or invalid input; the message names the field.",
	401: "Missing or bad key or session token (type ENV for a key of the other environment).",
	403: "Not allowed: the page's origin is not one of the company's, or the customer is flagged (FLAGGED_USER).",
	404: "No such object, or not yours.",
	409: "Conflict: idempotency, a session step taken by another call, a duplicate account, or the bank needs the customer again (TOKEN_REQUIRED).",
	410: "Expired: the session, challenge, short link or widget options ran out of time.",
	413: "Body over 1 MiB.",
	415: "Body is not JSON.",
	422: "The bank refused the login or the answer.",
	429: "Rate limited; see Retry-After.",
	500: "Our fault; quote the request id.",
	501: "An Okra route of a product this server does not offer (PRODUCT_NOT_AVAILABLE).",
	502: "The bank's connector failed.",
	503: "The bank, its connector or the database is unavailable; see Retry-After when retryable.",
	504: "The bank did not answer in time.",
	507: "The database's disk is full.",
}

// bankStatuses are what a call that reaches a bank may answer beyond the
// usual: a refusal, the connector failing, the bank down or slow.
var bankStatuses = []int{403, 409, 410, 422, 502, 503, 504}

// routeStatuses are the statuses of routes beyond those of their access
// level, by "METHOD path" (relative for API routes), and successStatus the
// success status where it is not 200.
var (
	routeStatuses = map[string][]int{
		"POST /widget/v1/sessions":                {400, 401, 403, 410, 413, 415, 429, 500, 503, 507},
		"GET /widget/v1/sessions/{id}":            bankStatuses,
		"POST /widget/v1/sessions/{id}/login":     bankStatuses,
		"POST /widget/v1/sessions/{id}/challenge": bankStatuses,
		"POST /widget/v1/sessions/{id}/accounts":  bankStatuses,
		"POST balance/check":                      {409, 422, 502, 504},
		"POST balance/refresh":                    {409},
		"GET callback":                            {501},
		"GET /widget/v1/links/{code}":             {404, 410, 500, 503},
		"GET /link/{code}":                        {404, 410, 500},
		"GET /demo":                               {404, 500, 503},
		"GET /widget/assets/{file}":               {304, 404},
		"POST widget/tokens/create":               {403},
	}
	successStatus = map[string]int{"POST /widget/v1/sessions": 201}
	// pageTypes are the media types of the routes that answer no JSON.
	pageTypes = map[string][]string{
		"GET /{$}":                  {"text/html"},
		"GET /demo":                 {"text/html"},
		"GET /link/{code}":          {"text/html"},
		"GET /widget.js":            {"text/javascript"},
		"GET /widget/assets/{file}": {"text/css", "text/javascript", "image/svg+xml", "text/html"},
		"GET /metrics":              {"text/plain"},
	}
)

// stepRoute tells the link steps, which answer a failed step with its
// error's status.
func stepRoute(rt Route) bool {
	return rt.Access == SessionToken && rt.Response == "Step"
}

// statusesOf lists the error statuses a route may answer.
func statusesOf(rt Route) []int {
	var out []int
	switch rt.Access {
	case SecretKey, OptionalKey:
		out = []int{400, 401, 404, 429, 500, 503}
		if rt.Method == http.MethodPost {
			out = append(out, 409, 413, 415, 507)
		}
	case SessionToken:
		out = []int{400, 401, 404, 409, 413, 415, 429, 500, 503, 507}
	case PartnerKey:
		// 403 a product the token does not grant, 409 TOKEN_REQUIRED; a
		// live balance check may also meet the bank's failures.
		out = []int{400, 401, 403, 404, 409, 413, 415, 429, 500, 502, 503, 504, 507}
	}
	if rt.Tag == tagNotOffered {
		out = append(out, 501)
	}
	if rt.Path == "/readyz" {
		out = append(out, 503)
	}
	return append(out, routeStatuses[rt.Method+" "+rt.Path]...)
}

func responses(rt Route) map[string]any {
	okSchema := map[string]any{"type": "object"}
	if rt.Response != "" {
		okSchema = ref(rt.Response)
	}
	if rt.Access == SecretKey || rt.Access == OptionalKey || rt.Access == PartnerKey {
		okSchema = map[string]any{"allOf": []any{ref("Envelope"), map[string]any{
			"type": "object", "properties": map[string]any{"data": okSchema}}}}
	}
	key := rt.Method + " " + rt.Path
	success := http.StatusOK
	if st, found := successStatus[key]; found {
		success = st
	}
	okContent := map[string]any{"application/json": map[string]any{"schema": okSchema}}
	if types, found := pageTypes[key]; found {
		okContent = map[string]any{}
		for _, t := range types {
			okContent[t] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
	}
	out := map[string]any{}
	if rt.Tag != tagNotOffered {
		out[strconv.Itoa(success)] = map[string]any{"description": "Success.", "content": okContent}
	}
	for _, st := range statusesOf(rt) {
		htmlErrors := strings.HasPrefix(key, "GET /link/") || (key == "GET /demo" && st == http.StatusNotFound)
		switch {
		case st == http.StatusNotModified:
			out["304"] = map[string]any{"description": "Not modified since the ETag the client holds."}
		case rt.Path == "/readyz":
			out[strconv.Itoa(st)] = map[string]any{"description": "Not ready.", "content": map[string]any{"application/json": map[string]any{"schema": ref("Health")}}}
		case htmlErrors:
			out[strconv.Itoa(st)] = map[string]any{"description": statusText[st], "content": map[string]any{"text/html": map[string]any{"schema": map[string]any{"type": "string"}}}}
		case stepRoute(rt) && st >= 400:
			// A failed step is answered with the status of its error and
			// the step as the body; other failures with the error envelope.
			out[strconv.Itoa(st)] = map[string]any{"description": statusText[st], "content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"oneOf": []any{ref("Error"), ref("FailedStep")}}}}}
		default:
			out[strconv.Itoa(st)] = map[string]any{"description": statusText[st], "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
		}
	}
	return out
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.openapiDoc())
}
