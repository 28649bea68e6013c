package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/balance"
	"github.com/bankauth/bankauth/core/company"
	"github.com/bankauth/bankauth/core/domain"
)

// balLinked is one finished link: its record and accounts by type.
type balLinked struct {
	Record   string
	Customer string
	Auth     string
	// Accounts maps the account type ("current", "savings") to its id;
	// Connected lists the ids chosen.
	Accounts  map[string]string
	Connected []string
}

// balLink links username at bank through the link API with the given
// products, connecting the accounts of the chosen types (all when none).
func balLink(tb testing.TB, ts *testServer, keys company.Created, bank, username, password string, products []string, types ...string) balLinked {
	tb.Helper()
	c := ts.openSession(keys, map[string]any{"products": products})
	r := c.login(bank, "internet_banking", map[string]string{"username": username, "password": password})
	if field(r.JSON, "status") != "accounts" {
		tb.Fatalf("login %s/%s at %s: %d %s", username, password, bank, r.Status, r.Body)
	}
	out := balLinked{Accounts: map[string]string{}}
	for _, a := range field(r.JSON, "accounts").([]any) {
		m := a.(map[string]any)
		out.Accounts[m["type"].(string)] = m["id"].(string)
		if len(types) == 0 {
			out.Connected = append(out.Connected, m["id"].(string))
		}
	}
	for _, typ := range types {
		id, found := out.Accounts[typ]
		if !found {
			tb.Fatalf("%s has no %s account: %s", username, typ, r.Body)
		}
		out.Connected = append(out.Connected, id)
	}
	r = c.choose(out.Connected...)
	if r.Status != 200 || field(r.JSON, "success") != true {
		tb.Fatalf("choose: %d %s", r.Status, r.Body)
	}
	out.Record = field(r.JSON, "record_id").(string)
	out.Customer = field(r.JSON, "customer_id").(string)
	out.Auth = field(r.JSON, "auth.id").(string)
	return out
}

// balCheck calls balance/check in the sandbox.
func balCheck(ts *testServer, key string, body map[string]any) response {
	return ts.call("POST", "/v2/sandbox/balance/check", key, body)
}

var getBalanceCalls = regexp.MustCompile(`(?m)^bankauth_connector_calls_total\{([^}]*)\} ([0-9.e+]+)$`)

// connectorCalls sums bankauth_connector_calls_total for GetBalance at bank,
// whatever the outcome.
func connectorCalls(tb testing.TB, ts *testServer, bank string) int {
	tb.Helper()
	r := ts.call("GET", "/metrics", "", nil)
	if r.Status != 200 {
		tb.Fatalf("/metrics: %d", r.Status)
	}
	total := 0.0
	for _, m := range getBalanceCalls.FindAllStringSubmatch(string(r.Body), -1) {
		if strings.Contains(m[1], `method="GetBalance"`) && strings.Contains(m[1], `bank="`+bank+`"`) {
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				tb.Fatalf("metric value %q: %v", m[2], err)
			}
			total += v
		}
	}
	return int(total)
}

// webhookSink is a receiver that keeps every body it gets.
type webhookSink struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newWebhookSink(t *testing.T) *webhookSink {
	s := &webhookSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			s.mu.Lock()
			s.bodies = append(s.bodies, m)
			s.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// register points the company's sandbox webhook at the sink.
func (s *webhookSink) register(t *testing.T, ts *testServer, key string) {
	t.Helper()
	if r := ts.call("POST", "/v2/sandbox/webhooks/set", key, map[string]any{"url": s.srv.URL + "/hook"}); r.Status != 200 {
		t.Fatalf("webhooks/set: %d %s", r.Status, r.Body)
	}
}

// wait polls until an event with method and code for record arrived.
func (s *webhookSink) wait(t *testing.T, method, code, record string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s.mu.Lock()
		for _, b := range s.bodies {
			if b["method"] == method && b["code"] == code && b["record"] == record {
				s.mu.Unlock()
				return b
			}
		}
		n := len(s.bodies)
		s.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s %s webhook for record %s (got %d events)", method, code, record, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *webhookSink) count(method domain.EventMethod, code string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, b := range s.bodies {
		if b["method"] == string(method) && b["code"] == code {
			n++
		}
	}
	return n
}

