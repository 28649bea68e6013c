package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/fx"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/company"
)

// The tests here play the attacker of the link flow, holding only what is
// public by design (a company's public key and client token, which sit in
// its web page) and a customer's phone, BVN or account number.

// victim links Ada Obi (user_good) through a link token her company's
// server made, and returns the success payload.
func victim(t *testing.T, ts *testServer, keys company.Created) map[string]any {
	t.Helper()
	return linkGood(t, ts, ts.openWithToken(keys, customerToken(map[string]any{"bvn": "22222222222", "phone": "08000000001", "id": "acme-cust-1"})), "user_good")
}

func victimNUBANs(t *testing.T, p map[string]any) []string {
	t.Helper()
	var out []string
	for _, a := range field(p, "accounts").([]any) {
		out = append(out, field(a, "nuban").(string))
	}
	if len(out) != 2 {
		t.Fatalf("the victim has %d accounts, want 2", len(out))
	}
	return out
}

// openRaw is the attacker's session open: the public key and client token
// only.
func openRaw(ts *testServer, keys company.Created, extra map[string]any, headers ...string) response {
	body := map[string]any{"key": keys.Sandbox.PublicKey, "token": keys.Company.ID, "env": "production-sandbox"}
	for k, v := range extra {
		body[k] = v
	}
	return ts.call("POST", "/widget/v1/sessions", "", body, headers...)
}

func TestAttackNoDisclosureBeforeTheBankLogin(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme")
		p := victim(t, ts, keys)
		secrets := append([]string{p["customer_id"].(string), p["record_id"].(string), "Ada", "Obi", "acme-cust-1", `"accounts"`, `"quick_login"`, `"nuban"`}, victimNUBANs(t, p)...)
		for _, n := range victimNUBANs(t, p) {
			secrets = append(secrets, "******"+n[6:])
		}
		for name, customer := range map[string]map[string]any{
			"phone":          {"phone": "08000000001"},
			"phone, +234":    {"phone": "+2348000000001"},
			"bvn":            {"bvn": "22222222222"},
			"company's id":   {"id": "acme-cust-1"},
			"all of them":    {"phone": "08000000001", "bvn": "22222222222", "id": "acme-cust-1"},
			"with a name":    {"bvn": "22222222222", "name": "Ada Obi"},
			"an email guess": {"email": "ada@example.com"},
		} {
			r := openRaw(ts, keys, map[string]any{"customer": customer})
			if r.Status != 201 {
				t.Fatalf("%s: open: %d %s", name, r.Status, r.Body)
			}
			for _, s := range secrets {
				if bytes.Contains(r.Body, []byte(s)) {
					t.Errorf("%s: the open answer contains %q: %s", name, s, r.Body)
				}
			}
			if field(r.JSON, "returning") != false || field(r.JSON, "customer_id") != nil || len(field(r.JSON, "banks").([]any)) != 3 {
				t.Errorf("%s: the answer differs from a stranger's: %s", name, r.Body)
			}
		}
		// A malformed hint is still refused, naming the field.
		if r := openRaw(ts, keys, map[string]any{"customer": map[string]any{"bvn": "2222"}}); r.Status != 400 || field(r.JSON, "field") != "customer.bvn" {
			t.Fatalf("a malformed BVN hint: %d %s", r.Status, r.Body)
		}
	})
}

