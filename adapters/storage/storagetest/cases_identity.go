package storagetest

import (
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

func testIdentities(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	other := scopeOf(domain.NewID(), domain.EnvSandbox)
	bank := domain.NewID()
	cust := newCustomer(t, s, sc, base)
	r1 := newRecord(t, s, sc, cust.ID, bank, base)
	r2 := newRecord(t, s, sc, cust.ID, domain.NewID(), at(day))
	yes, score := true, 97
	i1 := domain.Identity{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, RecordID: r1.ID, CustomerID: cust.ID,
		BankID: bank, Sealed: []byte("sealed-1"), Source: domain.IdentitySourceBank, Verified: &yes, Score: &score,
		CreatedAt: base, UpdatedAt: base}
	got, err := s.Identities().Upsert(ctx, i1)
	must(t, err, "insert")
	equal(t, got, i1, "inserted identity")
	i2 := domain.Identity{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, RecordID: r2.ID, CustomerID: cust.ID,
		BankID: r2.BankID, Sealed: []byte("sealed-2"), Source: domain.IdentitySourceLogin, CreatedAt: at(day), UpdatedAt: at(day)}
	_, err = s.Identities().Upsert(ctx, i2)
	must(t, err, "insert a second")

	// A refresh replaces the sealed value in place; created_at stays.
	fresh := i1
	fresh.Sealed, fresh.Verified, fresh.Score, fresh.CreatedAt, fresh.UpdatedAt = []byte("sealed-1b"), nil, nil, at(5*day), at(2*day)
	got, err = s.Identities().Upsert(ctx, fresh)
	must(t, err, "refresh")
	want := fresh
	want.CreatedAt = base
	equal(t, got, want, "refreshed identity")
	stored, err := s.Identities().GetByRecord(ctx, sc, r1.ID)
	must(t, err, "get by record")
	equal(t, stored, want, "stored after the refresh")

	// A first pull that lost the race carries another id: refused, and the
	// stored row is untouched.
	race := fresh
	race.ID, race.Sealed = domain.NewID(), []byte("sealed-other")
	_, err = s.Identities().Upsert(ctx, race)
	wantKind(t, err, domain.KindConflict, "a second identity for the record")
	stored, err = s.Identities().Get(ctx, sc, i1.ID)
	must(t, err, "get")
	equal(t, string(stored.Sealed), "sealed-1b", "sealed value after the refused race")

	// Scoped: another company and the other environment see nothing.
	_, err = s.Identities().Get(ctx, other, i1.ID)
	wantKind(t, err, domain.KindNotFound, "another company's identity")
	_, err = s.Identities().GetByRecord(ctx, scopeOf(sc.CompanyID, domain.EnvProduction), r1.ID)
	wantKind(t, err, domain.KindNotFound, "the other environment's identity")

	list, total, err := s.Identities().List(ctx, sc, domain.ListFilter{})
	must(t, err, "list")
	equal(t, total, 2, "identities")
	equal(t, ids(list, func(i domain.Identity) domain.ID { return i.ID }), []domain.ID{i2.ID, i1.ID}, "newest first")
	list, _, err = s.Identities().List(ctx, sc, domain.ListFilter{CustomerID: cust.ID, From: base, To: base.Add(day)})
	must(t, err, "list by customer and date")
	equal(t, ids(list, func(i domain.Identity) domain.ID { return i.ID }), []domain.ID{i1.ID}, "the first day's identity")
	list, _, err = s.Identities().List(ctx, sc, domain.ListFilter{BankID: bank})
	must(t, err, "list by bank")
	equal(t, ids(list, func(i domain.Identity) domain.ID { return i.ID }), []domain.ID{i1.ID}, "identities at the bank")
	_, total, err = s.Identities().List(ctx, other, domain.ListFilter{})
	must(t, err, "list of another company")
	equal(t, total, 0, "another company's identities")

	// History: when it changed and which fields, oldest first.
	c1 := domain.IdentityChange{ID: domain.NewID(), IdentityID: i1.ID, CompanyID: sc.CompanyID, Env: sc.Env, Fields: []string{"phone", "address"}, CreatedAt: at(2 * day)}
	c0 := domain.IdentityChange{ID: domain.NewID(), IdentityID: i1.ID, CompanyID: sc.CompanyID, Env: sc.Env, Fields: []string{"created"}, CreatedAt: base}
	must(t, s.Identities().AddChange(ctx, c1), "add change")
	must(t, s.Identities().AddChange(ctx, c0), "add change")
	changes, err := s.Identities().Changes(ctx, sc, i1.ID)
	must(t, err, "changes")
	equal(t, changes, []domain.IdentityChange{c0, c1}, "changes")
	changes, err = s.Identities().Changes(ctx, other, i1.ID)
	must(t, err, "changes of another company")
	equal(t, len(changes), 0, "another company's view of the history")

	// Removing the customer removes identities and history, nobody else's.
	elsewhere := newCustomer(t, s, sc, base)
	r3 := newRecord(t, s, sc, elsewhere.ID, bank, base)
	i3 := i2
	i3.ID, i3.RecordID, i3.CustomerID = domain.NewID(), r3.ID, elsewhere.ID
	_, err = s.Identities().Upsert(ctx, i3)
	must(t, err, "another customer's identity")
	must(t, s.Identities().DeleteByCustomer(ctx, sc, cust.ID), "delete by customer")
	_, err = s.Identities().Get(ctx, sc, i1.ID)
	wantKind(t, err, domain.KindNotFound, "a removed customer's identity")
	changes, err = s.Identities().Changes(ctx, sc, i1.ID)
	must(t, err, "changes after removal")
	equal(t, len(changes), 0, "history after removal")
	_, err = s.Identities().Get(ctx, sc, i3.ID)
	must(t, err, "another customer's identity stays")
}

// testJobsClaimKind holds that ClaimKind takes only its kind's jobs, so two
// workers never take each other's.
func testJobsClaimKind(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	job := func(kind string, runAfter time.Time) domain.Job {
		j := domain.Job{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, Kind: kind, Subject: domain.NewID(),
			RecordID: domain.NewID(), Payload: []byte(`{}`), Status: domain.JobPending, RunAfter: runAfter, CreatedAt: base, UpdatedAt: base}
		must(t, s.Jobs().Add(ctx, j), "add job")
		return j
	}
	bal := job(domain.JobBalanceRefresh, base)
	idn := job(domain.JobIdentityRefresh, at(time.Second))
	got, err := s.Jobs().ClaimKind(ctx, domain.JobIdentityRefresh, "w-identity", at(time.Minute), at(2*time.Minute), 5)
	must(t, err, "claim identity jobs")
	equal(t, ids(got, func(j domain.Job) domain.ID { return j.ID }), []domain.ID{idn.ID}, "identity jobs, though a balance job is due first")
	got, err = s.Jobs().ClaimKind(ctx, domain.JobBalanceRefresh, "w-balance", at(time.Minute), at(2*time.Minute), 5)
	must(t, err, "claim balance jobs")
	equal(t, ids(got, func(j domain.Job) domain.ID { return j.ID }), []domain.ID{bal.ID}, "balance jobs")
	got, err = s.Jobs().ClaimKind(ctx, domain.JobIdentityRefresh, "w-identity", at(time.Minute), at(2*time.Minute), 5)
	must(t, err, "claim again")
	equal(t, len(got), 0, "jobs claimed twice")
	_, err = s.Jobs().ClaimKind(ctx, "", "w", at(time.Minute), at(2*time.Minute), 5)
	if err == nil {
		t.Fatal("ClaimKind without a kind took every kind")
	}
}
