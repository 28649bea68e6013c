package storagetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

func testRecords(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	bank := domain.NewID()
	cust := newCustomer(t, s, sc, base)
	r := newRecord(t, s, sc, cust.ID, bank, base)
	got, err := s.Records().Get(ctx, sc, r.ID)
	must(t, err, "get")
	equal(t, got, r, "stored record")

	r.Status, r.SealedSession, r.SealedUsername, r.LoginKey, r.UpdatedAt = domain.RecordSuccess, []byte("sess"), []byte("user"), []byte("login-1"), at(day)
	r.Products = []string{"auth", "balance"}
	must(t, s.Records().Update(ctx, r), "update")
	got, err = s.Records().Get(ctx, sc, r.ID)
	must(t, err, "get after update")
	equal(t, got, r, "updated record")
	wantKind(t, s.Records().Update(ctx, domain.Record{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env}), domain.KindNotFound, "update a missing record")

	found, err := s.Records().FindByLogin(ctx, sc, bank, []byte("login-1"))
	must(t, err, "find by login")
	equal(t, found.ID, r.ID, "found record")
	_, err = s.Records().FindByLogin(ctx, sc, domain.NewID(), []byte("login-1"))
	wantKind(t, err, domain.KindNotFound, "find by login at another bank")
	_, err = s.Records().FindByLogin(ctx, scopeOf(sc.CompanyID, domain.EnvProduction), bank, []byte("login-1"))
	wantKind(t, err, domain.KindNotFound, "find by login in the other env")

	// Records without a login key do not collide; two with the same key at
	// the same bank do.
	r2 := newRecord(t, s, sc, cust.ID, bank, at(2*day))
	r3 := newRecord(t, s, sc, domain.NewID(), domain.NewID(), at(3*day))
	r2.LoginKey = []byte("login-1")
	wantKind(t, s.Records().Update(ctx, r2), domain.KindConflict, "a second record with the same login key")
	dup := r
	dup.ID = domain.NewID()
	wantKind(t, s.Records().Create(ctx, dup), domain.KindConflict, "create a second record with the same login key")

	byCust, err := s.Records().ListByCustomer(ctx, sc, cust.ID)
	must(t, err, "list by customer")
	equal(t, ids(byCust, func(r domain.Record) domain.ID { return r.ID }), []domain.ID{r2.ID, r.ID}, "records of the customer, newest first")

	list, total, err := s.Records().List(ctx, sc, domain.ListFilter{BankID: bank})
	must(t, err, "list by bank")
	equal(t, total, 2, "records at the bank")
	equal(t, ids(list, func(r domain.Record) domain.ID { return r.ID }), []domain.ID{r2.ID, r.ID}, "records at the bank")
	list, total, err = s.Records().List(ctx, sc, domain.ListFilter{})
	must(t, err, "list")
	equal(t, total, 3, "all records")
	equal(t, list[0].ID, r3.ID, "newest record first")
	acct, _, err := s.Accounts().Upsert(ctx, newAccount(sc, r3, nuban(1), at(3*day)))
	must(t, err, "account")
	list, _, err = s.Records().List(ctx, sc, domain.ListFilter{AccountID: acct.ID})
	must(t, err, "list by account")
	equal(t, ids(list, func(r domain.Record) domain.ID { return r.ID }), []domain.ID{r3.ID}, "records by account")
}

func testAccounts(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvProduction)
	cust := newCustomer(t, s, sc, base)
	r := newRecord(t, s, sc, cust.ID, domain.NewID(), base)
	a := newAccount(sc, r, nuban(7), base)
	got, existed, err := s.Accounts().Upsert(ctx, a)
	must(t, err, "insert")
	equal(t, existed, false, "existed on insert")
	equal(t, got, a, "inserted account")

	// A relink through another record and customer refreshes the row.
	r2 := newRecord(t, s, sc, domain.NewID(), r.BankID, at(day))
	again := newAccount(sc, r2, nuban(7), at(day))
	again.Name, again.Connected = "A. Lovelace", false
	got, existed, err = s.Accounts().Upsert(ctx, again)
	must(t, err, "upsert")
	equal(t, existed, true, "existed on the second upsert")
	want := again
	want.ID, want.CreatedAt = a.ID, a.CreatedAt
	equal(t, got, want, "refreshed account")

	byNUBAN, err := s.Accounts().FindByNUBAN(ctx, sc, r.BankID, nuban(7))
	must(t, err, "find by nuban")
	equal(t, byNUBAN, want, "account by nuban")
	_, err = s.Accounts().FindByNUBAN(ctx, sc, domain.NewID(), nuban(7))
	wantKind(t, err, domain.KindNotFound, "nuban at another bank")

	// The same NUBAN in the other env or company is another account.
	other, existed, err := s.Accounts().Upsert(ctx, newAccount(scopeOf(sc.CompanyID, domain.EnvSandbox), r, nuban(7), base))
	must(t, err, "other env")
	if existed || other.ID == a.ID {
		t.Fatalf("an account in the other env merged with this one")
	}

	b, _, err := s.Accounts().Upsert(ctx, newAccount(sc, r2, nuban(8), at(2*day)))
	must(t, err, "second account")
	byRecord, err := s.Accounts().ListByRecord(ctx, sc, r2.ID)
	must(t, err, "list by record")
	equal(t, ids(byRecord, func(a domain.Account) domain.ID { return a.ID }), []domain.ID{b.ID, a.ID}, "accounts of the record")
	list, total, err := s.Accounts().List(ctx, sc, domain.ListFilter{AccountID: b.ID})
	must(t, err, "list by id")
	equal(t, total, 1, "accounts by id")
	equal(t, list[0], b, "account by id")
	_, total, err = s.Accounts().List(ctx, sc, domain.ListFilter{CustomerID: again.CustomerID, BankID: r.BankID, RecordID: r2.ID})
	must(t, err, "list by customer, bank and record")
	equal(t, total, 2, "accounts by customer, bank and record")
	_, err = s.Accounts().Get(ctx, sc, domain.NewID())
	wantKind(t, err, domain.KindNotFound, "missing account")
}

