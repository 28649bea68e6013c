package auth

import (
	"context"
	"testing"

	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/core/domain"
)

// linked is a world where Ada (two accounts) and Mallory (one) linked.
func linked(t *testing.T) (*world, *seal.Ring, Payload, Payload) {
	t.Helper()
	cfg := Config{Budgets: Budgets{Off: true}}
	w := newWorld(t, cfg)
	ring := rebuild(w, &fakeBank{bank: w.bank, people: map[string]person{"ada": ada, "mallory": mallory}}, cfg)
	_, l := w.mustOpen(OpenRequest{LinkToken: w.token(TokenRequest{Customer: &CustomerInput{ID: "ada-1", Email: "ada@example.com"}})})
	a, err := w.link(l, "ada")
	if err != nil {
		t.Fatal(err)
	}
	_, l = w.mustOpen(OpenRequest{})
	m, err := w.link(l, "mallory")
	if err != nil {
		t.Fatal(err)
	}
	return w, ring, a, m
}

// TestQueries: the read side answers within the scope, populated, and
// refuses ids of other scopes the same way as unknown ones.
func TestQueries(t *testing.T) {
	w, _, ada, mallory := linked(t)
	ctx := context.Background()
	q := NewQueries(w.store)
	theirs := domain.Scope{CompanyID: w.other.ID, Env: domain.EnvSandbox}

	auths, total, err := q.Auths(ctx, w.scope, domain.ListFilter{})
	if err != nil || total != 2 || len(auths) != 2 {
		t.Fatalf("auths: %d %v", total, err)
	}
	for _, a := range auths {
		if a.Bank.Slug != "fake-bank" || a.Customer.ID != a.Auth.CustomerID || a.Customer.Name == "" {
			t.Fatalf("auth not populated: %+v", a)
		}
	}
	if mine, total, err := q.Auths(ctx, w.scope, domain.ListFilter{CustomerID: ada.CustomerID}); err != nil || total != 1 || mine[0].Auth.CustomerID != ada.CustomerID {
		t.Fatalf("auths of ada: %d %v", total, err)
	}
	if _, _, err := q.Auths(ctx, theirs, domain.ListFilter{CustomerID: ada.CustomerID}); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("another company filtering by our customer: %v", err)
	}
	if none, total, err := q.Auths(ctx, theirs, domain.ListFilter{}); err != nil || total != 0 || len(none) != 0 {
		t.Fatalf("another company's auths: %d %v", total, err)
	}

	byRecord, err := q.AuthByRecord(ctx, w.scope, ada.RecordID)
	if err != nil || byRecord.Auth.RecordID != ada.RecordID {
		t.Fatalf("auth by record: %+v %v", byRecord, err)
	}
	if one, err := q.Auth(ctx, w.scope, byRecord.Auth.ID); err != nil || one.Auth.ID != byRecord.Auth.ID || one.Customer.ID != ada.CustomerID {
		t.Fatalf("auth: %+v %v", one, err)
	}

	records, total, err := q.Records(ctx, w.scope, domain.ListFilter{})
	if err != nil || total != 2 {
		t.Fatalf("records: %d %v", total, err)
	}
	for _, r := range records {
		want := 1
		if r.Record.ID == ada.RecordID {
			want = 2
		}
		if len(r.Accounts) != want || r.Auth == nil || r.Bank.Slug != "fake-bank" || r.Customer.ID != r.Record.CustomerID {
			t.Fatalf("record %s: %d accounts (want %d), auth %v", r.Record.ID, len(r.Accounts), want, r.Auth)
		}
	}
	if r, err := q.Record(ctx, w.scope, mallory.RecordID); err != nil || len(r.Accounts) != 1 || r.Accounts[0].NUBAN != "0000000007" {
		t.Fatalf("record: %+v %v", r, err)
	}

	accounts, total, err := q.Accounts(ctx, w.scope, domain.ListFilter{CustomerID: ada.CustomerID})
	if err != nil || total != 2 {
		t.Fatalf("accounts of ada: %d %v", total, err)
	}
	for _, a := range accounts {
		if a.Customer.ID != ada.CustomerID || a.Bank.Slug != "fake-bank" {
			t.Fatalf("account not populated: %+v", a)
		}
	}
	if a, err := q.Account(ctx, w.scope, ada.Accounts[0].ID); err != nil || a.Account.ID != ada.Accounts[0].ID || a.Customer.ID != ada.CustomerID {
		t.Fatalf("account: %+v %v", a, err)
	}
	if _, _, err := q.Accounts(ctx, w.scope, domain.ListFilter{AccountID: domain.NewID()}); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("filter by an unknown account: %v", err)
	}

	customers, total, err := q.Customers(ctx, w.scope, domain.ListFilter{})
	if err != nil || total != 2 || len(customers) != 2 {
		t.Fatalf("customers: %d %v", total, err)
	}
	if c, err := q.Customer(ctx, w.scope, mallory.CustomerID); err != nil || c.Name != "Mallory Eze" {
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
	ours := map[string]domain.ID{"auth": byRecord.Auth.ID, "auth by record": ada.RecordID, "record": ada.RecordID,
		"account": ada.Accounts[0].ID, "customer": ada.CustomerID}
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

// TestCustomers: finding by each key, flagging and removal.
func TestCustomers(t *testing.T) {
	w, ring, ada, mallory := linked(t)
	ctx := context.Background()
	c := NewCustomers(w.store, ring, w.clock)
	for _, tc := range []struct {
		key, value string
		want       []domain.ID
		invalid    bool
	}{
		{"id", "ada-1", []domain.ID{ada.CustomerID}, false},
		{"email", "ADA@example.com", []domain.ID{ada.CustomerID}, false},
		{"bvn", "22222222222", []domain.ID{ada.CustomerID}, false},
		{"bvn", "77777777777", []domain.ID{mallory.CustomerID}, false},
		{"phone", "08077777777", []domain.ID{mallory.CustomerID}, false},
		{"bvn", "99999999999", nil, false},
		{"_id", ada.CustomerID, []domain.ID{ada.CustomerID}, false},
		{"customer", mallory.CustomerID, []domain.ID{mallory.CustomerID}, false},
		{"_id", "not-an-id", nil, false},
		{"_id", domain.NewID(), nil, false},
		{"name", "mallory eze", []domain.ID{mallory.CustomerID}, false},
		{"name", "Nobody", nil, false},
		{"bvn", "12", nil, true},
		{"colour", "red", nil, true},
		{"bvn", "", nil, true},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			got, err := c.FindBy(ctx, w.scope, tc.key, tc.value)
			if tc.invalid {
				if domain.KindOf(err) != domain.KindInvalid {
					t.Fatalf("got %v, want invalid", err)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %+v %v, want %v", got, err, tc.want)
			}
			for i := range got {
				if got[i].ID != tc.want[i] {
					t.Fatalf("got %s, want %s", got[i].ID, tc.want[i])
				}
			}
		})
	}
	if got, err := c.FindBy(ctx, domain.Scope{CompanyID: w.other.ID, Env: domain.EnvSandbox}, "bvn", "22222222222"); err != nil || len(got) != 0 {
		t.Fatalf("another company finds ada: %+v %v", got, err)
	}

	// A flagged customer's link fails at the last step; unflagged, it works.
	if _, err := c.SetFlagged(ctx, w.scope, ada.CustomerID, true); err != nil {
		t.Fatal(err)
	}
	_, l := w.mustOpen(OpenRequest{LinkToken: w.token(TokenRequest{Customer: &CustomerInput{ID: "ada-1"}})})
	if _, err := w.link(l, "ada"); domain.KindOf(err) != domain.KindFlagged {
		t.Fatalf("a flagged customer linked: %v", err)
	}
	if _, err := c.SetFlagged(ctx, w.scope, ada.CustomerID, false); err != nil {
		t.Fatal(err)
	}
	if w.reload(l).Status != domain.StepAccounts {
		t.Fatal("a flagged customer's session left the accounts step")
	}
	_, l = w.mustOpen(OpenRequest{LinkToken: w.token(TokenRequest{Customer: &CustomerInput{ID: "ada-1"}})})
	if again, err := w.link(l, "ada"); err != nil || again.CustomerID != ada.CustomerID {
		t.Fatalf("unflagged: %+v %v", again, err)
	}
	if _, err := c.SetFlagged(ctx, w.scope, "nope", true); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("flag a malformed id: %v", err)
	}

	// Removal forgets the identifiers and removes the records.
	if err := c.Remove(ctx, w.scope, mallory.CustomerID); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.FindBy(ctx, w.scope, "bvn", "77777777777"); len(got) != 0 {
		t.Fatal("a removed customer is still found by BVN")
	}
	r, err := w.store.Records().Get(ctx, w.scope, mallory.RecordID)
	if err != nil || r.Status != domain.RecordRemoved || len(r.SealedSession) != 0 {
		t.Fatalf("record after removal: %s %v", r.Status, err)
	}
	if err := c.Remove(ctx, w.scope, domain.NewID()); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("remove an unknown customer: %v", err)
	}
	if err := c.Remove(ctx, w.scope, "nope"); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("remove a malformed id: %v", err)
	}
}
