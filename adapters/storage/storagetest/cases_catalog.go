package storagetest

import (
	"testing"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

func testCompanies(t *testing.T, s ports.Store) {
	n, err := s.Companies().Count(ctx)
	must(t, err, "count")
	equal(t, n, 0, "count of an empty store")

	a := newCompany(t, s, "Acme")
	got, err := s.Companies().Get(ctx, a.ID)
	must(t, err, "get")
	equal(t, got, a, "stored company")

	wantKind(t, s.Companies().Create(ctx, a), domain.KindConflict, "create with a taken id")
	_, err = s.Companies().Get(ctx, domain.NewID())
	wantKind(t, err, domain.KindNotFound, "get a missing company")

	a.Name, a.DuplicatePolicy, a.FrameAncestors, a.UpdatedAt = "Acme Ltd", domain.DuplicateReject, "https://acme.example", at(day)
	a.AllowedOrigins = []string{"https://acme.example", "http://localhost:3000"}
	must(t, s.Companies().Update(ctx, a), "update")
	got, err = s.Companies().Get(ctx, a.ID)
	must(t, err, "get after update")
	equal(t, got, a, "updated company")
	wantKind(t, s.Companies().Update(ctx, domain.Company{ID: domain.NewID(), Name: "x"}), domain.KindNotFound, "update a missing company")

	b := domain.Company{ID: domain.NewID(), Name: "Beta", DuplicatePolicy: domain.DuplicateAllow, CreatedAt: at(day), UpdatedAt: at(day)}
	must(t, s.Companies().Create(ctx, b), "create second")
	list, err := s.Companies().List(ctx)
	must(t, err, "list")
	equal(t, ids(list, func(c domain.Company) domain.ID { return c.ID }), []domain.ID{b.ID, a.ID}, "companies newest first")
	n, err = s.Companies().Count(ctx)
	must(t, err, "count")
	equal(t, n, 2, "count")
}

func testKeys(t *testing.T, s ports.Store) {
	c := newCompany(t, s, "Acme")
	k1 := domain.APIKey{ID: domain.NewID(), CompanyID: c.ID, Env: domain.EnvSandbox, Kind: domain.KeySecret, Prefix: "sk_test_ab",
		Hash: []byte("hash-1"), CreatedAt: base}
	k2 := domain.APIKey{ID: domain.NewID(), CompanyID: c.ID, Env: domain.EnvProduction, Kind: domain.KeyPublic, Prefix: "pk_live_cd",
		Hash: []byte("hash-2"), CreatedAt: at(day)}
	must(t, s.Keys().Create(ctx, k1), "create key 1")
	must(t, s.Keys().Create(ctx, k2), "create key 2")

	dup := k1
	dup.ID = domain.NewID()
	wantKind(t, s.Keys().Create(ctx, dup), domain.KindConflict, "create a key with a taken hash")

	got, err := s.Keys().FindByHash(ctx, []byte("hash-1"))
	must(t, err, "find by hash")
	equal(t, got, k1, "found key")
	_, err = s.Keys().FindByHash(ctx, []byte("nope"))
	wantKind(t, err, domain.KindNotFound, "find a missing hash")

	list, err := s.Keys().ListByCompany(ctx, c.ID)
	must(t, err, "list")
	equal(t, ids(list, func(k domain.APIKey) domain.ID { return k.ID }), []domain.ID{k2.ID, k1.ID}, "keys newest first")

	when := at(2 * day)
	must(t, s.Keys().Revoke(ctx, k1.ID, when), "revoke")
	got, err = s.Keys().FindByHash(ctx, []byte("hash-1"))
	must(t, err, "find a revoked key")
	if got.RevokedAt == nil || !got.RevokedAt.Equal(when) {
		t.Fatalf("revoked at %v, want %v", got.RevokedAt, when)
	}
	if got.Active(at(3*day)) || !got.Active(at(day)) {
		t.Fatalf("a key revoked at %v should be active before and not after", when)
	}
	wantKind(t, s.Keys().Revoke(ctx, domain.NewID(), when), domain.KindNotFound, "revoke a missing key")
}

func testBanks(t *testing.T, s ports.Store) {
	b := domain.Bank{ID: domain.NewID(), Slug: "fakebank-a", Name: "Fake Bank A", Country: "NG", Connector: "fakebank",
		Methods: []domain.LoginMethod{domain.MethodInternetBanking, domain.MethodUSSD}, MFAKinds: []string{"otp"}, Products: []string{"auth", "balance"},
		Status: domain.BankOperational, CreatedAt: base, UpdatedAt: base}
	got, err := s.Banks().Upsert(ctx, b)
	must(t, err, "insert")
	equal(t, got, b, "inserted bank")

	again := b
	again.ID = domain.NewID()
	again.Name, again.Status, again.Production, again.Products, again.UpdatedAt = "Fake Bank A Plc", domain.BankDegraded, true, []string{"auth"}, at(day)
	again.CreatedAt = at(day)
	got, err = s.Banks().Upsert(ctx, again)
	must(t, err, "update by slug")
	want := again
	want.ID, want.CreatedAt = b.ID, b.CreatedAt
	equal(t, got, want, "upserted bank keeps its id and creation time")

	byID, err := s.Banks().Get(ctx, b.ID)
	must(t, err, "get")
	equal(t, byID, want, "bank by id")
	bySlug, err := s.Banks().GetBySlug(ctx, "fakebank-a")
	must(t, err, "get by slug")
	equal(t, bySlug, want, "bank by slug")
	_, err = s.Banks().GetBySlug(ctx, "nope")
	wantKind(t, err, domain.KindNotFound, "missing slug")
	_, err = s.Banks().Get(ctx, domain.NewID())
	wantKind(t, err, domain.KindNotFound, "missing id")

	_, err = s.Banks().Upsert(ctx, domain.Bank{ID: domain.NewID(), Slug: "fakebank-b", Name: "Another", CreatedAt: base, UpdatedAt: base})
	must(t, err, "second bank")
	list, err := s.Banks().List(ctx)
	must(t, err, "list")
	equal(t, ids(list, func(b domain.Bank) string { return b.Slug }), []string{"fakebank-b", "fakebank-a"}, "banks by name")
	if list[0].Methods != nil || list[0].Products != nil {
		t.Fatalf("empty lists should come back nil, got %+v", list[0])
	}
}

func testConnectors(t *testing.T, s ports.Store) {
	c := domain.RegisteredConnector{Name: "gtbank", Path: "plugins/gtbank", SHA256: "aa", CreatedAt: base, UpdatedAt: base}
	must(t, s.Connectors().Register(ctx, c), "register")
	c2 := c
	c2.SHA256, c2.Enabled, c2.Path, c2.UpdatedAt, c2.CreatedAt = "bb", true, "plugins/gtbank-2", at(day), at(day)
	must(t, s.Connectors().Register(ctx, c2), "re-register")
	got, err := s.Connectors().Get(ctx, "gtbank")
	must(t, err, "get")
	want := c2
	want.CreatedAt = c.CreatedAt
	equal(t, got, want, "re-registered connector")
	_, err = s.Connectors().Get(ctx, "nope")
	wantKind(t, err, domain.KindNotFound, "missing connector")
	must(t, s.Connectors().Register(ctx, domain.RegisteredConnector{Name: "access", Path: "p", SHA256: "cc", CreatedAt: base, UpdatedAt: base}), "register second")
	list, err := s.Connectors().List(ctx)
	must(t, err, "list")
	equal(t, ids(list, func(c domain.RegisteredConnector) string { return c.Name }), []string{"access", "gtbank"}, "connectors by name")
}