func TestAttackNoRecordHijack(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme")
		sk := keys.Sandbox.SecretKey
		p := victim(t, ts, keys)
		nubans := victimNUBANs(t, p)
		recordID, authID := p["record_id"].(string), field(p, "auth.id").(string)

		// The page may not name an account to reauthenticate, and the
		// refusal is the same bytes for a customer's account and any other.
		known := openRaw(ts, keys, map[string]any{"reauth_account": nubans[0], "reauth_bank": "sandbox-bank"}, "X-Request-Id", "attack-1")
		unknown := openRaw(ts, keys, map[string]any{"reauth_account": "0123456789", "reauth_bank": "sandbox-bank"}, "X-Request-Id", "attack-1")
		if known.Status != 400 || !strings.Contains(field(known.JSON, "message").(string), "link_token") {
			t.Fatalf("a page reauth: want 400 naming link_token, got %d %s", known.Status, known.Body)
		}
		if unknown.Status != known.Status || !bytes.Equal(known.Body, unknown.Body) {
			t.Fatalf("known and unknown account numbers answer differently:\n%s\n%s", known.Body, unknown.Body)
		}

		// A reauth link the company made for the victim reaches the
		// attacker, who logs in with their own bank credentials.
		sealedBefore := recordSession(t, ts, recordID)
		authBefore := ts.call("POST", "/v2/sandbox/auth/getById", sk, map[string]any{"id": authID})
		c := ts.openWithToken(keys, map[string]any{"reauth_account": nubans[0], "reauth_bank": "sandbox-bank"})
		r := c.login("sandbox-bank", "internet_banking", map[string]string{"username": "mallory_attacker", "password": "pass_good"})
		if field(r.JSON, "status") != "failed" || field(r.JSON, "error.type") != "REAUTH_MISMATCH" || field(r.JSON, "error.retryable") != false {
			t.Fatalf("another person's login in a reauth: want a failed REAUTH_MISMATCH step, got %d %s", r.Status, r.Body)
		}
		if r := c.login("sandbox-bank", "internet_banking", map[string]string{"username": "mallory_attacker", "password": "pass_good"}); r.Status != 409 {
			t.Fatalf("a second try in the refused session: %d %s", r.Status, r.Body)
		}
		if !bytes.Equal(recordSession(t, ts, recordID), sealedBefore) {
			t.Fatal("the victim's sealed bank session changed")
		}
		authAfter := ts.call("POST", "/v2/sandbox/auth/getById", sk, map[string]any{"id": authID})
		if !bytes.Equal(stripRequestID(authBefore.Body), stripRequestID(authAfter.Body)) {
			t.Fatalf("the victim's auth changed:\n%s\n%s", authBefore.Body, authAfter.Body)
		}
		accs := ts.call("POST", "/v2/sandbox/accounts/getByCustomer", sk, map[string]any{"customer": p["customer_id"]})
		if n := len(field(accs.JSON, "data.accounts").([]any)); n != 2 {
			t.Fatalf("the victim has %d accounts after the attack, want 2: %s", n, accs.Body)
		}
		accountID := field(field(p, "accounts").([]any)[0], "id").(string)
		if r := balCheck(ts, sk, map[string]any{"account_id": accountID}); r.Status != 200 {
			t.Fatalf("balance/check on the victim's account after the attack: %d %s", r.Status, r.Body)
		}
		// The victim's own reauth still works.
		if got := linkGood(t, ts, ts.openWithToken(keys, map[string]any{"reauth_account": nubans[0], "reauth_bank": "sandbox-bank"}), "user_good"); got["record_id"] != recordID {
			t.Fatalf("the victim's reauth went to record %v, want %s", got["record_id"], recordID)
		}
	})
}

func TestAttackNoProfileInjection(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme")
		sk := keys.Sandbox.SecretKey
		p := victim(t, ts, keys)
		victimID := p["customer_id"].(string)
		identsBefore := identifierRows(t, ts, victimID)

		for name, hint := range map[string]map[string]any{
			"phone": {"phone": "08000000001"},
			"bvn":   {"bvn": "22222222222"},
			"id":    {"id": "acme-cust-1"},
		} {
			r := openRaw(ts, keys, map[string]any{"customer": hint})
			c := &linkClient{ts: ts, id: field(r.JSON, "session_id").(string), token: field(r.JSON, "session_token").(string), open: r}
			got := linkGood(t, ts, c, "mallory_"+name)
			if got["customer_id"] == victimID || got["merged"] == true {
				t.Fatalf("%s: the attacker's accounts went to the victim's customer: %v", name, got)
			}
			if name == "bvn" && field(got, "auth.validated") != false {
				t.Fatalf("%s: a login whose BVN disagrees with the hint validated: %v", name, got["auth"])
			}
		}
		accs := ts.call("POST", "/v2/sandbox/accounts/getByCustomer", sk, map[string]any{"customer": victimID})
		if n := len(field(accs.JSON, "data.accounts").([]any)); n != 2 {
			t.Fatalf("the victim's customer has %d accounts, want their 2: %s", n, accs.Body)
		}
		if after := identifierRows(t, ts, victimID); after != identsBefore {
			t.Fatalf("the victim's identifiers changed: %s → %s", identsBefore, after)
		}
		// Finding by the victim's phone still finds only the victim.
		r := ts.call("POST", "/v2/sandbox/customers/find-customers-by", sk, map[string]any{"key": "phone", "value": "08000000001"})
		if found := field(r.JSON, "data.customers").([]any); len(found) != 1 || field(found[0], "id") != victimID {
			t.Fatalf("find by the victim's phone: %s", r.Body)
		}
	})
}

