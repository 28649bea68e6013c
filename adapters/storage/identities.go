package storage

import (
	"context"
	"database/sql"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
)

// --- identities: one sealed identity per record, and when it changed

const identityCols = "id, company_id, env, record_id, customer_id, bank_id, sealed, source, verified, score, created_at, updated_at"

type identityRow struct {
	ID         string        `db:"id"`
	CompanyID  string        `db:"company_id"`
	Env        string        `db:"env"`
	RecordID   string        `db:"record_id"`
	CustomerID string        `db:"customer_id"`
	BankID     string        `db:"bank_id"`
	Sealed     []byte        `db:"sealed"`
	Source     string        `db:"source"`
	Verified   sql.NullBool  `db:"verified"`
	Score      sql.NullInt64 `db:"score"`
	CreatedAt  dbTime        `db:"created_at"`
	UpdatedAt  dbTime        `db:"updated_at"`
}

func identityRowOf(i domain.Identity) identityRow {
	w := identityRow{ID: i.ID, CompanyID: i.CompanyID, Env: string(i.Env), RecordID: i.RecordID, CustomerID: i.CustomerID,
		BankID: i.BankID, Sealed: i.Sealed, Source: i.Source, CreatedAt: ts(i.CreatedAt), UpdatedAt: ts(i.UpdatedAt)}
	if i.Verified != nil {
		w.Verified = sql.NullBool{Bool: *i.Verified, Valid: true}
	}
	if i.Score != nil {
		w.Score = sql.NullInt64{Int64: int64(*i.Score), Valid: true}
	}
	return w
}

func (w identityRow) domain() domain.Identity {
	out := domain.Identity{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), RecordID: w.RecordID, CustomerID: w.CustomerID,
		BankID: w.BankID, Sealed: w.Sealed, Source: w.Source, CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
	if w.Verified.Valid {
		v := w.Verified.Bool
		out.Verified = &v
	}
	if w.Score.Valid {
		v := int(w.Score.Int64)
		out.Score = &v
	}
	return out
}

var identityList = listSpec{
	table: "identities", cols: identityCols, what: "identities",
	customer: "identities.customer_id = ?",
	bank:     "identities.bank_id = ?",
	account:  "EXISTS (SELECT 1 FROM accounts a WHERE a.record_id = identities.record_id AND a.id = ?)",
	record:   "identities.record_id = ?",
}

type identityRepo struct{ r *repos }

// Upsert inserts i or refreshes the identity of the same record in place
// (created_at stays). The sealed value is bound to the row id, so a
// refresh must carry the stored id; one that carries another (a concurrent
// first pull of the same record won) is a conflict and changes nothing.
func (r identityRepo) Upsert(ctx context.Context, i domain.Identity) (domain.Identity, error) {
	var w identityRow
	err := r.r.namedGet(ctx, &w, "identity", "upsert identity",
		insertSQL("identities", identityCols)+" ON CONFLICT (company_id, env, record_id) DO UPDATE SET "+
			excludedSet("customer_id, bank_id, sealed, source, verified, score, updated_at")+
			" WHERE identities.id = excluded.id RETURNING "+identityCols, identityRowOf(i))
	if domain.KindOf(err) == domain.KindNotFound {
		return domain.Identity{}, domain.Conflict("the record has an identity under another id", err)
	}
	if err != nil {
		return domain.Identity{}, err
	}
	return w.domain(), nil
}

func (r identityRepo) Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Identity, error) {
	return r.one(ctx, "id = ?", id, s)
}

func (r identityRepo) GetByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) (domain.Identity, error) {
	return r.one(ctx, "record_id = ?", recordID, s)
}

func (r identityRepo) one(ctx context.Context, cond, arg string, s domain.Scope) (domain.Identity, error) {
	var w identityRow
	err := r.r.get(ctx, &w, "identity", "SELECT "+identityCols+" FROM identities WHERE "+cond+" AND company_id = ? AND env = ?",
		arg, s.CompanyID, string(s.Env))
	return w.domain(), err
}

func (r identityRepo) List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Identity, int, error) {
	var rows []identityRow
	total, err := r.r.list(ctx, &rows, identityList, s, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]domain.Identity, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out, total, nil
}

const identityChangeCols = "id, identity_id, company_id, env, fields, created_at"

type identityChangeRow struct {
	ID         string `db:"id"`
	IdentityID string `db:"identity_id"`
	CompanyID  string `db:"company_id"`
	Env        string `db:"env"`
	Fields     string `db:"fields"`
	CreatedAt  dbTime `db:"created_at"`
}

func (r identityRepo) AddChange(ctx context.Context, c domain.IdentityChange) error {
	_, err := r.r.named(ctx, "identity change", "add identity change", insertSQL("identity_changes", identityChangeCols),
		identityChangeRow{c.ID, c.IdentityID, c.CompanyID, string(c.Env), strings.Join(c.Fields, ","), ts(c.CreatedAt)})
	return err
}

func (r identityRepo) Changes(ctx context.Context, s domain.Scope, identityID domain.ID) ([]domain.IdentityChange, error) {
	var rows []identityChangeRow
	if err := r.r.sel(ctx, &rows, "identity changes",
		"SELECT "+identityChangeCols+" FROM identity_changes WHERE identity_id = ? AND company_id = ? AND env = ? ORDER BY created_at, id",
		identityID, s.CompanyID, string(s.Env)); err != nil {
		return nil, err
	}
	out := make([]domain.IdentityChange, len(rows))
	for i, w := range rows {
		var fields []string
		if w.Fields != "" {
			fields = strings.Split(w.Fields, ",")
		}
		out[i] = domain.IdentityChange{ID: w.ID, IdentityID: w.IdentityID, CompanyID: w.CompanyID, Env: domain.Env(w.Env),
			Fields: fields, CreatedAt: w.CreatedAt.Time}
	}
	return out, nil
}

func (r identityRepo) DeleteByCustomer(ctx context.Context, s domain.Scope, customerID domain.ID) error {
	return r.r.inTx(ctx, func(ctx context.Context, tx *repos) error {
		if _, err := tx.exec(ctx, "identity changes", "delete identity changes",
			"DELETE FROM identity_changes WHERE company_id = ? AND env = ? AND identity_id IN "+
				"(SELECT id FROM identities WHERE customer_id = ? AND company_id = ? AND env = ?)",
			s.CompanyID, string(s.Env), customerID, s.CompanyID, string(s.Env)); err != nil {
			return err
		}
		_, err := tx.exec(ctx, "identities", "delete identities",
			"DELETE FROM identities WHERE customer_id = ? AND company_id = ? AND env = ?", customerID, s.CompanyID, string(s.Env))
		return err
	})
}
