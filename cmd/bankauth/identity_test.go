package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/company"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// identityLink links username at the sandbox bank with auth and identity,
// connecting every account, and returns the success payload.
func identityLink(t testing.TB, ts *testServer, keys company.Created, username, password string, extra map[string]any) map[string]any {
	t.Helper()
	opts := map[string]any{"products": []string{"auth", "identity"}}
	for k, v := range extra {
		opts[k] = v
	}
	c := ts.openSession(keys, opts)
	r := c.choose(stepAccounts(t, c.login("sandbox-bank", "internet_banking", map[string]string{"username": username, "password": password}))...)
	if r.Status != 200 || field(r.JSON, "success") != true {
		t.Fatalf("link %s: %d %s", username, r.Status, r.Body)
	}
	return r.JSON
}

// wantAda checks an identity object: Ada Obi of the README, in Okra's
// shape, belonging to the payload's customer and record.
func wantAda(t *testing.T, where string, obj any, payload map[string]any) {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Fatalf("%s: no identity object: %v", where, obj)
	}
	want := map[string]any{
		"firstname": "Ada", "middlename": "", "lastname": "Obi", "fullname": "Ada Obi", "dob": "1990-01-15",
		"gender": "female", "bvn": "22222222222", "nin": "40000000001",
		"phone": []any{"08000000001"}, "email": []any{"ada.obi@example.com"}, "address": []any{"12 Marina Road, Lagos Island, Lagos"},
		"customer": payload["customer_id"], "record": payload["record_id"], "bank": payload["bank_id"],
		"env": "production-sandbox", "source": "identity",
	}
	for k, v := range want {
		if !reflect.DeepEqual(m[k], v) {
			t.Errorf("%s: %s = %#v, want %#v", where, k, m[k], v)
		}
	}
	if !domain.ValidID(m["id"].(string)) || m["id"] != m["_id"] {
		t.Errorf("%s: id %v, _id %v", where, m["id"], m["_id"])
	}
	for _, k := range []string{"created_at", "last_updated"} {
		if s, _ := m[k].(string); !okraStamp.MatchString(s) {
			t.Errorf("%s: %s = %q, not ISO 8601 UTC with milliseconds", where, k, s)
		}
	}
}

// sameObject compares an identity as a route answers it with the payload's.
func sameObject(t *testing.T, where string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s answers\n %s\nthe payload had\n %s", where, g, w)
	}
}

