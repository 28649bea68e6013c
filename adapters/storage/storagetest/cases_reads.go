package storagetest

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// sortedIDs is ids(items) in ascending order, for answers in no order.
func sortedIDs[T any](items []T, id func(T) domain.ID) []domain.ID {
	out := ids(items, id)
	sort.Strings(out)
	return out
}

func sorted(in ...domain.ID) []domain.ID {
	out := append([]domain.ID{}, in...)
	sort.Strings(out)
	return out
}

// testBatchReads: the batch reads return exactly the scope's objects of
// the ids asked for, whatever else is asked (missing, repeated, another
// company's), and nothing for no ids.
func testBatchReads(t *testing.T, s ports.Store) {
	mine := scopeOf(domain.NewID(), domain.EnvSandbox)
	other := scopeOf(domain.NewID(), domain.EnvSandbox)
	otherEnv := scopeOf(mine.CompanyID, domain.EnvProduction)
	bank, err := s.Banks().Upsert(ctx, domain.Bank{ID: domain.NewID(), Slug: "batch-bank", Name: "Batch", CreatedAt: base, UpdatedAt: base})
	must(t, err, "bank")

	type linked struct {
		cust     domain.Customer
		rec      domain.Record
		accounts []domain.Account
		auth     domain.Auth
	}
	link := func(sc domain.Scope, n int, accounts int) linked {
		l := linked{cust: newCustomer(t, s, sc, at(0))}
		l.rec = newRecord(t, s, sc, l.cust.ID, bank.ID, at(0))
		var authIDs []domain.ID
		for i := 0; i < accounts; i++ {
			a, _, err := s.Accounts().Upsert(ctx, newAccount(sc, l.rec, nuban(n*10+i), at(time.Duration(i)*time.Hour)))
			must(t, err, "account")
			l.accounts = append([]domain.Account{a}, l.accounts...) // newest first
			authIDs = append([]domain.ID{a.ID}, authIDs...)         // stored order differs from creation order
		}
		l.auth, _, err = s.Auths().Upsert(ctx, domain.Auth{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, RecordID: l.rec.ID,
			CustomerID: l.cust.ID, BankID: bank.ID, AccountIDs: authIDs, CreatedAt: base, UpdatedAt: base})
		must(t, err, "auth")
		return l
	}
	a, b, empty := link(mine, 1, 3), link(mine, 2, 1), link(mine, 3, 0)
	foreign, foreignEnv := link(other, 4, 1), link(otherEnv, 5, 1)
	missing := domain.NewID()

	customerIDs := func(cs []domain.Customer) []domain.ID {
		return sortedIDs(cs, func(c domain.Customer) domain.ID { return c.ID })
	}
	accountIDs := func(as []domain.Account) []domain.ID {
		return sortedIDs(as, func(a domain.Account) domain.ID { return a.ID })
	}

	t.Run("customers", func(t *testing.T) {
		for _, c := range []struct {
			name string
			ask  []domain.ID
			want []domain.ID
		}{
			{"none", nil, sorted()},
			{"mine", []domain.ID{a.cust.ID, b.cust.ID}, sorted(a.cust.ID, b.cust.ID)},
			{"repeated and missing", []domain.ID{a.cust.ID, missing, a.cust.ID}, sorted(a.cust.ID)},
			{"other scopes", []domain.ID{foreign.cust.ID, foreignEnv.cust.ID, empty.cust.ID}, sorted(empty.cust.ID)},
		} {
			got, err := s.Customers().GetMany(ctx, mine, c.ask)
			must(t, err, c.name)
			equal(t, customerIDs(got), c.want, c.name)
		}
		got, err := s.Customers().GetMany(ctx, mine, []domain.ID{a.cust.ID})
		must(t, err, "one")
		equal(t, got, []domain.Customer{a.cust}, "customer as stored")
	})

	t.Run("accounts", func(t *testing.T) {
		got, err := s.Accounts().GetMany(ctx, mine, []domain.ID{a.accounts[0].ID, b.accounts[0].ID, foreign.accounts[0].ID, missing})
		must(t, err, "get many")
		equal(t, accountIDs(got), sorted(a.accounts[0].ID, b.accounts[0].ID), "accounts of the scope")
		got, err = s.Accounts().GetMany(ctx, mine, nil)
		must(t, err, "none")
		equal(t, len(got), 0, "no ids")

		byRecords, err := s.Accounts().ListByRecords(ctx, mine, []domain.ID{a.rec.ID, empty.rec.ID, foreign.rec.ID, b.rec.ID})
		must(t, err, "list by records")
		named, err := s.Accounts().IDsByRecords(ctx, mine, []domain.ID{a.rec.ID, empty.rec.ID, foreign.rec.ID, b.rec.ID, a.rec.ID})
		must(t, err, "ids by records")
		var want []domain.Account
		for _, acc := range byRecords {
			want = append(want, domain.Account{ID: acc.ID, CompanyID: acc.CompanyID, Env: acc.Env, RecordID: acc.RecordID})
		}
		equal(t, named, want, "account ids by records, in ListByRecords' order")
		named, err = s.Accounts().IDsByRecords(ctx, mine, nil)
		must(t, err, "no ids by records")
		equal(t, len(named), 0, "no records")
		var ofA []domain.Account
		for _, acc := range byRecords {
			if acc.RecordID == a.rec.ID {
				ofA = append(ofA, acc)
			}
		}
		one, err := s.Accounts().ListByRecord(ctx, mine, a.rec.ID)
		must(t, err, "list by record")
		equal(t, ofA, one, "a record's accounts in ListByRecord's order")
		equal(t, accountIDs(byRecords), accountIDs(append(append([]domain.Account{}, a.accounts...), b.accounts...)), "accounts of the records")
	})

	t.Run("auths", func(t *testing.T) {
		got, err := s.Auths().ListByRecords(ctx, mine, []domain.ID{a.rec.ID, empty.rec.ID, foreign.rec.ID, foreignEnv.rec.ID, missing})
		must(t, err, "list by records")
		byRecord := map[domain.ID]domain.Auth{}
		for _, au := range got {
			byRecord[au.RecordID] = au
		}
		equal(t, len(got), 2, "auths of the scope's records")
		named, err := s.Auths().IDsByRecords(ctx, mine, []domain.ID{a.rec.ID, empty.rec.ID, foreign.rec.ID, foreignEnv.rec.ID, missing, a.rec.ID})
		must(t, err, "ids by records")
		equal(t, len(named), 2, "auth ids of the scope's records")
		for _, n := range named {
			au := byRecord[n.RecordID]
			equal(t, n, domain.Auth{ID: au.ID, CompanyID: au.CompanyID, Env: au.Env, RecordID: au.RecordID}, "auth id by record")
		}
		named, err = s.Auths().IDsByRecords(ctx, mine, nil)
		must(t, err, "no ids by records")
		equal(t, len(named), 0, "no records")
		equal(t, byRecord[a.rec.ID], a.auth, "auth with its accounts in order")
		equal(t, byRecord[empty.rec.ID].AccountIDs, []domain.ID(nil), "auth without accounts")
		single, err := s.Auths().Get(ctx, mine, a.auth.ID)
		must(t, err, "get")
		equal(t, single, a.auth, "get keeps the accounts' order")
		page, _, err := s.Auths().List(ctx, mine, domain.ListFilter{RecordID: a.rec.ID})
		must(t, err, "list")
		equal(t, page, []domain.Auth{a.auth}, "list keeps the accounts' order")
		none, err := s.Auths().ListByRecords(ctx, mine, nil)
		must(t, err, "none")
		equal(t, len(none), 0, "no ids")
	})

	t.Run("banks", func(t *testing.T) {
		got, err := s.Banks().GetMany(ctx, []domain.ID{bank.ID, missing, bank.ID})
		must(t, err, "get many")
		equal(t, got, []domain.Bank{bank}, "banks")
		got, err = s.Banks().GetMany(ctx, nil)
		must(t, err, "none")
		equal(t, len(got), 0, "no ids")
	})
}