func testAuths(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	cust := newCustomer(t, s, sc, base)
	r := newRecord(t, s, sc, cust.ID, domain.NewID(), base)
	a1, _, err := s.Accounts().Upsert(ctx, newAccount(sc, r, nuban(1), base))
	must(t, err, "account 1")
	a2, _, err := s.Accounts().Upsert(ctx, newAccount(sc, r, nuban(2), base))
	must(t, err, "account 2")

	au := domain.Auth{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, RecordID: r.ID, CustomerID: cust.ID, BankID: r.BankID,
		ValidationNote: "bvn mismatch", AccountIDs: []domain.ID{a2.ID, a1.ID}, CreatedAt: base, UpdatedAt: base}
	got, existed, err := s.Auths().Upsert(ctx, au)
	must(t, err, "insert")
	equal(t, existed, false, "existed on insert")
	equal(t, got, au, "inserted auth")
	stored, err := s.Auths().Get(ctx, sc, au.ID)
	must(t, err, "get")
	equal(t, stored, au, "stored auth keeps its accounts in order")

	again := au
	again.ID, again.Validated, again.ValidationNote, again.AccountIDs, again.UpdatedAt, again.CreatedAt = domain.NewID(), true, "", []domain.ID{a1.ID}, at(day), at(day)
	got, existed, err = s.Auths().Upsert(ctx, again)
	must(t, err, "upsert")
	equal(t, existed, true, "existed on the second upsert")
	want := again
	want.ID, want.CreatedAt = au.ID, au.CreatedAt
	equal(t, got, want, "refreshed auth")
	byRecord, err := s.Auths().GetByRecord(ctx, sc, r.ID)
	must(t, err, "get by record")
	equal(t, byRecord, want, "auth by record")

	list, total, err := s.Auths().List(ctx, sc, domain.ListFilter{AccountID: a1.ID})
	must(t, err, "list by account")
	equal(t, total, 1, "auths covering account 1")
	equal(t, list, []domain.Auth{want}, "auths covering account 1")
	_, total, err = s.Auths().List(ctx, sc, domain.ListFilter{AccountID: a2.ID})
	must(t, err, "list by account 2")
	equal(t, total, 0, "auths covering the dropped account")
	_, err = s.Auths().GetByRecord(ctx, scopeOf(sc.CompanyID, domain.EnvProduction), r.ID)
	wantKind(t, err, domain.KindNotFound, "auth by record in the other env")
}

