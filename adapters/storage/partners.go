package storage

import (
	"context"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// --- partners

const partnerCols = "id, name, created_at, updated_at"

type partnerRow struct {
	ID        string `db:"id"`
	Name      string `db:"name"`
	CreatedAt dbTime `db:"created_at"`
	UpdatedAt dbTime `db:"updated_at"`
}

func (w partnerRow) domain() domain.Partner {
	return domain.Partner{ID: w.ID, Name: w.Name, CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
}

type partnerRepo struct{ r *repos }

func (p partnerRepo) Create(ctx context.Context, pa domain.Partner) error {
	_, err := p.r.named(ctx, "partner", "create partner", insertSQL("partners", partnerCols),
		partnerRow{pa.ID, pa.Name, ts(pa.CreatedAt), ts(pa.UpdatedAt)})
	return err
}

func (p partnerRepo) Get(ctx context.Context, id domain.ID) (domain.Partner, error) {
	var w partnerRow
	err := p.r.get(ctx, &w, "partner", "SELECT "+partnerCols+" FROM partners WHERE id = ?", id)
	return w.domain(), err
}

func (p partnerRepo) List(ctx context.Context) ([]domain.Partner, error) {
	var rows []partnerRow
	if err := p.r.sel(ctx, &rows, "partners", "SELECT "+partnerCols+" FROM partners ORDER BY created_at DESC, id DESC"); err != nil {
		return nil, err
	}
	out := make([]domain.Partner, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out, nil
}

// --- partner keys

const partnerKeyCols = "id, partner_id, env, prefix, hash, created_at, revoked_at"

type partnerKeyRow struct {
	ID        string   `db:"id"`
	PartnerID string   `db:"partner_id"`
	Env       string   `db:"env"`
	Prefix    string   `db:"prefix"`
	Hash      []byte   `db:"hash"`
	CreatedAt dbTime   `db:"created_at"`
	RevokedAt nullTime `db:"revoked_at"`
}

func (w partnerKeyRow) domain() domain.PartnerKey {
	return domain.PartnerKey{ID: w.ID, PartnerID: w.PartnerID, Env: domain.Env(w.Env), Prefix: w.Prefix,
		Hash: blob(w.Hash), CreatedAt: w.CreatedAt.Time, RevokedAt: w.RevokedAt.ptr()}
}

type partnerKeyRepo struct{ r *repos }

func (k partnerKeyRepo) Create(ctx context.Context, key domain.PartnerKey) error {
	_, err := k.r.named(ctx, "partner key", "create partner key", insertSQL("partner_keys", partnerKeyCols), partnerKeyRow{
		key.ID, key.PartnerID, string(key.Env), key.Prefix, blob(key.Hash), ts(key.CreatedAt), nts(key.RevokedAt)})
	return err
}

func (k partnerKeyRepo) FindByHash(ctx context.Context, h []byte) (domain.PartnerKey, error) {
	var w partnerKeyRow
	err := k.r.get(ctx, &w, "partner key", "SELECT "+partnerKeyCols+" FROM partner_keys WHERE hash = ?", h)
	return w.domain(), err
}

func (k partnerKeyRepo) ListByPartner(ctx context.Context, partnerID domain.ID) ([]domain.PartnerKey, error) {
	var rows []partnerKeyRow
	if err := k.r.sel(ctx, &rows, "partner keys",
		"SELECT "+partnerKeyCols+" FROM partner_keys WHERE partner_id = ? ORDER BY created_at DESC, id DESC", partnerID); err != nil {
		return nil, err
	}
	out := make([]domain.PartnerKey, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out, nil
}

func (k partnerKeyRepo) Revoke(ctx context.Context, id domain.ID, at time.Time) error {
	n, err := k.r.exec(ctx, "partner key", "revoke partner key", "UPDATE partner_keys SET revoked_at = ? WHERE id = ?", ts(at), id)
	return mustAffect(n, err, "partner key")
}

// --- processor tokens

const tokenCols = "id, company_id, env, partner_id, account_id, scopes, token_hash, redemptions, last_used_at, revoked_at, created_at"

type tokenRow struct {
	ID          string   `db:"id"`
	CompanyID   string   `db:"company_id"`
	Env         string   `db:"env"`
	PartnerID   string   `db:"partner_id"`
	AccountID   string   `db:"account_id"`
	Scopes      strList  `db:"scopes"`
	Hash        []byte   `db:"token_hash"`
	Redemptions int      `db:"redemptions"`
	LastUsedAt  nullTime `db:"last_used_at"`
	RevokedAt   nullTime `db:"revoked_at"`
	CreatedAt   dbTime   `db:"created_at"`
}

func (w tokenRow) domain() domain.ProcessorToken {
	return domain.ProcessorToken{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), PartnerID: w.PartnerID,
		AccountID: w.AccountID, Scopes: w.Scopes, Hash: blob(w.Hash), Redemptions: w.Redemptions,
		LastUsedAt: w.LastUsedAt.ptr(), RevokedAt: w.RevokedAt.ptr(), CreatedAt: w.CreatedAt.Time}
}

func tokensOf(rows []tokenRow) []domain.ProcessorToken {
	out := make([]domain.ProcessorToken, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out
}

var tokenList = listSpec{table: "processor_tokens", cols: tokenCols, what: "processor tokens"}

type processorTokenRepo struct{ r *repos }

func (p processorTokenRepo) Create(ctx context.Context, t domain.ProcessorToken) error {
	_, err := p.r.named(ctx, "processor token", "create processor token", insertSQL("processor_tokens", tokenCols), tokenRow{
		t.ID, t.CompanyID, string(t.Env), t.PartnerID, t.AccountID, t.Scopes, blob(t.Hash), t.Redemptions,
		nts(t.LastUsedAt), nts(t.RevokedAt), ts(t.CreatedAt)})
	return err
}

func (p processorTokenRepo) FindByHash(ctx context.Context, h []byte) (domain.ProcessorToken, error) {
	var w tokenRow
	err := p.r.get(ctx, &w, "processor token", "SELECT "+tokenCols+" FROM processor_tokens WHERE token_hash = ?", h)
	return w.domain(), err
}

func (p processorTokenRepo) Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.ProcessorToken, error) {
	var w tokenRow
	err := p.r.get(ctx, &w, "processor token",
		"SELECT "+tokenCols+" FROM processor_tokens WHERE id = ? AND company_id = ? AND env = ?", id, s.CompanyID, string(s.Env))
	return w.domain(), err
}

func (p processorTokenRepo) List(ctx context.Context, s domain.Scope, page domain.Page) ([]domain.ProcessorToken, int, error) {
	var rows []tokenRow
	total, err := p.r.list(ctx, &rows, tokenList, s, domain.ListFilter{Page: page})
	if err != nil {
		return nil, 0, err
	}
	return tokensOf(rows), total, nil
}

func (p processorTokenRepo) ActiveByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) ([]domain.ProcessorToken, error) {
	var rows []tokenRow
	err := p.r.sel(ctx, &rows, "processor tokens",
		"SELECT "+prefixCols("t", tokenCols)+" FROM processor_tokens t JOIN accounts a ON a.id = t.account_id"+
			" WHERE t.company_id = ? AND t.env = ? AND a.company_id = t.company_id AND a.env = t.env AND a.record_id = ?"+
			" AND t.revoked_at IS NULL ORDER BY t.created_at, t.id",
		s.CompanyID, string(s.Env), recordID)
	if err != nil {
		return nil, err
	}
	return tokensOf(rows), nil
}

func (p processorTokenRepo) Revoke(ctx context.Context, s domain.Scope, id domain.ID, at time.Time) error {
	n, err := p.r.exec(ctx, "processor token", "revoke processor token",
		"UPDATE processor_tokens SET revoked_at = ? WHERE id = ? AND company_id = ? AND env = ? AND revoked_at IS NULL",
		ts(at), id, s.CompanyID, string(s.Env))
	if err != nil || n > 0 {
		return err
	}
	if _, err := p.Get(ctx, s, id); err != nil {
		return err
	}
	return domain.Conflict("processor token already revoked", nil)
}

func (p processorTokenRepo) Redeem(ctx context.Context, r domain.Redemption) error {
	return p.r.inTx(ctx, func(ctx context.Context, tx *repos) error {
		n, err := tx.exec(ctx, "processor token", "count redemption",
			"UPDATE processor_tokens SET redemptions = redemptions + 1, last_used_at = ?"+
				" WHERE id = ? AND company_id = ? AND env = ? AND partner_id = ? AND revoked_at IS NULL",
			ts(r.CreatedAt), r.TokenID, r.CompanyID, string(r.Env), r.PartnerID)
		if err := mustAffect(n, err, "processor token"); err != nil {
			return err
		}
		_, err = tx.named(ctx, "redemption", "record redemption", insertSQL("processor_token_redemptions", redemptionCols),
			redemptionRow{r.ID, r.TokenID, r.CompanyID, string(r.Env), r.PartnerID, r.Product, ts(r.CreatedAt)})
		return err
	})
}

const redemptionCols = "id, token_id, company_id, env, partner_id, product, created_at"

type redemptionRow struct {
	ID        string `db:"id"`
	TokenID   string `db:"token_id"`
	CompanyID string `db:"company_id"`
	Env       string `db:"env"`
	PartnerID string `db:"partner_id"`
	Product   string `db:"product"`
	CreatedAt dbTime `db:"created_at"`
}

func (p processorTokenRepo) Redemptions(ctx context.Context, s domain.Scope, tokenID domain.ID) ([]domain.Redemption, error) {
	var rows []redemptionRow
	if err := p.r.sel(ctx, &rows, "redemptions",
		"SELECT "+redemptionCols+" FROM processor_token_redemptions WHERE token_id = ? AND company_id = ? AND env = ?"+
			" ORDER BY created_at DESC, id DESC", tokenID, s.CompanyID, string(s.Env)); err != nil {
		return nil, err
	}
	out := make([]domain.Redemption, len(rows))
	for i, w := range rows {
		out[i] = domain.Redemption{ID: w.ID, TokenID: w.TokenID, CompanyID: w.CompanyID, Env: domain.Env(w.Env),
			PartnerID: w.PartnerID, Product: w.Product, CreatedAt: w.CreatedAt.Time}
	}
	return out, nil
}
