package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/domain"
)

// counts reads the row counts that must not change when an account is
// linked again.
func counts(t testing.TB, ts *testServer) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"customers", "records", "accounts", "auths", "customer_identifiers"} {
		var n int
		if err := ts.Store.DB().Get(&n, "SELECT COUNT(*) FROM "+table); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func linkGood(t testing.TB, ts *testServer, c *linkClient, user string) map[string]any {
	t.Helper()
	ids := stepAccounts(t, c.login("sandbox-bank", "internet_banking", map[string]string{"username": user, "password": "pass_good"}))
	r := c.choose(ids...)
	if r.Status != 200 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	return r.JSON
}

func TestReturningCustomer(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme")
		first := linkGood(t, ts, ts.openWithToken(keys, customerToken(map[string]any{"bvn": "22222222222"})), "user_good")
		before := counts(t, ts)

		for name, customer := range map[string]map[string]any{
			"same BVN":            {"bvn": "22222222222"},
			"the bank's phone":    {"phone": "+2348000000001"},
			"phone, local format": {"phone": "0800 000 0001"},
		} {
			c := ts.openWithToken(keys, customerToken(customer))
			if field(c.open.JSON, "returning") != true || field(c.open.JSON, "customer_id") != first["customer_id"] {
				t.Fatalf("%s: not recognised: %s", name, c.open.Body)
			}
			banks := field(c.open.JSON, "banks").([]any)
			if len(banks) != 1 || field(banks[0], "slug") != "sandbox-bank" {
				t.Fatalf("%s: a returning customer sees only the banks they linked: %s", name, c.open.Body)
			}
			accs := field(banks[0], "accounts").([]any)
			if len(accs) != 2 {
				t.Fatalf("%s: want the two connected accounts: %s", name, c.open.Body)
			}
			for _, a := range accs {
				if n := field(a, "nuban").(string); n[:6] != "******" || len(n) != 10 {
					t.Fatalf("%s: NUBAN not masked: %q", name, n)
				}
			}
		}
		// Someone else is not recognised.
		if c := ts.openWithToken(keys, customerToken(map[string]any{"bvn": "99999999999"})); field(c.open.JSON, "returning") != false {
			t.Fatalf("a stranger was recognised: %s", c.open.Body)
		}
		// Another company never sees this customer.
		if c := ts.openWithToken(ts.newCompany("Other"), customerToken(map[string]any{"bvn": "22222222222"})); field(c.open.JSON, "returning") != false {
			t.Fatalf("recognised across companies: %s", c.open.Body)
		}
		// The same customer given only on the page is a hint: nothing shows.
		if c := ts.openSession(keys, map[string]any{"customer": map[string]any{"bvn": "22222222222"}}); field(c.open.JSON, "returning") != false ||
			field(c.open.JSON, "customer_id") != nil || len(field(c.open.JSON, "banks").([]any)) != 3 {
			t.Fatalf("a page hint was treated as the company's word: %s", c.open.Body)
		}

		same := func(t *testing.T, name string, p map[string]any) {
			t.Helper()
			for _, k := range []string{"customer_id", "record_id", "bank_id"} {
				if p[k] != first[k] {
					t.Fatalf("%s: %s changed: %v → %v", name, k, first[k], p[k])
				}
			}
			if field(p, "auth.id") != field(first, "auth.id") || p["duplicate"] != true {
				t.Fatalf("%s: want the same auth and duplicate:true: %v", name, p)
			}
			if field(p, "auth.last_updated") == field(first, "auth.last_updated") {
				t.Fatalf("%s: last_updated did not move: %v", name, field(p, "auth.last_updated"))
			}
			if got := counts(t, ts); fmt.Sprint(got) != fmt.Sprint(before) {
				t.Fatalf("%s: row counts changed: %v → %v", name, before, got)
			}
		}

		// Quick login with the stored session and an OTP step-up.
		c := ts.openWithToken(keys, customerToken(map[string]any{"bvn": "22222222222"}))
		r := c.login("sandbox-bank", "returning", map[string]string{})
		if field(r.JSON, "challenge.type") != "otp" {
			t.Fatalf("quick login: want an OTP step-up, got %d %s", r.Status, r.Body)
		}
		ids := stepAccounts(t, c.answer("123456"))
		same(t, "quick login (OTP)", c.choose(ids...).JSON)

		// The password-only variant re-uses the remembered username.
		c = ts.openWithToken(keys, customerToken(map[string]any{"bvn": "22222222222"}))
		ids = stepAccounts(t, c.login("sandbox-bank", "returning", map[string]string{"password": "pass_good"}))
		same(t, "quick login (password)", c.choose(ids...).JSON)

		// A full login of the same account: the same rows again.
		same(t, "full login", linkGood(t, ts, ts.openSession(keys, nil), "user_good"))
		// A page hint with a full login through another login of the same
		// person (USSD, another record): recognised after the login by the
		// BVN the bank reports, so no second customer.
		c = ts.openSession(keys, map[string]any{"customer": map[string]any{"phone": "08000000001"}})
		ids = stepAccounts(t, pollUSSD(t, c, c.login("sandbox-bank", "ussd", map[string]string{"phone": "08000000001"})))
		p := c.choose(ids...)
		if p.Status != 200 || field(p.JSON, "customer_id") != first["customer_id"] {
			t.Fatalf("a relink through another login was not recognised by the bank's BVN: %d %s", p.Status, p.Body)
		}
		if got := counts(t, ts); got["customers"] != before["customers"] {
			t.Fatalf("the relink made a second customer: %v → %v", before, got)
		}
	})
}

