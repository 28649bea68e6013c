package reads

import (
	"testing"

	"github.com/bankauth/bankauth/core/domain"
)

// TestQueries: the read side answers within the scope, populated, and
// refuses ids of other scopes the same way as unknown ones.
func TestQueries(t *testing.T) {
	w := newShelf(t)
	ctx := w.ctx
	q := NewQueries(w.store)
	theirs := w.theirs

	auths, total, err := q.Auths(ctx, w.scope, domain.ListFilter{})
	if err != nil || total != 2 || len(auths) != 2 {
		t.Fatalf("auths: %d %v", total, err)
	}
	for _, a := range auths {
		if a.Bank.Slug != "fake-bank" || a.Customer.ID != a.Auth.CustomerID || a.Customer.Name == "" {
			t.Fatalf("auth not populated: %+v", a)
		}
	}
	if mine, total, err := q.Auths(ctx, w.scope, domain.ListFilter{CustomerID: w.ada.customer.ID}); err != nil || total != 1 || mine[0].Auth.CustomerID != w.ada.customer.ID {
		t.Fatalf("auths of ada: %d %v", total, err)
	}
	if _, _, err := q.Auths(ctx, theirs, domain.ListFilter{CustomerID: w.ada.customer.ID}); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("another company filtering by our customer: %v", err)
	}
	if none, total, err := q.Auths(ctx, theirs, domain.ListFilter{}); err != nil || total != 0 || len(none) != 0 {
		t.Fatalf("another company's auths: %d %v", total, err)
	}

	byRecord, err := q.AuthByRecord(ctx, w.scope, w.ada.record.ID)
	if err != nil || byRecord.Auth.RecordID != w.ada.record.ID {
		t.Fatalf("auth by record: %+v %v", byRecord, err)
	}
	if one, err := q.Auth(ctx, w.scope, byRecord.Auth.ID); err != nil || one.Auth.ID != byRecord.Auth.ID || one.Customer.ID != w.ada.customer.ID {
		t.Fatalf("auth: %+v %v", one, err)
	}

	records, total, err := q.Records(ctx, w.scope, domain.ListFilter{})
	if err != nil || total != 2 {
		t.Fatalf("records: %d %v", total, err)
	}
	for _, r := range records {
		want := 1
		if r.Record.ID == w.ada.record.ID {
			want = 2
		}
		if len(r.Accounts) != want || r.Auth == nil || r.Bank.Slug != "fake-bank" || r.Customer.ID != r.Record.CustomerID {
			t.Fatalf("record %s: %d accounts (want %d), auth %v", r.Record.ID, len(r.Accounts), want, r.Auth)
		}
	}
	if r, err := q.Record(ctx, w.scope, w.mallory.record.ID); err != nil || len(r.Accounts) != 1 || r.Accounts[0].NUBAN != "0000000007" {
		t.Fatalf("record: %+v %v", r, err)
	}

	accounts, total, err := q.Accounts(ctx, w.scope, domain.ListFilter{CustomerID: w.ada.customer.ID})
	if err != nil || total != 2 {
		t.Fatalf("accounts of ada: %d %v", total, err)
	}
	for _, a := range accounts {
		if a.Customer.ID != w.ada.customer.ID || a.Bank.Slug != "fake-bank" {
			t.Fatalf("account not populated: %+v", a)
		}
	}
	if a, err := q.Account(ctx, w.scope, w.ada.accounts[0].ID); err != nil || a.Account.ID != w.ada.accounts[0].ID || a.Customer.ID != w.ada.customer.ID {
		t.Fatalf("account: %+v %v", a, err)
	}
	if _, _, err := q.Accounts(ctx, w.scope, domain.ListFilter{AccountID: domain.NewID()}); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("filter by an unknown account: %v", err)
	}

	customers, total, err := q.Customers(ctx, w.scope, domain.ListFilter{})
	if err != nil || total != 2 || len(customers) != 2 {
		t.Fatalf("customers: %d %v", total, err)
	}
	if c, err := q.Customer(ctx, w.scope, w.mallory.customer.ID); err != nil || c.Name != "Mallory Eze" {
		t.Fatalf("customer: %+v %v", c, err)
	}

	// Every getter: a malformed id, an unknown id and another company's id
	// are all "not found".
	getters := map[string]func(domain.Scope, domain.ID) error{
		"auth":           func(s domain.Scope, id domain.ID) error { _, err := q.Auth(ctx, s, id); return err },
		"auth by record": func(s domain.Scope, id domain.ID) error { _, err := q.AuthByRecord(ctx, s, id); return err },
		"record":         func(s domain.Scope, id domain.ID) error { _, err := q.Record(ctx, s, id); return err },
		"account":        func(s domain.Scope, id domain.ID) error { _, err := q.Account(ctx, s, id); return err },
		"customer":       func(s domain.Scope, id domain.ID) error { _, err := q.Customer(ctx, s, id); return err },
	}
	ours := map[string]domain.ID{"auth": byRecord.Auth.ID, "auth by record": w.ada.record.ID, "record": w.ada.record.ID,
		"account": w.ada.accounts[0].ID, "customer": w.ada.customer.ID}
	for name, get := range getters {
		for _, tc := range []struct {
			what  string
			scope domain.Scope
			id    domain.ID
		}{{"malformed", w.scope, "123"}, {"unknown", w.scope, domain.NewID()}, {"another company's", theirs, ours[name]}} {
			if err := get(tc.scope, tc.id); domain.KindOf(err) != domain.KindNotFound {
				t.Errorf("%s of a %s id: %v, want not found", name, tc.what, err)
			}
		}
	}
}
