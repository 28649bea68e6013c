package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/company"
)

// linkClient drives the link API the way the widget does.
type linkClient struct {
	ts    *testServer
	id    string
	token string
	open  response
}

func (ts *testServer) openSession(keys company.Created, opts map[string]any) *linkClient {
	ts.t.Helper()
	body := map[string]any{"key": keys.Sandbox.PublicKey, "token": keys.Company.ID, "env": "production-sandbox", "products": []string{"auth"}}
	for k, v := range opts {
		body[k] = v
	}
	r := ts.call("POST", "/widget/v1/sessions", "", body)
	if r.Status != 201 {
		ts.t.Fatalf("open session: %d %s", r.Status, r.Body)
	}
	return &linkClient{ts: ts, id: field(r.JSON, "session_id").(string), token: field(r.JSON, "session_token").(string), open: r}
}

func (c *linkClient) do(method, action string, body any) response {
	c.ts.t.Helper()
	path := "/widget/v1/sessions/" + c.id
	if action != "" {
		path += "/" + action
	}
	return c.ts.call(method, path, c.token, body)
}

func (c *linkClient) login(bank, method string, creds map[string]string) response {
	return c.do("POST", "login", map[string]any{"bank": bank, "method": method, "credentials": creds})
}

func (c *linkClient) answer(a string) response {
	return c.do("POST", "challenge", map[string]any{"answer": a})
}

func (c *linkClient) choose(ids ...string) response {
	return c.do("POST", "accounts", map[string]any{"accounts": ids, "consent": true})
}

// stepAccounts lists the account ids an accounts step offers.
func stepAccounts(t testing.TB, r response) []string {
	t.Helper()
	if field(r.JSON, "status") != "accounts" {
		t.Fatalf("want the accounts step, got %d %s", r.Status, r.Body)
	}
	var ids []string
	for _, a := range field(r.JSON, "accounts").([]any) {
		ids = append(ids, a.(map[string]any)["id"].(string))
	}
	return ids
}

func TestLinkEndToEnd(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme Lending")
		sk := keys.Sandbox.SecretKey
		c := ts.openSession(keys, nil)
		if banks := field(c.open.JSON, "banks").([]any); len(banks) != 3 {
			t.Fatalf("session offers %d banks, want the 3 fake banks: %s", len(banks), c.open.Body)
		}

		r := c.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_otp"})
		if field(r.JSON, "status") != "challenge" || field(r.JSON, "challenge.type") != "otp" {
			t.Fatalf("login: want an OTP challenge, got %d %s", r.Status, r.Body)
		}
		r = c.answer("000000")
		if field(r.JSON, "status") != "challenge" || field(r.JSON, "challenge.attempts_left") != 2.0 || field(r.JSON, "challenge.wrong") != true {
			t.Fatalf("wrong OTP: want the challenge again with 2 attempts left, got %d %s", r.Status, r.Body)
		}
		r = c.answer("123456")
		ids := stepAccounts(t, r)
		if len(ids) != 2 {
			t.Fatalf("user_good has 2 accounts, the step shows %d", len(ids))
		}
		for _, a := range field(r.JSON, "accounts").([]any) {
			if n := a.(map[string]any)["nuban"].(string); n[:6] != "******" {
				t.Fatalf("the accounts step shows an unmasked NUBAN %q", n)
			}
		}
		r = c.choose(ids...)
		if r.Status != 200 || field(r.JSON, "success") != true || field(r.JSON, "done") != true {
			t.Fatalf("choose: %d %s", r.Status, r.Body)
		}
		payload := r.JSON
		authID := field(payload, "auth.id").(string)
		recordID := field(payload, "record_id").(string)
		customerID := field(payload, "customer_id").(string)
		bankID := field(payload, "bank_id").(string)
		if field(payload, "auth.validated") != true || field(payload, "auth.bank_details.slug") != "sandbox-bank" {
			t.Fatalf("payload auth: %s", r.Body)
		}
		if n := len(field(payload, "accounts").([]any)); n != 2 {
			t.Fatalf("payload has %d accounts, want 2", n)
		}

		// Every Auth route returns the same auth.
		today := time.Now().UTC().Format("2006-01-02")
		for _, q := range []struct {
			path string
			body map[string]any
		}{
			{"auth/getById", map[string]any{"id": authID}},
			{"products/auths", map[string]any{}},
			{"auth/getByCustomer", map[string]any{"customer": customerID}},
			{"auth/getByBank", map[string]any{"bank": bankID}},
			{"auth/getByDate", map[string]any{"from": today, "to": today}},
			{"auth/getByCustomerDate", map[string]any{"customer": customerID, "from": today, "to": today}},
		} {
			r := ts.call("POST", "/v2/sandbox/"+q.path, sk, q.body)
			auths, _ := field(r.JSON, "data.auths").([]any)
			if r.Status != 200 || len(auths) != 1 {
				t.Fatalf("%s: %d %s", q.path, r.Status, r.Body)
			}
			a := auths[0].(map[string]any)
			if a["id"] != authID || a["_id"] != authID || a["record"] != recordID || a["validated"] != true ||
				field(a, "customer._id") != customerID || field(a, "bank._id") != bankID || field(a, "bank.slug") != "sandbox-bank" ||
				field(a, "customer.name") != "Ada Obi" || a["env"] != "production-sandbox" || a["owner"] != keys.Company.ID {
				t.Fatalf("%s returned other facts: %v", q.path, a)
			}
		}
		// A date range that excludes today finds nothing.
		r = ts.call("POST", "/v2/sandbox/auth/getByDate", sk, map[string]any{"from": "2020-01-01", "to": "2020-01-02"})
		if n := len(field(r.JSON, "data.auths").([]any)); n != 0 {
			t.Fatalf("getByDate outside the range found %d", n)
		}

		r = ts.call("POST", "/v2/sandbox/products/accounts", sk, map[string]any{})
		accs := field(r.JSON, "data.accounts").([]any)
		if len(accs) != 2 {
			t.Fatalf("products/accounts: %s", r.Body)
		}
		for _, a := range accs {
			m := a.(map[string]any)
			if m["connected"] != true || field(m, "customer._id") != customerID || m["record"] != recordID || len(m["nuban"].(string)) != 10 {
				t.Fatalf("account facts: %v", m)
			}
		}
		r = ts.call("POST", "/v2/sandbox/customers/list", sk, map[string]any{})
		if cs := field(r.JSON, "data.customers").([]any); len(cs) != 1 || field(cs[0], "id") != customerID || field(cs[0], "name") != "Ada Obi" {
			t.Fatalf("customers/list: %s", r.Body)
		}
		r = ts.call("POST", "/v2/sandbox/products/records/get", sk, map[string]any{"record_id": recordID})
		rec, _ := field(r.JSON, "data.records").(map[string]any)
		if rec["status"] != "success" || rec["auth"] != authID || len(rec["accounts"].([]any)) != 2 {
			t.Fatalf("records/get: %s", r.Body)
		}
		r = ts.call("GET", "/v2/sandbox/callback?record="+recordID+"&method=AUTH", sk, nil)
		if r.Status != 200 || field(r.JSON, "data.auth.id") != authID || field(r.JSON, "data.record") != recordID {
			t.Fatalf("AUTH callback: %d %s", r.Status, r.Body)
		}

		// The session is finished: it cannot be reused.
		if r := c.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"}); r.Status != 409 {
			t.Fatalf("reusing a finished session: %d %s", r.Status, r.Body)
		}
		fmt.Fprint(ts.Logs, "") // keep the logs for the secrecy test below
	})
}

