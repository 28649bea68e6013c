package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

func testListPages(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	day0 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	bank := domain.NewID()
	var recs []domain.Record // oldest first
	for i := 0; i < 25; i++ {
		recs = append(recs, newRecord(t, s, sc, domain.NewID(), bank, day0.Add(time.Duration(i)*6*time.Hour)))
	}
	newest := func(from, to int) []domain.ID { // ids of recs[from..to] newest first
		var out []domain.ID
		for i := to; i >= from; i-- {
			out = append(out, recs[i].ID)
		}
		return out
	}
	for _, c := range []struct {
		page      domain.Page
		from, to  int
		wantTotal int
	}{
		{domain.Page{Number: 1, Limit: 10}, 15, 24, 25},
		{domain.Page{Number: 2, Limit: 10}, 5, 14, 25},
		{domain.Page{Number: 3, Limit: 10}, 0, 4, 25},
		{domain.Page{}, 5, 24, 25}, // default limit 20
	} {
		list, total, err := s.Records().List(ctx, sc, domain.ListFilter{Page: c.page})
		must(t, err, "list")
		equal(t, total, c.wantTotal, "total")
		equal(t, ids(list, func(r domain.Record) domain.ID { return r.ID }), newest(c.from, c.to), "page")
	}
	list, _, err := s.Records().List(ctx, sc, domain.ListFilter{Page: domain.Page{Number: 4, Limit: 10}})
	must(t, err, "page past the end")
	equal(t, len(list), 0, "items past the end")

	// From is inclusive, To exclusive, to the microsecond.
	edge := newRecord(t, s, sc, domain.NewID(), bank, day0.Add(2*day-time.Microsecond))
	list, total, err := s.Records().List(ctx, sc, domain.ListFilter{From: day0.Add(day), To: day0.Add(2 * day)})
	must(t, err, "list a day")
	equal(t, total, 5, "records of the day")
	equal(t, ids(list, func(r domain.Record) domain.ID { return r.ID }), append([]domain.ID{edge.ID}, newest(4, 7)...), "records of the day")
	_, total, err = s.Records().List(ctx, sc, domain.ListFilter{From: day0.Add(6 * day)})
	must(t, err, "list from")
	equal(t, total, 1, "records from the last day") // recs[24] at 6 days
	_, total, err = s.Records().List(ctx, sc, domain.ListFilter{To: day0.Add(6 * time.Hour)})
	must(t, err, "list to")
	equal(t, total, 1, "records before the second")
}