// testBankReadsSeeWrites: every bank read sees the latest write, in and
// out of transactions, committed or rolled back, however the store keeps
// banks in memory.
func testBankReadsSeeWrites(t *testing.T, s ports.Store) {
	b := domain.Bank{ID: domain.NewID(), Slug: "cache-bank", Name: "Before", Status: domain.BankOperational, CreatedAt: base, UpdatedAt: base}
	_, err := s.Banks().Upsert(ctx, b)
	must(t, err, "insert")
	read := func(what string) map[string]string {
		t.Helper()
		got := map[string]string{}
		byID, err := s.Banks().Get(ctx, b.ID)
		must(t, err, what+": get")
		got["get"] = byID.Name
		bySlug, err := s.Banks().GetBySlug(ctx, b.Slug)
		must(t, err, what+": get by slug")
		got["slug"] = bySlug.Name
		many, err := s.Banks().GetMany(ctx, []domain.ID{b.ID})
		must(t, err, what+": get many")
		equal(t, len(many), 1, what+": get many")
		got["many"] = many[0].Name
		list, err := s.Banks().List(ctx)
		must(t, err, what+": list")
		for _, l := range list {
			if l.ID == b.ID {
				got["list"] = l.Name
			}
		}
		return got
	}
	all := func(name string) map[string]string {
		return map[string]string{"get": name, "slug": name, "many": name, "list": name}
	}
	equal(t, read("warm"), all("Before"), "before any change")

	rename := func(name string) domain.Bank { c := b; c.Name, c.UpdatedAt = name, at(day); return c }
	_, err = s.Banks().Upsert(ctx, rename("Plain"))
	must(t, err, "plain upsert")
	equal(t, read("plain"), all("Plain"), "after an upsert")

	errRollback := errors.New("roll back")
	err = s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		_, err := tx.Banks().Upsert(ctx, rename("Rolled back"))
		must(t, err, "upsert in a transaction")
		in, err := tx.Banks().Get(ctx, b.ID)
		must(t, err, "get in the transaction")
		equal(t, in.Name, "Rolled back", "the transaction sees its write")
		read("during") // outside the transaction: may load the old rows
		return errRollback
	})
	equal(t, err, errRollback, "rollback")
	equal(t, read("rolled back"), all("Plain"), "after a rollback")

	err = s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		_, err := s.Banks().Upsert(ctx, rename("Committed"))
		must(t, err, "upsert through the ctx's transaction")
		read("during") // loads the committed rows, not yet the new one
		return nil
	})
	must(t, err, "commit")
	equal(t, read("committed"), all("Committed"), "after a commit")

	got, err := s.Banks().Get(ctx, b.ID)
	must(t, err, "get")
	got.Products = append(got.Products, "mutated")
	again, err := s.Banks().Get(ctx, b.ID)
	must(t, err, "get again")
	equal(t, len(again.Products), 0, "a caller cannot change what others read")
}