// Acceptance 1: a link with auth and identity returns the identity in the
// success payload, and every identity route returns it in Okra's shape.
func TestIdentityAtLinkTimeAndEveryRoute(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme")
		key := keys.Sandbox.SecretKey
		p := identityLink(t, ts, keys, "user_good", "pass_good", nil)
		ident := p["identity"]
		wantAda(t, "the success payload", ident, p)
		id := field(ident, "id").(string)
		customer, record := p["customer_id"].(string), p["record_id"].(string)
		today := time.Now().UTC().Format(time.DateOnly)

		for _, rt := range []struct {
			path string
			body map[string]any
		}{
			{"products/identities", map[string]any{}},
			{"identity/getById", map[string]any{"id": id}},
			{"identity/getByCustomer", map[string]any{"customer": customer}},
			{"identity/getByDate", map[string]any{"from": today, "to": today}},
			{"identity/getByCustomerDate", map[string]any{"customer": customer, "from": today, "to": today}},
		} {
			r := ts.call("POST", "/v2/sandbox/"+rt.path, key, rt.body)
			list, _ := field(r.JSON, "data.identity").([]any)
			if r.Status != 200 || len(list) != 1 || field(r.JSON, "data.pagination.totalDocs") != 1.0 {
				t.Errorf("%s: %d %s", rt.path, r.Status, r.Body)
				continue
			}
			sameObject(t, rt.path, list[0], ident)
		}
		r := ts.call("GET", "/v2/sandbox/callback?record="+record+"&method=IDENTITY", key, nil)
		if r.Status != 200 || field(r.JSON, "data.product") != "identity" {
			t.Fatalf("callback IDENTITY: %d %s", r.Status, r.Body)
		}
		sameObject(t, "callback IDENTITY", field(r.JSON, "data.identity"), ident)
		if h, _ := field(r.JSON, "data.history").([]any); len(h) != 1 || !reflect.DeepEqual(field(h[0], "fields"), []any{"created"}) {
			t.Errorf("history after the first pull: %v", field(r.JSON, "data.history"))
		}
		// Another day has none; a link without identity adds none.
		r = ts.call("POST", "/v2/sandbox/identity/getByDate", key, map[string]any{"from": "2020-01-01", "to": "2020-01-02"})
		if field(r.JSON, "data.pagination.totalDocs") != 0.0 {
			t.Errorf("getByDate of another day: %s", r.Body)
		}
		low := ts.openSession(keys, nil)
		lp := low.choose(stepAccounts(t, low.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_low", "password": "pass_good"}))...)
		if lp.JSON["identity"] != nil {
			t.Errorf("a link without the identity product answered an identity: %s", lp.Body)
		}
		if r := ts.call("POST", "/v2/sandbox/products/identities", key, map[string]any{}); field(r.JSON, "data.pagination.totalDocs") != 1.0 {
			t.Errorf("identities after a link without the product: %s", r.Body)
		}
		// The bank-reported identifiers recognise the customer: NIN too.
		r = ts.call("POST", "/v2/sandbox/customers/find-customers-by", key, map[string]any{"key": "nin", "value": "40000000001"})
		if got, _ := field(r.JSON, "data.customers").([]any); len(got) != 1 || field(got[0], "id") != customer {
			t.Errorf("find by the NIN the bank reported: %s", r.Body)
		}
		// identity/match, by customer and by record.
		r = ts.call("POST", "/v2/sandbox/identity/match", key, map[string]any{"customer_id": customer, "name": "OBI, Ada", "phone": "+2348000000001",
			"email": "ADA.OBI@example.com", "dob": "1990-01-16", "bvn": "22222222222", "nin": "40000000001", "address": "12 Marina Rd, Lagos"})
		if r.Status != 200 {
			t.Fatalf("identity/match: %d %s", r.Status, r.Body)
		}
		for f, want := range map[string]bool{"name": true, "phone": true, "email": true, "dob": false, "bvn": true, "nin": true, "address": true} {
			if field(r.JSON, "data."+f+".match") != want {
				t.Errorf("identity/match %s: %v, want match %v", f, field(r.JSON, "data."+f), want)
			}
		}
		r = ts.call("POST", "/v2/sandbox/identity/match", key, map[string]any{"record_id": record, "name": "Chidi Okeke"})
		if field(r.JSON, "data.name.match") != false || field(r.JSON, "data.name.score").(float64) >= 40 || len(field(r.JSON, "data").(map[string]any)) != 1 {
			t.Errorf("a stranger's name: %s", r.Body)
		}
		for _, bad := range []map[string]any{
			{"name": "Ada Obi"},
			{"customer_id": customer},
			{"customer_id": "nope", "name": "Ada"},
			{"customer_id": customer, "dob": "15/01/1990"},
			{"customer_id": customer, "bvn": "123"},
			{"customer_id": customer, "phone": "12"},
			{"customer_id": customer, "name": 5},
		} {
			if r := ts.call("POST", "/v2/sandbox/identity/match", key, bad); r.Status != 400 || field(r.JSON, "message") == "" {
				t.Errorf("identity/match %v: want 400 naming the field, got %d %s", bad, r.Status, r.Body)
			}
		}
		// customers/remove deletes the identities too.
		if r := ts.call("POST", "/v2/sandbox/customers/remove", key, map[string]any{"customer": customer}); r.Status != 200 {
			t.Fatalf("customers/remove: %d %s", r.Status, r.Body)
		}
		if r := ts.call("POST", "/v2/sandbox/identity/getById", key, map[string]any{"id": id}); r.Status != 404 {
			t.Errorf("the removed customer's identity: %d %s", r.Status, r.Body)
		}
		var n int
		if err := ts.Store.DB().GetContext(context.Background(), &n, "SELECT COUNT(*) FROM identity_changes"); err != nil || n != 0 {
			t.Errorf("identity history after customers/remove: %d rows, %v", n, err)
		}
	})
}