func TestAttackRapidOpensAreLimited(t *testing.T) {
	budgetsOn := func(c *config) { c.RateLimit, c.RateBurst = 1000, 1000 }
	for _, tc := range []struct {
		name  string
		extra []fx.Option
		burst int
	}{
		{"per client address", nil, 10},
		{"per public key", []fx.Option{fx.Decorate(func(c auth.Config) auth.Config {
			// Many addresses (a botnet) look like one unlimited one here.
			c.Budgets.OpenPerAddress = auth.Budget{Rate: 1e6, Burst: 1e6}
			return c
		})}, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db storage.Config) {
				ts := startServer(t, db, budgetsOn, tc.extra...)
				keys := ts.newCompany("Acme")
				var limited *response
				for i := 0; i < 3*tc.burst && limited == nil; i++ {
					r := openRaw(ts, keys, map[string]any{"customer": map[string]any{"phone": fmt.Sprintf("0800%07d", i)}})
					switch r.Status {
					case 201:
					case 429:
						limited = &r
						if i < tc.burst {
							t.Fatalf("limited at open %d, inside the burst of %d", i, tc.burst)
						}
					default:
						t.Fatalf("open %d: %d %s", i, r.Status, r.Body)
					}
				}
				if limited == nil {
					t.Fatalf("%d rapid opens were never limited", 3*tc.burst)
				}
				if limited.Header.Get("Retry-After") == "" || field(limited.JSON, "type") != "RATE_LIMIT" {
					t.Fatalf("429 without Retry-After or type RATE_LIMIT: %v %s", limited.Header, limited.Body)
				}
				// Another company's page is not starved by this key.
				if tc.name == "per public key" {
					if r := openRaw(ts, ts.newCompany("Other"), nil); r.Status != 201 {
						t.Fatalf("another company's open: %d %s", r.Status, r.Body)
					}
				}
			})
		})
	}
}

func TestAttackQuickLoginLockOut(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme")
		p := victim(t, ts, keys)
		recordID := p["record_id"].(string)
		// Quick login needs a link token; the attacker has a way to get the
		// company's page to make them (say, a session on the company's
		// site) and guesses OTPs across sessions.
		quick := func() *linkClient {
			c := ts.openWithToken(keys, customerToken(map[string]any{"bvn": "22222222222"}))
			if r := c.login("sandbox-bank", "returning", map[string]string{}); field(r.JSON, "challenge.type") != "otp" {
				t.Fatalf("quick login: want an OTP, got %d %s", r.Status, r.Body)
			}
			return c
		}
		c := quick()
		for i := 0; i < 3; i++ {
			c.answer(fmt.Sprintf("00000%d", i))
		}
		c = quick()
		c.answer("000009")
		r := c.answer("000008")
		if field(r.JSON, "error.type") != "QUICK_LOGIN_LOCKED" {
			t.Fatalf("the fifth wrong OTP across sessions: want QUICK_LOGIN_LOCKED, got %d %s", r.Status, r.Body)
		}
		c = ts.openWithToken(keys, customerToken(map[string]any{"bvn": "22222222222"}))
		r = c.login("sandbox-bank", "returning", map[string]string{})
		if r.Status != 429 || field(r.JSON, "code") != "QUICK_LOGIN_LOCKED" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("quick login while locked: want 429 QUICK_LOGIN_LOCKED with Retry-After, got %d %v %s", r.Status, r.Header, r.Body)
		}
		r = c.login("sandbox-bank", "returning", map[string]string{"password": "pass_good"})
		if r.Status != 429 {
			t.Fatalf("the password variant while locked: %d %s", r.Status, r.Body)
		}
		var events int
		db2 := ts.Store.DB()
		if err := db2.Get(&events, db2.Rebind("SELECT COUNT(*) FROM outbox_events WHERE method = 'RECORD' AND code = 'QUICK_LOGIN_LOCKED' AND record_id = ?"), recordID); err != nil {
			t.Fatal(err)
		}
		if events != 1 {
			t.Fatalf("%d RECORD QUICK_LOGIN_LOCKED events in the outbox, want 1", events)
		}
		// The customer can still log in in full.
		linkGood(t, ts, c, "user_good")
	})
}

