package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/adapters/storage"
)

func TestValidatedChecksTheSuppliedBVN(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme")
	link := func(bvn string) map[string]any {
		c := ts.openSession(keys, map[string]any{"customer": map[string]any{"bvn": bvn}})
		ids := stepAccounts(t, c.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"}))
		r := c.choose(ids[0])
		if r.Status != 200 {
			t.Fatalf("link: %d %s", r.Status, r.Body)
		}
		authID := field(r.JSON, "auth.id").(string)
		got := ts.call("POST", "/v2/sandbox/auth/getById", keys.Sandbox.SecretKey, map[string]any{"id": authID})
		return field(got.JSON, "data.auths").([]any)[0].(map[string]any)
	}
	mismatch := link("11111111111")
	if mismatch["validated"] != false || !strings.Contains(mismatch["validation_note"].(string), "bvn mismatch") {
		t.Fatalf("a different BVN must not validate, and say why: %v", mismatch)
	}
	match := link("22222222222")
	if match["validated"] != true {
		t.Fatalf("the bank's own BVN must validate: %v", match)
	}
}

func TestSessionSecurity(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme")
	a := ts.openSession(keys, nil)
	b := ts.openSession(keys, nil)
	for name, token := range map[string]string{"no token": "", "another session's token": b.token, "garbage": "lst_nope"} {
		r := ts.call("GET", "/widget/v1/sessions/"+a.id, token, nil)
		if r.Status != 401 {
			t.Errorf("%s: want 401, got %d %s", name, r.Status, r.Body)
		}
		r = ts.call("POST", "/widget/v1/sessions/"+a.id+"/login", token, map[string]any{"bank": "sandbox-bank"})
		if r.Status != 401 {
			t.Errorf("%s on login: want 401, got %d %s", name, r.Status, r.Body)
		}
	}
	// Opening needs a real public key and the matching client token.
	if r := ts.call("POST", "/widget/v1/sessions", "", map[string]any{"key": keys.Sandbox.SecretKey, "token": keys.Company.ID}); r.Status != 401 {
		t.Errorf("a secret key opened a session: %d", r.Status)
	}
	if r := ts.call("POST", "/widget/v1/sessions", "", map[string]any{"key": keys.Sandbox.PublicKey, "token": "5d6fe57a4099cc4b210bbeb3"}); r.Status != 401 {
		t.Errorf("a wrong client token opened a session: %d", r.Status)
	}
	if r := ts.call("POST", "/widget/v1/sessions", "", map[string]any{"key": keys.Sandbox.PublicKey, "customer": map[string]any{"phone": "12"}}); r.Status != 400 || field(r.JSON, "field") != "customer.phone" {
		t.Errorf("a bad phone: want 400 naming customer.phone, got %d %s", r.Status, r.Body)
	}
	// Cancelled and finished sessions are refused.
	if r := b.do("POST", "cancel", nil); r.Status != 200 || field(r.JSON, "status") != "cancelled" {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	if r := b.login("sandbox-bank", "internet_banking", map[string]string{"username": "u", "password": "pass_good"}); r.Status != 409 || !strings.Contains(string(r.Body), "cancelled") {
		t.Errorf("a cancelled session logged in: %d %s", r.Status, r.Body)
	}
	// An expired session is refused with a clear error.
	if _, err := ts.Store.DB().Exec(ts.Store.DB().Rebind("UPDATE link_sessions SET expires_at = ? WHERE id = ?"), "2020-01-01T00:00:00.000000Z", a.id); err != nil {
		t.Fatal(err)
	}
	r := a.login("sandbox-bank", "internet_banking", map[string]string{"username": "u", "password": "pass_good"})
	if r.Status != 410 || field(r.JSON, "type") != "EXPIRED" {
		t.Errorf("expired session: want 410 EXPIRED, got %d %s", r.Status, r.Body)
	}
}

// TestNoSecretsAtRestOrInLogs runs flows with canary credentials and
// answers, then reads every table and every log line.
func TestNoSecretsAtRestOrInLogs(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme")
		canaries := []string{"pass_otp_question", "Canary-User-7f3a", "123456", "What-Blue-Canary"}
		var tokens []string

		c := ts.openSession(keys, nil)
		tokens = append(tokens, c.token)
		c.login("sandbox-bank", "internet_banking", map[string]string{"username": "Canary-User-7f3a", "password": "pass_otp_question"})
		c.answer("123456")
		c.answer("What-Blue-Canary") // a wrong answer, never to be kept
		r := c.answer("blue")
		ids := stepAccounts(t, r)
		c.choose(ids...)

		c2 := ts.openSession(keys, nil)
		tokens = append(tokens, c2.token)
		c2.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "error_INVALID_CREDENTIALS"})
		canaries = append(canaries, "error_INVALID_CREDENTIALS")

		dump := dumpTables(t, ts.Store)
		logs := ts.Logs.String()
		for _, secret := range append(canaries, tokens...) {
			if bytes.Contains(dump, []byte(secret)) {
				t.Errorf("%q found in plain text in the database", secret)
			}
			if strings.Contains(logs, secret) {
				t.Errorf("%q found in the logs", secret)
			}
		}
		if !strings.Contains(logs, `"route":"/widget/v1/sessions/{id}/login"`) {
			t.Fatal("the logs do not show the flow at all; the check would prove nothing")
		}
	})
}

