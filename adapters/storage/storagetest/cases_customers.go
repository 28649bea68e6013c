package storagetest

import (
	"fmt"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

func testCustomers(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	c := newCustomer(t, s, sc, base)
	got, err := s.Customers().Get(ctx, sc, c.ID)
	must(t, err, "get")
	equal(t, got, c, "stored customer")
	wantKind(t, s.Customers().Create(ctx, c), domain.KindConflict, "create with a taken id")

	c.Name, c.UpdatedAt = "Ada L.", at(day)
	must(t, s.Customers().Update(ctx, c), "update")
	got, err = s.Customers().Get(ctx, sc, c.ID)
	must(t, err, "get after update")
	equal(t, got, c, "updated customer")

	other := c
	other.CompanyID = domain.NewID()
	wantKind(t, s.Customers().Update(ctx, other), domain.KindNotFound, "update through another company")
	_, err = s.Customers().Get(ctx, sc, domain.NewID())
	wantKind(t, err, domain.KindNotFound, "missing customer")

	bank := domain.NewID()
	c2 := newCustomer(t, s, sc, at(day))
	r := newRecord(t, s, sc, c2.ID, bank, at(day))
	list, total, err := s.Customers().List(ctx, sc, domain.ListFilter{})
	must(t, err, "list")
	equal(t, total, 2, "total")
	equal(t, ids(list, func(c domain.Customer) domain.ID { return c.ID }), []domain.ID{c2.ID, c.ID}, "customers newest first")
	for _, f := range []domain.ListFilter{{BankID: bank}, {RecordID: r.ID}, {CustomerID: c2.ID}} {
		list, total, err = s.Customers().List(ctx, sc, f)
		must(t, err, "filtered list")
		equal(t, ids(list, func(c domain.Customer) domain.ID { return c.ID }), []domain.ID{c2.ID}, fmt.Sprintf("customers filtered by %+v", f))
		equal(t, total, 1, "filtered total")
	}
}

func testIdentifiers(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvProduction)
	a := newCustomer(t, s, sc, base)
	b := newCustomer(t, s, sc, base)
	ia := domain.CustomerIdentifier{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, CustomerID: a.ID, Kind: domain.IdentBVN,
		BlindIndex: []byte("blind-bvn"), Sealed: []byte("sealed-a"), CreatedAt: base}
	owner, err := s.Customers().AddIdentifier(ctx, ia)
	must(t, err, "add")
	equal(t, owner, a.ID, "owner of a new identifier")

	ib := ia
	ib.ID, ib.CustomerID, ib.Sealed = domain.NewID(), b.ID, []byte("sealed-b")
	owner, err = s.Customers().AddIdentifier(ctx, ib)
	must(t, err, "add the same identifier for another customer")
	equal(t, owner, a.ID, "the first owner keeps the identifier")

	// The same blind index of another kind, env or company is another identifier.
	phone := ib
	phone.ID, phone.Kind = domain.NewID(), domain.IdentPhone
	owner, err = s.Customers().AddIdentifier(ctx, phone)
	must(t, err, "add another kind")
	equal(t, owner, b.ID, "owner of another kind")

	found, err := s.Customers().FindByIdentifier(ctx, sc, domain.IdentBVN, []byte("blind-bvn"))
	must(t, err, "find")
	equal(t, found.ID, a.ID, "found customer")
	_, err = s.Customers().FindByIdentifier(ctx, scopeOf(sc.CompanyID, domain.EnvSandbox), domain.IdentBVN, []byte("blind-bvn"))
	wantKind(t, err, domain.KindNotFound, "find in the other env")
	_, err = s.Customers().FindByIdentifier(ctx, scopeOf(domain.NewID(), sc.Env), domain.IdentBVN, []byte("blind-bvn"))
	wantKind(t, err, domain.KindNotFound, "find from another company")
	_, err = s.Customers().FindByIdentifier(ctx, sc, domain.IdentNIN, []byte("blind-bvn"))
	wantKind(t, err, domain.KindNotFound, "find another kind")

	idents, err := s.Customers().Identifiers(ctx, sc, a.ID)
	must(t, err, "identifiers")
	equal(t, idents, []domain.CustomerIdentifier{ia}, "identifiers of a")
	idents, err = s.Customers().Identifiers(ctx, scopeOf(domain.NewID(), sc.Env), a.ID)
	must(t, err, "identifiers from another company")
	equal(t, len(idents), 0, "identifiers leaked to another company")

	must(t, s.Customers().DeleteIdentifiers(ctx, scopeOf(domain.NewID(), sc.Env), a.ID), "delete from another company")
	idents, _ = s.Customers().Identifiers(ctx, sc, a.ID)
	equal(t, len(idents), 1, "identifiers after another company's delete")
	must(t, s.Customers().DeleteIdentifiers(ctx, sc, a.ID), "delete")
	idents, _ = s.Customers().Identifiers(ctx, sc, a.ID)
	equal(t, len(idents), 0, "identifiers after delete")
	owner, err = s.Customers().AddIdentifier(ctx, ib)
	must(t, err, "add after delete")
	equal(t, owner, b.ID, "owner after the first owner's identifiers were deleted")
}
