package storage

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/bankauth/bankauth/core/domain"
)

// --- auths

const authCols = "id, company_id, env, record_id, customer_id, bank_id, validated, validation_note, created_at, updated_at"

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
}

func (w authRow) domain() domain.Auth {
	return domain.Auth{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), RecordID: w.RecordID, CustomerID: w.CustomerID,
		BankID: w.BankID, Validated: w.Validated, ValidationNote: w.ValidationNote, CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
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
// creation time stay), and replaces the accounts it covers, in one
// transaction.
func (r authRepo) Upsert(ctx context.Context, a domain.Auth) (domain.Auth, bool, error) {
	if a.ID == "" {
		a.ID = domain.NewID()
	}
	ids := uniqueIDs(a.AccountIDs)
	var w authRow
	err := r.r.inTx(ctx, func(ctx context.Context, tx *repos) error {
		if err := tx.namedGet(ctx, &w, "auth", "upsert auth",
			insertSQL("auths", authCols)+" ON CONFLICT (company_id, env, record_id) DO UPDATE SET "+
				excludedSet("customer_id, bank_id, validated, validation_note, updated_at")+" RETURNING "+authCols,
			authRow{a.ID, a.CompanyID, string(a.Env), a.RecordID, a.CustomerID, a.BankID, a.Validated, a.ValidationNote,
				ts(a.CreatedAt), ts(a.UpdatedAt)}); err != nil {
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
	out := w.domain()
	out.AccountIDs = ids
	return out, w.ID != a.ID, nil
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
	if err := r.r.get(ctx, &w, "auth", "SELECT "+authCols+" FROM auths WHERE "+cond+" AND company_id = ? AND env = ?",
		arg, s.CompanyID, string(s.Env)); err != nil {
		return domain.Auth{}, err
	}
	out, err := r.withAccounts(ctx, []authRow{w})
	if err != nil {
		return domain.Auth{}, err
	}
	return out[0], nil
}

func (r authRepo) List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Auth, int, error) {
	var rows []authRow
	total, err := r.r.list(ctx, &rows, authList, s, f)
	if err != nil {
		return nil, 0, err
	}
	out, err := r.withAccounts(ctx, rows)
	return out, total, err
}

// withAccounts loads the account ids of auths in one query.
func (r authRepo) withAccounts(ctx context.Context, rows []authRow) ([]domain.Auth, error) {
	out := make([]domain.Auth, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]string, len(rows))
	index := map[string]int{}
	for i, w := range rows {
		out[i] = w.domain()
		ids[i] = w.ID
		index[w.ID] = i
	}
	query, args, err := sqlx.In("SELECT auth_id, account_id FROM auth_accounts WHERE auth_id IN (?) ORDER BY auth_id, position", ids)
	if err != nil {
		return nil, err
	}
	var links []struct {
		AuthID    string `db:"auth_id"`
		AccountID string `db:"account_id"`
	}
	if err := r.r.sel(ctx, &links, "auth accounts", query, args...); err != nil {
		return nil, err
	}
	for _, l := range links {
		i := index[l.AuthID]
		out[i].AccountIDs = append(out[i].AccountIDs, l.AccountID)
	}
	return out, nil
}

// --- balances

const balanceCols = "id, company_id, env, account_id, record_id, customer_id, available, ledger, currency, as_of, created_at"

type balanceRow struct {
	ID         string `db:"id"`
	CompanyID  string `db:"company_id"`
	Env        string `db:"env"`
	AccountID  string `db:"account_id"`
	RecordID   string `db:"record_id"`
	CustomerID string `db:"customer_id"`
	Available  int64  `db:"available"`
	Ledger     int64  `db:"ledger"`
	Currency   string `db:"currency"`
	AsOf       dbTime `db:"as_of"`
	CreatedAt  dbTime `db:"created_at"`
}

func (w balanceRow) domain() domain.Balance {
	return domain.Balance{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), AccountID: w.AccountID, RecordID: w.RecordID,
		CustomerID: w.CustomerID, Available: domain.Minor(w.Available), Ledger: domain.Minor(w.Ledger), Currency: w.Currency,
		AsOf: w.AsOf.Time, CreatedAt: w.CreatedAt.Time}
}

var balanceList = listSpec{
	table: "balances", cols: balanceCols, what: "balances",
	customer:     "balances.customer_id = ?",
	bank:         "EXISTS (SELECT 1 FROM accounts a WHERE a.id = balances.account_id AND a.bank_id = ?)",
	account:      "balances.account_id = ?",
	record:       "balances.record_id = ?",
	currency:     "UPPER(balances.currency) = UPPER(?)",
	minAvailable: "balances.available >= ?",
	minLedger:    "balances.ledger >= ?",
}

type balanceRepo struct{ r *repos }

func (r balanceRepo) Add(ctx context.Context, b domain.Balance) error {
	_, err := r.r.named(ctx, "balance", "add balance", insertSQL("balances", balanceCols), balanceRow{
		b.ID, b.CompanyID, string(b.Env), b.AccountID, b.RecordID, b.CustomerID, int64(b.Available), int64(b.Ledger),
		b.Currency, ts(b.AsOf), ts(b.CreatedAt)})
	return err
}

func (r balanceRepo) Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Balance, error) {
	var w balanceRow
	err := r.r.get(ctx, &w, "balance", "SELECT "+balanceCols+" FROM balances WHERE id = ? AND company_id = ? AND env = ?",
		id, s.CompanyID, string(s.Env))
	return w.domain(), err
}

func (r balanceRepo) Latest(ctx context.Context, s domain.Scope, accountID domain.ID) (domain.Balance, error) {
	var w balanceRow
	err := r.r.get(ctx, &w, "balance",
		"SELECT "+balanceCols+" FROM balances WHERE account_id = ? AND company_id = ? AND env = ? ORDER BY created_at DESC, id DESC LIMIT 1",
		accountID, s.CompanyID, string(s.Env))
	return w.domain(), err
}

func (r balanceRepo) List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Balance, int, error) {
	var rows []balanceRow
	total, err := r.r.list(ctx, &rows, balanceList, s, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]domain.Balance, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out, total, nil
}