// sharedDataDir keeps the key file (and the SQLite database) in one place
// for two servers started one after the other on the same database.
func sharedDataDir(db storage.Config, dir string) func(*config) {
	return func(c *config) {
		if db.DataDir == "" {
			c.DataDir = dir
		}
	}
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

func TestBalanceCheckSufficiency(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme Lending")
		sk := keys.Sandbox.SecretKey
		good := balLink(t, ts, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth", "balance"}, "current")
		low := balLink(t, ts, keys, "sandbox-bank", "user_low", "pass_good", []string{"auth", "balance"})
		current := good.Accounts["current"]

		r := balCheck(ts, sk, map[string]any{"account_id": current, "amount": 250000})
		if r.Status != 200 || field(r.JSON, "data.sufficient") != true || num(field(r.JSON, "data.shortfall")) != 0 {
			t.Fatalf("250000 against ₦250,000.00: %d %s", r.Status, r.Body)
		}
		b := field(r.JSON, "data.balance").(map[string]any)
		if num(b["available_balance"]) != 250000 || num(b["ledger_balance"]) != 262500 || b["currency"] != "NGN" ||
			b["source"] != "cached" || b["as_of"] == "" || b["connected"] != true || b["record"] != good.Record ||
			field(b, "account._id") != current || field(b, "account.bank.slug") != "sandbox-bank" ||
			field(b, "customer.name") != "Ada Obi" || b["env"] != "production-sandbox" || b["owner"] != keys.Company.ID ||
			b["id"] == "" || b["id"] != b["_id"] {
			t.Fatalf("balance object: %s", r.Body)
		}
		// Exact in minor units: one kobo over is insufficient by one kobo.
		r = balCheck(ts, sk, map[string]any{"account_id": current, "amount": json.Number("250000.01")})
		if r.Status != 200 || field(r.JSON, "data.sufficient") != false || !strings.Contains(string(r.Body), `"shortfall":0.01`) {
			t.Fatalf("250000.01: %d %s", r.Status, r.Body)
		}
		r = balCheck(ts, sk, map[string]any{"account_id": low.Connected[0], "amount": 1000})
		if r.Status != 200 || field(r.JSON, "data.sufficient") != false || num(field(r.JSON, "data.shortfall")) != 500 {
			t.Fatalf("user_low 1000: %d %s", r.Status, r.Body)
		}
		// Without an amount: the balance only.
		r = balCheck(ts, sk, map[string]any{"account_id": current, "record_id": good.Record})
		if r.Status != 200 || field(r.JSON, "data.sufficient") != nil || field(r.JSON, "data.shortfall") != nil {
			t.Fatalf("check without amount: %d %s", r.Status, r.Body)
		}
		// Another currency is refused, naming the field.
		r = balCheck(ts, sk, map[string]any{"account_id": current, "amount": 1, "currency": "USD"})
		if r.Status != 400 || field(r.JSON, "field") != "currency" {
			t.Fatalf("USD amount against an NGN account: %d %s", r.Status, r.Body)
		}

		// The stored snapshots (from link time) through every list route.
		today := time.Now().UTC().Format(time.DateOnly)
		for _, q := range []struct {
			path string
			body map[string]any
			want int
		}{
			{"products/balances", map[string]any{}, 2},
			{"balance/getByAccount", map[string]any{"account_id": current}, 1},
			{"balance/getByCustomer", map[string]any{"customer": low.Customer}, 1},
			{"balance/getByDate", map[string]any{"from": today, "to": today}, 2},
			{"balance/getByCustomerDate", map[string]any{"customer": good.Customer, "from": today, "to": today}, 1},
			{"balance/getByDate", map[string]any{"from": "2020-01-01", "to": "2020-01-02"}, 0},
		} {
			r := ts.call("POST", "/v2/sandbox/"+q.path, sk, q.body)
			list, _ := field(r.JSON, "data.balance").([]any)
			if r.Status != 200 || len(list) != q.want || field(r.JSON, "data.pagination.totalDocs") != float64(q.want) {
				t.Fatalf("%s %v: want %d, got %d %s", q.path, q.body, q.want, r.Status, r.Body)
			}
		}
		r = ts.call("POST", "/v2/sandbox/balance/getByAccount", sk, map[string]any{"account_id": current})
		id := field(r.JSON, "data.balance").([]any)[0].(map[string]any)["id"].(string)
		r = ts.call("POST", "/v2/sandbox/balance/getById", sk, map[string]any{"id": id})
		if list, _ := field(r.JSON, "data.balance").([]any); r.Status != 200 || len(list) != 1 || field(list[0], "account._id") != current {
			t.Fatalf("balance/getById: %d %s", r.Status, r.Body)
		}
		if r := ts.call("POST", "/v2/sandbox/balance/getByAccount", sk, map[string]any{}); r.Status != 400 || field(r.JSON, "field") != "account_id" {
			t.Fatalf("getByAccount without account_id: %d %s", r.Status, r.Body)
		}
	})
}