// TestTenantIsolation calls every id-taking route with another company's
// key and with the other environment's key; each must answer 404.
func TestTenantIsolation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		owner := ts.newCompany("Owner")
		other := ts.newCompany("Other")
		c := ts.openSession(owner, map[string]any{"products": []string{"auth", "balance"}})
		ids := stepAccounts(t, c.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"}))
		p := c.choose(ids...).JSON
		authID, recordID, customerID := field(p, "auth.id").(string), field(p, "record_id").(string), field(p, "customer_id").(string)
		accountID := ids[0]
		r := ts.call("POST", "/v2/sandbox/balance/getByAccount", owner.Sandbox.SecretKey, map[string]any{"account_id": accountID})
		balances, _ := field(r.JSON, "data.balance").([]any)
		if len(balances) == 0 {
			t.Fatalf("no balance stored at link time: %s", r.Body)
		}
		balanceID := field(balances[0], "id").(string)
		r = ts.call("POST", "/v2/sandbox/webhooks/deliveries", owner.Sandbox.SecretKey, map[string]any{})
		events, _ := field(r.JSON, "data.deliveries").([]any)
		if len(events) == 0 {
			t.Fatalf("no event to replay: %s", r.Body)
		}
		eventID := field(events[0], "event_id").(string)
		routes := []struct {
			method, path string
			body         map[string]any
		}{
			{"POST", "auth/getById", map[string]any{"id": authID}},
			{"POST", "accounts/getById", map[string]any{"id": accountID}},
			{"POST", "customers/get", map[string]any{"customer": customerID}},
			{"POST", "customers/remove", map[string]any{"customer": customerID}},
			{"POST", "products/records/get", map[string]any{"record_id": recordID}},
			{"GET", "callback?record=" + recordID + "&method=AUTH", nil},
			{"GET", "callback?record=" + recordID + "&method=BALANCE", nil},
			{"POST", "auth/getByCustomer", map[string]any{"customer": customerID}},
			{"POST", "auth/getByCustomerDate", map[string]any{"customer": customerID, "from": "2020-01-01", "to": "2099-01-01"}},
			{"POST", "accounts/getByCustomer", map[string]any{"customer": customerID}},
			{"POST", "balance/getByCustomer", map[string]any{"customer": customerID}},
			{"POST", "balance/getByAccount", map[string]any{"account_id": accountID}},
			{"POST", "balance/getById", map[string]any{"id": balanceID}},
			{"POST", "balance/check", map[string]any{"account_id": accountID}},
			{"POST", "balance/refresh", map[string]any{"account_id": accountID}},
			{"POST", "webhooks/replay", map[string]any{"event_id": eventID}},
		}
		// The owner sees each object (the test would prove nothing otherwise).
		for _, rt := range routes[:3] {
			// The owner sees these; the others below must not.
			if r := ts.call(rt.method, "/v2/sandbox/"+rt.path, owner.Sandbox.SecretKey, rt.body); r.Status != 200 {
				t.Fatalf("owner %s: %d %s", rt.path, r.Status, r.Body)
			}
		}
		for _, rt := range routes {
			for who, call := range map[string]func() response{
				"another company": func() response {
					var body any
					if rt.body != nil {
						body = rt.body
					}
					return ts.call(rt.method, "/v2/sandbox/"+rt.path, other.Sandbox.SecretKey, body)
				},
				"the other environment": func() response {
					var body any
					if rt.body != nil {
						body = rt.body
					}
					return ts.call(rt.method, "/v2/"+rt.path, owner.Production.SecretKey, body)
				},
			} {
				if r := call(); r.Status != 404 {
					t.Errorf("%s %s with %s's key: want 404, got %d %s", rt.method, rt.path, who, r.Status, r.Body)
				}
			}
		}
		// Lists of the other company stay empty.
		for _, path := range []string{"products/auths", "products/accounts", "customers/list", "records/list"} {
			r := ts.call("POST", "/v2/sandbox/"+path, other.Sandbox.SecretKey, map[string]any{})
			if field(r.JSON, "data.pagination.totalDocs") != 0.0 {
				t.Errorf("%s leaks across companies: %s", path, r.Body)
			}
		}
	})
}

func TestSessionRateLimit(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	c := ts.openSession(ts.newCompany("Acme"), nil)
	limited := 0
	for i := 0; i < 40; i++ {
		r := c.do("GET", "", nil)
		if r.Status == 429 {
			limited++
			if field(r.JSON, "type") != "RATE_LIMIT" {
				t.Fatalf("429 without type RATE_LIMIT: %s", r.Body)
			}
		} else if r.Status != 200 {
			t.Fatalf("GET step: %d %s", r.Status, r.Body)
		}
	}
	if limited == 0 {
		t.Fatal("40 quick calls on one session were never limited")
	}
	// Another session is not affected.
	if r := ts.openSession(ts.newCompany("Other"), nil).do("GET", "", nil); r.Status != 200 {
		t.Fatalf("another session was limited: %d", r.Status)
	}
}