func TestQuickLoginFallsBackWhenTheBankRefusesTheSession(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme")
	c := ts.openWithToken(keys, customerToken(map[string]any{"email": "ada@example.com"}))
	ids := stepAccounts(t, c.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_expired_session"}))
	first := c.choose(ids...).JSON

	c = ts.openWithToken(keys, customerToken(map[string]any{"email": "Ada@Example.com"}))
	if field(c.open.JSON, "returning") != true {
		t.Fatalf("not recognised by email: %s", c.open.Body)
	}
	r := c.login("sandbox-bank", "returning", map[string]string{})
	if field(r.JSON, "status") != "failed" || field(r.JSON, "error.type") != "SESSION_EXPIRED" ||
		field(r.JSON, "error.retryable") != true || field(r.JSON, "error.fallback") != "full_login" {
		t.Fatalf("a refused session must say so and offer the full login: %d %s", r.Status, r.Body)
	}
	// The full login in the same session succeeds and repairs the same record.
	p := linkGood(t, ts, c, "user_good")
	if p["record_id"] != first["record_id"] || p["customer_id"] != first["customer_id"] {
		t.Fatalf("the fallback made new rows: %v vs %v", p, first)
	}
}

func TestDuplicatePolicies(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	// user_good's accounts first linked by a customer the company vouches
	// for (NIN A, in a link token), then by another one (NIN B).
	for _, c := range []struct {
		policy domain.DuplicatePolicy
		check  func(t *testing.T, first, second response)
	}{
		{domain.DuplicateMerge, func(t *testing.T, first, second response) {
			if second.Status != 200 || field(second.JSON, "customer_id") != field(first.JSON, "customer_id") || field(second.JSON, "merged") != true {
				t.Fatalf("merge: want the first customer and merged:true, got %d %s", second.Status, second.Body)
			}
		}},
		{domain.DuplicateReject, func(t *testing.T, first, second response) {
			if second.Status != 409 || field(second.JSON, "type") != "DUPLICATE_ACCOUNT" {
				t.Fatalf("reject: want 409 DUPLICATE_ACCOUNT, got %d %s", second.Status, second.Body)
			}
		}},
		{domain.DuplicateAllow, func(t *testing.T, first, second response) {
			if second.Status != 200 || field(second.JSON, "customer_id") == field(first.JSON, "customer_id") || field(second.JSON, "merged") == true {
				t.Fatalf("allow: want a second customer, got %d %s", second.Status, second.Body)
			}
		}},
	} {
		t.Run(string(c.policy), func(t *testing.T) {
			keys := ts.newCompany("Policy " + string(c.policy))
			if err := ts.Companies.SetDuplicatePolicy(context.Background(), keys.Company.ID, c.policy); err != nil {
				t.Fatal(err)
			}
			link := func(bvn, user string) response {
				s := ts.openWithToken(keys, customerToken(map[string]any{"nin": bvn}))
				ids := stepAccounts(t, s.login("sandbox-bank", "internet_banking", map[string]string{"username": user, "password": "pass_good"}))
				return s.choose(ids...)
			}
			first := link("11111111111", "user_good")
			// The same bank login typed differently ("USER_GOOD") is the same
			// login; use the USSD login of the same person instead, which
			// reaches the same accounts through another record.
			s := ts.openWithToken(keys, customerToken(map[string]any{"nin": "44444444444"}))
			ids := stepAccounts(t, pollUSSD(t, s, s.login("sandbox-bank", "ussd", map[string]string{"phone": "08000000001"})))
			c.check(t, first, s.choose(ids...))
			var accounts int
			if err := ts.Store.DB().Get(&accounts, ts.Store.DB().Rebind("SELECT COUNT(*) FROM accounts WHERE company_id = ?"), keys.Company.ID); err != nil {
				t.Fatal(err)
			}
			if accounts != 2 {
				t.Fatalf("%d account rows for two bank accounts", accounts)
			}
		})
	}
}

func TestConcurrentLinksMakeOneAccount(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme")
		const n = 4
		sessions := make([]*linkClient, n)
		choices := make([][]string, n)
		for i := range sessions {
			sessions[i] = ts.openSession(keys, nil)
			choices[i] = stepAccounts(t, sessions[i].login("sandbox-bank", "internet_banking", map[string]string{"username": "user_low", "password": "pass_good"}))
		}
		// Everyone chooses at the same moment.
		start := make(chan struct{})
		results := make([]response, n)
		var wg sync.WaitGroup
		for i := range sessions {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				results[i] = sessions[i].choose(choices[i]...)
			}(i)
		}
		close(start)
		wg.Wait()
		for i, r := range results {
			if r.Status != 200 {
				t.Fatalf("link %d: %d %s", i, r.Status, r.Body)
			}
			if field(r.JSON, "record_id") != field(results[0].JSON, "record_id") || field(r.JSON, "customer_id") != field(results[0].JSON, "customer_id") {
				t.Fatalf("concurrent links disagree: link %d record %v customer %v, link 0 record %v customer %v",
					i, field(r.JSON, "record_id"), field(r.JSON, "customer_id"), field(results[0].JSON, "record_id"), field(results[0].JSON, "customer_id"))
			}
			accs, _ := field(r.JSON, "accounts").([]any)
			if len(accs) != 1 || field(accs[0], "id") != field(field(results[0].JSON, "accounts").([]any)[0], "id") {
				t.Fatalf("link %d does not show the one shared account: %s", i, r.Body)
			}
		}
		got := counts(t, ts)
		if got["accounts"] != 1 || got["records"] != 1 || got["customers"] != 1 || got["auths"] != 1 {
			t.Fatalf("concurrent links of one account left %v", got)
		}
	})
}

