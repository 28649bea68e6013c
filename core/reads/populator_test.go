package reads

import (
	"context"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// countingRepos counts the bank lookups that reach the store.
type countingRepos struct {
	ports.Repos
	banks *countingBanks
}

func (c countingRepos) Banks() ports.BankRepo { return c.banks }

type countingBanks struct {
	ports.BankRepo
	gets, getManys int
}

func (b *countingBanks) Get(ctx context.Context, id domain.ID) (domain.Bank, error) {
	b.gets++
	return b.BankRepo.Get(ctx, id)
}

func (b *countingBanks) GetMany(ctx context.Context, ids []domain.ID) ([]domain.Bank, error) {
	b.getManys++
	return b.BankRepo.GetMany(ctx, ids)
}

// TestPopulator: each reference is loaded once per answer, a prefetched
// page costs one query per kind, and what does not exist is shown by its
// id alone.
func TestPopulator(t *testing.T) {
	w := newShelf(t)
	banks := &countingBanks{BankRepo: w.store.Banks()}
	p := NewPopulator(countingRepos{Repos: w.store, banks: banks}, w.scope)
	unknown := domain.NewID()

	// An account's bank comes with it, though refs do not name it.
	err := p.Prefetch(w.ctx, Refs{Accounts: []domain.ID{w.ada.accounts[0].ID, w.ada.accounts[0].ID, unknown},
		Customers: []domain.ID{w.ada.customer.ID, unknown}, Banks: []domain.ID{unknown}})
	if err != nil {
		t.Fatal(err)
	}
	if banks.getManys != 1 {
		t.Fatalf("%d bank queries for a page, want 1", banks.getManys)
	}
	if b, err := p.Bank(w.ctx, w.bank.ID); err != nil || b.Slug != "fake-bank" {
		t.Fatalf("prefetched bank: %+v %v", b, err)
	}
	if b, err := p.Bank(w.ctx, unknown); err != nil || b.ID != unknown || b.Slug != "" {
		t.Fatalf("unknown bank: %+v %v, want a stub", b, err)
	}
	if c, err := p.Customer(w.ctx, w.ada.customer.ID); err != nil || c.Name != "Ada Obi" {
		t.Fatalf("prefetched customer: %+v %v", c, err)
	}
	if a, err := p.Account(w.ctx, unknown); err != nil || a.ID != unknown || a.NUBAN != "" {
		t.Fatalf("unknown account: %+v %v, want a stub", a, err)
	}
	if banks.gets != 0 {
		t.Fatalf("%d single bank loads after a prefetch, want 0", banks.gets)
	}
	// Prefetching what is cached asks nothing again.
	if err := p.Prefetch(w.ctx, Refs{Banks: []domain.ID{w.bank.ID}}); err != nil || banks.getManys != 1 {
		t.Fatalf("prefetch of cached banks: %d queries, %v", banks.getManys, err)
	}

	// Without a prefetch, the first call loads and the next is cached.
	p = NewPopulator(countingRepos{Repos: w.store, banks: banks}, w.scope)
	for range 2 {
		if b, err := p.Bank(w.ctx, w.bank.ID); err != nil || b.ID != w.bank.ID {
			t.Fatalf("bank: %+v %v", b, err)
		}
	}
	if banks.gets != 1 {
		t.Fatalf("%d loads of one bank, want 1", banks.gets)
	}
	if c, err := p.Customer(w.ctx, w.mallory.customer.ID); err != nil || c.Name != "Mallory Eze" {
		t.Fatalf("customer: %+v %v", c, err)
	}
	if a, err := p.Account(w.ctx, w.mallory.accounts[0].ID); err != nil || a.NUBAN != "0000000007" {
		t.Fatalf("account: %+v %v", a, err)
	}
	// Another company's customer is a stub too, not theirs.
	theirs := NewPopulator(w.store, w.theirs)
	if c, err := theirs.Customer(w.ctx, w.ada.customer.ID); err != nil || c.Name != "" {
		t.Fatalf("another company's view of our customer: %+v %v", c, err)
	}
}

// TestCheckFilter: a filter naming a customer or account outside the scope
// is not found; one inside it passes.
func TestCheckFilter(t *testing.T) {
	w := newShelf(t)
	for _, tc := range []struct {
		name  string
		scope domain.Scope
		f     domain.ListFilter
		kind  domain.Kind // "" for no error
	}{
		{"no filter", w.scope, domain.ListFilter{}, ""},
		{"our customer", w.scope, domain.ListFilter{CustomerID: w.ada.customer.ID}, ""},
		{"our account", w.scope, domain.ListFilter{AccountID: w.ada.accounts[1].ID}, ""},
		{"their view of our customer", w.theirs, domain.ListFilter{CustomerID: w.ada.customer.ID}, domain.KindNotFound},
		{"their view of our account", w.theirs, domain.ListFilter{AccountID: w.ada.accounts[1].ID}, domain.KindNotFound},
		{"an unknown customer", w.scope, domain.ListFilter{CustomerID: domain.NewID()}, domain.KindNotFound},
	} {
		err := CheckFilter(w.ctx, w.store, tc.scope, tc.f)
		if (tc.kind == "" && err != nil) || (tc.kind != "" && domain.KindOf(err) != tc.kind) {
			t.Errorf("%s: %v, want kind %q", tc.name, err, tc.kind)
		}
	}
}

// TestPopulatorKnown: customers a page brought are answered without a
// query, and do not replace a customer already loaded in full.
func TestPopulatorKnown(t *testing.T) {
	w := newShelf(t)
	p := NewPopulator(w.store, w.scope)
	full, err := p.Customer(w.ctx, w.ada.customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	// An id no store holds: only the seeded reference can answer it.
	brought := domain.Customer{ID: domain.NewID(), CompanyID: w.scope.CompanyID, Env: w.scope.Env, Name: "Brought Along"}
	p.Known([]domain.Customer{brought, {ID: full.ID, Name: "A Reference"}})
	if c, err := p.Customer(w.ctx, brought.ID); err != nil || *c != brought {
		t.Fatalf("a brought customer: %+v %v, want %+v", c, err, brought)
	}
	if c, err := p.Customer(w.ctx, full.ID); err != nil || *c != *full {
		t.Fatalf("a loaded customer after Known: %+v %v, want %+v", c, err, full)
	}
}
