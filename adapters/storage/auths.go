package storage

import (
	"context"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
)

// --- auths

const authCols = "id, company_id, env, record_id, customer_id, bank_id, validated, validation_note, created_at, updated_at, account_ids"

type authRow struct {
	ID             string `db:"id"`
	CompanyID      string `db:"company_id"`
	Env            string `db:"env"`
	RecordID       string `db:"record_id"`
	CustomerID     string `db:"customer_id"`
	BankID         string `db:"bank_id"`
	Validated      bool   `db:"validated"`
	ValidationNote string `db:"validation_note"`
	CreatedAt      dbTime `db:"created_at"`
	UpdatedAt      dbTime `db:"updated_at"`
	// AccountIDs are the covered accounts joined with ',' in order: a copy
	// of auth_accounts that Upsert keeps, so reads need no second query.
	AccountIDs string `db:"account_ids"`
}

func (w authRow) domain() domain.Auth {
	a := domain.Auth{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), RecordID: w.RecordID, CustomerID: w.CustomerID,
		BankID: w.BankID, Validated: w.Validated, ValidationNote: w.ValidationNote, CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
	if w.AccountIDs != "" {
		a.AccountIDs = strings.Split(w.AccountIDs, ",")
	}
	return a
}

// scan reads auth rows into w, one at a time.
func (w *authRow) scan() rowScan[domain.Auth] {
	return rowScan[domain.Auth]{
		dest: []any{&w.ID, &w.CompanyID, &w.Env, &w.RecordID, &w.CustomerID, &w.BankID, &w.Validated, &w.ValidationNote, &w.CreatedAt, &w.UpdatedAt, &w.AccountIDs},
		take: func() domain.Auth { return w.domain() },
	}
}

// authScopedCols is authCols without company_id and env, for queries scoped in WHERE.
var authScopedCols = scopedCols(authCols)

// scanIn is scan for rows of authScopedCols, which carry s's company and env.
func (w *authRow) scanIn(s domain.Scope) rowScan[domain.Auth] {
	return inScope(w.scan(), &w.CompanyID, &w.Env, s)
}

var authList = listSpec{
	table: "auths", cols: authCols, what: "auths",
	customer: "auths.customer_id = ?",
	bank:     "auths.bank_id = ?",
	account:  "EXISTS (SELECT 1 FROM auth_accounts aa WHERE aa.auth_id = auths.id AND aa.account_id = ?)",
	record:   "auths.record_id = ?",
}

type authRepo struct{ r *repos }

// Upsert inserts a or refreshes the auth of the same record (its id and
// creation time stay), and replaces the accounts it covers, in the row's
// account_ids and in auth_accounts, in one transaction.
func (r authRepo) Upsert(ctx context.Context, a domain.Auth) (domain.Auth, bool, error) {
	if a.ID == "" {
		a.ID = domain.NewID()
	}
	ids := uniqueIDs(a.AccountIDs)
	var w authRow
	err := r.r.inTx(ctx, func(ctx context.Context, tx *repos) error {
		if err := tx.namedGet(ctx, &w, "auth", "upsert auth",
			insertSQL("auths", authCols)+" ON CONFLICT (company_id, env, record_id) DO UPDATE SET "+
				excludedSet("customer_id, bank_id, validated, validation_note, updated_at, account_ids")+" RETURNING "+authCols,
			authRow{a.ID, a.CompanyID, string(a.Env), a.RecordID, a.CustomerID, a.BankID, a.Validated, a.ValidationNote,
				ts(a.CreatedAt), ts(a.UpdatedAt), strings.Join(ids, ",")}); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "auth", "replace auth accounts", "DELETE FROM auth_accounts WHERE auth_id = ?", w.ID); err != nil {
			return err
		}
		for pos, id := range ids {
			if _, err := tx.exec(ctx, "auth", "replace auth accounts",
				"INSERT INTO auth_accounts (auth_id, account_id, position) VALUES (?, ?, ?)", w.ID, id, pos); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return domain.Auth{}, false, err
	}
	return w.domain(), w.ID != a.ID, nil
}

// uniqueIDs drops repeated ids, keeping the first occurrence's order.
func uniqueIDs(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (r authRepo) Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Auth, error) {
	return r.one(ctx, "id = ?", id, s)
}

func (r authRepo) GetByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) (domain.Auth, error) {
	return r.one(ctx, "record_id = ?", recordID, s)
}

func (r authRepo) one(ctx context.Context, cond, arg string, s domain.Scope) (domain.Auth, error) {
	var w authRow
	return scanOne(ctx, r.r, "auth", "SELECT "+authScopedCols+" FROM auths WHERE "+cond+" AND company_id = ? AND env = ?",
		w.scanIn(s), arg, s.CompanyID, string(s.Env))
}

func (r authRepo) List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Auth, int, error) {
	var w authRow
	return listOf(ctx, r.r, authList, authScopedCols, w.scanIn(s), s, f)
}

// authsNamed is how a page of auths brings its customers' names.
var authsNamed = newNamedPage("auths", authScopedCols)

// ListWithCustomers is List with the customers the page refers to.
func (r authRepo) ListWithCustomers(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Auth, []domain.Customer, int, error) {
	var w authRow
	return listNamed(ctx, r.r, authsNamed, authList, w.scanIn(s), s, f)
}

// ListByRecords returns the auths of records, in no particular order.
func (r authRepo) ListByRecords(ctx context.Context, s domain.Scope, recordIDs []domain.ID) ([]domain.Auth, error) {
	var w authRow
	return scanByIDs(ctx, r.r, "auths", "record_id", recordIDs, 1, w.scanIn(s), s, func(cond string) string {
		return "SELECT " + authScopedCols + " FROM auths WHERE company_id = ? AND env = ? AND " + cond
	})
}

// IDsByRecords names the auths of records, in no particular order: only
// their ids, records and scope, all a record's answer shows of them.
func (r authRepo) IDsByRecords(ctx context.Context, s domain.Scope, recordIDs []domain.ID) ([]domain.Auth, error) {
	var a domain.Auth
	a.CompanyID, a.Env = s.CompanyID, s.Env
	rs := rowScan[domain.Auth]{dest: []any{&a.ID, &a.RecordID}, take: func() domain.Auth { return a }}
	return scanByIDs(ctx, r.r, "auths", "record_id", recordIDs, 1, rs, s, func(cond string) string {
		return "SELECT id, record_id FROM auths WHERE company_id = ? AND env = ? AND " + cond
	})
}
