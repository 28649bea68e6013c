package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/adapters/storage"
)

// okraGolden is one of Okra's documented examples (testdata/okra): a
// request with {{placeholders}} for the ids of a real link, and the
// documented answer, whose shape ours must have.
type okraGolden struct {
	Source   string            `json:"source"`
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	NoKey    bool              `json:"no_key"`
	Request  json.RawMessage   `json:"request"`
	Status   int               `json:"status"`
	Ignore   map[string]string `json:"ignore"`
	Response any               `json:"response"`
}

// matchShape reports where got lacks what want documents: every key of an
// object (but those ignored), the JSON type of every value (a documented ""
// is any string, a number any number), null where null is documented, and
// every element of an array against the documented first one.
func matchShape(path string, want, got any, ignore map[string]string) []string {
	if _, skip := ignore[path]; skip {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, isObj := got.(map[string]any)
		if !isObj {
			return []string{fmt.Sprintf("%s: want an object, got %v", path, got)}
		}
		var out []string
		for k, wv := range w {
			p := strings.TrimPrefix(path+"."+k, ".")
			if _, skip := ignore[p]; skip {
				continue
			}
			gv, found := g[k]
			if !found {
				out = append(out, p+": missing")
				continue
			}
			out = append(out, matchShape(p, wv, gv, ignore)...)
		}
		return out
	case []any:
		g, isArr := got.([]any)
		if !isArr {
			return []string{fmt.Sprintf("%s: want an array, got %v", path, got)}
		}
		if len(w) > 0 && len(g) == 0 {
			return []string{path + ": want items, got none"}
		}
		var out []string
		for _, gv := range g {
			if len(w) > 0 {
				out = append(out, matchShape(path, w[0], gv, ignore)...)
			}
		}
		return out
	case nil:
		if got != nil {
			return []string{fmt.Sprintf("%s: want null, got %v", path, got)}
		}
	case string:
		if _, ok := got.(string); !ok {
			return []string{fmt.Sprintf("%s: want a string, got %v", path, got)}
		}
		if w != "" && w != got && !strings.HasPrefix(path, "message") {
			return []string{fmt.Sprintf("%s: want %q, got %q", path, w, got)}
		}
	case float64:
		// mongoose-paginate writes null for a page that is not there.
		pager := strings.HasSuffix(path, "prevPage") || strings.HasSuffix(path, "nextPage")
		if _, ok := got.(float64); !ok && !(pager && got == nil) {
			return []string{fmt.Sprintf("%s: want a number, got %v", path, got)}
		}
	case bool:
		if _, ok := got.(bool); !ok {
			return []string{fmt.Sprintf("%s: want true or false, got %v", path, got)}
		}
	}
	return nil
}

// TestOkraGoldenExamples sends each of Okra's documented examples in
// testdata/okra to the server and holds the answer to the documented shape.
func TestOkraGoldenExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "okra", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden examples: %v", err)
	}
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Golden Shop")
		sk := keys.Sandbox.SecretKey
		l := balLink(t, ts, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth", "balance"}, "current")
		// A finished refresh, so the BALANCE callback has its balance.
		r := ts.call("POST", "/v2/sandbox/balance/refresh", sk, map[string]any{"account_id": l.Accounts["current"]})
		if r.Status != 200 {
			t.Fatalf("balance/refresh: %d %s", r.Status, r.Body)
		}
		pollCallback(t, ts, sk, field(r.JSON, "data.callback_url").(string))
		vars := strings.NewReplacer("{{customer}}", l.Customer, "{{record}}", l.Record, "{{account}}", l.Accounts["current"], "{{auth}}", l.Auth)
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				var g okraGolden
				if err := json.Unmarshal(raw, &g); err != nil {
					t.Fatalf("%s does not parse: %v", f, err)
				}
				var body any
				if len(g.Request) > 0 {
					body = vars.Replace(string(g.Request))
				}
				key := sk
				if g.NoKey {
					key = ""
				}
				r := ts.call(g.Method, "/v2/sandbox/"+vars.Replace(g.Path), key, body)
				if r.Status != g.Status {
					t.Fatalf("%s %s (%s): status %d, want %d: %s", g.Method, g.Path, g.Source, r.Status, g.Status, r.Body)
				}
				var got any
				if err := json.Unmarshal(r.Body, &got); err != nil {
					t.Fatalf("answer is not JSON: %s", r.Body)
				}
				if g.Path == "balance/refresh" {
					// Let it finish: the BALANCE callback's example has a balance.
					pollCallback(t, ts, sk, field(r.JSON, "data.callback_url").(string))
				}
				if diffs := matchShape("", g.Response, got, g.Ignore); len(diffs) > 0 {
					sort.Strings(diffs)
					t.Errorf("%s %s answers unlike %s:\n  %s\n%s", g.Method, g.Path, g.Source, strings.Join(diffs, "\n  "), r.Body)
				}
			})
		}
	})
}

