package storagetest

import (
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// testBankCodesAndHiddenNUBANs: a bank's CBN code and a company's choice
// to hide account numbers survive the round trip and updates.
func testBankCodesAndHiddenNUBANs(t *testing.T, s ports.Store) {
	b := domain.Bank{ID: domain.NewID(), Slug: "coded-bank", Name: "Coded", Country: "NG", Code: "901", Connector: "fakebank",
		Methods: []domain.LoginMethod{}, MFAKinds: []string{}, Products: []string{"auth"}, Status: domain.BankOperational, CreatedAt: base, UpdatedAt: base}
	got, err := s.Banks().Upsert(ctx, b)
	must(t, err, "insert bank")
	equal(t, got.Code, "901", "stored code")
	b.Code = "902"
	got, err = s.Banks().Upsert(ctx, b)
	must(t, err, "upsert bank")
	equal(t, got.Code, "902", "code after upsert")

	c := newCompany(t, s, "Quiet")
	equal(t, c.HideAccountNumbers, false, "default")
	c.HideAccountNumbers = true
	must(t, s.Companies().Update(ctx, c), "hide")
	stored, err := s.Companies().Get(ctx, c.ID)
	must(t, err, "get")
	equal(t, stored.HideAccountNumbers, true, "hide_account_numbers after update")
}

func newPartner(t *testing.T, s ports.Store, name string) domain.Partner {
	t.Helper()
	p := domain.Partner{ID: domain.NewID(), Name: name, CreatedAt: base, UpdatedAt: base}
	must(t, s.Partners().Create(ctx, p), "create partner")
	return p
}

func testPartners(t *testing.T, s ports.Store) {
	p := newPartner(t, s, "Paystack")
	got, err := s.Partners().Get(ctx, p.ID)
	must(t, err, "get")
	equal(t, got, p, "stored partner")
	_, err = s.Partners().Get(ctx, domain.NewID())
	wantKind(t, err, domain.KindNotFound, "missing partner")
	wantKind(t, s.Partners().Create(ctx, p), domain.KindConflict, "taken id")
	q := domain.Partner{ID: domain.NewID(), Name: "Flutterwave", CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)}
	must(t, s.Partners().Create(ctx, q), "create second")
	list, err := s.Partners().List(ctx)
	must(t, err, "list")
	equal(t, ids(list, func(p domain.Partner) domain.ID { return p.ID }), []domain.ID{q.ID, p.ID}, "newest first")

	k := domain.PartnerKey{ID: domain.NewID(), PartnerID: p.ID, Env: domain.EnvSandbox, Prefix: "psk_test_abcdef",
		Hash: []byte("hash-one"), CreatedAt: base}
	must(t, s.PartnerKeys().Create(ctx, k), "create key")
	wantKind(t, s.PartnerKeys().Create(ctx, domain.PartnerKey{ID: domain.NewID(), PartnerID: q.ID, Env: domain.EnvSandbox,
		Prefix: "x", Hash: []byte("hash-one"), CreatedAt: base}), domain.KindConflict, "a hash is unique")
	found, err := s.PartnerKeys().FindByHash(ctx, []byte("hash-one"))
	must(t, err, "find by hash")
	equal(t, found, k, "found key")
	_, err = s.PartnerKeys().FindByHash(ctx, []byte("nope"))
	wantKind(t, err, domain.KindNotFound, "unknown hash")
	must(t, s.PartnerKeys().Revoke(ctx, k.ID, at(time.Minute)), "revoke")
	found, err = s.PartnerKeys().FindByHash(ctx, []byte("hash-one"))
	must(t, err, "find revoked")
	if found.Active(at(time.Hour)) || !found.Active(base) {
		t.Fatalf("revoked key active: %+v", found)
	}
	keys, err := s.PartnerKeys().ListByPartner(ctx, p.ID)
	must(t, err, "list keys")
	equal(t, len(keys), 1, "keys of the partner")
	wantKind(t, s.PartnerKeys().Revoke(ctx, domain.NewID(), base), domain.KindNotFound, "revoke a missing key")
}

