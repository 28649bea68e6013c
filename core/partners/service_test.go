package partners

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
	"github.com/bankauth/bankauth/core/ports"
)

var ctx = context.Background()

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

// fixture is a company with one linked, connected account and two
// partners.
type fixture struct {
	s       *Service
	store   ports.Store
	scope   domain.Scope
	record  domain.Record
	account domain.Account
	p, q    Created
}

func newFixture(t *testing.T, st *storage.Store) fixture {
	t.Helper()
	clock := &fixedClock{time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	f := fixture{s: NewService(Deps{Store: st, Clock: clock, IDs: ports.RandomIDs{}}), store: st}
	c := domain.Company{ID: domain.NewID(), Name: "Acme", DuplicatePolicy: domain.DuplicateMerge, CreatedAt: clock.t, UpdatedAt: clock.t}
	must(t, st.Companies().Create(ctx, c))
	f.scope = domain.Scope{CompanyID: c.ID, Env: domain.EnvSandbox}
	bank, err := st.Banks().Upsert(ctx, domain.Bank{Slug: "sandbox-bank", Name: "Sandbox Bank", Country: "NG", Code: "901",
		Connector: "fakebank", Methods: []domain.LoginMethod{}, MFAKinds: []string{}, Products: []string{"auth"}, CreatedAt: clock.t, UpdatedAt: clock.t})
	must(t, err)
	cust := domain.Customer{ID: domain.NewID(), CompanyID: c.ID, Env: f.scope.Env, Name: "Ada Obi", CreatedAt: clock.t, UpdatedAt: clock.t}
	must(t, st.Customers().Create(ctx, cust))
	f.record = domain.Record{ID: domain.NewID(), CompanyID: c.ID, Env: f.scope.Env, CustomerID: cust.ID, BankID: bank.ID,
		Status: domain.RecordSuccess, Method: domain.MethodInternetBanking, Products: []string{"auth"}, CreatedAt: clock.t, UpdatedAt: clock.t}
	must(t, st.Records().Create(ctx, f.record))
	f.account, _, err = st.Accounts().Upsert(ctx, domain.Account{ID: domain.NewID(), CompanyID: c.ID, Env: f.scope.Env,
		RecordID: f.record.ID, CustomerID: cust.ID, BankID: bank.ID, ConnectorRef: "acct-1", NUBAN: "0000000017", Name: "Ada Obi",
		Type: "current", Currency: "NGN", Connected: true, CreatedAt: clock.t, UpdatedAt: clock.t})
	must(t, err)
	if f.p, err = f.s.Create(ctx, "Paystack"); err != nil {
		t.Fatal(err)
	}
	if f.q, err = f.s.Create(ctx, "Flutterwave"); err != nil {
		t.Fatal(err)
	}
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantError(t *testing.T, err error, kind domain.Kind, code, field string) {
	t.Helper()
	de, ok := domain.AsError(err)
	if !ok || de.Kind != kind || (code != "" && de.Code != code) || de.Field != field {
		t.Fatalf("want a %s error (code %q, field %q), got %v", kind, code, field, err)
	}
}

func TestPartnerKeys(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, st *storage.Store) {
		f := newFixture(t, st)
		if !strings.HasPrefix(f.p.Sandbox.SecretKey, "psk_test_") || !strings.HasPrefix(f.p.Production.SecretKey, "psk_live_") {
			t.Fatalf("keys %q, %q", f.p.Sandbox.SecretKey, f.p.Production.SecretKey)
		}
		got, err := f.s.AuthenticatePartner(ctx, f.p.Sandbox.SecretKey, domain.EnvSandbox)
		if err != nil || got.ID != f.p.Partner.ID {
			t.Fatalf("authenticate: %v %+v", err, got)
		}
		mistyped := []byte(f.p.Sandbox.SecretKey)
		mistyped[len("psk_test_")] ^= 1
		rotated, err := f.s.RotateKeys(ctx, f.q.Partner.ID)
		must(t, err)
		for _, tc := range []struct {
			name string
			key  string
			env  domain.Env
			kind domain.Kind
			code string
		}{
			{"the other environment", f.p.Production.SecretKey, domain.EnvSandbox, domain.KindWrongEnv, "ENV"},
			{"a company's secret key", domain.NewSecret("sk_test_", 16), domain.EnvSandbox, domain.KindUnauthorized, "WRONG_KEY_KIND"},
			{"mistyped", string(mistyped), domain.EnvSandbox, domain.KindUnauthorized, "WRONG_KEY_KIND"},
			{"well formed, unknown", domain.NewSecret("psk_test_", 16), domain.EnvSandbox, domain.KindUnauthorized, "INVALID_KEY"},
			{"rotated away", f.q.Sandbox.SecretKey, domain.EnvSandbox, domain.KindUnauthorized, "INVALID_KEY"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.s.AuthenticatePartner(ctx, tc.key, tc.env)
				wantError(t, err, tc.kind, tc.code, "")
			})
		}
		if _, err := f.s.AuthenticatePartner(ctx, rotated.Production.SecretKey, domain.EnvProduction); err != nil {
			t.Fatalf("the rotated-in key: %v", err)
		}
	})
}

