package reads

import (
	"context"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// shelf is a store holding what two links left for one company: Ada's
// record with two accounts and Mallory's with one, each with its auth,
// and another company with nothing.
type shelf struct {
	t             *testing.T
	ctx           context.Context
	store         ports.Store
	bank          domain.Bank
	scope, theirs domain.Scope
	ada, mallory  linkedCustomer
	now           time.Time
}

// linkedCustomer is what one link stored.
type linkedCustomer struct {
	customer domain.Customer
	record   domain.Record
	accounts []domain.Account
	auth     domain.Auth
}

func newShelf(t *testing.T) *shelf {
	t.Helper()
	st := storagetest.OpenSQLite(t)
	s := &shelf{t: t, ctx: context.Background(), store: st, now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	var err error
	s.bank, err = st.Banks().Upsert(s.ctx, domain.Bank{ID: domain.NewID(), Slug: "fake-bank", Name: "Fake Bank", Connector: "test",
		Methods: []domain.LoginMethod{domain.MethodInternetBanking}, Products: []string{"auth"}, CreatedAt: s.now, UpdatedAt: s.now})
	s.must(err)
	for _, sc := range []*domain.Scope{&s.scope, &s.theirs} {
		c := domain.Company{ID: domain.NewID(), Name: "Acme", CreatedAt: s.now, UpdatedAt: s.now}
		s.must(st.Companies().Create(s.ctx, c))
		*sc = domain.Scope{CompanyID: c.ID, Env: domain.EnvSandbox}
	}
	s.ada = s.link("Ada Obi", "0000000001", "0000000002")
	s.mallory = s.link("Mallory Eze", "0000000007")
	return s
}

func (s *shelf) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

// link stores a customer of our scope with a record, an account per NUBAN
// and the auth, a minute after the previous link.
func (s *shelf) link(name string, nubans ...string) linkedCustomer {
	s.t.Helper()
	s.now = s.now.Add(time.Minute)
	sc, now := s.scope, s.now
	l := linkedCustomer{customer: domain.Customer{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, Name: name, CreatedAt: now, UpdatedAt: now}}
	s.must(s.store.Customers().Create(s.ctx, l.customer))
	l.record = domain.Record{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, CustomerID: l.customer.ID, BankID: s.bank.ID,
		Status: domain.RecordSuccess, Method: domain.MethodInternetBanking, Products: []string{"auth"}, CreatedAt: now, UpdatedAt: now}
	s.must(s.store.Records().Create(s.ctx, l.record))
	var ids []domain.ID
	for _, n := range nubans {
		a, _, err := s.store.Accounts().Upsert(s.ctx, domain.Account{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env,
			RecordID: l.record.ID, CustomerID: l.customer.ID, BankID: s.bank.ID, ConnectorRef: "ref-" + n, NUBAN: n, Name: name,
			Type: "savings", Currency: "NGN", Connected: true, CreatedAt: now, UpdatedAt: now})
		s.must(err)
		l.accounts = append(l.accounts, a)
		ids = append(ids, a.ID)
	}
	a, _, err := s.store.Auths().Upsert(s.ctx, domain.Auth{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, RecordID: l.record.ID,
		CustomerID: l.customer.ID, BankID: s.bank.ID, Validated: true, AccountIDs: ids, CreatedAt: now, UpdatedAt: now})
	s.must(err)
	l.auth = a
	return l
}
