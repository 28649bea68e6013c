package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// openAPIValidator holds responses to the server's own /openapi.json,
// with a strict JSON Schema 2020-12 validator that asserts formats.
type openAPIValidator struct {
	t       *testing.T
	doc     map[string]any
	c       *jsonschema.Compiler
	schemas map[string]*jsonschema.Schema
	// seen counts the responses checked per "METHOD path" of the document.
	seen map[string]int
}

// twoPlaces checks format "decimal": a JSON number with at most two
// decimals and no exponent, read from its text, not through a float.
var twoPlaces = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]{1,2})?$`)

func newOpenAPIValidator(t *testing.T, raw []byte) *openAPIValidator {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("/openapi.json is not JSON: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "decimal", Validate: func(v any) error {
		n, isNumber := v.(json.Number)
		if !isNumber {
			return nil
		}
		if !twoPlaces.MatchString(n.String()) {
			return fmt.Errorf("%s has more than two decimals or an exponent", n)
		}
		return nil
	}})
	if err := c.AddResource("file:///openapi.json", inst); err != nil {
		t.Fatalf("add /openapi.json: %v", err)
	}
	return &openAPIValidator{t: t, doc: doc, c: c, schemas: map[string]*jsonschema.Schema{}, seen: map[string]int{}}
}

func pointerEscape(s string) string {
	s = strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
	return strings.NewReplacer("{", "%7B", "}", "%7D").Replace(s)
}

// check holds r, the answer to method on the document's path op, to the
// document: its status is documented, its media type too, and a JSON body
// validates against the schema of that status.
func (v *openAPIValidator) check(method, op string, r response) {
	v.t.Helper()
	key := method + " " + op
	item, _ := field(v.doc, "paths").(map[string]any)[op].(map[string]any)
	operation, _ := item[strings.ToLower(method)].(map[string]any)
	if operation == nil {
		v.t.Errorf("%s is not in /openapi.json", key)
		return
	}
	v.seen[key]++
	status := strconv.Itoa(r.Status)
	resp, _ := operation["responses"].(map[string]any)[status].(map[string]any)
	if resp == nil {
		v.t.Errorf("%s answered %d, which /openapi.json does not document: %.300s", key, r.Status, r.Body)
		return
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(bytes.TrimSpace(r.Body)) > 0 {
			v.t.Errorf("%s %d: a body where none is documented: %.200s", key, r.Status, r.Body)
		}
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		v.t.Errorf("%s %d: Content-Type %q: %v", key, r.Status, r.Header.Get("Content-Type"), err)
		return
	}
	if _, documented := content[mt]; !documented {
		v.t.Errorf("%s %d: media type %s is not documented (%v)", key, r.Status, mt, keysOf(content))
		return
	}
	if mt != "application/json" {
		return
	}
	loc := "file:///openapi.json#/paths/" + pointerEscape(op) + "/" + strings.ToLower(method) + "/responses/" + status + "/content/application~1json/schema"
	sch, found := v.schemas[loc]
	if !found {
		if sch, err = v.c.Compile(loc); err != nil {
			v.t.Fatalf("compile the schema of %s %d: %v", key, r.Status, err)
		}
		v.schemas[loc] = sch
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Body))
	if err != nil {
		v.t.Errorf("%s %d: body is not JSON: %.200s", key, r.Status, r.Body)
		return
	}
	if err := sch.Validate(inst); err != nil {
		v.t.Errorf("%s %d does not validate against /openapi.json:\n%v\n%.2000s", key, r.Status, err, r.Body)
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// docOps lists every "METHOD path" of the document with its tag.
func (v *openAPIValidator) docOps() map[string]string {
	out := map[string]string{}
	for p, item := range field(v.doc, "paths").(map[string]any) {
		for m, op := range item.(map[string]any) {
			tag := ""
			if tags, ok := op.(map[string]any)["tags"].([]any); ok && len(tags) > 0 {
				tag = fmt.Sprint(tags[0])
			}
			out[strings.ToUpper(m)+" "+p] = tag
		}
	}
	return out
}

// TestOpenAPIValidatesRealResponses drives every route of the document
// with real requests (a full link, a balance refresh, webhooks, short
// links, customers) and holds each answer to /openapi.json: a success for
// every route, and for every API route the answers to no key and to a
// malformed body.
func TestOpenAPIValidatesRealResponses(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), func(c *config) { c.AllowPrivateWebhooks = true })
	r := ts.call("GET", "/openapi.json", "", nil)
	if r.Status != 200 {
		t.Fatalf("/openapi.json: %d", r.Status)
	}
	v := newOpenAPIValidator(t, r.Body)
	v.check("GET", "/openapi.json", r)

	keys := ts.newCompany("Schema Shop")
	sk, pk := keys.Sandbox.SecretKey, keys.Sandbox.PublicKey
	sink := newWebhookSink(t)
	sink.register(t, ts, sk)
	l := balLink(t, ts, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth", "balance"}, "current")
	spare := balLink(t, ts, keys, "sandbox-bank", "user_spare", "pass_good", []string{"auth"})
	sink.wait(t, "AUTH", "AUTH_SUCCESS", l.Record)

	const sb = "/v2/sandbox/"
	// api calls a sandbox API route and checks the answer, which must be
	// a success (or 501 for a product not offered).
	api := func(method, path string, body any) response {
		t.Helper()
		op, _, _ := strings.Cut(path, "?")
		r := ts.call(method, sb+path, sk, body)
		v.check(method, sb+op, r)
		if r.Status != 200 && !(r.Status == 501 && field(r.JSON, "type") == "PRODUCT_NOT_AVAILABLE") {
			t.Errorf("%s %s: %d %.300s", method, path, r.Status, r.Body)
		}
		return r
	}
	accounts := api("POST", "accounts/getById", map[string]any{"id": l.Accounts["current"]})
	bank := fmt.Sprint(field(field(accounts.JSON, "data.accounts").([]any)[0], "bank._id"))
	refresh := api("POST", "balance/refresh", map[string]any{"account_id": l.Accounts["current"]})
	pollCallback(t, ts, sk, field(refresh.JSON, "data.callback_url").(string))
	bals := api("POST", "products/balances", map[string]any{"page": "1", "limit": "5"})
	balanceID := fmt.Sprint(field(field(bals.JSON, "data.balance").([]any)[0], "id"))
	dates := map[string]any{"from": "2000-01-01", "to": "2999-12-31"}
	with := func(m map[string]any, more map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for k, v := range more {
			out[k] = v
		}
		return out
	}
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "products/auths", map[string]any{}},
		{"POST", "auth/getById", map[string]any{"id": l.Auth}},
		{"POST", "auth/getByCustomer", map[string]any{"customer": l.Customer}},
		{"POST", "auth/getByDate", dates},
		{"POST", "auth/getByBank", map[string]any{"bank": bank}},
		{"POST", "auth/getByCustomerDate", with(dates, map[string]any{"customer": l.Customer})},
		{"POST", "products/accounts", map[string]any{"page": 1, "limit": 2}},
		{"POST", "accounts/getAccountDetails", map[string]any{"account": l.Accounts["current"]}},
		{"POST", "accounts/getByCustomer", map[string]any{"customer": l.Customer}},
		{"POST", "accounts/getByCustomerDate", with(dates, map[string]any{"customer": l.Customer})},
		{"POST", "account/getByCustomerDate", with(dates, map[string]any{"customer": l.Customer})},
		{"POST", "accounts/getByDate", dates},
		{"POST", "accounts/getByBank", map[string]any{"bank": bank}},
		{"POST", "accounts/getByName", map[string]any{"name": "Ada Obi"}},
		{"POST", "accounts/getByBalance", map[string]any{"balance": balanceID}},
		{"POST", "balance/getById", map[string]any{"id": balanceID}},
		{"POST", "balance/getByCustomer", map[string]any{"customer": l.Customer}},
		{"POST", "balance/getByAccount", map[string]any{"account_id": l.Accounts["current"]}},
		{"POST", "balance/getByDate", dates},
		{"POST", "balance/getByCustomerDate", with(dates, map[string]any{"customer": l.Customer})},
		{"POST", "balance/getByType", map[string]any{"type": "ledger_balance", "value": 1000}},
		{"POST", "balance/check", map[string]any{"account_id": l.Accounts["current"], "amount": 3340.59}},
		{"GET", "callback?record=" + l.Record + "&method=AUTH", nil},
		{"GET", "callback?record=" + l.Record + "&method=BALANCE", nil},
		{"GET", "callback?record=" + l.Record + "&method=INCOME", nil},
		{"POST", "customers/list", map[string]any{}},
		{"POST", "customers/find-customers-by", map[string]any{"key": "name", "value": "Ada Obi"}},
		{"POST", "customers/get", map[string]any{"customer": l.Customer}},
		{"POST", "customers/flag", map[string]any{"customer": spare.Customer, "bank": bank}},
		{"POST", "customers/unflag", map[string]any{"customer": spare.Customer, "bank": bank, "unflag": true}},
		{"POST", "customers/remove", map[string]any{"customer": spare.Customer}},
		{"POST", "customers/create", map[string]any{"name": "A", "bank": "sandbox-bank", "username": "u1", "password": "x"}},
		{"POST", "customers/generate", map[string]any{"number": "3"}},
		{"POST", "records/list", map[string]any{}},
		{"POST", "products/records/get", map[string]any{"record_id": l.Record}},
		{"GET", "banks/list", nil},
		{"GET", "banks/getById?id=" + bank, nil},
		{"POST", "widget/tokens/create", map[string]any{"customer": map[string]any{"bvn": "22222222222"}}},
		{"POST", "webhooks/deliveries", map[string]any{}},
	} {
		api(c.method, c.path, c.body)
	}
	deliveries := api("POST", "webhooks/deliveries", map[string]any{"limit": 1})
	eventID := fmt.Sprint(field(field(deliveries.JSON, "data.deliveries").([]any)[0], "event_id"))
	api("POST", "webhooks/replay", map[string]any{"event_id": eventID})
	api("POST", "webhooks/set", map[string]any{"url": sink.srv.URL + "/hook"})
	link := api("POST", "widget/links/create", map[string]any{"options": map[string]any{"key": pk, "token": keys.Company.ID, "env": "production-sandbox", "name": "Schema Shop"}})
	code := fmt.Sprint(field(link.JSON, "data.short_url"))

	// Public and session routes.
	plain := func(method, path, op, key string, body any, want ...int) response {
		t.Helper()
		r := ts.call(method, path, key, body)
		v.check(method, op, r)
		if len(want) > 0 && !containsInt(want, r.Status) {
			t.Errorf("%s %s: %d, want %v: %.300s", method, path, r.Status, want, r.Body)
		}
		return r
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/widget.js", "/demo"} {
		plain("GET", p, p, "", nil, 200)
	}
	plain("GET", "/?isIframe=true&withOptions=true", "/", "", nil, 200)
	for _, f := range []string{"app.js", "widget.css", "bank.svg", "nope.js"} {
		plain("GET", "/widget/assets/"+f, "/widget/assets/{file}", "", nil, 200, 404)
	}
	plain("GET", "/widget/v1/links/"+code, "/widget/v1/links/{code}", "", nil, 200)
	plain("GET", "/widget/v1/links/nosuchcode", "/widget/v1/links/{code}", "", nil, 404)
	plain("GET", "/link/"+code, "/link/{code}", "", nil, 200)
	plain("GET", "/link/nosuchcode", "/link/{code}", "", nil, 404)

	open := func() *linkClient {
		r := plain("POST", "/widget/v1/sessions", "/widget/v1/sessions", "", map[string]any{
			"okraKey": pk, "token": keys.Company.ID, "env": "production-sandbox", "products": []string{"auth", "balance", "transactions"},
		}, 201)
		return &linkClient{ts: ts, id: fmt.Sprint(field(r.JSON, "session_id")), token: fmt.Sprint(field(r.JSON, "session_token"))}
	}
	plain("POST", "/widget/v1/sessions", "/widget/v1/sessions", "", map[string]any{"key": pk, "exp": "2001-01-01"}, 410)
	plain("POST", "/widget/v1/sessions", "/widget/v1/sessions", "", map[string]any{"key": pk, "products": []string{"horoscope"}}, 400)
	const sess = "/widget/v1/sessions/{id}"
	step := func(c *linkClient, method, action string, body any, want ...int) response {
		t.Helper()
		path, op := "/widget/v1/sessions/"+c.id, sess
		if action != "" {
			path, op = path+"/"+action, op+"/"+action
		}
		return plain(method, path, op, c.token, body, want...)
	}
	c := open()
	step(c, "POST", "login", map[string]any{"bank": "sandbox-bank", "method": "internet_banking", "credentials": map[string]string{"username": "user_good", "password": "pass_otp"}}, 200)
	step(c, "GET", "", nil, 200)
	step(c, "POST", "challenge", map[string]any{"answer": "000000"}, 200)
	r = step(c, "POST", "challenge", map[string]any{"answer": "123456"}, 200)
	ids := stepAccounts(t, r)
	step(c, "POST", "accounts", map[string]any{"accounts": ids[:1], "consent": true}, 200)
	step(c, "POST", "accounts", map[string]any{"accounts": ids[:1], "consent": true})
	bad := open()
	step(bad, "POST", "login", map[string]any{"bank": "sandbox-bank", "method": "internet_banking", "credentials": map[string]string{"username": "user_good", "password": "wrong"}})
	step(bad, "POST", "cancel", nil, 200)
	step(bad, "POST", "login", map[string]any{"bank": "sandbox-bank", "method": "internet_banking", "credentials": map[string]string{"username": "user_good", "password": "pass_good"}})
	plain("GET", "/widget/v1/sessions/"+bad.id, sess, "lst_wrong", nil, 401)

	// Every API route: without a key (production base), and with a
	// malformed body; and each route of a product not offered.
	ops := v.docOps()
	for op, tag := range ops {
		method, path, _ := strings.Cut(op, " ")
		if !strings.HasPrefix(path, "/v2/") || strings.HasPrefix(path, sb) {
			continue
		}
		rel := strings.TrimPrefix(path, "/v2/")
		concrete := strings.NewReplacer("{id}", "aaaaaaaaaaaaaaaaaaaaaaaa").Replace(rel)
		plain(method, "/v2/"+concrete, path, "", nil)
		if method == "POST" {
			plain(method, sb+concrete, sb+rel, sk, `{"page":`)
		}
		if tag == "not offered" {
			r := plain(method, sb+concrete, sb+rel, sk, map[string]any{})
			if r.Status != 501 || field(r.JSON, "type") != "PRODUCT_NOT_AVAILABLE" {
				t.Errorf("%s: want 501 PRODUCT_NOT_AVAILABLE, got %d %s", op, r.Status, r.Body)
			}
		}
	}

	// Nothing in the document went unchecked.
	var missing []string
	for op := range ops {
		if v.seen[op] == 0 {
			missing = append(missing, op)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no real response checked for %d operations:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
	t.Logf("checked responses of %d operations against /openapi.json", len(ops))
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestOpenAPIMoneyFormat: the document's money validates the amounts a
// float-based multipleOf 0.01 refuses, and refuses three decimals.
func TestOpenAPIMoneyFormat(t *testing.T) {
	for _, tc := range []struct {
		n  string
		ok bool
	}{{"334080.59", true}, {"0.07", true}, {"1500.5", true}, {"250000", true}, {"1.005", false}, {"1e3", false}} {
		if got := twoPlaces.MatchString(tc.n); got != tc.ok {
			t.Errorf("%s: two places %v, want %v", tc.n, got, tc.ok)
		}
	}
}