func TestCreateTokenRefusals(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, st *storage.Store) {
		f := newFixture(t, st)
		other := domain.Scope{CompanyID: domain.NewID(), Env: domain.EnvSandbox}
		ok := CreateRequest{AccountID: f.account.ID, PartnerID: f.p.Partner.ID, Scopes: []string{"balance", "auth", "auth"}}
		for _, tc := range []struct {
			name  string
			scope domain.Scope
			edit  func(*CreateRequest)
			kind  domain.Kind
			field string
		}{
			{"no account", f.scope, func(r *CreateRequest) { r.AccountID = "" }, domain.KindInvalid, "account_id"},
			{"bad account id", f.scope, func(r *CreateRequest) { r.AccountID = "x" }, domain.KindInvalid, "account_id"},
			{"no partner", f.scope, func(r *CreateRequest) { r.PartnerID = "" }, domain.KindInvalid, "partner_id"},
			{"no scopes", f.scope, func(r *CreateRequest) { r.Scopes = nil }, domain.KindInvalid, "scopes"},
			{"unknown scope", f.scope, func(r *CreateRequest) { r.Scopes = []string{"transfer"} }, domain.KindInvalid, "scopes"},
			{"unknown account", f.scope, func(r *CreateRequest) { r.AccountID = domain.NewID() }, domain.KindNotFound, ""},
			{"another company's account", other, func(*CreateRequest) {}, domain.KindNotFound, ""},
			{"the other environment", domain.Scope{CompanyID: f.scope.CompanyID, Env: domain.EnvProduction}, func(*CreateRequest) {}, domain.KindNotFound, ""},
			{"unknown partner", f.scope, func(r *CreateRequest) { r.PartnerID = domain.NewID() }, domain.KindNotFound, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := ok
				tc.edit(&req)
				_, err := f.s.CreateToken(ctx, tc.scope, req)
				wantError(t, err, tc.kind, "", tc.field)
			})
		}
		issued, err := f.s.CreateToken(ctx, f.scope, ok)
		must(t, err)
		if got := issued.Token.Scopes; len(got) != 2 || got[0] != "auth" || got[1] != "balance" {
			t.Fatalf("scopes %v, want [auth balance]", got)
		}
		if !domain.CheckSecret(issued.Secret, "ptok_test_", tokenBytes) || string(issued.Token.Hash) != string(domain.HashSecret(issued.Secret)) {
			t.Fatalf("issued %q", issued.Secret)
		}
	})
}

