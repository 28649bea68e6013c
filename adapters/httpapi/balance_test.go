package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/core/balance"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/jobs"
	"github.com/bankauth/bankauth/core/reads"
)

// fakeBalances records the check it was asked and answers a fixed balance.
type fakeBalances struct {
	req balance.CheckRequest
	err error
}

func (f *fakeBalances) Check(_ context.Context, _ domain.Scope, req balance.CheckRequest) (balance.CheckResult, error) {
	f.req = req
	if f.err != nil {
		return balance.CheckResult{}, f.err
	}
	res := balance.CheckResult{View: reads.Balance{
		Balance: domain.Balance{ID: "0123456789abcdef01234567", Available: 25_000_000, Ledger: 26_250_000, Currency: "NGN"},
		Account: domain.Account{ID: req.AccountID, Connected: true}, Source: domain.SourceLive,
	}}
	if req.Amount != nil {
		ok, short := balance.Sufficiency(res.View.Balance.Available, *req.Amount)
		res.Sufficient, res.Shortfall = &ok, &short
	}
	return res, nil
}

func (f *fakeBalances) Refresh(context.Context, domain.Scope, domain.ID) (jobs.Started, error) {
	return jobs.Started{}, f.err
}

func (f *fakeBalances) RefreshResult(context.Context, domain.Scope, domain.ID) (balance.Callback, error) {
	return balance.Callback{}, f.err
}

func (f *fakeBalances) Balances(context.Context, domain.Scope, domain.ListFilter) ([]reads.Balance, int, error) {
	return nil, 0, f.err
}

func (f *fakeBalances) Balance(context.Context, domain.Scope, domain.ID) (reads.Balance, error) {
	return reads.Balance{}, f.err
}

func callBalanceCheck(t *testing.T, svc BalanceService, body string) (int, map[string]any, []byte) {
	t.Helper()
	var route *Route
	for _, rt := range BalanceRoutes(svc) {
		if rt.Path == "balance/check" {
			route = &rt
		}
	}
	if route == nil {
		t.Fatal("no balance/check route")
	}
	req := httptest.NewRequest(http.MethodPost, SandboxBase+"balance/check", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(withCaller(req.Context(), Caller{Company: domain.Company{ID: "0123456789abcdef01234567"}, Env: domain.EnvSandbox}))
	rec := httptest.NewRecorder()
	route.Handler(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("non-JSON answer %q", rec.Body.String())
	}
	return rec.Code, out, rec.Body.Bytes()
}

func TestBalanceCheckInput(t *testing.T) {
	const acc = `"account_id":"aaaaaaaaaaaaaaaaaaaaaaaa"`
	tests := []struct {
		body       string
		wantStatus int
		wantField  string
		wantAmount string // minor units as the service saw them, "" for none
		wantMaxAge string
	}{
		{`{` + acc + `}`, 200, "", "", ""},
		{`{` + acc + `,"amount":250000.01,"max_age":0}`, 200, "", "25000001", "0"},
		{`{` + acc + `,"amount":0}`, 200, "", "0", ""},
		{`{` + acc + `,"amount":1500.5,"record_id":null,"extra":1}`, 200, "", "150050", ""},
		{`{` + acc + `,"amount":null,"max_age":null}`, 200, "", "", ""},
		{`{` + acc + `,"amount":-0.01}`, 400, "amount", "", ""},
		{`{` + acc + `,"amount":1.001}`, 400, "amount", "", ""},
		{`{` + acc + `,"amount":"1"}`, 400, "amount", "", ""},
		{`{` + acc + `,"amount":2e5}`, 400, "amount", "", ""},
		{`{` + acc + `,"amount":{}}`, 400, "amount", "", ""},
		{`{` + acc + `,"max_age":-5}`, 400, "max_age", "", ""},
		{`{` + acc + `,"max_age":2.5}`, 400, "max_age", "", ""},
		{`{` + acc + `,"max_age":true}`, 400, "max_age", "", ""},
		{`{}`, 400, "account_id", "", ""},
		{`{"account_id":""}`, 400, "account_id", "", ""},
		{`{"account_id":"ZZ"}`, 400, "account_id", "", ""},
		{`{"account_id":["a"]}`, 400, "account_id", "", ""},
		{`{` + acc + `,"record_id":7}`, 400, "record_id", "", ""},
		{`{` + acc + `,"currency":7}`, 400, "currency", "", ""},
		{`[1]`, 400, "", "", ""},
	}
	for _, tc := range tests {
		f := &fakeBalances{}
		status, out, raw := callBalanceCheck(t, f, tc.body)
		if status != tc.wantStatus {
			t.Errorf("%s: status %d, want %d: %s", tc.body, status, tc.wantStatus, raw)
			continue
		}
		if tc.wantStatus != 200 {
			if tc.wantField != "" && (out["field"] != tc.wantField || !strings.Contains(out["message"].(string), tc.wantField)) {
				t.Errorf("%s: the error does not name %s: %s", tc.body, tc.wantField, raw)
			}
			continue
		}
		if got := minorString(f.req.Amount); got != tc.wantAmount {
			t.Errorf("%s: amount %s, want %s", tc.body, got, tc.wantAmount)
		}
		if got := intString(f.req.MaxAge); got != tc.wantMaxAge {
			t.Errorf("%s: max_age %s, want %s", tc.body, got, tc.wantMaxAge)
		}
	}
	// The answer: exact major units, source and sufficiency.
	_, out, raw := callBalanceCheck(t, &fakeBalances{}, `{"account_id":"aaaaaaaaaaaaaaaaaaaaaaaa","amount":250000.01}`)
	if !strings.Contains(string(raw), `"available_balance":250000,`) || !strings.Contains(string(raw), `"shortfall":0.01`) ||
		balField(out, "data.sufficient") != false || balField(out, "data.balance.source") != "live" {
		t.Fatalf("check answer: %s", raw)
	}
	// Service errors map through the error table.
	status, out, raw := callBalanceCheck(t, &fakeBalances{err: &domain.Error{Kind: domain.KindTokenRequired, Code: "TOKEN_REQUIRED", Message: "log in again"}},
		`{"account_id":"aaaaaaaaaaaaaaaaaaaaaaaa"}`)
	if status != 409 || out["type"] != "TOKEN_REQUIRED" {
		t.Fatalf("token required: %d %s", status, raw)
	}
}

// balField digs a value out of decoded JSON by dotted path.
func balField(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func minorString(m *domain.Minor) string {
	if m == nil {
		return ""
	}
	return strings.TrimSpace(jsonString(int64(*m)))
}

func intString(n *int) string {
	if n == nil {
		return ""
	}
	return jsonString(*n)
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestBalanceSchemasResolve: every $ref in the balance schemas names a
// schema that exists once they are merged, and every schema a balance
// route names exists now.
func TestBalanceSchemasResolve(t *testing.T) {
	all := schemas()
	for name, s := range balanceSchemas() {
		all[name] = s
	}
	raw, err := json.Marshal(balanceSchemas())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"\$ref":"#/components/schemas/([A-Za-z]+)"`).FindAllStringSubmatch(string(raw), -1) {
		if all[m[1]] == nil {
			t.Errorf("balance schema refers to missing %s", m[1])
		}
	}
	now := schemas()
	for _, rt := range BalanceRoutes(&fakeBalances{}) {
		for _, name := range []string{rt.Request, rt.Response} {
			if name != "" && now[name] == nil {
				t.Errorf("route %s names missing schema %s", rt.Path, name)
			}
		}
	}
}