// testListsWithCustomers: a page with its customers is the page List
// answers, in the same order (rows created at the same instant included),
// and one reference per customer it names: the scope's with their names,
// another scope's and missing ones with none.
func testListsWithCustomers(t *testing.T, s ports.Store) {
	mine := scopeOf(domain.NewID(), domain.EnvSandbox)
	other := scopeOf(domain.NewID(), domain.EnvSandbox)
	named := newCustomer(t, s, mine, at(0))
	foreign := newCustomer(t, s, other, at(0))
	missing := domain.NewID()
	rows := []struct {
		customer domain.ID
		created  time.Time
	}{
		{named.ID, at(0)}, {foreign.ID, at(time.Hour)}, {named.ID, at(2 * time.Hour)}, {missing, at(3 * time.Hour)},
		// Ties, which only the id orders.
		{missing, at(-time.Hour)}, {named.ID, at(-time.Hour)}, {foreign.ID, at(-time.Hour)}, {named.ID, at(-time.Hour)},
	}
	for i, row := range rows {
		customer := row.customer
		r := newRecord(t, s, mine, customer, domain.NewID(), row.created)
		r.SealedSession, r.SealedUsername, r.LoginKey = []byte("session"), []byte("username"), []byte{byte(i)}
		must(t, s.Records().Update(ctx, r), "seal the record")
		a, _, err := s.Accounts().Upsert(ctx, newAccount(mine, r, nuban(70+i), row.created))
		must(t, err, "account")
		must(t, s.Balances().Add(ctx, domain.Balance{ID: domain.NewID(), CompanyID: mine.CompanyID, Env: mine.Env, AccountID: a.ID, RecordID: r.ID,
			CustomerID: customer, Available: 100, Ledger: 100, Currency: domain.CurrencyNGN, AsOf: a.CreatedAt, CreatedAt: a.CreatedAt}), "balance")
		_, _, err = s.Auths().Upsert(ctx, domain.Auth{ID: domain.NewID(), CompanyID: mine.CompanyID, Env: mine.Env, RecordID: r.ID,
			CustomerID: customer, BankID: r.BankID, AccountIDs: []domain.ID{a.ID}, CreatedAt: row.created, UpdatedAt: base})
		must(t, err, "auth")
	}
	// Newest first, as the page orders them.
	want := []domain.Customer{
		{ID: missing, CompanyID: mine.CompanyID, Env: mine.Env},
		{ID: named.ID, CompanyID: mine.CompanyID, Env: mine.Env, Name: named.Name},
		{ID: foreign.ID, CompanyID: mine.CompanyID, Env: mine.Env},
	}
	f := domain.ListFilter{Page: domain.Page{Number: 1, Limit: 10}}
	samePage(t, "auths", want, f, mine, s.Auths().List, s.Auths().ListWithCustomers, nil)
	accounts := samePage(t, "accounts", want, f, mine, s.Accounts().List, s.Accounts().ListWithCustomers, func(a *domain.Account) {
		if a.ConnectorRef == "" {
			t.Fatalf("account %s listed without its connector reference", a.ID)
		}
		a.ConnectorRef = ""
	})
	samePage(t, "balances", want, f, mine, s.Balances().List, s.Balances().ListWithCustomers, nil)
	samePage(t, "records", want, f, mine, s.Records().List, s.Records().ListWithCustomers, func(r *domain.Record) {
		if r.SealedSession == nil {
			t.Fatalf("record %s listed without its session", r.ID)
		}
		r.SealedSession, r.SealedUsername, r.LoginKey = nil, nil, nil
	})
	filtered, customers, n, err := s.Auths().ListWithCustomers(ctx, mine, domain.ListFilter{CustomerID: named.ID, AccountID: accounts[1].ID})
	must(t, err, "filtered auths with customers")
	equal(t, len(filtered) == 1 && n == 1 && filtered[0].AccountIDs[0] == accounts[1].ID, true, "the filtered page")
	equal(t, customers, want[1:2], "the filtered page's customer")
}