func TestAttackOriginsAndSpentTokens(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme")
	if err := ts.Companies.SetAllowedOrigins(context.Background(), keys.Company.ID, "https://shop.example"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		extra   map[string]any
		headers []string
		status  int
	}{
		{"the widget iframe framed by the shop", map[string]any{"parent_origin": "https://shop.example"}, []string{"Origin", ts.URL}, 201},
		{"the widget iframe framed by another site", map[string]any{"parent_origin": "https://evil.example"}, []string{"Origin", ts.URL}, 403},
		{"another site's script", nil, []string{"Origin", "https://evil.example"}, 403},
		{"the shop's own UI", nil, []string{"Origin", "https://shop.example"}, 201},
	} {
		r := openRaw(ts, keys, tc.extra, tc.headers...)
		if r.Status != tc.status || (tc.status == 403 && field(r.JSON, "code") != "ORIGIN_NOT_ALLOWED") {
			t.Errorf("%s: want %d, got %d %s", tc.name, tc.status, r.Status, r.Body)
		}
	}
	// A link token opens one session; the second try is refused like an
	// unknown token, and the token is neither stored nor logged.
	tok := ts.linkToken(keys, customerToken(map[string]any{"bvn": "22222222222"}))
	first := openRaw(ts, keys, map[string]any{"link_token": tok})
	second := openRaw(ts, keys, map[string]any{"link_token": tok}, "X-Request-Id", "attack-2")
	unknown := openRaw(ts, keys, map[string]any{"link_token": "lt_test_" + strings.Repeat("0", 64)}, "X-Request-Id", "attack-2")
	if first.Status != 201 || second.Status != 401 || !bytes.Equal(second.Body, unknown.Body) {
		t.Fatalf("reuse of a link token: %d, then %d %s (unknown: %s)", first.Status, second.Status, second.Body, unknown.Body)
	}
	if bytes.Contains(dumpTables(t, ts.Store), []byte(tok[8:])) || strings.Contains(ts.Logs.String(), tok[8:]) {
		t.Fatal("a link token is in the database or the logs")
	}
}

// recordSession is the record's sealed bank session as stored.
func recordSession(t *testing.T, ts *testServer, id string) []byte {
	t.Helper()
	var b []byte
	db := ts.Store.DB()
	if err := db.Get(&b, db.Rebind("SELECT sealed_session FROM records WHERE id = ?"), id); err != nil {
		t.Fatal(err)
	}
	return b
}

// identifierRows summarises a customer's stored identifiers.
func identifierRows(t *testing.T, ts *testServer, customer string) string {
	t.Helper()
	var rows []string
	db := ts.Store.DB()
	if err := db.Select(&rows, db.Rebind("SELECT id FROM customer_identifiers WHERE customer_id = ? ORDER BY id"), customer); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, ",")
}

func stripRequestID(b []byte) []byte {
	if i := bytes.Index(b, []byte(`"request_id"`)); i >= 0 {
		return b[:i]
	}
	return b
}