// Acceptance 2: identity/process pulls again through GetIdentity and
// delivers the callback and the IDENTITY webhook; an expired session
// fails it and tells the company to reauthenticate.
func TestIdentityProcess(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, func(c *config) { c.AllowPrivateWebhooks = true })
		keys := ts.newCompany("Acme")
		key := keys.Sandbox.SecretKey
		sink := newWebhookSink(t)
		sink.register(t, ts, key)
		p := identityLink(t, ts, keys, "user_good", "pass_good", nil)
		record := p["record_id"].(string)
		before := getIdentityCalls(t, ts)

		r := ts.call("POST", "/v2/sandbox/identity/process", key, map[string]any{"record_id": record})
		cb, _ := field(r.JSON, "data.callback_url").(string)
		if r.Status != 200 || field(r.JSON, "data.method") != "IDENTITY" || field(r.JSON, "data.record") != record ||
			!strings.HasSuffix(cb, "/v2/sandbox/callback?record="+record+"&method=IDENTITY") {
			t.Fatalf("identity/process: %d %s", r.Status, r.Body)
		}
		done := pollIdentity(t, ts, key, cb)
		if field(done.JSON, "data.status.refresh") != "done" {
			t.Fatalf("refresh: %s", done.Body)
		}
		wantAda(t, "the callback after a refresh", field(done.JSON, "data.identity"), p)
		if got := getIdentityCalls(t, ts); got != before+1 {
			t.Errorf("GetIdentity calls went from %d to %d; the refresh must ask the connector once", before, got)
		}
		if last := field(done.JSON, "data.identity.last_updated"); last == field(p, "identity.last_updated") && field(done.JSON, "data.identity.created_at") != field(p, "identity.created_at") {
			t.Errorf("the identity was not refreshed in place: %s", done.Body)
		}
		hook := sink.wait(t, "IDENTITY", "IDENTITY_SUCCESS", record)
		if field(hook, "identity.id") != field(p, "identity.id") || field(hook, "customerId") != p["customer_id"] {
			t.Errorf("IDENTITY webhook: %v", hook)
		}
		raw, _ := json.Marshal(hook)
		for _, value := range []string{"Ada", "1990-01-15", "Marina", "40000000001"} {
			if strings.Contains(string(raw), value) {
				t.Errorf("the IDENTITY webhook carries %q: %s", value, raw)
			}
		}
		if r := ts.call("POST", "/v2/sandbox/identity/process", keys.Sandbox.SecretKey, map[string]any{"record_id": domain.NewID()}); r.Status != 404 {
			t.Errorf("an unknown record: %d %s", r.Status, r.Body)
		}
		if r := ts.call("POST", "/v2/sandbox/identity/process", key, map[string]any{"record_id": "x"}); r.Status != 400 {
			t.Errorf("a malformed record id: %d %s", r.Status, r.Body)
		}

		exp := identityLink(t, ts, keys, "user_expiring", "pass_expired_session", nil)
		er := exp["record_id"].(string)
		r = ts.call("POST", "/v2/sandbox/identity/process", key, map[string]any{"record_id": er})
		failed := pollIdentity(t, ts, key, field(r.JSON, "data.callback_url").(string))
		if field(failed.JSON, "data.status.refresh") != "failed" || field(failed.JSON, "data.error.type") != "TOKEN_REQUIRED" ||
			field(failed.JSON, "data.status.record") != "token_required" {
			t.Errorf("refresh of an expired session: %s", failed.Body)
		}
		sink.wait(t, "IDENTITY", "IDENTITY_FAILED", er)
		sink.wait(t, "RECORD", "TOKEN_REQUIRED", er)
	})
}