// TestOkraSpellings holds the server to the spellings Okra's clients and
// documentation use.
func TestOkraSpellings(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Spelling Shop")
	sk := keys.Sandbox.SecretKey
	l := balLink(t, ts, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth", "balance"}, "current")

	tests := []struct {
		name   string
		method string
		path   string
		key    string
		body   any
		status int
		// check looks at the answer; "" in typ means a success.
		typ   string
		field string
		want  string
	}{
		{"page and limit as strings", "POST", "products/auths", sk, `{"page":"1","limit":"10"}`, 200, "", "data.pagination.limit", "10"},
		{"page as a word names page", "POST", "products/auths", sk, `{"page":"one"}`, 400, "INVALID_REQUEST", "field", "page"},
		{"limit of the wrong type names limit", "POST", "auth/getByCustomer", sk, `{"customer":"` + l.Customer + `","limit":true}`, 400, "INVALID_REQUEST", "field", "limit"},
		{"a fractional page names page", "POST", "products/accounts", sk, `{"page":1.5}`, 400, "INVALID_REQUEST", "field", "page"},
		{"account as account_id", "POST", "balance/getByAccount", sk, map[string]any{"account": l.Accounts["current"]}, 200, "", "data.pagination.totalDocs", "1"},
		{"customers/get by type and value", "POST", "customers/get", sk, map[string]any{"type": "bvn", "value": "22222222222"}, 200, "", "data.customers.0.id", l.Customer},
		{"customers/get by an unknown type names type", "POST", "customers/get", sk, map[string]any{"type": "shoe", "value": "1"}, 400, "INVALID_REQUEST", "field", "type"},
		{"customers/get by a bvn nobody has", "POST", "customers/get", sk, map[string]any{"type": "bvn", "value": "99999999999"}, 404, "NOT_FOUND", "", ""},
		{"banks/list without a key", "GET", "banks/list", "", nil, 200, "", "data.credentials", "<nil>"},
		{"banks/list with a bad key", "GET", "banks/list", "sk_test_nope", nil, 401, "UNAUTHORIZED", "", ""},
		{"a route of a product not offered", "POST", "transactions/getByCustomer", sk, map[string]any{"customer": l.Customer}, 501, "PRODUCT_NOT_AVAILABLE", "message", "transactions"},
		{"not offered needs a key", "POST", "income/getById", "", map[string]any{"id": l.Customer}, 401, "UNAUTHORIZED", "", ""},
		{"a callback of a product not offered", "GET", "callback?record=" + l.Record + "&method=TRANSACTIONS", sk, nil, 501, "PRODUCT_NOT_AVAILABLE", "message", "transactions"},
		{"a callback method Okra never had", "GET", "callback?record=" + l.Record + "&method=HOROSCOPE", sk, nil, 400, "INVALID_REQUEST", "field", "method"},
		{"a typo stays 404", "POST", "transactions/getByCustomr", sk, map[string]any{}, 404, "NOT_FOUND", "code", "ROUTE_NOT_FOUND"},
		{"accounts/getByName", "POST", "accounts/getByName", sk, map[string]any{"name": "ADA OBI"}, 200, "", "data.pagination.totalDocs", "2"},
		{"accounts/getByName needs name", "POST", "accounts/getByName", sk, map[string]any{}, 400, "INVALID_REQUEST", "field", "name"},
		{"balance/getByType under the threshold", "POST", "balance/getByType", sk, map[string]any{"type": "available_balance", "value": "250000"}, 200, "", "data.pagination.totalDocs", "1"},
		{"balance/getByType over it", "POST", "balance/getByType", sk, map[string]any{"type": "available_balance", "value": 250000.01}, 200, "", "data.pagination.totalDocs", "0"},
		{"balance/getByType by currency", "POST", "balance/getByType", sk, map[string]any{"type": "currency", "value": "ngn"}, 200, "", "data.pagination.totalDocs", "1"},
		{"balance/getByType names type", "POST", "balance/getByType", sk, map[string]any{"type": "colour", "value": "1"}, 400, "INVALID_REQUEST", "field", "type"},
		{"sandbox helpers are sandbox only", "POST", "customers/generate", keys.Production.SecretKey, map[string]any{"number": 1}, 404, "NOT_FOUND", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := "/v2/sandbox/"
			if tc.key == keys.Production.SecretKey {
				base = "/v2/"
			}
			r := ts.call(tc.method, base+tc.path, tc.key, tc.body)
			if r.Status != tc.status {
				t.Fatalf("%s %s: %d, want %d: %s", tc.method, tc.path, r.Status, tc.status, r.Body)
			}
			if tc.typ != "" && field(r.JSON, "type") != tc.typ {
				t.Fatalf("type %v, want %s: %s", field(r.JSON, "type"), tc.typ, r.Body)
			}
			if tc.field == "" {
				return
			}
			got := fmt.Sprint(dig(r.JSON, tc.field))
			if tc.field == "message" {
				if !strings.Contains(got, tc.want) {
					t.Fatalf("message %q does not name %q", got, tc.want)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("%s = %s, want %s: %s", tc.field, got, tc.want, r.Body)
			}
			if msg := fmt.Sprint(field(r.JSON, "message")); strings.Contains(msg, "pageRequest") || strings.Contains(msg, "listBody") {
				t.Fatalf("the message names a Go struct: %s", msg)
			}
		})
	}
}

// dig is field with numeric path segments for array items.
func dig(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// TestSessionProducts: a session takes every product Okra named, uses the
// offered ones and reports the rest; a name Okra never had is still a 400;
// okraKey stands for key; expired options open nothing.
func TestSessionProducts(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Products Shop")
	open := func(body map[string]any) response {
		return ts.call("POST", "/widget/v1/sessions", "", body)
	}
	base := func() map[string]any {
		return map[string]any{"token": keys.Company.ID, "env": "production-sandbox"}
	}
	b := base()
	b["okraKey"] = keys.Sandbox.PublicKey
	b["products"] = []string{"auth", "identity", "balance", "transactions", "income", "Payments"}
	r := open(b)
	if r.Status != 201 {
		t.Fatalf("open with okraKey and Okra's products: %d %s", r.Status, r.Body)
	}
	if got := fmt.Sprint(field(r.JSON, "products"), field(r.JSON, "products_unavailable")); got != "[auth identity balance] [transactions income payments]" {
		t.Fatalf("products, products_unavailable = %s", got)
	}
	if banks, _ := field(r.JSON, "banks").([]any); len(banks) == 0 {
		t.Fatalf("no banks offered for the offered products: %s", r.Body)
	}
	c := &linkClient{ts: ts, id: field(r.JSON, "session_id").(string), token: field(r.JSON, "session_token").(string)}
	if st := field(c.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"}).JSON, "status"); st != "accounts" {
		t.Fatalf("the link does not go on: %v", st)
	}

	for _, tc := range []struct {
		name   string
		change func(map[string]any)
		status int
		field  string
	}{
		{"a product Okra never had", func(m map[string]any) { m["products"] = []string{"auth", "horoscope"} }, 400, "products"},
		{"no key at all", func(m map[string]any) { delete(m, "key") }, 400, "key"},
		{"expired exp", func(m map[string]any) { m["exp"] = "2001-01-01" }, 410, "exp"},
		{"exp that is no date", func(m map[string]any) { m["exp"] = "soon" }, 400, "exp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			m["key"] = keys.Sandbox.PublicKey
			tc.change(m)
			r := open(m)
			if r.Status != tc.status || field(r.JSON, "field") != tc.field {
				t.Fatalf("%d %s, want %d naming %s", r.Status, r.Body, tc.status, tc.field)
			}
		})
	}
	m := base()
	m["key"], m["exp"] = keys.Sandbox.PublicKey, "2999-12-31"
	if r := open(m); r.Status != 201 {
		t.Fatalf("exp ahead: %d %s", r.Status, r.Body)
	}
}

// TestCustomerFlag: a flagged customer's link fails at the final step with
// FLAGGED_USER and changes nothing; unflagged, the same link works.
func TestCustomerFlag(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Flag Shop")
		sk := keys.Sandbox.SecretKey
		l := balLink(t, ts, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth"}, "current")
		r := ts.call("POST", "/v2/sandbox/customers/flag", sk, map[string]any{"customer": l.Customer, "bank": "sandbox-bank"})
		if r.Status != 200 || field(r.JSON, "data.flagged") != true {
			t.Fatalf("flag: %d %s", r.Status, r.Body)
		}
		before := counts(t, ts)
		c := ts.openSession(keys, nil)
		ids := stepAccounts(t, c.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"}))
		r = c.choose(ids[0])
		if r.Status != 403 || field(r.JSON, "type") != "FLAGGED_USER" {
			t.Fatalf("a flagged customer's link: want 403 FLAGGED_USER, got %d %s", r.Status, r.Body)
		}
		if after := counts(t, ts); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("the refused link wrote rows: %v → %v", before, after)
		}
		r = ts.call("POST", "/v2/sandbox/customers/unflag", sk, map[string]any{"customer": l.Customer, "bank": "sandbox-bank", "unflag": true})
		if r.Status != 200 || field(r.JSON, "data.flagged") != false {
			t.Fatalf("unflag: %d %s", r.Status, r.Body)
		}
		if r = c.choose(ids[0]); r.Status != 200 || field(r.JSON, "customer_id") != l.Customer {
			t.Fatalf("after unflag the link works: %d %s", r.Status, r.Body)
		}
		for _, bad := range []map[string]any{{}, {"customer": "aaaaaaaaaaaaaaaaaaaaaaaa"}} {
			r := ts.call("POST", "/v2/sandbox/customers/flag", sk, bad)
			if r.Status != 400 && r.Status != 404 {
				t.Fatalf("flag %v: %d %s", bad, r.Status, r.Body)
			}
		}
	})
}

