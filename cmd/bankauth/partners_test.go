package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/bankauth/bankauth/adapters/delivery"
	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/company"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/partners"
)

// partnerServer is a test server with the partners service at hand.
type partnerServer struct {
	*testServer
	Partners *partners.Service
}

func startPartnerServer(t *testing.T, db storage.Config, tweak func(*config)) partnerServer {
	t.Helper()
	var svc *partners.Service
	ts := startServer(t, db, tweak, fx.Populate(&svc))
	return partnerServer{testServer: ts, Partners: svc}
}

func (ps partnerServer) newPartner(t *testing.T, name string) partners.Created {
	t.Helper()
	p, err := ps.Partners.Create(context.Background(), name)
	if err != nil {
		t.Fatalf("create partner: %v", err)
	}
	return p
}

// createToken asks for a processor token as the company and returns it
// with its id.
func createToken(t *testing.T, ts *testServer, companyKey, accountID, partnerID string, scopes ...string) (token, id string) {
	t.Helper()
	r := ts.call("POST", "/v2/sandbox/processor/tokens/create", companyKey,
		map[string]any{"account_id": accountID, "partner_id": partnerID, "scopes": scopes})
	if r.Status != 200 {
		t.Fatalf("processor/tokens/create: %d %s", r.Status, r.Body)
	}
	token, _ = field(r.JSON, "data.processor_token").(string)
	id, _ = field(r.JSON, "data.id").(string)
	if !strings.HasPrefix(token, "ptok_test_") || len(token) != len("ptok_test_")+72 || !domain.ValidID(id) {
		t.Fatalf("processor token %q (id %q): want ptok_test_ and 72 hex characters", token, id)
	}
	return token, id
}

func redeem(ts *testServer, base, partnerKey, product string, body map[string]any) response {
	return ts.call("POST", base+"processor/"+product+"/get", partnerKey, body)
}