func pollIdentity(t *testing.T, ts *testServer, key, callbackURL string) response {
	t.Helper()
	path := strings.TrimPrefix(callbackURL, ts.URL)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := ts.call("GET", path, key, nil)
		if r.Status != 200 {
			t.Fatalf("callback: %d %s", r.Status, r.Body)
		}
		if s := field(r.JSON, "data.status.refresh"); s == "done" || s == "failed" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refresh did not finish: %s", r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var connectorCallLine = regexp.MustCompile(`(?m)^bankauth_connector_calls_total\{([^}]*)\} ([0-9.e+]+)$`)

func getIdentityCalls(t *testing.T, ts *testServer) int {
	t.Helper()
	r := ts.call("GET", "/metrics", "", nil)
	n := 0
	for _, m := range connectorCallLine.FindAllStringSubmatch(string(r.Body), -1) {
		if strings.Contains(m[1], `method="GetIdentity"`) {
			var v float64
			_ = json.Unmarshal([]byte(m[2]), &v)
			n += int(v)
		}
	}
	return n
}

// Acceptance 4: a name or date of birth the company supplied that the
// bank contradicts leaves the auth unvalidated with the reason; one that
// matches (another case, order) validates. A link token's customer and a
// page's hint are both checked against the bank.
func TestIdentityDecidesValidated(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		cases := []struct {
			name      string
			token     map[string]any // the link token's customer
			hint      map[string]any // the page's customer
			products  []string
			validated bool
			note      string
			verified  any // the identity's verified, when the product was asked for
		}{
			{"token name matches in another order", map[string]any{"name": "OBI, ada"}, nil, []string{"auth", "identity"}, true, "", true},
			{"token name of someone else", map[string]any{"name": "Chidi Okeke"}, nil, []string{"auth", "identity"}, false, "name mismatch", false},
			{"token name with a title and the right dob", map[string]any{"name": "Mrs Ada Obi", "dob": "1990-01-15"}, nil, []string{"auth"}, true, "", nil},
			{"token dob contradicted", map[string]any{"dob": "1991-01-15"}, nil, []string{"auth"}, false, "dob mismatch", nil},
			{"token dob contradicted, with identity", map[string]any{"name": "Ada Obi", "dob": "1991-01-15"}, nil, []string{"auth", "identity"}, false, "dob mismatch", false},
			{"page hint of someone else", nil, map[string]any{"name": "Chidi Okeke"}, []string{"auth"}, false, "name mismatch", nil},
			{"page hint matching", nil, map[string]any{"name": "ada OBI", "dob": "1990-01-15"}, []string{"auth", "identity"}, true, "", true},
			{"nothing supplied", nil, nil, []string{"auth", "identity"}, true, "", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				keys := ts.newCompany("Acme")
				opts := map[string]any{"products": tc.products}
				var c *linkClient
				if tc.token != nil {
					c = ts.openWithToken(keys, map[string]any{"customer": tc.token, "products": tc.products})
				} else {
					if tc.hint != nil {
						opts["customer"] = tc.hint
					}
					c = ts.openSession(keys, opts)
				}
				r := c.choose(stepAccounts(t, c.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"}))...)
				if r.Status != 200 {
					t.Fatalf("link: %d %s", r.Status, r.Body)
				}
				if got := field(r.JSON, "auth.validated"); got != tc.validated {
					t.Errorf("validated %v, want %v (note %v)", got, tc.validated, field(r.JSON, "auth.validation_note"))
				}
				note, _ := field(r.JSON, "auth.validation_note").(string)
				if (tc.note == "") != (note == "") || !strings.Contains(note, tc.note) {
					t.Errorf("validation_note %q, want one naming %q", note, tc.note)
				}
				if got := field(r.JSON, "identity.verified"); tc.verified != nil && got != tc.verified {
					t.Errorf("identity.verified %v, want %v: %s", got, tc.verified, r.Body)
				}
				// The stored auth says the same.
				a := ts.call("POST", "/v2/sandbox/auth/getById", keys.Sandbox.SecretKey, map[string]any{"id": field(r.JSON, "auth.id")})
				if got, _ := field(a.JSON, "data.auths").([]any); len(got) != 1 || field(got[0], "validated") != tc.validated {
					t.Errorf("stored auth: %s", a.Body)
				}
			})
		}
		// A malformed date of birth on the page is a 400 that names it.
		keys := ts.newCompany("Acme")
		if r := openRaw(ts, keys, map[string]any{"customer": map[string]any{"dob": "15/01/1990"}}); r.Status != 400 || !strings.Contains(string(r.Body), "customer.dob") {
			t.Errorf("a malformed page dob: %d %s", r.Status, r.Body)
		}
	})
}

// v10Bank stands for a connector of protocol 1.0: GetIdentity is absent.
type v10Bank struct{ ports.BankConnector }

func (v10Bank) GetIdentity(context.Context, string, []byte) (domain.BankIdentity, error) {
	return domain.BankIdentity{}, &domain.Error{Kind: domain.KindUnavailable, Code: domain.RejectUnsupported, Message: "unsupported"}
}