// testAuthAccountsAgree changes an auth's accounts upsert by upsert and
// holds the two places they are kept to each other: the ids Get returns
// (the auth row's copy) and the account filter (the link table) must name
// the same accounts every time, in the order last given.
func testAuthAccountsAgree(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	cust := newCustomer(t, s, sc, base)
	r := newRecord(t, s, sc, cust.ID, domain.NewID(), base)
	var accounts []domain.ID
	for i := 1; i <= 3; i++ {
		a, _, err := s.Accounts().Upsert(ctx, newAccount(sc, r, nuban(i), base))
		must(t, err, "account")
		accounts = append(accounts, a.ID)
	}
	a1, a2, a3 := accounts[0], accounts[1], accounts[2]
	id := domain.NewID()
	for i, ids := range [][]domain.ID{{a2, a1}, {a1}, {a3, a1, a2}, {a2, a2, a3}, nil, {a1, a3}} {
		step := fmt.Sprintf("upsert %d %v", i, ids)
		au := domain.Auth{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, RecordID: r.ID, CustomerID: cust.ID, BankID: r.BankID,
			AccountIDs: ids, CreatedAt: at(time.Duration(i) * time.Hour), UpdatedAt: at(time.Duration(i) * time.Hour)}
		if i == 0 {
			au.ID = id
		}
		_, _, err := s.Auths().Upsert(ctx, au)
		must(t, err, step)
		got, err := s.Auths().Get(ctx, sc, id)
		must(t, err, step+": get")
		var want []domain.ID
		for _, a := range ids {
			if !slices.Contains(want, a) {
				want = append(want, a)
			}
		}
		equal(t, got.AccountIDs, want, step+": the auth's account ids")
		page, _, err := s.Auths().List(ctx, sc, domain.ListFilter{})
		must(t, err, step+": list")
		equal(t, len(page), 1, step+": one auth")
		equal(t, page[0].AccountIDs, want, step+": the listed auth's account ids")
		byRecord, err := s.Auths().ListByRecords(ctx, sc, []domain.ID{r.ID})
		must(t, err, step+": list by records")
		equal(t, len(byRecord), 1, step+": one auth of the record")
		equal(t, byRecord[0].AccountIDs, want, step+": the record's auth's account ids")
		for _, a := range accounts {
			_, n, err := s.Auths().List(ctx, sc, domain.ListFilter{AccountID: a})
			must(t, err, step+": list by account")
			equal(t, n == 1, slices.Contains(want, a), step+": the account filter finds the auth for "+a)
		}
	}
}

func testBalances(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	cust := newCustomer(t, s, sc, base)
	r := newRecord(t, s, sc, cust.ID, domain.NewID(), base)
	acct, _, err := s.Accounts().Upsert(ctx, newAccount(sc, r, nuban(1), base))
	must(t, err, "account")
	var snaps []domain.Balance
	for i := 0; i < 3; i++ {
		b := domain.Balance{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, AccountID: acct.ID, RecordID: r.ID, CustomerID: cust.ID,
			Available: domain.Minor(150050 + i), Ledger: domain.Minor(-25 - i), Currency: domain.CurrencyNGN, AsOf: at(time.Duration(i) * time.Hour),
			CreatedAt: at(time.Duration(i)*time.Hour + time.Second)}
		must(t, s.Balances().Add(ctx, b), "add")
		snaps = append(snaps, b)
	}
	latest, err := s.Balances().Latest(ctx, sc, acct.ID)
	must(t, err, "latest")
	equal(t, latest, snaps[2], "latest snapshot")
	got, err := s.Balances().Get(ctx, sc, snaps[0].ID)
	must(t, err, "get")
	equal(t, got, snaps[0], "first snapshot")
	_, err = s.Balances().Latest(ctx, sc, domain.NewID())
	wantKind(t, err, domain.KindNotFound, "latest of an account without balances")
	_, err = s.Balances().Latest(ctx, scopeOf(domain.NewID(), sc.Env), acct.ID)
	wantKind(t, err, domain.KindNotFound, "latest from another company")

	list, total, err := s.Balances().List(ctx, sc, domain.ListFilter{AccountID: acct.ID, Page: domain.Page{Limit: 2}})
	must(t, err, "list")
	equal(t, total, 3, "total snapshots")
	equal(t, ids(list, func(b domain.Balance) domain.ID { return b.ID }), []domain.ID{snaps[2].ID, snaps[1].ID}, "first page of snapshots")
	_, total, err = s.Balances().List(ctx, sc, domain.ListFilter{BankID: r.BankID})
	must(t, err, "list by bank")
	equal(t, total, 3, "snapshots at the bank")

	acct2, _, err := s.Accounts().Upsert(ctx, newAccount(sc, r, nuban(2), base))
	must(t, err, "second account")
	only := domain.Balance{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, AccountID: acct2.ID, RecordID: r.ID, CustomerID: cust.ID,
		Available: 7, Ledger: 8, Currency: domain.CurrencyNGN, AsOf: at(0), CreatedAt: at(time.Second)}
	must(t, s.Balances().Add(ctx, only), "add to the second account")
	many, err := s.Balances().LatestMany(ctx, sc, []domain.ID{acct.ID, domain.NewID(), acct2.ID, acct.ID})
	must(t, err, "latest of several")
	byAccount := map[domain.ID]domain.Balance{}
	for _, b := range many {
		byAccount[b.AccountID] = b
	}
	equal(t, len(many), 2, "one latest per account with balances")
	equal(t, byAccount, map[domain.ID]domain.Balance{acct.ID: snaps[2], acct2.ID: only}, "latest of several accounts")
	many, err = s.Balances().LatestMany(ctx, scopeOf(domain.NewID(), sc.Env), []domain.ID{acct.ID, acct2.ID})
	must(t, err, "latest of several from another company")
	equal(t, len(many), 0, "latest of several from another company")
}
