package storage

import (
	"context"

	"github.com/bankauth/bankauth/core/domain"
)

// --- short links

const shortLinkCols = "code, company_id, env, options, created_at, expires_at"

type shortLinkRow struct {
	Code      string   `db:"code"`
	CompanyID string   `db:"company_id"`
	Env       string   `db:"env"`
	Options   []byte   `db:"options"`
	CreatedAt dbTime   `db:"created_at"`
	ExpiresAt nullTime `db:"expires_at"`
}

type shortLinkRepo struct{ r *repos }

func (r shortLinkRepo) Create(ctx context.Context, l domain.ShortLink) error {
	_, err := r.r.named(ctx, "short link", "create short link", insertSQL("short_links", shortLinkCols),
		shortLinkRow{l.Code, l.CompanyID, string(l.Env), blob(l.Options), ts(l.CreatedAt), nts(l.ExpiresAt)})
	return err
}

func (r shortLinkRepo) Get(ctx context.Context, code string) (domain.ShortLink, error) {
	var w shortLinkRow
	if err := r.r.get(ctx, &w, "short link", "SELECT "+shortLinkCols+" FROM short_links WHERE code = ?", code); err != nil {
		return domain.ShortLink{}, err
	}
	return domain.ShortLink{Code: w.Code, CompanyID: w.CompanyID, Env: domain.Env(w.Env), Options: blob(w.Options),
		CreatedAt: w.CreatedAt.Time, ExpiresAt: w.ExpiresAt.ptr()}, nil
}
