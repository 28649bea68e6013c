package customers

import (
	"context"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// desk is a company with two customers, Ada and Mallory, each with the
// identifiers a link would have saved and a record holding a session.
type desk struct {
	t             *testing.T
	ctx           context.Context
	store         ports.Store
	ring          *seal.Ring
	now           time.Time
	scope, theirs domain.Scope
	ada, mallory  domain.Customer
	malloryRecord domain.Record
}

func newDesk(t *testing.T) *desk {
	t.Helper()
	ring, err := seal.NewRing(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	d := &desk{t: t, ctx: context.Background(), store: storagetest.OpenSQLite(t), ring: ring,
		now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	bank, err := d.store.Banks().Upsert(d.ctx, domain.Bank{ID: domain.NewID(), Slug: "fake-bank", Name: "Fake Bank", Connector: "test",
		CreatedAt: d.now, UpdatedAt: d.now})
	d.must(err)
	for _, sc := range []*domain.Scope{&d.scope, &d.theirs} {
		c := domain.Company{ID: domain.NewID(), Name: "Acme", CreatedAt: d.now, UpdatedAt: d.now}
		d.must(d.store.Companies().Create(d.ctx, c))
		*sc = domain.Scope{CompanyID: c.ID, Env: domain.EnvSandbox}
	}
	d.ada = d.customer("Ada Obi", map[domain.IdentifierKind]string{
		domain.IdentExternal: "ada-1", domain.IdentEmail: "ada@example.com", domain.IdentBVN: "22222222222"})
	d.mallory = d.customer("Mallory Eze", map[domain.IdentifierKind]string{
		domain.IdentBVN: "77777777777", domain.IdentPhone: "+2348077777777"})
	d.malloryRecord = domain.Record{ID: domain.NewID(), CompanyID: d.scope.CompanyID, Env: d.scope.Env, CustomerID: d.mallory.ID,
		BankID: bank.ID, Status: domain.RecordSuccess, Method: domain.MethodInternetBanking, Products: []string{"auth"},
		SealedSession: []byte("sealed session"), CreatedAt: d.now, UpdatedAt: d.now}
	d.must(d.store.Records().Create(d.ctx, d.malloryRecord))
	return d
}

func (d *desk) must(err error) {
	d.t.Helper()
	if err != nil {
		d.t.Fatal(err)
	}
}

// customer stores a customer of our scope with its identifiers, indexed
// as the link flow indexes them.
func (d *desk) customer(name string, ids map[domain.IdentifierKind]string) domain.Customer {
	d.t.Helper()
	c := domain.Customer{ID: domain.NewID(), CompanyID: d.scope.CompanyID, Env: d.scope.Env, Name: name, CreatedAt: d.now, UpdatedAt: d.now}
	d.must(d.store.Customers().Create(d.ctx, c))
	for kind, v := range ids {
		id := domain.NewID()
		sealed, err := d.ring.Seal([]byte(v), domain.IdentifierAD(id))
		d.must(err)
		_, err = d.store.Customers().AddIdentifier(d.ctx, domain.CustomerIdentifier{ID: id, CompanyID: c.CompanyID, Env: c.Env,
			CustomerID: c.ID, Kind: kind, BlindIndex: d.ring.BlindIndex(c.CompanyID, string(kind), v), Sealed: sealed, CreatedAt: d.now})
		d.must(err)
	}
	return c
}

// TestFindBy: finding by each key, within the scope only.
func TestFindBy(t *testing.T) {
	d := newDesk(t)
	c := NewService(d.store, d.ring, fixedClock{d.now})
	ada, mallory := d.ada.ID, d.mallory.ID
	for _, tc := range []struct {
		key, value string
		want       []domain.ID
		invalid    bool
	}{
		{"id", "ada-1", []domain.ID{ada}, false},
		{"email", "ADA@example.com", []domain.ID{ada}, false},
		{"bvn", "22222222222", []domain.ID{ada}, false},
		{" bvn ", "77777777777", []domain.ID{mallory}, false},
		{"phone", "08077777777", []domain.ID{mallory}, false},
		{"bvn", "99999999999", nil, false},
		{"_id", ada, []domain.ID{ada}, false},
		{"customer", mallory, []domain.ID{mallory}, false},
		{"_id", "not-an-id", nil, false},
		{"_id", domain.NewID(), nil, false},
		{"name", "mallory eze", []domain.ID{mallory}, false},
		{"name", "Nobody", nil, false},
		{"bvn", "12", nil, true},
		{"colour", "red", nil, true},
		{"bvn", "", nil, true},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			got, err := c.FindBy(d.ctx, d.scope, tc.key, tc.value)
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
	if got, err := c.FindBy(d.ctx, d.theirs, "bvn", "22222222222"); err != nil || len(got) != 0 {
		t.Fatalf("another company finds ada: %+v %v", got, err)
	}
}

// TestSetFlagged: flagging and unflagging are stored; an id that is
// malformed or of another company is not found.
func TestSetFlagged(t *testing.T) {
	d := newDesk(t)
	c := NewService(d.store, d.ring, fixedClock{d.now})
	for _, flagged := range []bool{true, false} {
		if _, err := c.SetFlagged(d.ctx, d.scope, d.ada.ID, flagged); err != nil {
			t.Fatal(err)
		}
		if got, err := d.store.Customers().Flagged(d.ctx, d.scope, d.ada.ID); err != nil || got != flagged {
			t.Fatalf("flagged = %v %v, want %v", got, err, flagged)
		}
	}
	if _, err := c.SetFlagged(d.ctx, d.scope, "nope", true); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("flag a malformed id: %v", err)
	}
	if _, err := c.SetFlagged(d.ctx, d.theirs, d.ada.ID, true); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("flag another company's customer: %v", err)
	}
}

// TestRemove: removal forgets the identifiers and removes the records,
// and leaves other customers alone.
func TestRemove(t *testing.T) {
	d := newDesk(t)
	c := NewService(d.store, d.ring, fixedClock{d.now.Add(time.Hour)})
	if err := c.Remove(d.ctx, d.scope, d.mallory.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.FindBy(d.ctx, d.scope, "bvn", "77777777777"); len(got) != 0 {
		t.Fatal("a removed customer is still found by BVN")
	}
	if got, _ := c.FindBy(d.ctx, d.scope, "bvn", "22222222222"); len(got) != 1 {
		t.Fatal("removing mallory forgot ada")
	}
	r, err := d.store.Records().Get(d.ctx, d.scope, d.malloryRecord.ID)
	if err != nil || r.Status != domain.RecordRemoved || len(r.SealedSession) != 0 || !r.UpdatedAt.Equal(d.now.Add(time.Hour)) {
		t.Fatalf("record after removal: %s at %s, %v", r.Status, r.UpdatedAt, err)
	}
	for _, id := range []domain.ID{domain.NewID(), "nope"} {
		if err := c.Remove(d.ctx, d.scope, id); domain.KindOf(err) != domain.KindNotFound {
			t.Fatalf("remove %q: %v", id, err)
		}
	}
	if err := c.Remove(d.ctx, d.theirs, d.ada.ID); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("another company removes ada: %v", err)
	}
}