func TestRedeem(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, st *storage.Store) {
		f := newFixture(t, st)
		issue := func(scopes ...string) Issued {
			t.Helper()
			i, err := f.s.CreateToken(ctx, f.scope, CreateRequest{AccountID: f.account.ID, PartnerID: f.p.Partner.ID, Scopes: scopes})
			must(t, err)
			return i
		}
		good := issue("auth")
		revoked := issue("auth")
		_, err := f.s.RevokeToken(ctx, f.scope, RevokeRequest{Token: revoked.Secret})
		must(t, err)

		res, err := f.s.Auth(ctx, f.p.Partner, domain.EnvSandbox, good.Secret)
		must(t, err)
		if res.Account.NUBAN != "0000000017" || res.Bank.Code != "901" || res.OwnerName() != "Ada Obi" {
			t.Fatalf("auth: %+v", res)
		}
		for _, tc := range []struct {
			name    string
			partner domain.Partner
			env     domain.Env
			token   string
		}{
			{"another partner", f.q.Partner, domain.EnvSandbox, good.Secret},
			{"unknown", f.p.Partner, domain.EnvSandbox, domain.NewSecret("ptok_test_", tokenBytes)},
			{"revoked", f.p.Partner, domain.EnvSandbox, revoked.Secret},
			{"the other environment", f.p.Partner, domain.EnvProduction, good.Secret},
			{"malformed", f.p.Partner, domain.EnvSandbox, "ptok_test_0"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.s.Auth(ctx, tc.partner, tc.env, tc.token)
				if err != errTokenNotFound {
					t.Fatalf("want the one not-found answer, got %v", err)
				}
			})
		}
		_, err = f.s.Identity(ctx, f.p.Partner, domain.EnvSandbox, good.Secret)
		wantError(t, err, domain.KindForbidden, CodeScopeNotGranted, "")

		// A record the bank no longer accepts: 409, still recorded.
		r, err := st.Records().Get(ctx, f.scope, f.record.ID)
		must(t, err)
		r.Status = domain.RecordTokenRequired
		must(t, st.Records().Update(ctx, r))
		_, err = f.s.Auth(ctx, f.p.Partner, domain.EnvSandbox, good.Secret)
		wantError(t, err, domain.KindTokenRequired, "TOKEN_REQUIRED", "")

		tok, err := st.ProcessorTokens().Get(ctx, f.scope, good.Token.ID)
		must(t, err)
		if tok.Redemptions != 2 || tok.LastUsedAt == nil {
			t.Fatalf("redemptions %d (last used %v), want 2: the refused identity does not count", tok.Redemptions, tok.LastUsedAt)
		}

		// An account no longer connected is gone for the partner.
		a := f.account
		a.Connected = false
		_, _, err = st.Accounts().Upsert(ctx, a)
		must(t, err)
		if _, err := f.s.Auth(ctx, f.p.Partner, domain.EnvSandbox, good.Secret); err != errTokenNotFound {
			t.Fatalf("disconnected account: %v", err)
		}
	})
}

// Revoking tells the partner once; a record that becomes token_required
// tells the partner of every live token on it, through the outbox under
// the partner's scope.
func TestPartnerEvents(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, st *storage.Store) {
		f := newFixture(t, st)
		a, err := f.s.CreateToken(ctx, f.scope, CreateRequest{AccountID: f.account.ID, PartnerID: f.p.Partner.ID, Scopes: []string{"auth"}})
		must(t, err)
		b, err := f.s.CreateToken(ctx, f.scope, CreateRequest{AccountID: f.account.ID, PartnerID: f.q.Partner.ID, Scopes: []string{"balance"}})
		must(t, err)
		for i := 0; i < 2; i++ {
			_, err := f.s.RevokeToken(ctx, f.scope, RevokeRequest{ID: a.Token.ID})
			must(t, err)
		}
		must(t, st.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
			_, err := events.Emit(ctx, tx, ports.RandomIDs{}, time.Now(), events.Event{Scope: f.scope, Method: domain.MethodRecord,
				Code: domain.CodeTokenRequired, Record: f.record})
			return err
		}))
		codes := func(partnerID domain.ID) []string {
			list, _, err := st.Outbox().List(ctx, domain.PartnerScope(partnerID, domain.EnvSandbox), domain.ListFilter{Page: domain.Page{Number: 1, Limit: 10}})
			must(t, err)
			var out []string
			for _, e := range list {
				var body events.PartnerBody
				must(t, json.Unmarshal(e.Payload, &body))
				if e.Method != domain.MethodProcessorToken || body.AccountID != f.account.ID {
					t.Fatalf("partner event %+v", body)
				}
				out = append(out, e.Code+":"+body.ProcessorTokenID)
			}
			return out
		}
		if got := codes(f.p.Partner.ID); len(got) != 1 || got[0] != "REVOKED:"+a.Token.ID {
			t.Fatalf("P's events %v: one REVOKED, no TOKEN_REQUIRED for its revoked token", got)
		}
		if got := codes(f.q.Partner.ID); len(got) != 1 || got[0] != "TOKEN_REQUIRED:"+b.Token.ID {
			t.Fatalf("Q's events %v", got)
		}
		company, _, err := st.Outbox().List(ctx, f.scope, domain.ListFilter{Page: domain.Page{Number: 1, Limit: 10}})
		must(t, err)
		if len(company) != 1 || company[0].Method != domain.MethodRecord {
			t.Fatalf("the company's outbox holds %d events", len(company))
		}
	})
}