// Acceptance 6 (the host side is TestGetIdentity in adapters/connector):
// with a connector that does not implement GetIdentity, the identity is
// the login's owner, and identity/process keeps it.
func TestIdentityFallsBackToTheLoginsOwner(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil, fx.Decorate(func(b ports.BankConnector) ports.BankConnector { return v10Bank{b} }))
	keys := ts.newCompany("Acme")
	p := identityLink(t, ts, keys, "user_good", "pass_good", nil)
	want := map[string]any{"fullname": "Ada Obi", "firstname": "", "bvn": "22222222222", "dob": nil, "nin": nil,
		"phone": []any{"08000000001"}, "email": []any{"ada.obi@example.com"}, "address": []any{}, "source": "login"}
	for k, v := range want {
		if got := field(p, "identity."+k); !reflect.DeepEqual(got, v) {
			t.Errorf("identity.%s = %#v, want %#v", k, got, v)
		}
	}
	if field(p, "auth.validated") != true {
		t.Errorf("validated: %v", field(p, "auth"))
	}
	r := ts.call("POST", "/v2/sandbox/identity/process", keys.Sandbox.SecretKey, map[string]any{"record_id": p["record_id"]})
	done := pollIdentity(t, ts, keys.Sandbox.SecretKey, field(r.JSON, "data.callback_url").(string))
	if field(done.JSON, "data.status.refresh") != "done" || field(done.JSON, "data.identity.fullname") != "Ada Obi" {
		t.Errorf("a refresh with a 1.0 connector: %s", done.Body)
	}
}

// Acceptance 5 (tenancy): another company's key, or the other
// environment's, gets 404 on every identity route.
func TestIdentityTenantIsolation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		owner, other := ts.newCompany("Owner"), ts.newCompany("Other")
		p := identityLink(t, ts, owner, "user_good", "pass_good", nil)
		id, customer, record := field(p, "identity.id").(string), p["customer_id"].(string), p["record_id"].(string)
		routes := []struct {
			method, path string
			body         map[string]any
		}{
			{"POST", "identity/getById", map[string]any{"id": id}},
			{"POST", "identity/getByCustomer", map[string]any{"customer": customer}},
			{"POST", "identity/getByCustomerDate", map[string]any{"customer": customer, "from": "2020-01-01", "to": "2099-01-01"}},
			{"POST", "identity/process", map[string]any{"record_id": record}},
			{"POST", "identity/match", map[string]any{"customer_id": customer, "name": "Ada Obi"}},
			{"POST", "identity/match", map[string]any{"record_id": record, "name": "Ada Obi"}},
			{"GET", "callback?record=" + record + "&method=IDENTITY", nil},
		}
		for _, rt := range routes {
			var body any
			if rt.body != nil {
				body = rt.body
			}
			if r := ts.call(rt.method, "/v2/sandbox/"+rt.path, owner.Sandbox.SecretKey, body); r.Status != 200 {
				t.Fatalf("the owner's %s: %d %s", rt.path, r.Status, r.Body)
			}
			for who, key := range map[string]string{"another company": other.Sandbox.SecretKey} {
				if r := ts.call(rt.method, "/v2/sandbox/"+rt.path, key, body); r.Status != 404 {
					t.Errorf("%s %s with %s's key: want 404, got %d %s", rt.method, rt.path, who, r.Status, r.Body)
				}
			}
			if r := ts.call(rt.method, "/v2/"+rt.path, owner.Production.SecretKey, body); r.Status != 404 {
				t.Errorf("%s %s in the other environment: want 404, got %d %s", rt.method, rt.path, r.Status, r.Body)
			}
		}
		for _, path := range []string{"products/identities", "identity/getByDate"} {
			r := ts.call("POST", "/v2/sandbox/"+path, other.Sandbox.SecretKey, map[string]any{"from": "2020-01-01", "to": "2099-01-01"})
			if r.Status != 200 || field(r.JSON, "data.pagination.totalDocs") != 0.0 {
				t.Errorf("%s leaks across companies: %s", path, r.Body)
			}
		}
	})
}

