package storage

import (
	"context"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// --- link tokens

const linkTokenCols = "id, company_id, env, token_hash, options, expires_at, consumed_at, created_at"

type linkTokenRow struct {
	ID         string   `db:"id"`
	CompanyID  string   `db:"company_id"`
	Env        string   `db:"env"`
	TokenHash  []byte   `db:"token_hash"`
	Options    []byte   `db:"options"`
	ExpiresAt  dbTime   `db:"expires_at"`
	ConsumedAt nullTime `db:"consumed_at"`
	CreatedAt  dbTime   `db:"created_at"`
}

func (w linkTokenRow) domain() domain.LinkToken {
	return domain.LinkToken{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), Hash: blob(w.TokenHash),
		Options: blob(w.Options), ExpiresAt: w.ExpiresAt.Time, ConsumedAt: w.ConsumedAt.ptr(), CreatedAt: w.CreatedAt.Time}
}

type linkTokenRepo struct{ r *repos }

func (r linkTokenRepo) Create(ctx context.Context, t domain.LinkToken) error {
	_, err := r.r.named(ctx, "link token", "create link token", insertSQL("link_tokens", linkTokenCols),
		linkTokenRow{t.ID, t.CompanyID, string(t.Env), blob(t.Hash), blob(t.Options), ts(t.ExpiresAt), nts(t.ConsumedAt), ts(t.CreatedAt)})
	return err
}

// Consume is one UPDATE … RETURNING: of two opens racing with one token,
// exactly one finds it unconsumed.
func (r linkTokenRepo) Consume(ctx context.Context, s domain.Scope, hash []byte, now time.Time) (domain.LinkToken, error) {
	var w linkTokenRow
	err := r.r.get(ctx, &w, "link token",
		"UPDATE link_tokens SET consumed_at = ? WHERE token_hash = ? AND company_id = ? AND env = ? AND consumed_at IS NULL AND expires_at > ? RETURNING "+linkTokenCols,
		ts(now), hash, s.CompanyID, string(s.Env), ts(now))
	if err != nil {
		return domain.LinkToken{}, err
	}
	return w.domain(), nil
}

func (r linkTokenRepo) DeleteSpent(ctx context.Context, now time.Time) (int, error) {
	n, err := r.r.exec(ctx, "link tokens", "delete spent link tokens",
		"DELETE FROM link_tokens WHERE consumed_at IS NOT NULL OR expires_at < ?", ts(now))
	return int(n), err
}