// linkToken creates a link token with the company's sandbox secret key.
func (ts *testServer) linkToken(keys company.Created, body map[string]any) string {
	ts.t.Helper()
	r := ts.call("POST", "/v2/sandbox/widget/tokens/create", keys.Sandbox.SecretKey, body)
	tok, _ := field(r.JSON, "data.link_token").(string)
	if r.Status != 200 || tok == "" {
		ts.t.Fatalf("create link token: %d %s", r.Status, r.Body)
	}
	return tok
}

// openWithToken opens a session with a fresh link token carrying body.
func (ts *testServer) openWithToken(keys company.Created, body map[string]any) *linkClient {
	ts.t.Helper()
	return ts.openSession(keys, map[string]any{"link_token": ts.linkToken(keys, body)})
}

// customerToken is a link token body naming a customer.
func customerToken(customer map[string]any) map[string]any {
	return map[string]any{"customer": customer}
}

func TestLinkTokenAPI(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme")
	r := ts.call("POST", "/v2/sandbox/widget/tokens/create", keys.Sandbox.SecretKey, map[string]any{"customer": map[string]any{"bvn": "22222222222"}})
	if r.Status != 200 || field(r.JSON, "status") != "success" || !strings.HasPrefix(fmt.Sprint(field(r.JSON, "data.link_token")), "lt_test_") ||
		field(r.JSON, "data.expires_at") == nil {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if r := ts.call("POST", "/v2/widget/tokens/create", keys.Production.SecretKey, map[string]any{}); !strings.HasPrefix(fmt.Sprint(field(r.JSON, "data.link_token")), "lt_live_") {
		t.Fatalf("a production token: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct {
		name   string
		key    string
		body   any
		status int
		field  string
	}{
		{"public key", keys.Sandbox.PublicKey, map[string]any{}, 401, ""},
		{"the other environment's key", keys.Production.SecretKey, map[string]any{}, 401, ""},
		{"a malformed BVN", keys.Sandbox.SecretKey, map[string]any{"customer": map[string]any{"bvn": "123"}}, 400, "customer.bvn"},
		{"customer of the wrong type", keys.Sandbox.SecretKey, map[string]any{"customer": "ada"}, 400, "customer"},
		{"meta not an object", keys.Sandbox.SecretKey, map[string]any{"meta": "x"}, 400, "meta"},
		{"unknown bank in the filter", keys.Sandbox.SecretKey, map[string]any{"filter": map[string]any{"banks": []string{"nope"}}}, 400, "filter.banks"},
		{"reauth of an account not linked", keys.Sandbox.SecretKey, map[string]any{"reauth_account": "0123456789", "reauth_bank": "sandbox-bank"}, 404, ""},
	} {
		r := ts.call("POST", "/v2/sandbox/widget/tokens/create", tc.key, tc.body)
		if r.Status != tc.status || (tc.field != "" && field(r.JSON, "field") != tc.field) {
			t.Errorf("%s: want %d naming %q, got %d %s", tc.name, tc.status, tc.field, r.Status, r.Body)
		}
	}
	// A finished session's step keeps no account numbers and ends after a
	// short grace (the grace itself is tested with a stepped clock in
	// core/auth).
	c := ts.openWithToken(keys, map[string]any{})
	p := linkGood(t, ts, c, "user_good")
	got := c.do("GET", "", nil)
	if got.Status != 200 || field(got.JSON, "status") != "done" || field(got.JSON, "record_id") != p["record_id"] {
		t.Fatalf("the finished step: %d %s", got.Status, got.Body)
	}
	for _, a := range field(p, "accounts").([]any) {
		if strings.Contains(string(got.Body), field(a, "nuban").(string)) || strings.Contains(string(got.Body), `"nuban"`) ||
			strings.Contains(string(got.Body), "balance") {
			t.Fatalf("the finished step still shows accounts: %s", got.Body)
		}
	}
}