func testScoping(t *testing.T, s ports.Store) {
	mine := scopeOf(domain.NewID(), domain.EnvSandbox)
	otherCompany := scopeOf(domain.NewID(), domain.EnvSandbox)
	otherEnv := scopeOf(mine.CompanyID, domain.EnvProduction)

	cust := newCustomer(t, s, mine, base)
	rec := newRecord(t, s, mine, cust.ID, domain.NewID(), base)
	acct, _, err := s.Accounts().Upsert(ctx, newAccount(mine, rec, nuban(1), base))
	must(t, err, "account")
	au, _, err := s.Auths().Upsert(ctx, domain.Auth{ID: domain.NewID(), CompanyID: mine.CompanyID, Env: mine.Env, RecordID: rec.ID,
		CustomerID: cust.ID, BankID: rec.BankID, AccountIDs: []domain.ID{acct.ID}, CreatedAt: base, UpdatedAt: base})
	must(t, err, "auth")
	bal := domain.Balance{ID: domain.NewID(), CompanyID: mine.CompanyID, Env: mine.Env, AccountID: acct.ID, RecordID: rec.ID,
		CustomerID: cust.ID, Currency: domain.CurrencyNGN, AsOf: base, CreatedAt: base}
	must(t, s.Balances().Add(ctx, bal), "balance")
	ev := domain.OutboxEvent{ID: domain.NewID(), CompanyID: mine.CompanyID, Env: mine.Env, Method: domain.MethodAuth, Code: domain.CodeAuthSuccess,
		RecordID: rec.ID, Payload: []byte(`{}`), Status: domain.OutboxPending, NextAttempt: base, CreatedAt: base, UpdatedAt: base}
	must(t, s.Outbox().Add(ctx, ev), "event")
	job := domain.Job{ID: domain.NewID(), CompanyID: mine.CompanyID, Env: mine.Env, Kind: domain.JobBalanceRefresh, Subject: acct.ID,
		Status: domain.JobPending, RunAfter: base, CreatedAt: base, UpdatedAt: base}
	must(t, s.Jobs().Add(ctx, job), "job")
	must(t, s.Audit().Add(ctx, domain.AuditEvent{ID: domain.NewID(), CompanyID: mine.CompanyID, Env: mine.Env, Actor: "api",
		Action: "auth.created", Subject: au.ID, CreatedAt: base}), "audit")
	must(t, s.Webhooks().Set(ctx, domain.WebhookEndpoint{CompanyID: mine.CompanyID, Env: mine.Env, URL: "https://hooks.example",
		CreatedAt: base, UpdatedAt: base}), "webhook")

	gets := map[string]func(sc domain.Scope) error{
		"customer": func(sc domain.Scope) error { _, err := s.Customers().Get(ctx, sc, cust.ID); return err },
		"record":   func(sc domain.Scope) error { _, err := s.Records().Get(ctx, sc, rec.ID); return err },
		"account":  func(sc domain.Scope) error { _, err := s.Accounts().Get(ctx, sc, acct.ID); return err },
		"nuban": func(sc domain.Scope) error {
			_, err := s.Accounts().FindByNUBAN(ctx, sc, acct.BankID, acct.NUBAN)
			return err
		},
		"auth":           func(sc domain.Scope) error { _, err := s.Auths().Get(ctx, sc, au.ID); return err },
		"auth by record": func(sc domain.Scope) error { _, err := s.Auths().GetByRecord(ctx, sc, rec.ID); return err },
		"balance":        func(sc domain.Scope) error { _, err := s.Balances().Get(ctx, sc, bal.ID); return err },
		"latest balance": func(sc domain.Scope) error { _, err := s.Balances().Latest(ctx, sc, acct.ID); return err },
		"event":          func(sc domain.Scope) error { _, err := s.Outbox().Get(ctx, sc, ev.ID); return err },
		"job":            func(sc domain.Scope) error { _, err := s.Jobs().Get(ctx, sc, job.ID); return err },
		"job by subject": func(sc domain.Scope) error {
			_, err := s.Jobs().LatestBySubject(ctx, sc, domain.JobBalanceRefresh, acct.ID)
			return err
		},
		"webhook": func(sc domain.Scope) error { _, err := s.Webhooks().Get(ctx, sc); return err },
	}
	lists := map[string]func(sc domain.Scope) (int, error){
		"customers": func(sc domain.Scope) (int, error) {
			_, n, err := s.Customers().List(ctx, sc, domain.ListFilter{})
			return n, err
		},
		"records": func(sc domain.Scope) (int, error) {
			_, n, err := s.Records().List(ctx, sc, domain.ListFilter{})
			return n, err
		},
		"accounts": func(sc domain.Scope) (int, error) {
			_, n, err := s.Accounts().List(ctx, sc, domain.ListFilter{})
			return n, err
		},
		"auths": func(sc domain.Scope) (int, error) {
			_, n, err := s.Auths().List(ctx, sc, domain.ListFilter{})
			return n, err
		},
		"balances": func(sc domain.Scope) (int, error) {
			_, n, err := s.Balances().List(ctx, sc, domain.ListFilter{})
			return n, err
		},
		"events": func(sc domain.Scope) (int, error) {
			_, n, err := s.Outbox().List(ctx, sc, domain.ListFilter{})
			return n, err
		},
		"audit": func(sc domain.Scope) (int, error) {
			_, n, err := s.Audit().List(ctx, sc, domain.ListFilter{})
			return n, err
		},
		"records of customer": func(sc domain.Scope) (int, error) {
			l, err := s.Records().ListByCustomer(ctx, sc, cust.ID)
			return len(l), err
		},
		"accounts of record": func(sc domain.Scope) (int, error) {
			l, err := s.Accounts().ListByRecord(ctx, sc, rec.ID)
			return len(l), err
		},
	}
	for name, get := range gets {
		if err := get(mine); err != nil {
			t.Errorf("%s in its own scope: %v", name, err)
		}
		for label, sc := range map[string]domain.Scope{"another company": otherCompany, "the other env": otherEnv} {
			if err := get(sc); domain.KindOf(err) != domain.KindNotFound {
				t.Errorf("%s from %s: %v, want not found", name, label, err)
			}
		}
	}
	for name, list := range lists {
		if n, err := list(mine); err != nil || n != 1 {
			t.Errorf("%s in its own scope: %d, %v; want 1", name, n, err)
		}
		for label, sc := range map[string]domain.Scope{"another company": otherCompany, "the other env": otherEnv} {
			if n, err := list(sc); err != nil || n != 0 {
				t.Errorf("%s from %s: %d, %v; want 0", name, label, n, err)
			}
		}
	}
}

