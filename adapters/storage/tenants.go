package storage

import (
	"context"
	"strings"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// --- companies

const companyCols = "id, name, duplicate_policy, frame_ancestors, allowed_origins, hide_account_numbers, created_at, updated_at"

type companyRow struct {
	ID              string `db:"id"`
	Name            string `db:"name"`
	DuplicatePolicy string `db:"duplicate_policy"`
	FrameAncestors  string `db:"frame_ancestors"`
	AllowedOrigins  string `db:"allowed_origins"` // space-separated
	HideNUBANs      bool   `db:"hide_account_numbers"`
	CreatedAt       dbTime `db:"created_at"`
	UpdatedAt       dbTime `db:"updated_at"`
}

func companyToRow(c domain.Company) companyRow {
	return companyRow{c.ID, c.Name, string(c.DuplicatePolicy), c.FrameAncestors, strings.Join(c.AllowedOrigins, " "), c.HideAccountNumbers, ts(c.CreatedAt), ts(c.UpdatedAt)}
}

func (w companyRow) domain() domain.Company {
	return domain.Company{ID: w.ID, Name: w.Name, DuplicatePolicy: domain.DuplicatePolicy(w.DuplicatePolicy),
		FrameAncestors: w.FrameAncestors, AllowedOrigins: origins(w.AllowedOrigins), HideAccountNumbers: w.HideNUBANs,
		CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
}

// origins reads the stored list; an empty one is nil, as it was written.
func origins(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}

type companyRepo struct{ r *repos }

func (c companyRepo) Create(ctx context.Context, co domain.Company) error {
	_, err := c.r.named(ctx, "company", "create company", insertSQL("companies", companyCols), companyToRow(co))
	return err
}

func (c companyRepo) Get(ctx context.Context, id domain.ID) (domain.Company, error) {
	var w companyRow
	err := c.r.get(ctx, &w, "company", "SELECT "+companyCols+" FROM companies WHERE id = ?", id)
	return w.domain(), err
}

func (c companyRepo) Update(ctx context.Context, co domain.Company) error {
	n, err := c.r.named(ctx, "company", "update company",
		"UPDATE companies SET "+updateSet("name, duplicate_policy, frame_ancestors, allowed_origins, hide_account_numbers, updated_at")+" WHERE id = :id",
		companyToRow(co))
	return mustAffect(n, err, "company")
}

func (c companyRepo) List(ctx context.Context) ([]domain.Company, error) {
	var rows []companyRow
	if err := c.r.sel(ctx, &rows, "companies", "SELECT "+companyCols+" FROM companies ORDER BY created_at DESC, id DESC"); err != nil {
		return nil, err
	}
	out := make([]domain.Company, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out, nil
}

func (c companyRepo) Count(ctx context.Context) (int, error) {
	var n int
	err := c.r.get(ctx, &n, "companies", "SELECT COUNT(*) FROM companies")
	return n, err
}

// --- api keys

const keyCols = "id, company_id, env, kind, prefix, hash, created_at, revoked_at"

type keyRow struct {
	ID        string   `db:"id"`
	CompanyID string   `db:"company_id"`
	Env       string   `db:"env"`
	Kind      string   `db:"kind"`
	Prefix    string   `db:"prefix"`
	Hash      []byte   `db:"hash"`
	CreatedAt dbTime   `db:"created_at"`
	RevokedAt nullTime `db:"revoked_at"`
}

func (w keyRow) domain() domain.APIKey {
	return domain.APIKey{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), Kind: domain.KeyKind(w.Kind),
		Prefix: w.Prefix, Hash: blob(w.Hash), CreatedAt: w.CreatedAt.Time, RevokedAt: w.RevokedAt.ptr()}
}

type keyRepo struct{ r *repos }

func (k keyRepo) Create(ctx context.Context, key domain.APIKey) error {
	_, err := k.r.named(ctx, "key", "create key", insertSQL("api_keys", keyCols), keyRow{
		key.ID, key.CompanyID, string(key.Env), string(key.Kind), key.Prefix, blob(key.Hash), ts(key.CreatedAt), nts(key.RevokedAt)})
	return err
}

func (k keyRepo) FindByHash(ctx context.Context, h []byte) (domain.APIKey, error) {
	var w keyRow
	err := k.r.get(ctx, &w, "key", "SELECT "+keyCols+" FROM api_keys WHERE hash = ?", h)
	return w.domain(), err
}

func (k keyRepo) ListByCompany(ctx context.Context, companyID domain.ID) ([]domain.APIKey, error) {
	var rows []keyRow
	if err := k.r.sel(ctx, &rows, "keys", "SELECT "+keyCols+" FROM api_keys WHERE company_id = ? ORDER BY created_at DESC, id DESC", companyID); err != nil {
		return nil, err
	}
	out := make([]domain.APIKey, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out, nil
}

func (k keyRepo) Revoke(ctx context.Context, id domain.ID, at time.Time) error {
	n, err := k.r.exec(ctx, "key", "revoke key", "UPDATE api_keys SET revoked_at = ? WHERE id = ?", ts(at), id)
	return mustAffect(n, err, "key")
}

// --- banks

const bankCols = "id, slug, name, country, code, connector, methods, mfa_kinds, products, status, production, created_at, updated_at"

type bankRow struct {
	ID         string  `db:"id"`
	Slug       string  `db:"slug"`
	Name       string  `db:"name"`
	Country    string  `db:"country"`
	Code       string  `db:"code"`
	Connector  string  `db:"connector"`
	Methods    strList `db:"methods"`
	MFAKinds   strList `db:"mfa_kinds"`
	Products   strList `db:"products"`
	Status     string  `db:"status"`
	Production bool    `db:"production"`
	CreatedAt  dbTime  `db:"created_at"`
	UpdatedAt  dbTime  `db:"updated_at"`
}

func (w bankRow) domain() domain.Bank {
	return domain.Bank{ID: w.ID, Slug: w.Slug, Name: w.Name, Country: w.Country, Code: w.Code, Connector: w.Connector,
		Methods: loginMethods(w.Methods), MFAKinds: w.MFAKinds, Products: w.Products, Status: w.Status, Production: w.Production,
		CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
}

type bankRepo struct{ r *repos }

// Upsert inserts b or, when its slug exists, updates every field but the id
// and creation time, and returns the stored bank.
func (b bankRepo) Upsert(ctx context.Context, bank domain.Bank) (domain.Bank, error) {
	if bank.ID == "" {
		bank.ID = domain.NewID()
	}
	var w bankRow
	err := b.r.namedGet(ctx, &w, "bank", "upsert bank",
		insertSQL("banks", bankCols)+" ON CONFLICT (slug) DO UPDATE SET "+
			excludedSet("name, country, code, connector, methods, mfa_kinds, products, status, production, updated_at")+
			" RETURNING "+bankCols,
		bankRow{bank.ID, bank.Slug, bank.Name, bank.Country, bank.Code, bank.Connector, methodList(bank.Methods), bank.MFAKinds, bank.Products,
			bank.Status, bank.Production, ts(bank.CreatedAt), ts(bank.UpdatedAt)})
	return w.domain(), err
}

func (b bankRepo) Get(ctx context.Context, id domain.ID) (domain.Bank, error) {
	var w bankRow
	err := b.r.get(ctx, &w, "bank", "SELECT "+bankCols+" FROM banks WHERE id = ?", id)
	return w.domain(), err
}

func (b bankRepo) GetBySlug(ctx context.Context, slug string) (domain.Bank, error) {
	var w bankRow
	err := b.r.get(ctx, &w, "bank", "SELECT "+bankCols+" FROM banks WHERE slug = ?", slug)
	return w.domain(), err
}

func (b bankRepo) List(ctx context.Context) ([]domain.Bank, error) {
	var rows []bankRow
	if err := b.r.sel(ctx, &rows, "banks", "SELECT "+bankCols+" FROM banks ORDER BY name, id"); err != nil {
		return nil, err
	}
	out := make([]domain.Bank, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out, nil
}

// --- registered connectors

const connectorCols = "name, path, sha256, enabled, created_at, updated_at"

type connectorRow struct {
	Name      string `db:"name"`
	Path      string `db:"path"`
	SHA256    string `db:"sha256"`
	Enabled   bool   `db:"enabled"`
	CreatedAt dbTime `db:"created_at"`
	UpdatedAt dbTime `db:"updated_at"`
}

func (w connectorRow) domain() domain.RegisteredConnector {
	return domain.RegisteredConnector{Name: w.Name, Path: w.Path, SHA256: w.SHA256, Enabled: w.Enabled,
		CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
}

type connectorRepo struct{ r *repos }

func (c connectorRepo) Register(ctx context.Context, rc domain.RegisteredConnector) error {
	_, err := c.r.named(ctx, "connector", "register connector",
		insertSQL("registered_connectors", connectorCols)+" ON CONFLICT (name) DO UPDATE SET "+
			excludedSet("path, sha256, enabled, updated_at"),
		connectorRow{rc.Name, rc.Path, rc.SHA256, rc.Enabled, ts(rc.CreatedAt), ts(rc.UpdatedAt)})
	return err
}

func (c connectorRepo) Get(ctx context.Context, name string) (domain.RegisteredConnector, error) {
	var w connectorRow
	err := c.r.get(ctx, &w, "connector", "SELECT "+connectorCols+" FROM registered_connectors WHERE name = ?", name)
	return w.domain(), err
}

func (c connectorRepo) List(ctx context.Context) ([]domain.RegisteredConnector, error) {
	var rows []connectorRow
	if err := c.r.sel(ctx, &rows, "connectors", "SELECT "+connectorCols+" FROM registered_connectors ORDER BY name"); err != nil {
		return nil, err
	}
	out := make([]domain.RegisteredConnector, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out, nil
}

// loginMethods and methodList convert a bank's login methods from and to
// their stored list (nil stays nil).
func loginMethods(l strList) []domain.LoginMethod {
	if l == nil {
		return nil
	}
	out := make([]domain.LoginMethod, len(l))
	for i, m := range l {
		out[i] = domain.LoginMethod(m)
	}
	return out
}

func methodList(ms []domain.LoginMethod) strList {
	if ms == nil {
		return nil
	}
	out := make(strList, len(ms))
	for i, m := range ms {
		out[i] = string(m)
	}
	return out
}
