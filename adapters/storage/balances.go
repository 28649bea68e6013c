package storage

import (
	"context"

	"github.com/bankauth/bankauth/core/domain"
)

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

// scan reads balance rows into w, one at a time.
func (w *balanceRow) scan() rowScan[domain.Balance] {
	return rowScan[domain.Balance]{
		dest: []any{&w.ID, &w.CompanyID, &w.Env, &w.AccountID, &w.RecordID, &w.CustomerID, (*dbInt)(&w.Available), (*dbInt)(&w.Ledger), &w.Currency, &w.AsOf, &w.CreatedAt},
		take: func() domain.Balance { return w.domain() },
	}
}

// balanceScopedCols is balanceCols without company_id and env, for queries scoped in WHERE.
var balanceScopedCols = scopedCols(balanceCols)

// scanIn is scan for rows of balanceScopedCols, which carry s's company and env.
func (w *balanceRow) scanIn(s domain.Scope) rowScan[domain.Balance] {
	return inScope(w.scan(), &w.CompanyID, &w.Env, s)
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
	return scanOne(ctx, r.r, "balance", "SELECT "+balanceScopedCols+" FROM balances WHERE id = ? AND company_id = ? AND env = ?",
		w.scanIn(s), id, s.CompanyID, string(s.Env))
}

func (r balanceRepo) Latest(ctx context.Context, s domain.Scope, accountID domain.ID) (domain.Balance, error) {
	var w balanceRow
	return scanOne(ctx, r.r, "balance",
		"SELECT "+balanceScopedCols+" FROM balances WHERE account_id = ? AND company_id = ? AND env = ? ORDER BY created_at DESC, id DESC LIMIT 1",
		w.scanIn(s), accountID, s.CompanyID, string(s.Env))
}

// LatestMany picks each account's newest snapshot in the database with a
// window over the accounts' rows (the (account_id, created_at) index
// answers it), instead of one Latest per account.
func (r balanceRepo) LatestMany(ctx context.Context, s domain.Scope, accountIDs []domain.ID) ([]domain.Balance, error) {
	var w balanceRow
	return scanByIDs(ctx, r.r, "balances", "account_id", accountIDs, 1, w.scanIn(s), s, func(cond string) string {
		return "SELECT " + balanceScopedCols + " FROM (SELECT " + balanceScopedCols +
			", ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY created_at DESC, id DESC) AS newest" +
			" FROM balances WHERE company_id = ? AND env = ? AND " + cond + ") latest WHERE newest = 1"
	})
}

func (r balanceRepo) List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Balance, int, error) {
	var w balanceRow
	return listOf(ctx, r.r, balanceList, balanceScopedCols, w.scanIn(s), s, f)
}

// balancesNamed is how a page of balances brings its customers' names.
var balancesNamed = newNamedPage("balances", balanceScopedCols)

// ListWithCustomers is List with the customers the page refers to.
func (r balanceRepo) ListWithCustomers(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Balance, []domain.Customer, int, error) {
	var w balanceRow
	return listNamed(ctx, r.r, balancesNamed, balanceList, w.scanIn(s), s, f)
}