// okraStamp is Okra's timestamp: ISO 8601 UTC with milliseconds.
var okraStamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// TestTimestampsHaveMilliseconds: every timestamp the Okra routes answer
// is ISO 8601 UTC with milliseconds.
func TestTimestampsHaveMilliseconds(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Stamp Shop")
	sk := keys.Sandbox.SecretKey
	l := balLink(t, ts, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth", "balance"}, "current")
	r := ts.call("POST", "/v2/sandbox/balance/refresh", sk, map[string]any{"account_id": l.Accounts["current"]})
	pollCallback(t, ts, sk, field(r.JSON, "data.callback_url").(string))
	stampKeys := map[string]bool{"created_at": true, "last_updated": true, "as_of": true, "expires_at": true, "requested_at": true, "finished_at": true}
	for _, c := range []struct{ method, path string }{
		{"POST", "products/auths"}, {"POST", "products/balances"}, {"POST", "products/accounts"}, {"POST", "customers/list"},
		{"POST", "records/list"}, {"GET", "banks/list"}, {"GET", "callback?record=" + l.Record + "&method=BALANCE"},
		{"GET", "callback?record=" + l.Record + "&method=AUTH"}, {"POST", "webhooks/deliveries"},
	} {
		r := ts.call(c.method, "/v2/sandbox/"+c.path, sk, map[string]any{})
		if r.Status != 200 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
		n := 0
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, v := range x {
					if s, isStr := v.(string); isStr && stampKeys[k] {
						n++
						if !okraStamp.MatchString(s) {
							t.Errorf("%s %s: %s = %q, not ISO 8601 UTC with milliseconds", c.method, c.path, k, s)
						}
					}
					walk(v)
				}
			case []any:
				for _, v := range x {
					walk(v)
				}
			}
		}
		walk(r.JSON)
		if n == 0 && !strings.HasPrefix(c.path, "webhooks") {
			t.Errorf("%s %s: no timestamp at all: %s", c.method, c.path, r.Body)
		}
	}
}