// withoutRequestID is an error body with its request id left out, so two
// answers can be compared.
func withoutRequestID(t *testing.T, r response) string {
	t.Helper()
	if r.JSON == nil || field(r.JSON, "request_id") == "" {
		t.Fatalf("not an error body with a request id: %d %s", r.Status, r.Body)
	}
	m := map[string]any{}
	for k, v := range r.JSON {
		if k != "request_id" {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestProcessorTokenAuthAndBalance(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ps := startPartnerServer(t, db, nil)
		keys := ps.newCompany("Acme Lending")
		sk := keys.Sandbox.SecretKey
		p := ps.newPartner(t, "Paystack")
		pk := p.Sandbox.SecretKey
		l := balLink(t, ps.testServer, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth"}, "current")
		current := l.Accounts["current"]
		token, tokenID := createToken(t, ps.testServer, sk, current, p.Partner.ID, "auth", "balance")

		r := redeem(ps.testServer, "/v2/sandbox/", pk, "auth", map[string]any{"processor_token": token})
		if r.Status != 200 {
			t.Fatalf("processor/auth/get: %d %s", r.Status, r.Body)
		}
		nuban, _ := field(r.JSON, "data.account.nuban").(string)
		code, _ := field(r.JSON, "data.bank.code").(string)
		if code != "901" || !domain.ValidNUBAN(code, nuban) {
			t.Fatalf("NUBAN %q does not verify against bank code %q: %s", nuban, code, r.Body)
		}
		for path, want := range map[string]any{
			"data.account.id": current, "data.account.type": "current", "data.account.currency": "NGN",
			"data.account.name": "Ada Obi", "data.owner.name": "Ada Obi", "data.validated": true,
			"data.bank.slug": "sandbox-bank", "data.bank.name": "Sandbox Bank", "data.processor_token_id": tokenID,
		} {
			if got := field(r.JSON, path); got != want {
				t.Errorf("%s = %v, want %v", path, got, want)
			}
		}

		// Exact sufficiency: ₦250,000.00 available.
		for _, tc := range []struct {
			amount     any
			sufficient bool
			shortfall  float64
		}{
			{json.Number("250000.01"), false, 0.01},
			{json.Number("250000"), true, 0},
			{json.Number("1300000.5"), false, 1050000.5},
		} {
			r := redeem(ps.testServer, "/v2/sandbox/", pk, "balance", map[string]any{"processor_token": token, "amount": tc.amount})
			if r.Status != 200 || field(r.JSON, "data.sufficient") != tc.sufficient || num(field(r.JSON, "data.shortfall")) != tc.shortfall {
				t.Fatalf("amount %v: want sufficient %v, shortfall %v; got %d %s", tc.amount, tc.sufficient, tc.shortfall, r.Status, r.Body)
			}
			if num(field(r.JSON, "data.balance.available_balance")) != 250000 || field(r.JSON, "data.balance.account.nuban") != nuban {
				t.Fatalf("balance: %s", r.Body)
			}
		}
		// The freshness contract: a second check within max_age is served
		// from the stored snapshot; max_age 0 pulls live.
		if r := redeem(ps.testServer, "/v2/sandbox/", pk, "balance", map[string]any{"processor_token": token, "max_age": 300}); field(r.JSON, "data.balance.source") != "cached" {
			t.Fatalf("within max_age: %s", r.Body)
		}
		if r := redeem(ps.testServer, "/v2/sandbox/", pk, "balance", map[string]any{"processor_token": token, "max_age": 0}); field(r.JSON, "data.balance.source") != "live" {
			t.Fatalf("max_age 0: %s", r.Body)
		}
		for _, tc := range []struct{ body, field string }{
			{`{"processor_token":"` + token + `","amount":"12"}`, "amount"},
			{`{"processor_token":"` + token + `","max_age":-1}`, "max_age"},
			{`{"processor_token":42}`, "processor_token"},
			{`{}`, "processor_token"},
		} {
			if r := redeem(ps.testServer, "/v2/sandbox/", pk, "balance", nil); r.Status != 400 {
				t.Fatalf("empty body: %d %s", r.Status, r.Body)
			}
			r := ps.call("POST", "/v2/sandbox/processor/balance/get", pk, tc.body)
			if r.Status != 400 || field(r.JSON, "field") != tc.field {
				t.Errorf("%s: want 400 naming %s, got %d %s", tc.body, tc.field, r.Status, r.Body)
			}
		}

		// Identity was not granted.
		r = redeem(ps.testServer, "/v2/sandbox/", pk, "identity", map[string]any{"processor_token": token})
		if r.Status != 403 || field(r.JSON, "code") != partners.CodeScopeNotGranted || field(r.JSON, "type") != "FORBIDDEN" {
			t.Fatalf("identity without the scope: want 403 SCOPE_NOT_GRANTED, got %d %s", r.Status, r.Body)
		}

		// A token granting identity answers the owner's name.
		idToken, _ := createToken(t, ps.testServer, sk, current, p.Partner.ID, "identity")
		r = redeem(ps.testServer, "/v2/sandbox/", pk, "identity", map[string]any{"processor_token": idToken})
		if r.Status != 200 || field(r.JSON, "data.identity.fullname") != "Ada Obi" || field(r.JSON, "data.complete") != false {
			t.Fatalf("identity: %d %s", r.Status, r.Body)
		}
		if r := redeem(ps.testServer, "/v2/sandbox/", pk, "auth", map[string]any{"processor_token": idToken}); r.Status != 403 {
			t.Fatalf("auth with an identity-only token: %d %s", r.Status, r.Body)
		}

		// Six redemptions of the first token were granted (auth, five
		// balance checks); the refused identity is not one.
		r = ps.call("POST", "/v2/sandbox/processor/tokens/list", sk, map[string]any{})
		if r.Status != 200 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		var first map[string]any
		for _, it := range field(r.JSON, "data.tokens").([]any) {
			if field(it, "id") == tokenID {
				first = it.(map[string]any)
			}
		}
		if first == nil || num(first["redemptions"]) != 6 || first["last_used_at"] == nil || first["revoked"] != false {
			t.Fatalf("listed token: %v (%s)", first, r.Body)
		}
		reds, err := ps.Store.ProcessorTokens().Redemptions(context.Background(), domain.Scope{CompanyID: keys.Company.ID, Env: domain.EnvSandbox}, tokenID)
		if err != nil || len(reds) != 6 || reds[0].PartnerID != p.Partner.ID || reds[len(reds)-1].Product != domain.ProductAuth {
			t.Fatalf("recorded redemptions: %v %+v", err, reds)
		}
	})
}

func TestProcessorTokenIsolation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ps := startPartnerServer(t, db, nil)
		keys := ps.newCompany("Acme Lending")
		sk := keys.Sandbox.SecretKey
		p := ps.newPartner(t, "Paystack")
		q := ps.newPartner(t, "Flutterwave")
		l := balLink(t, ps.testServer, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth"}, "current")
		current := l.Accounts["current"]
		token, _ := createToken(t, ps.testServer, sk, current, p.Partner.ID, "auth", "balance")
		revoked, revokedID := createToken(t, ps.testServer, sk, current, p.Partner.ID, "auth")
		if r := ps.call("POST", "/v2/sandbox/processor/tokens/revoke", sk, map[string]any{"processor_token": revoked}); r.Status != 200 || field(r.JSON, "data.revoked") != true {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if r := redeem(ps.testServer, "/v2/sandbox/", p.Sandbox.SecretKey, "auth", map[string]any{"processor_token": token}); r.Status != 200 {
			t.Fatalf("the partner's own token: %d %s", r.Status, r.Body)
		}

		unknown := domain.NewSecret("ptok_test_", 32)
		cases := []struct {
			name, base, key, token string
		}{
			{"another partner's token", "/v2/sandbox/", q.Sandbox.SecretKey, token},
			{"an unknown token", "/v2/sandbox/", p.Sandbox.SecretKey, unknown},
			{"a revoked token", "/v2/sandbox/", p.Sandbox.SecretKey, revoked},
			{"a sandbox token on /v2/", "/v2/", p.Production.SecretKey, token},
			{"a malformed token", "/v2/sandbox/", p.Sandbox.SecretKey, "ptok_test_nope"},
		}
		var want string
		ids := map[string]bool{}
		for _, product := range []string{"auth", "balance"} {
			for _, tc := range cases {
				r := redeem(ps.testServer, tc.base, tc.key, product, map[string]any{"processor_token": tc.token})
				if r.Status != 404 {
					t.Fatalf("%s, %s: want 404, got %d %s", product, tc.name, r.Status, r.Body)
				}
				body := withoutRequestID(t, r)
				if want == "" {
					want = body
				}
				if body != want {
					t.Errorf("%s, %s: body %s differs from %s", product, tc.name, body, want)
				}
				ids[field(r.JSON, "request_id").(string)] = true
			}
		}
		if len(ids) != 2*len(cases) {
			t.Errorf("request ids repeat: %v", ids)
		}

		// Keys never cross: a company's key on partner routes, a partner's
		// on company routes, either on the other environment.
		for _, tc := range []struct {
			name, method, path, key, typ string
		}{
			{"company key on a partner route", "POST", "/v2/sandbox/processor/auth/get", sk, "UNAUTHORIZED"},
			{"company public key on a partner route", "POST", "/v2/sandbox/processor/balance/get", keys.Sandbox.PublicKey, "UNAUTHORIZED"},
			{"partner key on processor/tokens/list", "POST", "/v2/sandbox/processor/tokens/list", p.Sandbox.SecretKey, "UNAUTHORIZED"},
			{"partner key on processor/tokens/create", "POST", "/v2/sandbox/processor/tokens/create", p.Sandbox.SecretKey, "UNAUTHORIZED"},
			{"partner key on products/accounts", "POST", "/v2/sandbox/products/accounts", p.Sandbox.SecretKey, "UNAUTHORIZED"},
			{"partner key on balance/check", "POST", "/v2/sandbox/balance/check", p.Sandbox.SecretKey, "UNAUTHORIZED"},
			{"production partner key on sandbox", "POST", "/v2/sandbox/processor/auth/get", p.Production.SecretKey, "ENV"},
			{"no key", "POST", "/v2/sandbox/processor/auth/get", "", "UNAUTHORIZED"},
		} {
			r := ps.call(tc.method, tc.path, tc.key, map[string]any{"processor_token": token, "account_id": current})
			if r.Status != 401 || field(r.JSON, "type") != tc.typ {
				t.Errorf("%s: want 401 %s, got %d %s", tc.name, tc.typ, r.Status, r.Body)
			}
		}

		// Another company can neither hand out, see nor revoke these.
		other := ps.newCompany("Other Co").Sandbox.SecretKey
		if r := ps.call("POST", "/v2/sandbox/processor/tokens/create", other,
			map[string]any{"account_id": current, "partner_id": p.Partner.ID, "scopes": []string{"auth"}}); r.Status != 404 {
			t.Errorf("another company's account: %d %s", r.Status, r.Body)
		}
		if r := ps.call("POST", "/v2/sandbox/processor/tokens/list", other, map[string]any{}); r.Status != 200 || len(field(r.JSON, "data.tokens").([]any)) != 0 {
			t.Errorf("another company lists: %d %s", r.Status, r.Body)
		}
		for _, body := range []map[string]any{{"processor_token": token}, {"id": revokedID}} {
			if r := ps.call("POST", "/v2/sandbox/processor/tokens/revoke", other, body); r.Status != 404 {
				t.Errorf("another company revokes %v: %d %s", body, r.Status, r.Body)
			}
		}
		// Bad requests name the field.
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"partner_id": p.Partner.ID, "scopes": []string{"auth"}}, "account_id"},
			{map[string]any{"account_id": current, "scopes": []string{"auth"}}, "partner_id"},
			{map[string]any{"account_id": current, "partner_id": p.Partner.ID}, "scopes"},
			{map[string]any{"account_id": current, "partner_id": p.Partner.ID, "scopes": []string{"transfer"}}, "scopes"},
			{map[string]any{"account_id": current, "partner_id": p.Partner.ID, "scopes": "auth"}, "scopes"},
		} {
			if r := ps.call("POST", "/v2/sandbox/processor/tokens/create", sk, tc.body); r.Status != 400 || field(r.JSON, "field") != tc.field {
				t.Errorf("%v: want 400 naming %s, got %d %s", tc.body, tc.field, r.Status, r.Body)
			}
		}
		if r := ps.call("POST", "/v2/sandbox/processor/tokens/create", sk,
			map[string]any{"account_id": current, "partner_id": domain.NewID(), "scopes": []string{"auth"}}); r.Status != 404 {
			t.Errorf("unknown partner: %d %s", r.Status, r.Body)
		}
		// Nothing secret reached the logs.
		for _, secret := range []string{token, revoked, p.Sandbox.SecretKey, p.Production.SecretKey, q.Sandbox.SecretKey} {
			if strings.Contains(ps.Logs.String(), secret) {
				t.Fatalf("a processor token or partner key is in the logs")
			}
		}
	})
}

