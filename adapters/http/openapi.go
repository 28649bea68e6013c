package httpapi

import (
	"net/http"
	"regexp"
	"sort"
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
			map[string]any{"name": "operator"}, map[string]any{"name": "processor"},
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

func responses(rt Route) map[string]any {
	okSchema := map[string]any{"type": "object"}
	if rt.Response != "" {
		okSchema = ref(rt.Response)
	}
	if rt.Access == SecretKey || rt.Access == PartnerKey {
		okSchema = map[string]any{"allOf": []any{ref("Envelope"), map[string]any{
			"type": "object", "properties": map[string]any{"data": okSchema}}}}
	}
	out := map[string]any{
		"200": map[string]any{"description": "Success.", "content": map[string]any{"application/json": map[string]any{"schema": okSchema}}},
	}
	errResp := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
	}
	if rt.Path == "/metrics" {
		out["200"] = map[string]any{"description": "Prometheus text format.", "content": map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}}
	}
	if rt.Access != Public {
		out["400"] = errResp("Malformed or invalid input; the message names the field.")
		out["401"] = errResp("Missing or bad key (type ENV for a key of the other environment).")
		out["404"] = errResp("No such object, or not yours.")
		out["409"] = errResp("Idempotency conflict.")
		out["413"] = errResp("Body over 1 MiB.")
		out["415"] = errResp("Body is not JSON.")
		out["429"] = errResp("Rate limited; see Retry-After.")
	}
	if rt.Access == PartnerKey {
		out["403"] = errResp("The processor token does not grant this product (code SCOPE_NOT_GRANTED).")
		out["404"] = errResp("No such processor token for this partner and environment, or revoked.")
		out["409"] = errResp("TOKEN_REQUIRED: the bank needs the customer to log in again.")
	}
	if rt.Access == Public && strings.HasPrefix(rt.Path, "/readyz") {
		out["503"] = errResp("Not ready.")
	}
	return out
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.openapiDoc())
}

// schemaNames lists the component schemas, for tests that check every
// reference resolves.
func schemaNames() []string {
	var names []string
	for n := range schemas() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