func TestReauthRepairsTheRecord(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), func(c *config) {
		c.AllowPrivateWebhooks = true
		c.WebhookBackoff = 20 * time.Millisecond
	})
	keys := ts.newCompany("Acme")
	rc := newReceiver(t, 0)
	if r := ts.call("POST", "/v2/sandbox/webhooks/set", keys.Sandbox.SecretKey, map[string]any{"url": rc.srv.URL}); r.Status != 200 {
		t.Fatal(string(r.Body))
	}
	first := linkGood(t, ts, ts.openSession(keys, nil), "user_good")
	rc.next(t) // the first AUTH_SUCCESS
	recordID := first["record_id"].(string)
	// The bank stopped accepting the session (as a balance check finds).
	if _, err := ts.Store.DB().Exec(ts.Store.DB().Rebind("UPDATE records SET status = 'token_required' WHERE id = ?"), recordID); err != nil {
		t.Fatal(err)
	}
	before := counts(t, ts)
	nuban := field(first, "accounts").([]any)[0].(map[string]any)["nuban"].(string)
	c := ts.openWithToken(keys, map[string]any{"reauth_account": nuban, "reauth_bank": "sandbox-bank"})
	if banks := field(c.open.JSON, "banks").([]any); len(banks) != 1 || field(banks[0], "slug") != "sandbox-bank" {
		t.Fatalf("a reauth session offers only the record's bank: %s", c.open.Body)
	}
	p := linkGood(t, ts, c, "user_good")
	if p["record_id"] != recordID || p["customer_id"] != first["customer_id"] || field(p, "auth.id") != field(first, "auth.id") {
		t.Fatalf("reauth made new rows: %v", p)
	}
	if got := counts(t, ts); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("reauth changed row counts: %v → %v", before, got)
	}
	r := ts.call("POST", "/v2/sandbox/products/records/get", keys.Sandbox.SecretKey, map[string]any{"record_id": recordID})
	if st := field(r.JSON, "data.records.status"); st != "success" {
		t.Fatalf("record status after reauth: %v", st)
	}
	codes := map[string]bool{}
	for len(codes) < 2 {
		d := rc.next(t)
		var body map[string]any
		_ = jsonUnmarshal(d.body, &body)
		codes[body["method"].(string)+"/"+body["code"].(string)] = true
	}
	if !codes["AUTH/AUTH_SUCCESS"] || !codes["RECORD/REAUTH_SUCCESS"] {
		t.Fatalf("want AUTH and RECORD webhooks after the reauth, got %v", codes)
	}
	// A token to reauthenticate an account that is not linked: 404 to the
	// company's server, which holds the secret key.
	if r := ts.call("POST", "/v2/sandbox/widget/tokens/create", keys.Sandbox.SecretKey, map[string]any{"reauth_account": "0000000000", "reauth_bank": "sandbox-bank"}); r.Status != 404 {
		t.Fatalf("a token to reauthenticate an unknown account: %d %s", r.Status, r.Body)
	}
}