// The list shows redemptions and never the token; revocation on one
// instance holds on the other at once.
func TestProcessorTokenRevokedOnEveryInstance(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		shared := sharedDataDir(db, t.TempDir())
		var svc *partners.Service
		a := startServer(t, db, shared, fx.Populate(&svc))
		b := startServer(t, db, shared)
		keys := a.newCompany("Acme Lending")
		sk := keys.Sandbox.SecretKey
		p, err := svc.Create(context.Background(), "Paystack")
		if err != nil {
			t.Fatal(err)
		}
		l := balLink(t, a, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth"})
		token, id := createToken(t, a, sk, l.Accounts["savings"], p.Partner.ID, "auth")
		for i := 0; i < 2; i++ {
			if r := redeem(b, "/v2/sandbox/", p.Sandbox.SecretKey, "auth", map[string]any{"processor_token": token}); r.Status != 200 {
				t.Fatalf("redeem on the other instance: %d %s", r.Status, r.Body)
			}
		}
		r := a.call("POST", "/v2/sandbox/processor/tokens/list", sk, map[string]any{"page": 1, "limit": 10})
		if r.Status != 200 || strings.Contains(string(r.Body), token) || strings.Contains(string(r.Body), token[len("ptok_test_"):]) {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		got := field(r.JSON, "data.tokens").([]any)
		if len(got) != 1 || field(got[0], "id") != id || num(field(got[0], "redemptions")) != 2 || field(got[0], "last_used_at") == nil ||
			field(got[0], "partner_id") != p.Partner.ID || field(got[0], "account_id") != l.Accounts["savings"] {
			t.Fatalf("listed tokens: %s", r.Body)
		}
		if num(field(r.JSON, "data.pagination.totalDocs")) != 1 {
			t.Fatalf("pagination: %s", r.Body)
		}
		if r := a.call("POST", "/v2/sandbox/processor/tokens/revoke", sk, map[string]any{"id": id}); r.Status != 200 {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if r := redeem(b, "/v2/sandbox/", p.Sandbox.SecretKey, "auth", map[string]any{"processor_token": token}); r.Status != 404 {
			t.Fatalf("right after revocation elsewhere: want 404, got %d %s", r.Status, r.Body)
		}
		// Revoking again is no change.
		if r := b.call("POST", "/v2/sandbox/processor/tokens/revoke", sk, map[string]any{"processor_token": token}); r.Status != 200 || field(r.JSON, "data.revoked") != true {
			t.Fatalf("revoke again: %d %s", r.Status, r.Body)
		}
		// The token is kept only as a hash, also in the stored idempotent
		// answers.
		if bytes.Contains(dumpTables(t, a.Store), []byte(token[len("ptok_test_"):])) {
			t.Fatal("the processor token is stored in plain text")
		}
	})
}

// A same-key retry of processor/tokens/create replays the one token
// (stored sealed), never a second one.
func TestProcessorTokenCreateIsIdempotent(t *testing.T) {
	ps := startPartnerServer(t, sqliteConfig(t), nil)
	keys := ps.newCompany("Acme Lending")
	sk := keys.Sandbox.SecretKey
	p := ps.newPartner(t, "Paystack")
	l := balLink(t, ps.testServer, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth"}, "current")
	body := map[string]any{"account_id": l.Accounts["current"], "partner_id": p.Partner.ID, "scopes": []string{"auth"}}
	first := ps.call("POST", "/v2/sandbox/processor/tokens/create", sk, body, "Idempotency-Key", "tok-1")
	again := ps.call("POST", "/v2/sandbox/processor/tokens/create", sk, body, "Idempotency-Key", "tok-1")
	if first.Status != 200 || again.Status != 200 || again.Header.Get("Idempotent-Replayed") != "true" ||
		field(first.JSON, "data.processor_token") != field(again.JSON, "data.processor_token") {
		t.Fatalf("replay: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
	}
	token := field(first.JSON, "data.processor_token").(string)
	if bytes.Contains(dumpTables(t, ps.Store), []byte(token[len("ptok_test_"):])) {
		t.Fatal("the replayable answer keeps the token in plain text")
	}
	body["scopes"] = []string{"balance"}
	if r := ps.call("POST", "/v2/sandbox/processor/tokens/create", sk, body, "Idempotency-Key", "tok-1"); r.Status != 409 {
		t.Fatalf("same key, other body: %d %s", r.Status, r.Body)
	}
}

func TestPartnerKeysAreRateLimited(t *testing.T) {
	ps := startPartnerServer(t, sqliteConfig(t), func(c *config) { c.RateLimit, c.RateBurst = 0.001, 2 })
	p := ps.newPartner(t, "Paystack")
	q := ps.newPartner(t, "Flutterwave")
	body := map[string]any{"processor_token": domain.NewSecret("ptok_test_", 32)}
	for i := 0; i < 2; i++ {
		if r := redeem(ps.testServer, "/v2/sandbox/", p.Sandbox.SecretKey, "auth", body); r.Status != 404 {
			t.Fatalf("call %d: %d %s", i, r.Status, r.Body)
		}
	}
	r := redeem(ps.testServer, "/v2/sandbox/", p.Sandbox.SecretKey, "auth", body)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("over the burst: want 429 with Retry-After, got %d %s", r.Status, r.Body)
	}
	// Each key has its own bucket.
	if r := redeem(ps.testServer, "/v2/sandbox/", q.Sandbox.SecretKey, "auth", body); r.Status != 404 {
		t.Fatalf("another partner: %d %s", r.Status, r.Body)
	}
}

// signedSink is a webhook receiver that keeps every body with its headers.
type signedSink struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []signedDelivery
}

type signedDelivery struct {
	header http.Header
	raw    []byte
	body   map[string]any
}

func newSignedSink(t *testing.T) *signedSink {
	s := &signedSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		d := signedDelivery{header: r.Header.Clone(), raw: raw}
		_ = json.Unmarshal(raw, &d.body)
		s.mu.Lock()
		s.got = append(s.got, d)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// wait polls until a delivery with method, code and (when given) the
// token id arrived.
func (s *signedSink) wait(t *testing.T, method domain.EventMethod, code, tokenID string) signedDelivery {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s.mu.Lock()
		for _, d := range s.got {
			if d.body["method"] == string(method) && d.body["code"] == code && (tokenID == "" || d.body["processor_token_id"] == tokenID) {
				s.mu.Unlock()
				return d
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s %s webhook for token %s", method, code, tokenID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *signedSink) all() []signedDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]signedDelivery(nil), s.got...)
}

// TOKEN_REQUIRED on the record reaches the partner as a 409 and as a
// signed PROCESSOR_TOKEN webhook; a revocation too.
func TestProcessorTokenRequiredReachesThePartner(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ps := startPartnerServer(t, db, func(c *config) { c.AllowPrivateWebhooks = true })
		keys := ps.newCompany("Acme Lending")
		sk := keys.Sandbox.SecretKey
		companySink := newWebhookSink(t)
		companySink.register(t, ps.testServer, sk)
		p := ps.newPartner(t, "Paystack")
		sink := newSignedSink(t)
		set, err := ps.Partners.SetWebhook(context.Background(), p.Partner.ID, sink.srv.URL+"/partner")
		if err != nil {
			t.Fatalf("set partner webhook: %v", err)
		}
		l := balLink(t, ps.testServer, keys, "sandbox-bank", "user_good", "pass_expired_session", []string{"auth"}, "current")
		token, id := createToken(t, ps.testServer, sk, l.Accounts["current"], p.Partner.ID, "auth", "balance")
		if r := redeem(ps.testServer, "/v2/sandbox/", p.Sandbox.SecretKey, "auth", map[string]any{"processor_token": token}); r.Status != 200 {
			t.Fatalf("before the bank refuses the session: %d %s", r.Status, r.Body)
		}
		r := redeem(ps.testServer, "/v2/sandbox/", p.Sandbox.SecretKey, "balance", map[string]any{"processor_token": token, "amount": 100})
		if r.Status != 409 || field(r.JSON, "type") != "TOKEN_REQUIRED" || strings.Contains(string(r.Body), "available_balance") {
			t.Fatalf("balance with an expired session: want 409 TOKEN_REQUIRED, got %d %s", r.Status, r.Body)
		}
		for _, product := range []string{"auth", "balance"} {
			if r := redeem(ps.testServer, "/v2/sandbox/", p.Sandbox.SecretKey, product, map[string]any{"processor_token": token}); r.Status != 409 || field(r.JSON, "type") != "TOKEN_REQUIRED" {
				t.Fatalf("%s on a token_required record: want 409, got %d %s", product, r.Status, r.Body)
			}
		}
		d := sink.wait(t, domain.MethodProcessorToken, domain.CodeTokenRequired, id)
		if d.body["account_id"] != l.Accounts["current"] || d.body["env"] != string(domain.EnvSandbox) || d.body["company_id"] != keys.Company.ID {
			t.Fatalf("partner webhook: %s", d.raw)
		}
		if err := delivery.Verify(set.Sandbox.SigningSecret, d.header.Get(delivery.HeaderSignature), d.raw, time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("the partner webhook is not signed with its secret: %v", err)
		}
		// The company is told its own way, once.
		companySink.wait(t, "RECORD", "TOKEN_REQUIRED", l.Record)

		if r := ps.call("POST", "/v2/sandbox/processor/tokens/revoke", sk, map[string]any{"processor_token": token}); r.Status != 200 {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		d = sink.wait(t, domain.MethodProcessorToken, domain.CodeTokenRevoked, id)
		if err := delivery.Verify(set.Sandbox.SigningSecret, d.header.Get(delivery.HeaderSignature), d.raw, time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("REVOKED webhook signature: %v", err)
		}
		for _, d := range sink.all() {
			if bytes.Contains(d.raw, []byte(token)) || d.body["method"] != string(domain.MethodProcessorToken) {
				t.Fatalf("the partner got %s", d.raw)
			}
		}
		if n := companySink.count(domain.MethodProcessorToken, domain.CodeTokenRevoked); n != 0 {
			t.Fatalf("the company got %d partner events", n)
		}
	})
}

// fullNUBAN is a JSON string of exactly ten digits.
var fullNUBAN = regexp.MustCompile(`"[0-9]{10}"`)

// A company that hides account numbers never receives a 10-digit NUBAN,
// while its partner does.
func TestHiddenAccountNumbers(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ps := startPartnerServer(t, db, func(c *config) { c.AllowPrivateWebhooks = true })
		keys := ps.newCompany("Quiet Lending")
		if err := ps.Companies.SetHideAccountNumbers(context.Background(), keys.Company.ID, true); err != nil {
			t.Fatal(err)
		}
		sk := keys.Sandbox.SecretKey
		raw := newSignedSink(t)
		if r := ps.call("POST", "/v2/sandbox/webhooks/set", sk, map[string]any{"url": raw.srv.URL}); r.Status != 200 {
			t.Fatalf("webhooks/set: %d %s", r.Status, r.Body)
		}
		var seen [][]byte // every body the company receives
		keep := func(r response) response {
			seen = append(seen, r.Body)
			return r
		}

		c := ps.openSession(keys, map[string]any{"products": []string{"auth", "balance"}})
		step := keep(c.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"}))
		done := keep(c.choose(stepAccounts(t, step)...))
		if done.Status != 200 || field(done.JSON, "success") != true {
			t.Fatalf("link: %d %s", done.Status, done.Body)
		}
		record := field(done.JSON, "record_id").(string)
		customer := field(done.JSON, "customer_id").(string)
		bank := field(done.JSON, "bank_id").(string)
		var accounts []string
		for _, a := range field(done.JSON, "accounts").([]any) {
			accounts = append(accounts, field(a, "id").(string))
			if n, _ := field(a, "nuban").(string); !strings.HasPrefix(n, "******") {
				t.Fatalf("payload NUBAN %q is not masked", n)
			}
		}
		current := accounts[0]
		for _, call := range []struct {
			method, path string
			body         any
		}{
			{"POST", "products/accounts", map[string]any{}},
			{"POST", "accounts/getById", map[string]any{"id": current}},
			{"POST", "accounts/getByCustomer", map[string]any{"customer": customer}},
			{"POST", "accounts/getByBank", map[string]any{"bank": bank}},
			{"POST", "products/balances", map[string]any{}},
			{"POST", "balance/getByAccount", map[string]any{"account_id": current}},
			{"POST", "balance/getByCustomer", map[string]any{"customer": customer}},
			{"POST", "balance/check", map[string]any{"account_id": current, "amount": 10, "max_age": 0}},
			{"POST", "products/records/get", map[string]any{"record_id": record}},
			{"POST", "records/list", map[string]any{}},
			{"POST", "products/auths", map[string]any{}},
			{"GET", "callback?record=" + record + "&method=AUTH", nil},
		} {
			r := keep(ps.call(call.method, "/v2/sandbox/"+call.path, sk, call.body))
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", call.path, r.Status, r.Body)
			}
		}
		r := keep(ps.call("POST", "/v2/sandbox/balance/refresh", sk, map[string]any{"account_id": current}))
		if r.Status != 200 {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
		cb := keep(pollCallback(t, ps.testServer, sk, field(r.JSON, "data.callback_url").(string)))
		if field(cb.JSON, "data.balance.account.nuban") == nil {
			t.Fatalf("the refresh callback has no account: %s", cb.Body)
		}
		raw.wait(t, "AUTH", "AUTH_SUCCESS", "")
		raw.wait(t, "BALANCE", "BALANCE_SUCCESS", "")
		for _, d := range raw.all() {
			seen = append(seen, d.raw)
		}

		// The partner gets the full numbers.
		p := ps.newPartner(t, "Paystack")
		var full []string
		for _, id := range accounts {
			token, _ := createToken(t, ps.testServer, sk, id, p.Partner.ID, "auth", "balance")
			r := redeem(ps.testServer, "/v2/sandbox/", p.Sandbox.SecretKey, "auth", map[string]any{"processor_token": token})
			n, _ := field(r.JSON, "data.account.nuban").(string)
			if !domain.ValidNUBAN(field(r.JSON, "data.bank.code").(string), n) {
				t.Fatalf("partner: %d %s", r.Status, r.Body)
			}
			full = append(full, n)
			r = redeem(ps.testServer, "/v2/sandbox/", p.Sandbox.SecretKey, "balance", map[string]any{"processor_token": token})
			if field(r.JSON, "data.balance.account.nuban") != n {
				t.Fatalf("partner balance: %s", r.Body)
			}
		}
		if len(seen) < 18 {
			t.Fatalf("only %d bodies checked", len(seen))
		}
		for _, body := range seen {
			for _, n := range full {
				if bytes.Contains(body, []byte(n)) {
					t.Fatalf("the company received NUBAN %s: %s", n, body)
				}
			}
			if m := fullNUBAN.Find(body); m != nil {
				t.Fatalf("the company received a 10-digit number %q: %s", m, body)
			}
		}

		// Shown again once the company stops hiding them.
		if err := ps.Companies.SetHideAccountNumbers(context.Background(), keys.Company.ID, false); err != nil {
			t.Fatal(err)
		}
		r = ps.call("POST", "/v2/sandbox/accounts/getById", sk, map[string]any{"id": current})
		if n := field(field(r.JSON, "data.accounts").([]any)[0], "nuban"); n != full[0] {
			t.Fatalf("after --hide-account-numbers=false: nuban %v, want %s", n, full[0])
		}
	})
}

// The operator's partner and company commands.
func TestPartnerCLI(t *testing.T) {
	dir := t.TempDir()
	cli := func(args ...string) (string, int) {
		var out bytes.Buffer
		code := run(append(args, "--data-dir", dir), &out, &out)
		return out.String(), code
	}
	out, code := cli("partner", "create", "--name", "Paystack", "--json")
	if code != 0 {
		t.Fatalf("partner create: %s", out)
	}
	var created struct {
		ID         string           `json:"id"`
		Name       string           `json:"name"`
		Sandbox    partners.KeyPair `json:"sandbox"`
		Production partners.KeyPair `json:"production"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("partner create --json: %v\n%s", err, out)
	}
	if !domain.ValidID(created.ID) || created.Name != "Paystack" || !domain.CheckSecret(created.Sandbox.SecretKey, "psk_test_", 16) ||
		!domain.CheckSecret(created.Production.SecretKey, "psk_live_", 16) {
		t.Fatalf("created: %+v", created)
	}
	if out, code := cli("partner", "list"); code != 0 || !strings.Contains(out, created.ID) || strings.Contains(out, created.Sandbox.SecretKey) {
		t.Fatalf("partner list: %d %s", code, out)
	}
	out, code = cli("partner", "keys", "rotate", "--id", created.ID, "--json")
	if code != 0 || strings.Contains(out, created.Sandbox.SecretKey) || !strings.Contains(out, "psk_test_") {
		t.Fatalf("partner keys rotate: %d %s", code, out)
	}
	// Its webhook endpoint, in both environments, with a signing secret each.
	t.Setenv("BANKAUTH_MASTER_KEY", strings.Repeat("ab", 32))
	out, code = cli("partner", "set", "--id", created.ID, "--webhook-url", "http://127.0.0.1:9/hooks", "--allow-private-webhooks", "--json")
	var set map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &set) != nil {
		t.Fatalf("partner set: %d %s", code, out)
	}
	{
		st, err := openStore(context.Background(), config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		for _, env := range []domain.Env{domain.EnvSandbox, domain.EnvProduction} {
			name := map[domain.Env]string{domain.EnvSandbox: "sandbox", domain.EnvProduction: "production"}[env]
			ep, err := st.Webhooks().Get(context.Background(), domain.PartnerScope(created.ID, env))
			if err != nil || ep.URL != "http://127.0.0.1:9/hooks" || !strings.HasPrefix(field(set, name+".signing_secret").(string), "whsec_") {
				t.Fatalf("%s endpoint: %v %+v %v", env, err, ep, set)
			}
		}
		st.Close()
	}
	if out, code := cli("partner", "set", "--id", created.ID, "--webhook-url", "http://127.0.0.1:9/hooks"); code == 0 {
		t.Fatalf("a private URL without --allow-private-webhooks: %s", out)
	}
	for _, args := range [][]string{
		{"partner"}, {"partner", "create"}, {"partner", "set", "--id", created.ID}, {"partner", "set", "--id", "nope", "--webhook-url", "https://x.example"},
		{"partner", "keys"}, {"partner", "fly"},
	} {
		if out, code := cli(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, out)
		}
	}

	// company set --hide-account-numbers[=false]
	out, code = cli("company", "create", "--name", "Quiet", "--json")
	var co struct {
		ID      string          `json:"id"`
		Sandbox company.KeyPair `json:"sandbox"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &co) != nil {
		t.Fatalf("company create: %s", out)
	}
	st, err := openStore(context.Background(), config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		flag string
		want bool
	}{{"--hide-account-numbers", true}, {"--hide-account-numbers=false", false}, {"--hide-account-numbers=true", true}} {
		if out, code := cli("company", "set", "--id", co.ID, tc.flag); code != 0 {
			t.Fatalf("company set %s: %s", tc.flag, out)
		}
		c, err := st.Companies().Get(context.Background(), co.ID)
		if err != nil || c.HideAccountNumbers != tc.want {
			t.Fatalf("after %s: hide = %v (%v), want %v", tc.flag, c.HideAccountNumbers, err, tc.want)
		}
	}
}

// TestProcessorTokenIdentityScope: a partner granted identity reads the
// identity the bank reported, in Okra's shape, once the identity product
// stored one; before that, the owner's name from the login.
func TestProcessorTokenIdentityScope(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ps := startPartnerServer(t, db, nil)
		keys := ps.newCompany("Acme Lending")
		p := ps.newPartner(t, "Paystack")
		payload := identityLink(t, ps.testServer, keys, "user_good", "pass_good", nil)
		accounts, _ := payload["accounts"].([]any)
		if len(accounts) == 0 {
			t.Fatalf("no accounts in the payload: %v", payload)
		}
		account := field(accounts[0], "id").(string)
		token, tokenID := createToken(t, ps.testServer, keys.Sandbox.SecretKey, account, p.Partner.ID, "identity")
		r := redeem(ps.testServer, "/v2/sandbox/", p.Sandbox.SecretKey, "identity", map[string]any{"processor_token": token})
		if r.Status != 200 || field(r.JSON, "data.complete") != true || field(r.JSON, "data.processor_token_id") != tokenID {
			t.Fatalf("processor/identity/get: %d %s", r.Status, r.Body)
		}
		wantAda(t, "processor/identity/get", field(r.JSON, "data.identity"), payload)

		// An identity the link did not ask for: the login's name only.
		l := balLink(t, ps.testServer, keys, "sandbox-bank", "user_low", "pass_good", []string{"auth"}, "current")
		token, _ = createToken(t, ps.testServer, keys.Sandbox.SecretKey, l.Accounts["current"], p.Partner.ID, "identity")
		r = redeem(ps.testServer, "/v2/sandbox/", p.Sandbox.SecretKey, "identity", map[string]any{"processor_token": token})
		if r.Status != 200 || field(r.JSON, "data.complete") != false || field(r.JSON, "data.identity.fullname") != "Chidi Okeke" {
			t.Fatalf("processor/identity/get without a stored identity: %d %s", r.Status, r.Body)
		}
	})
}