// samePage holds a list with its customers to the plain list: the same
// page (as shown turns each plain row into what the other brings) and
// count, with the customers want.
func samePage[D any](t *testing.T, what string, want []domain.Customer, f domain.ListFilter, sc domain.Scope,
	plain func(context.Context, domain.Scope, domain.ListFilter) ([]D, int, error),
	withCustomers func(context.Context, domain.Scope, domain.ListFilter) ([]D, []domain.Customer, int, error), shown func(*D)) []D {
	t.Helper()
	rows, total, err := plain(ctx, sc, f)
	must(t, err, what)
	if shown != nil {
		for i := range rows {
			shown(&rows[i])
		}
	}
	page, customers, n, err := withCustomers(ctx, sc, f)
	must(t, err, what+" with customers")
	equal(t, page, rows, "the page of "+what)
	equal(t, n, total, "the count of "+what)
	equal(t, customers, want, "the customers of "+what)
	return page
}

// testAccountRefs: RefsMany returns, of the scope's accounts among ids,
// exactly what a balance shows of each (the rest unset), and nothing of
// another scope's.
func testAccountRefs(t *testing.T, s ports.Store) {
	mine := scopeOf(domain.NewID(), domain.EnvSandbox)
	other := scopeOf(domain.NewID(), domain.EnvSandbox)
	var ids []domain.ID
	want := map[domain.ID]domain.Account{}
	for i, sc := range []domain.Scope{mine, mine, other} {
		c := newCustomer(t, s, sc, at(0))
		r := newRecord(t, s, sc, c.ID, domain.NewID(), at(time.Duration(i)*time.Hour))
		a, _, err := s.Accounts().Upsert(ctx, newAccount(sc, r, nuban(80+i), at(time.Duration(i)*time.Hour)))
		must(t, err, "account")
		ids = append(ids, a.ID)
		if sc == mine {
			want[a.ID] = domain.Account{ID: a.ID, CompanyID: a.CompanyID, Env: a.Env, BankID: a.BankID, NUBAN: a.NUBAN,
				Name: a.Name, Type: a.Type, Connected: a.Connected}
		}
	}
	got, err := s.Accounts().RefsMany(ctx, mine, append(ids, ids[0], domain.NewID()))
	must(t, err, "account refs")
	byID := map[domain.ID]domain.Account{}
	for _, a := range got {
		byID[a.ID] = a
	}
	equal(t, byID, want, "account refs of the scope")
	none, err := s.Accounts().RefsMany(ctx, mine, nil)
	must(t, err, "no ids")
	equal(t, len(none), 0, "refs of no ids")
}