var errBoom = errors.New("boom")

func testTx(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	cust := domain.Customer{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, Name: "Ada", CreatedAt: base, UpdatedAt: base}
	rec := domain.Record{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, CustomerID: cust.ID, BankID: domain.NewID(),
		Status: domain.RecordSuccess, CreatedAt: base, UpdatedAt: base}

	err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		must(t, tx.Customers().Create(ctx, cust), "create customer in tx")
		must(t, tx.Records().Create(ctx, rec), "create record in tx")
		if _, err := tx.Customers().Get(ctx, sc, cust.ID); err != nil {
			t.Errorf("the tx does not see its own write: %v", err)
		}
		// The store itself joins the transaction through ctx.
		if _, err := s.Records().Get(ctx, sc, rec.ID); err != nil {
			t.Errorf("the store with the tx's ctx does not see the tx's write: %v", err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("WithinTx returned %v, want fn's error", err)
	}
	_, err = s.Customers().Get(ctx, sc, cust.ID)
	wantKind(t, err, domain.KindNotFound, "customer after rollback")
	_, err = s.Records().Get(ctx, sc, rec.ID)
	wantKind(t, err, domain.KindNotFound, "record after rollback")

	// A failing statement in the middle rolls back the earlier ones too.
	other := newCustomer(t, s, sc, base)
	err = s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		must(t, tx.Records().Create(ctx, rec), "create record in tx")
		return tx.Customers().Create(ctx, other) // taken id
	})
	wantKind(t, err, domain.KindConflict, "tx with a duplicate")
	_, err = s.Records().Get(ctx, sc, rec.ID)
	wantKind(t, err, domain.KindNotFound, "record after a failed tx")

	// A panic rolls back and propagates.
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("the panic did not propagate")
			}
		}()
		_ = s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
			must(t, tx.Customers().Create(ctx, cust), "create customer in tx")
			panic("boom")
		})
	}()
	_, err = s.Customers().Get(ctx, sc, cust.ID)
	wantKind(t, err, domain.KindNotFound, "customer after a panic")

	must(t, s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		if err := tx.Customers().Create(ctx, cust); err != nil {
			return err
		}
		return tx.Records().Create(ctx, rec)
	}), "committed tx")
	_, err = s.Customers().Get(ctx, sc, cust.ID)
	must(t, err, "customer after commit")
	_, err = s.Records().Get(ctx, sc, rec.ID)
	must(t, err, "record after commit")
}

func testTxNested(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	outer := domain.Customer{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, Name: "outer", CreatedAt: base, UpdatedAt: base}
	inner := outer
	inner.ID, inner.Name = domain.NewID(), "inner"
	kept := outer
	kept.ID, kept.Name = domain.NewID(), "kept"
	err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		must(t, tx.Customers().Create(ctx, outer), "outer write")
		err := s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
			must(t, tx.Customers().Create(ctx, inner), "inner write")
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Errorf("nested WithinTx returned %v", err)
		}
		return s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
			return tx.Customers().Create(ctx, kept)
		})
	})
	must(t, err, "outer tx")
	_, err = s.Customers().Get(ctx, sc, outer.ID)
	must(t, err, "outer write after commit")
	_, err = s.Customers().Get(ctx, sc, kept.ID)
	must(t, err, "second nested write after commit")
	_, err = s.Customers().Get(ctx, sc, inner.ID)
	wantKind(t, err, domain.KindNotFound, "the failed nested write")

	// A failing outer fn rolls back what nested calls committed.
	err = s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		must(t, s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
			return tx.Customers().Create(ctx, inner)
		}), "nested write")
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("WithinTx returned %v", err)
	}
	_, err = s.Customers().Get(ctx, sc, inner.ID)
	wantKind(t, err, domain.KindNotFound, "a nested write of a rolled back tx")
}