func TestBalanceMaxAgeAndSharedPull(t *testing.T) {
	// The flaky bank answers every call after 400 ms, so concurrent checks
	// overlap the pull they should share.
	scenario := filepath.Join(t.TempDir(), "flaky-steady.json")
	if err := os.WriteFile(scenario, []byte(`{"banks":{"sandbox-flaky-bank":{"latency_ms":400,"failure_rate":0}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, sqliteConfig(t), func(c *config) { c.FakebankScenario = scenario })
	keys := ts.newCompany("Acme Lending")
	sk := keys.Sandbox.SecretKey
	// Linked for auth only: no balance is stored yet.
	l := balLink(t, ts, keys, "sandbox-flaky-bank", "user_good", "pass_good", []string{"auth"})
	current, savings := l.Accounts["current"], l.Accounts["savings"]
	calls := func() int { return connectorCalls(t, ts, "sandbox-flaky-bank") }

	before := calls()
	r := balCheck(ts, sk, map[string]any{"account_id": current})
	if r.Status != 200 || field(r.JSON, "data.balance.source") != "live" || num(field(r.JSON, "data.balance.available_balance")) != 250000 {
		t.Fatalf("first check: %d %s", r.Status, r.Body)
	}
	if n := calls() - before; n != 1 {
		t.Fatalf("first check made %d GetBalance calls, want 1", n)
	}
	// Fresh: served from the store, no call.
	for _, body := range []map[string]any{{"account_id": current}, {"account_id": current, "max_age": 60}} {
		r = balCheck(ts, sk, body)
		if r.Status != 200 || field(r.JSON, "data.balance.source") != "cached" || field(r.JSON, "data.balance.as_of") == "" {
			t.Fatalf("fresh check %v: %d %s", body, r.Status, r.Body)
		}
	}
	if n := calls() - before; n != 1 {
		t.Fatalf("fresh checks called the bank: %d calls", n)
	}
	// max_age 0 forces a live pull.
	r = balCheck(ts, sk, map[string]any{"account_id": current, "max_age": 0})
	if r.Status != 200 || field(r.JSON, "data.balance.source") != "live" {
		t.Fatalf("max_age 0: %d %s", r.Status, r.Body)
	}
	if n := calls() - before; n != 2 {
		t.Fatalf("max_age 0 made %d calls in all, want 2", n)
	}

	// A stale snapshot (an hour old) is pulled live, and 20 concurrent
	// checks of it share one call.
	acc, err := ts.Store.Accounts().Get(context.Background(), domain.Scope{CompanyID: keys.Company.ID, Env: domain.EnvSandbox}, savings)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().UTC().Add(-time.Hour)
	if err := ts.Store.Balances().Add(context.Background(), domain.Balance{
		ID: domain.NewID(), CompanyID: acc.CompanyID, Env: acc.Env, AccountID: acc.ID, RecordID: acc.RecordID,
		CustomerID: acc.CustomerID, Available: 1, Ledger: 1, Currency: "NGN", AsOf: old, CreatedAt: old,
	}); err != nil {
		t.Fatal(err)
	}
	before = calls()
	const n = 20
	var wg sync.WaitGroup
	answers := make([]response, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i] = balCheck(ts, sk, map[string]any{"account_id": savings, "amount": 1000000})
		}()
	}
	close(start)
	wg.Wait()
	live := 0
	for _, a := range answers {
		if a.Status != 200 || num(field(a.JSON, "data.balance.available_balance")) != 1200000 || field(a.JSON, "data.sufficient") != true {
			t.Fatalf("concurrent check: %d %s", a.Status, a.Body)
		}
		if field(a.JSON, "data.balance.source") == "live" {
			live++
		}
	}
	if got := calls() - before; got != 1 {
		t.Fatalf("%d concurrent checks of a stale account made %d GetBalance calls, want 1", n, got)
	}
	if live == 0 {
		t.Fatal("no concurrent check says live, yet the bank was called")
	}
	// The stale value was never presented: every answer has the new one.
}

func TestBalanceCheckRefusals(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Lending")
	sk := keys.Sandbox.SecretKey
	l := balLink(t, ts, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth", "balance"}, "current")
	current, savings := l.Accounts["current"], l.Accounts["savings"]
	other := ts.newCompany("Other Co")

	for _, tc := range []struct {
		name string
		path string
		key  string
		body map[string]any
	}{
		{"linked but not chosen", "/v2/sandbox/balance/check", sk, map[string]any{"account_id": savings}},
		{"another company's", "/v2/sandbox/balance/check", other.Sandbox.SecretKey, map[string]any{"account_id": current}},
		{"the other environment's", "/v2/balance/check", keys.Production.SecretKey, map[string]any{"account_id": current}},
		{"unknown", "/v2/sandbox/balance/check", sk, map[string]any{"account_id": domain.NewID()}},
		{"refresh of another company's", "/v2/sandbox/balance/refresh", other.Sandbox.SecretKey, map[string]any{"account_id": current}},
		{"refresh of one not chosen", "/v2/sandbox/balance/refresh", sk, map[string]any{"account_id": savings}},
	} {
		r := ts.call("POST", tc.path, tc.key, tc.body)
		if r.Status != 404 || field(r.JSON, "type") != "NOT_FOUND" {
			t.Errorf("%s: want 404, got %d %s", tc.name, r.Status, r.Body)
		}
	}
	// Another company's record is not found through the callback either.
	if r := ts.call("GET", "/v2/sandbox/callback?record="+l.Record+"&method=BALANCE", other.Sandbox.SecretKey, nil); r.Status != 404 {
		t.Errorf("another company's BALANCE callback: %d %s", r.Status, r.Body)
	}

	for _, tc := range []struct {
		body  string
		field string
	}{
		{`{"account_id":"` + current + `","amount":-1}`, "amount"},
		{`{"account_id":"` + current + `","amount":1.234}`, "amount"},
		{`{"account_id":"` + current + `","amount":"100"}`, "amount"},
		{`{"account_id":"` + current + `","amount":1e3}`, "amount"},
		{`{"account_id":"` + current + `","amount":true}`, "amount"},
		{`{"account_id":"` + current + `","max_age":-1}`, "max_age"},
		{`{"account_id":"` + current + `","max_age":1.5}`, "max_age"},
		{`{"account_id":"` + current + `","max_age":"60"}`, "max_age"},
		{`{"amount":10}`, "account_id"},
		{`{"account_id":"nope"}`, "account_id"},
		{`{"account_id":42}`, "account_id"},
		{`{"account_id":"` + current + `","record_id":"nope"}`, "record_id"},
	} {
		r := ts.call("POST", "/v2/sandbox/balance/check", sk, tc.body)
		if r.Status != 400 || field(r.JSON, "field") != tc.field || !strings.Contains(field(r.JSON, "message").(string), tc.field) {
			t.Errorf("%s: want 400 naming %s, got %d %s", tc.body, tc.field, r.Status, r.Body)
		}
	}
	if r := ts.call("POST", "/v2/sandbox/balance/refresh", sk, `{}`); r.Status != 400 || field(r.JSON, "field") != "account_id" {
		t.Errorf("refresh without account_id: %d %s", r.Status, r.Body)
	}
}

func TestBalanceTokenRequired(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, func(c *config) { c.AllowPrivateWebhooks = true })
		keys := ts.newCompany("Acme Lending")
		sk := keys.Sandbox.SecretKey
		sink := newWebhookSink(t)
		sink.register(t, ts, sk)

		l := balLink(t, ts, keys, "sandbox-bank", "user_good", "pass_expired_session", []string{"auth"}, "current")
		current := l.Accounts["current"]
		r := balCheck(ts, sk, map[string]any{"account_id": current, "amount": 100})
		if r.Status != 409 || field(r.JSON, "type") != "TOKEN_REQUIRED" || strings.Contains(string(r.Body), "available_balance") {
			t.Fatalf("check with an expired session: want 409 TOKEN_REQUIRED, got %d %s", r.Status, r.Body)
		}
		r = ts.call("POST", "/v2/sandbox/products/records/get", sk, map[string]any{"record_id": l.Record})
		if st := field(r.JSON, "data.records.status"); st != "token_required" {
			t.Fatalf("record status %v, want token_required: %s", st, r.Body)
		}
		ev := sink.wait(t, "RECORD", "TOKEN_REQUIRED", l.Record)
		if ev["customerId"] != l.Customer || ev["env"] != "production-sandbox" || ev["bankName"] == "" {
			t.Fatalf("RECORD webhook: %v", ev)
		}
		// Asking again answers the same, without telling the company twice.
		if r := balCheck(ts, sk, map[string]any{"account_id": current, "max_age": 0}); r.Status != 409 || field(r.JSON, "type") != "TOKEN_REQUIRED" {
			t.Fatalf("second check: %d %s", r.Status, r.Body)
		}

		// The customer logs in again with the same username: the same
		// record gets a fresh session and the check works again.
		again := balLink(t, ts, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth"}, "current")
		if again.Record != l.Record {
			t.Fatalf("relink made record %s, want %s", again.Record, l.Record)
		}
		r = balCheck(ts, sk, map[string]any{"account_id": current, "amount": 100})
		if r.Status != 200 || field(r.JSON, "data.balance.source") != "live" || field(r.JSON, "data.sufficient") != true {
			t.Fatalf("check after relink: %d %s", r.Status, r.Body)
		}
		if n := sink.count("RECORD", "TOKEN_REQUIRED"); n != 1 {
			t.Fatalf("%d TOKEN_REQUIRED webhooks, want 1", n)
		}
	})
}

// pollCallback GETs the callback URL until its latest refresh finished.
func pollCallback(t *testing.T, ts *testServer, key, callbackURL string) response {
	t.Helper()
	u, err := url.Parse(callbackURL)
	if err != nil {
		t.Fatalf("callback URL %q: %v", callbackURL, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := ts.call("GET", u.RequestURI(), key, nil)
		if r.Status != 200 {
			t.Fatalf("callback: %d %s", r.Status, r.Body)
		}
		if st := field(r.JSON, "data.status.refresh"); st == domain.JobDone || st == domain.JobFailed {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refresh never finished: %s", r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBalanceRefresh(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, func(c *config) { c.AllowPrivateWebhooks = true })
		keys := ts.newCompany("Acme Lending")
		sk := keys.Sandbox.SecretKey
		sink := newWebhookSink(t)
		sink.register(t, ts, sk)
		l := balLink(t, ts, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth", "balance"}, "current", "savings")

		r := ts.call("POST", "/v2/sandbox/balance/refresh", sk, map[string]any{"account_id": l.Accounts["current"]})
		want := ts.URL + "/v2/sandbox/callback?record=" + l.Record + "&method=BALANCE"
		if r.Status != 200 || field(r.JSON, "message") != "Balance checking..." || field(r.JSON, "data.callback_url") != want ||
			field(r.JSON, "data.record") != l.Record || field(r.JSON, "data.method") != "BALANCE" {
			t.Fatalf("refresh: %d %s (want callback %s)", r.Status, r.Body, want)
		}
		cb := pollCallback(t, ts, sk, field(r.JSON, "data.callback_url").(string))
		if field(cb.JSON, "data.product") != "balance" || field(cb.JSON, "data.record") != l.Record ||
			field(cb.JSON, "data.status.refresh") != "done" || field(cb.JSON, "data.balance.source") != "live" ||
			num(field(cb.JSON, "data.balance.available_balance")) != 250000 || field(cb.JSON, "data.balance.account._id") != l.Accounts["current"] {
			t.Fatalf("callback: %s", cb.Body)
		}
		if bs := field(cb.JSON, "data.balances").([]any); len(bs) != 2 {
			t.Fatalf("callback balances: want both connected accounts, got %s", cb.Body)
		}
		ev := sink.wait(t, "BALANCE", "BALANCE_SUCCESS", l.Record)
		if field(ev, "balance.account._id") != l.Accounts["current"] || num(field(ev, "balance.available_balance")) != 250000 {
			t.Fatalf("BALANCE webhook: %v", ev)
		}
		// A production key reaches the production callback only.
		if r := ts.call("GET", "/v2/callback?record="+l.Record+"&method=BALANCE", keys.Production.SecretKey, nil); r.Status != 404 {
			t.Fatalf("production callback of a sandbox record: %d %s", r.Status, r.Body)
		}
	})
}

// TestBalanceRefreshSurvivesRestart: a refresh queued on an instance that
// stops before running it is run by the next instance on the database.
func TestBalanceRefreshSurvivesRestart(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		dir := t.TempDir()
		paused := fx.Decorate(func(c balance.Config) balance.Config { c.Worker.Disabled = true; return c })
		first, stop := startStoppable(t, db, sharedDataDir(db, dir), paused)
		keys := first.newCompany("Acme Lending")
		sk := keys.Sandbox.SecretKey
		l := balLink(t, first, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth"}, "current")
		r := first.call("POST", "/v2/sandbox/balance/refresh", sk, map[string]any{"account_id": l.Accounts["current"]})
		if r.Status != 200 {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
		cb := first.call("GET", "/v2/sandbox/callback?record="+l.Record+"&method=BALANCE", sk, nil)
		if field(cb.JSON, "data.status.refresh") != "pending" || field(cb.JSON, "data.status.process.running") != true || field(cb.JSON, "data.balance") != nil {
			t.Fatalf("callback before any worker ran: %s", cb.Body)
		}
		stop()

		second := startServer(t, db, sharedDataDir(db, dir))
		cb = pollCallback(t, second, sk, "/v2/sandbox/callback?record="+l.Record+"&method=BALANCE")
		if field(cb.JSON, "data.status.refresh") != "done" || num(field(cb.JSON, "data.balance.available_balance")) != 250000 {
			t.Fatalf("callback after restart: %s", cb.Body)
		}
	})
}

// TestBalanceBankTimeout: a bank that does not answer within the deadline
// costs the check a 504, never a stale balance dressed as fresh.
func TestBalanceBankTimeout(t *testing.T) {
	db := sqliteConfig(t)
	dir := t.TempDir()
	quick := filepath.Join(dir, "flaky-quick.json")
	if err := os.WriteFile(quick, []byte(`{"banks":{"sandbox-flaky-bank":{"latency_ms":0,"failure_rate":0}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	first, stop := startStoppable(t, db, func(c *config) { c.FakebankScenario = quick })
	keys := first.newCompany("Acme Lending")
	sk := keys.Sandbox.SecretKey
	l := balLink(t, first, keys, "sandbox-flaky-bank", "user_good", "pass_good", []string{"auth", "balance"}, "current")
	stop()

	const deadline = 2 * time.Second
	slow := filepath.Join(repoRoot(t), "testdata", "fakebank", "flaky-slow.json")
	ts := startServer(t, db, func(c *config) { c.FakebankScenario = slow; c.BankTimeout = deadline })
	current := l.Accounts["current"]
	began := time.Now()
	r := balCheck(ts, sk, map[string]any{"account_id": current, "amount": 100, "max_age": 0})
	took := time.Since(began)
	if r.Status != 504 || field(r.JSON, "type") != "BANK_TIMEOUT" {
		t.Fatalf("check against a bank that hangs: want 504 BANK_TIMEOUT, got %d %s", r.Status, r.Body)
	}
	if took < deadline || took > deadline+5*time.Second {
		t.Fatalf("the 504 came after %s; the deadline is %s", took, deadline)
	}
	if strings.Contains(string(r.Body), "available_balance") || strings.Contains(string(r.Body), `"live"`) {
		t.Fatalf("the timeout answer carries a balance: %s", r.Body)
	}
	// The stored balance is still served when the caller accepts its age,
	// and it says so.
	r = balCheck(ts, sk, map[string]any{"account_id": current})
	if r.Status != 200 || field(r.JSON, "data.balance.source") != "cached" {
		t.Fatalf("cached check: %d %s", r.Status, r.Body)
	}
	stored, err := time.Parse(time.RFC3339, field(r.JSON, "data.balance.as_of").(string))
	if err != nil || stored.After(began) {
		t.Fatalf("cached as_of %v is not the link-time snapshot's (before %s)", field(r.JSON, "data.balance.as_of"), began)
	}
}
