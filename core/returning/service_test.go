package returning

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// fixture is a company's customers, records and accounts written straight
// to SQLite, and the service over them.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	store ports.Store
	ring  *seal.Ring
	svc   *Service
	scope domain.Scope
	now   time.Time
	// nubans numbers the fixture's accounts: each must have its own NUBAN,
	// or the store merges them (one account per bank and NUBAN).
	nubans int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := storagetest.OpenSQLite(t)
	ring, err := seal.NewRing(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: context.Background(), store: st, ring: ring, svc: New(st, ring),
		now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	for _, env := range []domain.Env{domain.EnvSandbox} {
		c := domain.Company{ID: domain.NewID(), Name: "Acme", CreatedAt: f.now, UpdatedAt: f.now}
		if err := st.Companies().Create(f.ctx, c); err != nil {
			t.Fatal(err)
		}
		f.scope = domain.Scope{CompanyID: c.ID, Env: env}
	}
	return f
}

func (f *fixture) company() domain.Scope {
	f.t.Helper()
	c := domain.Company{ID: domain.NewID(), Name: "Other", CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.store.Companies().Create(f.ctx, c); err != nil {
		f.t.Fatal(err)
	}
	return domain.Scope{CompanyID: c.ID, Env: domain.EnvSandbox}
}

func (f *fixture) customer(s domain.Scope, ids map[domain.IdentifierKind]string) domain.Customer {
	f.t.Helper()
	c := domain.Customer{ID: domain.NewID(), CompanyID: s.CompanyID, Env: s.Env, Name: "Ada Obi", CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.store.Customers().Create(f.ctx, c); err != nil {
		f.t.Fatal(err)
	}
	for kind, v := range ids {
		id := domain.NewID()
		sealed, err := f.ring.Seal([]byte(v), []byte(id))
		if err != nil {
			f.t.Fatal(err)
		}
		if _, err := f.store.Customers().AddIdentifier(f.ctx, domain.CustomerIdentifier{ID: id, CompanyID: s.CompanyID, Env: s.Env,
			CustomerID: c.ID, Kind: kind, BlindIndex: f.ring.BlindIndex(s.CompanyID, string(kind), v), Sealed: sealed, CreatedAt: f.now}); err != nil {
			f.t.Fatal(err)
		}
	}
	return c
}

func (f *fixture) bank(slug string) domain.Bank {
	f.t.Helper()
	b, err := f.store.Banks().Upsert(f.ctx, domain.Bank{ID: domain.NewID(), Slug: slug, Name: slug, Connector: "test",
		Methods: []domain.LoginMethod{domain.MethodInternetBanking}, Products: []string{"auth"}, CreatedAt: f.now, UpdatedAt: f.now})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// record writes a record updated at f.now+age with one account per entry of
// connected (true: connected).
func (f *fixture) record(c domain.Customer, b domain.Bank, status domain.RecordStatus, at time.Duration, session, username bool, connected ...bool) domain.Record {
	f.t.Helper()
	r := domain.Record{ID: domain.NewID(), CompanyID: c.CompanyID, Env: c.Env, CustomerID: c.ID, BankID: b.ID, Status: status,
		Method: domain.MethodInternetBanking, Products: []string{"auth"}, CreatedAt: f.now, UpdatedAt: f.now.Add(at)}
	if session {
		r.SealedSession = []byte("sealed-session")
	}
	if username {
		r.SealedUsername = []byte("sealed-username")
	}
	if err := f.store.Records().Create(f.ctx, r); err != nil {
		f.t.Fatal(err)
	}
	for _, conn := range connected {
		f.nubans++
		a := domain.Account{ID: domain.NewID(), CompanyID: c.CompanyID, Env: c.Env, RecordID: r.ID, CustomerID: c.ID, BankID: b.ID,
			ConnectorRef: "ref", NUBAN: fmt.Sprintf("%010d", f.nubans), Name: "Ada Obi", Type: "savings", Currency: "NGN", Connected: conn,
			CreatedAt: f.now, UpdatedAt: f.now}
		if _, _, err := f.store.Accounts().Upsert(f.ctx, a); err != nil {
			f.t.Fatal(err)
		}
	}
	return r
}

func TestRecognize(t *testing.T) {
	f := newFixture(t)
	ada := f.customer(f.scope, map[domain.IdentifierKind]string{
		domain.IdentExternal: "cust-1", domain.IdentBVN: "22222222222", domain.IdentNIN: "11111111111",
		domain.IdentPhone: "+2348000000001", domain.IdentEmail: "ada@example.com"})
	bola := f.customer(f.scope, map[domain.IdentifierKind]string{domain.IdentPhone: "+2348000000002"})
	other := f.company()
	f.customer(other, map[domain.IdentifierKind]string{domain.IdentEmail: "eve@example.com"})
	for _, tc := range []struct {
		name  string
		scope domain.Scope
		ids   map[domain.IdentifierKind]string
		want  domain.ID // "" = not recognised
	}{
		{"external id", f.scope, map[domain.IdentifierKind]string{domain.IdentExternal: "cust-1"}, ada.ID},
		{"bvn", f.scope, map[domain.IdentifierKind]string{domain.IdentBVN: "22222222222"}, ada.ID},
		{"nin", f.scope, map[domain.IdentifierKind]string{domain.IdentNIN: "11111111111"}, ada.ID},
		{"phone", f.scope, map[domain.IdentifierKind]string{domain.IdentPhone: "+2348000000001"}, ada.ID},
		{"email", f.scope, map[domain.IdentifierKind]string{domain.IdentEmail: "ada@example.com"}, ada.ID},
		{"unknown value", f.scope, map[domain.IdentifierKind]string{domain.IdentBVN: "99999999999"}, ""},
		{"nothing given", f.scope, nil, ""},
		{"unknown first, known after", f.scope, map[domain.IdentifierKind]string{domain.IdentBVN: "99999999999", domain.IdentEmail: "ada@example.com"}, ada.ID},
		{"the strongest identifier wins", f.scope, map[domain.IdentifierKind]string{domain.IdentBVN: "22222222222", domain.IdentPhone: "+2348000000002"}, ada.ID},
		{"phone of another customer", f.scope, map[domain.IdentifierKind]string{domain.IdentPhone: "+2348000000002"}, bola.ID},
		{"another company's customer is not ours", f.scope, map[domain.IdentifierKind]string{domain.IdentEmail: "eve@example.com"}, ""},
		{"our customer is not another company's", other, map[domain.IdentifierKind]string{domain.IdentBVN: "22222222222"}, ""},
		{"another env", domain.Scope{CompanyID: f.scope.CompanyID, Env: domain.EnvProduction}, map[domain.IdentifierKind]string{domain.IdentBVN: "22222222222"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, found, err := f.svc.Recognize(f.ctx, tc.scope, tc.ids)
			if err != nil {
				t.Fatal(err)
			}
			if found != (tc.want != "") || c.ID != tc.want {
				t.Fatalf("got %q found=%v, want %q", c.ID, found, tc.want)
			}
		})
	}
}

func TestLinkedBanks(t *testing.T) {
	f := newFixture(t)
	first, second, third, fourth := f.bank("first-bank"), f.bank("second-bank"), f.bank("third-bank"), f.bank("fourth-bank")
	ada := f.customer(f.scope, nil)
	bola := f.customer(f.scope, nil)
	older := f.record(ada, first, domain.RecordSuccess, 1*time.Hour, false, false, true)
	newest := f.record(ada, first, domain.RecordTokenRequired, 3*time.Hour, true, true, true, false)
	f.record(ada, first, domain.RecordRemoved, 9*time.Hour, true, true, true)         // removed: skipped
	f.record(ada, second, domain.RecordFailed, 8*time.Hour, true, true, true)         // failed: skipped
	f.record(ada, third, domain.RecordSuccess, 7*time.Hour, true, true, false, false) // nothing connected: skipped
	fourthRec := f.record(ada, fourth, domain.RecordSuccess, 2*time.Hour, false, true, true)
	f.record(bola, second, domain.RecordSuccess, 5*time.Hour, true, true, true) // someone else's
	_ = older

	got, err := f.svc.LinkedBanks(f.ctx, f.scope, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		bank, record     domain.ID
		accounts         int
		resume, username bool
	}
	want := []row{
		{first.ID, newest.ID, 1, true, true},
		{fourth.ID, fourthRec.ID, 1, false, true},
	}
	if len(got) != len(want) {
		t.Fatalf("%d banks, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Bank.ID != w.bank || g.Record.ID != w.record || len(g.Accounts) != w.accounts || g.CanResume != w.resume || g.HasUsername != w.username {
			t.Errorf("bank %d: %s record %s, %d accounts, resume %v, username %v; want %+v", i, g.Bank.Slug, g.Record.ID, len(g.Accounts), g.CanResume, g.HasUsername, w)
		}
		for _, a := range g.Accounts {
			if !a.Connected {
				t.Errorf("bank %d lists a disconnected account %s", i, a.ID)
			}
		}
	}

	none, err := f.svc.LinkedBanks(f.ctx, f.scope, domain.NewID())
	if err != nil || len(none) != 0 {
		t.Fatalf("an unknown customer: %+v %v", none, err)
	}
	if other, err := f.svc.LinkedBanks(f.ctx, f.company(), ada.ID); err != nil || len(other) != 0 {
		t.Fatalf("another company sees ada's banks: %+v %v", other, err)
	}
}