// Acceptance 5 (at rest): no identity value is in plain text in the
// database (read through the driver and as raw SQLite files) or in any log
// line, after a link with identity, a refresh, reads replayed by
// Idempotency-Key and a match. The account holder's first and last names
// are also the customer's and the account's name (Okra's customer and
// account objects carry them), so they are looked for everywhere else.
func TestNoIdentityAtRestOrInLogs(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme")
		key := keys.Sandbox.SecretKey
		c := ts.openWithToken(keys, map[string]any{"products": []string{"auth", "identity"},
			"customer": map[string]any{"name": "Ngozi A. Ogunleye", "dob": "1970-08-30"}})
		r := c.choose(stepAccounts(t, c.login("sandbox-bank", "internet_banking", map[string]string{"username": "Canary-Ident-2", "password": "pass_good"}))...)
		ident, _ := r.JSON["identity"].(map[string]any)
		if r.Status != 200 || ident == nil || ident["middlename"] == "" || field(r.JSON, "auth.validated") != true {
			t.Fatalf("link: %d %s", r.Status, r.Body)
		}
		record := r.JSON["record_id"].(string)
		pr := ts.call("POST", "/v2/sandbox/identity/process", key, map[string]any{"record_id": record})
		pollIdentity(t, ts, key, field(pr.JSON, "data.callback_url").(string))
		for i, call := range []struct {
			path string
			body map[string]any
		}{
			{"identity/getById", map[string]any{"id": ident["id"]}},
			{"products/identities", map[string]any{}},
			{"identity/match", map[string]any{"record_id": record, "name": "Ngozi Ayodele Ogunleye", "dob": ident["dob"], "address": "48 Aminu Kano Crescent"}},
		} {
			first := ts.call("POST", "/v2/sandbox/"+call.path, key, call.body, "Idempotency-Key", "canary-"+string(rune('a'+i)))
			again := ts.call("POST", "/v2/sandbox/"+call.path, key, call.body, "Idempotency-Key", "canary-"+string(rune('a'+i)))
			if first.Status != 200 || again.Header.Get("Idempotent-Replayed") != "true" || string(stripRequestID(again.Body)) != string(stripRequestID(first.Body)) {
				t.Fatalf("%s replayed by Idempotency-Key: %d %s / %s", call.path, first.Status, first.Body, again.Body)
			}
		}

		everywhere := []string{ident["middlename"].(string), ident["dob"].(string), strings.ReplaceAll(ident["dob"].(string), "-", ""),
			ident["nin"].(string), ident["bvn"].(string), field(ident, "address").([]any)[0].(string), "Aminu Kano Crescent",
			field(ident, "phone").([]any)[0].(string), field(ident, "email").([]any)[0].(string)}
		names := []string{ident["firstname"].(string), ident["lastname"].(string)}
		dump := string(dumpTables(t, ts.Store))
		logs := ts.Logs.String()
		for _, v := range everywhere {
			if strings.Contains(dump, v) {
				t.Errorf("%q is in plain text in the database", v)
			}
			if strings.Contains(logs, v) {
				t.Errorf("%q is in the logs", v)
			}
		}
		rest := tablesExcept(t, ts.Store, "customers", "accounts")
		for _, v := range names {
			if strings.Contains(rest, v) {
				t.Errorf("the name %q is in plain text outside the customer's and the account's name", v)
			}
			if strings.Contains(logs, v) {
				t.Errorf("the name %q is in the logs", v)
			}
		}
		if db.DataDir != "" {
			files, _ := filepathGlob(db.DataDir)
			if len(files) == 0 {
				t.Fatal("no SQLite files to read")
			}
			for _, f := range files {
				raw := readFile(t, f)
				for _, v := range everywhere {
					if strings.Contains(raw, v) {
						t.Errorf("%q is in plain text in %s", v, f)
					}
				}
			}
		}
		if !strings.Contains(logs, `"route":"/v2/sandbox/identity/getById"`) {
			t.Fatal("the logs do not show the identity routes at all; the check would prove nothing")
		}
	})
}

// tablesExcept is every row of every table but the named ones, as text.
func tablesExcept(t *testing.T, st *storage.Store, skip ...string) string {
	t.Helper()
	var tables []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if st.Dialect() == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`
	}
	if err := st.DB().Select(&tables, q); err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var b strings.Builder
	for _, table := range tables {
		if slices.Contains(skip, table) {
			continue
		}
		var rows []map[string]any
		r, err := st.DB().Queryx("SELECT * FROM " + table)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		for r.Next() {
			m := map[string]any{}
			if err := r.MapScan(m); err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			rows = append(rows, m)
		}
		r.Close()
		for _, m := range rows {
			for _, v := range m {
				if raw, ok := v.([]byte); ok {
					b.Write(raw)
				} else {
					b.WriteString(fmtAny(v))
				}
				b.WriteByte('\t')
			}
		}
	}
	return b.String()
}

// filepathGlob lists the files of a data directory.
func filepathGlob(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return err
	})
	return out, err
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