func TestIdentifiersAreNotStoredInPlainText(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme")
		c := ts.openWithToken(keys, customerToken(map[string]any{
			"bvn": "22222222222", "nin": "12345678901", "email": "canary.person@example.com", "phone": "08031234567", "id": "company-customer-7731",
		}))
		linkGood(t, ts, c, "user_good")
		if got := counts(t, ts)["customer_identifiers"]; got < 5 {
			t.Fatalf("only %d identifiers stored; the check would prove little", got)
		}
		dump := dumpTables(t, ts.Store)
		for _, v := range []string{"22222222222", "12345678901", "canary.person@example.com", "+2348031234567", "08031234567", "8031234567", "+2348000000001", "8000000001", "company-customer-7731"} {
			if bytes.Contains(dump, []byte(v)) {
				t.Errorf("identifier %q stored in plain text", v)
			}
		}
	})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func TestCustomersRemove(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme")
	sk := keys.Sandbox.SecretKey
	p := linkGood(t, ts, ts.openWithToken(keys, customerToken(map[string]any{"bvn": "22222222222"})), "user_good")
	customerID, recordID := p["customer_id"].(string), p["record_id"].(string)

	r := ts.call("POST", "/v2/sandbox/customers/find-customers-by", sk, map[string]any{"key": "bvn", "value": "22222222222"})
	if found := field(r.JSON, "data.customers").([]any); len(found) != 1 || field(found[0], "id") != customerID {
		t.Fatalf("find by BVN: %s", r.Body)
	}
	if r := ts.call("POST", "/v2/sandbox/customers/find-customers-by", sk, map[string]any{"key": "bvn", "value": "123"}); r.Status != 400 || field(r.JSON, "field") != "value" {
		t.Fatalf("a malformed BVN: %d %s", r.Status, r.Body)
	}
	if r := ts.call("POST", "/v2/sandbox/customers/remove", sk, map[string]any{"customer": customerID}); r.Status != 200 {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	r = ts.call("POST", "/v2/sandbox/products/records/get", sk, map[string]any{"record_id": recordID})
	if st := field(r.JSON, "data.records.status"); st != "removed" {
		t.Fatalf("record after remove: %v", st)
	}
	if got := counts(t, ts)["customer_identifiers"]; got != 0 {
		t.Fatalf("%d identifiers left after remove", got)
	}
	if c := ts.openWithToken(keys, customerToken(map[string]any{"bvn": "22222222222"})); field(c.open.JSON, "returning") != false {
		t.Fatalf("a removed customer is still recognised: %s", c.open.Body)
	}
	if r := ts.call("POST", "/v2/sandbox/customers/remove", sk, map[string]any{"customer": "5d6fe57a4099cc4b210bbeb3"}); r.Status != 404 {
		t.Fatalf("removing an unknown customer: %d", r.Status)
	}
}

// pollUSSD polls a USSD login until the bank decides, bounded.
func pollUSSD(t *testing.T, c *linkClient, r response) response {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st := field(r.JSON, "status"); st != "pending" && st != "challenge" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("USSD never confirmed: %s", r.Body)
		}
		time.Sleep(200 * time.Millisecond)
		r = c.do("GET", "", nil)
	}
}