func testProcessorTokens(t *testing.T, s ports.Store) {
	p := newPartner(t, s, "Paystack")
	mine := scopeOf(newCompany(t, s, "Mine").ID, domain.EnvSandbox)
	other := scopeOf(newCompany(t, s, "Other").ID, domain.EnvSandbox)
	live := scopeOf(mine.CompanyID, domain.EnvProduction)
	cust := newCustomer(t, s, mine, base)
	rec := newRecord(t, s, mine, cust.ID, domain.NewID(), base)
	acc, _, err := s.Accounts().Upsert(ctx, newAccount(mine, rec, nuban(1), base))
	must(t, err, "account")
	newToken := func(sc domain.Scope, hash string, created time.Time) domain.ProcessorToken {
		t.Helper()
		tok := domain.ProcessorToken{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, PartnerID: p.ID, AccountID: acc.ID,
			Scopes: []string{domain.ProductAuth, domain.ProductBalance}, Hash: []byte(hash), CreatedAt: created}
		must(t, s.ProcessorTokens().Create(ctx, tok), "create token")
		return tok
	}
	a := newToken(mine, "token-a", base)
	b := newToken(mine, "token-b", at(time.Minute))
	newToken(other, "token-c", base)
	newToken(live, "token-d", base)

	found, err := s.ProcessorTokens().FindByHash(ctx, []byte("token-a"))
	must(t, err, "find by hash")
	equal(t, found, a, "found token")
	_, err = s.ProcessorTokens().FindByHash(ctx, []byte("nope"))
	wantKind(t, err, domain.KindNotFound, "unknown token")
	_, err = s.ProcessorTokens().Get(ctx, other, a.ID)
	wantKind(t, err, domain.KindNotFound, "another company's token")

	list, total, err := s.ProcessorTokens().List(ctx, mine, domain.Page{Number: 1, Limit: 1})
	must(t, err, "list")
	equal(t, total, 2, "tokens of the scope")
	equal(t, ids(list, func(t domain.ProcessorToken) domain.ID { return t.ID }), []domain.ID{b.ID}, "newest first, one per page")

	active, err := s.ProcessorTokens().ActiveByRecord(ctx, mine, rec.ID)
	must(t, err, "active by record")
	equal(t, ids(active, func(t domain.ProcessorToken) domain.ID { return t.ID }), []domain.ID{a.ID, b.ID}, "active tokens of the record")

	for i := 0; i < 2; i++ {
		must(t, s.ProcessorTokens().Redeem(ctx, domain.Redemption{ID: domain.NewID(), TokenID: a.ID, CompanyID: mine.CompanyID,
			Env: mine.Env, PartnerID: p.ID, Product: domain.ProductAuth, CreatedAt: at(time.Duration(i+1) * time.Hour)}), "redeem")
	}
	wantKind(t, s.ProcessorTokens().Redeem(ctx, domain.Redemption{ID: domain.NewID(), TokenID: a.ID, CompanyID: mine.CompanyID,
		Env: mine.Env, PartnerID: domain.NewID(), Product: domain.ProductAuth, CreatedAt: base}), domain.KindNotFound, "another partner redeems")
	got, err := s.ProcessorTokens().Get(ctx, mine, a.ID)
	must(t, err, "get")
	equal(t, got.Redemptions, 2, "redemptions counted")
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(at(2*time.Hour)) {
		t.Fatalf("last_used_at = %v, want %v", got.LastUsedAt, at(2*time.Hour))
	}
	reds, err := s.ProcessorTokens().Redemptions(ctx, mine, a.ID)
	must(t, err, "redemptions")
	equal(t, len(reds), 2, "redemptions recorded")
	equal(t, reds[0].PartnerID, p.ID, "who redeemed")

	wantKind(t, s.ProcessorTokens().Revoke(ctx, other, a.ID, base), domain.KindNotFound, "revoke another company's token")
	must(t, s.ProcessorTokens().Revoke(ctx, mine, a.ID, at(3*time.Hour)), "revoke")
	wantKind(t, s.ProcessorTokens().Revoke(ctx, mine, a.ID, at(3*time.Hour)), domain.KindConflict, "revoke twice")
	wantKind(t, s.ProcessorTokens().Redeem(ctx, domain.Redemption{ID: domain.NewID(), TokenID: a.ID, CompanyID: mine.CompanyID,
		Env: mine.Env, PartnerID: p.ID, Product: domain.ProductAuth, CreatedAt: at(4 * time.Hour)}), domain.KindNotFound, "redeem a revoked token")
	active, err = s.ProcessorTokens().ActiveByRecord(ctx, mine, rec.ID)
	must(t, err, "active after revoke")
	equal(t, ids(active, func(t domain.ProcessorToken) domain.ID { return t.ID }), []domain.ID{b.ID}, "revoked token left out")
}
