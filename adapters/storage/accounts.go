package storage

import (
	"context"

	"github.com/bankauth/bankauth/core/domain"
)

// --- accounts

const accountCols = "id, company_id, env, record_id, customer_id, bank_id, connector_ref, nuban, name, account_type, currency, connected, created_at, updated_at"

type accountRow struct {
	ID           string `db:"id"`
	CompanyID    string `db:"company_id"`
	Env          string `db:"env"`
	RecordID     string `db:"record_id"`
	CustomerID   string `db:"customer_id"`
	BankID       string `db:"bank_id"`
	ConnectorRef string `db:"connector_ref"`
	NUBAN        string `db:"nuban"`
	Name         string `db:"name"`
	Type         string `db:"account_type"`
	Currency     string `db:"currency"`
	Connected    bool   `db:"connected"`
	CreatedAt    dbTime `db:"created_at"`
	UpdatedAt    dbTime `db:"updated_at"`
}

func (w accountRow) domain() domain.Account {
	return domain.Account{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), RecordID: w.RecordID, CustomerID: w.CustomerID,
		BankID: w.BankID, ConnectorRef: w.ConnectorRef, NUBAN: w.NUBAN, Name: w.Name, Type: w.Type, Currency: w.Currency,
		Connected: w.Connected, CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
}

// scan reads account rows into w, one at a time.
func (w *accountRow) scan() rowScan[domain.Account] {
	return rowScan[domain.Account]{
		dest: []any{&w.ID, &w.CompanyID, &w.Env, &w.RecordID, &w.CustomerID, &w.BankID, &w.ConnectorRef, &w.NUBAN, &w.Name,
			&w.Type, &w.Currency, &w.Connected, &w.CreatedAt, &w.UpdatedAt},
		take: func() domain.Account { return w.domain() },
	}
}

// accountScopedCols is accountCols without company_id and env, for queries scoped in WHERE.
var accountScopedCols = scopedCols(accountCols)

// scanIn is scan for rows of accountScopedCols, which carry s's company and env.
func (w *accountRow) scanIn(s domain.Scope) rowScan[domain.Account] {
	return inScope(w.scan(), &w.CompanyID, &w.Env, s)
}

var accountList = listSpec{
	table: "accounts", cols: accountCols, what: "accounts",
	customer: "accounts.customer_id = ?",
	bank:     "accounts.bank_id = ?",
	account:  "accounts.id = ?",
	record:   "accounts.record_id = ?",
	name:     "LOWER(accounts.name) = LOWER(?)",
}

type accountRepo struct{ r *repos }

// Upsert inserts a or refreshes the account with the same company, env,
// bank and NUBAN: every field but the id and creation time takes a's value.
// The stored id differs from a.ID exactly when the row already existed.
func (r accountRepo) Upsert(ctx context.Context, a domain.Account) (domain.Account, bool, error) {
	if a.ID == "" {
		a.ID = domain.NewID()
	}
	var w accountRow
	err := r.r.namedGet(ctx, &w, "account", "upsert account",
		insertSQL("accounts", accountCols)+" ON CONFLICT (company_id, env, bank_id, nuban) DO UPDATE SET "+
			excludedSet("record_id, customer_id, connector_ref, name, account_type, currency, connected, updated_at")+
			" RETURNING "+accountCols,
		accountRow{a.ID, a.CompanyID, string(a.Env), a.RecordID, a.CustomerID, a.BankID, a.ConnectorRef, a.NUBAN, a.Name,
			a.Type, a.Currency, a.Connected, ts(a.CreatedAt), ts(a.UpdatedAt)})
	if err != nil {
		return domain.Account{}, false, err
	}
	return w.domain(), w.ID != a.ID, nil
}

func (r accountRepo) Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Account, error) {
	var w accountRow
	return scanOne(ctx, r.r, "account", "SELECT "+accountScopedCols+" FROM accounts WHERE id = ? AND company_id = ? AND env = ?",
		w.scanIn(s), id, s.CompanyID, string(s.Env))
}

func (r accountRepo) FindByNUBAN(ctx context.Context, s domain.Scope, bankID domain.ID, nuban string) (domain.Account, error) {
	var w accountRow
	err := r.r.get(ctx, &w, "account",
		"SELECT "+accountCols+" FROM accounts WHERE company_id = ? AND env = ? AND bank_id = ? AND nuban = ?",
		s.CompanyID, string(s.Env), bankID, nuban)
	return w.domain(), err
}

func (r accountRepo) List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Account, int, error) {
	var w accountRow
	return listOf(ctx, r.r, accountList, accountScopedCols, w.scanIn(s), s, f)
}

// accountShownCols are what an account's answer shows of it: not the
// connector's reference, which stays inside (balance pulls read it by id).
const accountShownCols = "id, record_id, customer_id, bank_id, nuban, name, account_type, currency, connected, created_at, updated_at"

// scanShown reads rows of accountShownCols, which carry s's company and env.
func (w *accountRow) scanShown(s domain.Scope) rowScan[domain.Account] {
	w.CompanyID, w.Env = s.CompanyID, string(s.Env)
	return rowScan[domain.Account]{
		dest: []any{&w.ID, &w.RecordID, &w.CustomerID, &w.BankID, &w.NUBAN, &w.Name, &w.Type, &w.Currency, &w.Connected,
			&w.CreatedAt, &w.UpdatedAt},
		take: func() domain.Account { return w.domain() },
	}
}

// accountsNamed is how a page of accounts brings its customers' names.
var accountsNamed = newNamedPage("accounts", accountShownCols)

// ListWithCustomers is List with the customers the page refers to, and
// without the accounts' connector references.
func (r accountRepo) ListWithCustomers(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Account, []domain.Customer, int, error) {
	var w accountRow
	return listNamed(ctx, r.r, accountsNamed, accountList, w.scanShown(s), s, f)
}

func (r accountRepo) ListByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) ([]domain.Account, error) {
	var w accountRow
	return scanAll(ctx, r.r, "accounts",
		"SELECT "+accountScopedCols+" FROM accounts WHERE company_id = ? AND env = ? AND record_id = ? ORDER BY created_at DESC, id DESC",
		4, w.scanIn(s), s.CompanyID, string(s.Env), recordID)
}

// GetMany returns the accounts of ids in the scope that exist, in no
// particular order.
func (r accountRepo) GetMany(ctx context.Context, s domain.Scope, ids []domain.ID) ([]domain.Account, error) {
	var w accountRow
	return scanByIDs(ctx, r.r, "accounts", "id", ids, 1, w.scanIn(s), s, func(cond string) string {
		return "SELECT " + accountScopedCols + " FROM accounts WHERE company_id = ? AND env = ? AND " + cond
	})
}

// ListByRecords returns the accounts of records, newest first as
// ListByRecord orders each record's.
func (r accountRepo) ListByRecords(ctx context.Context, s domain.Scope, recordIDs []domain.ID) ([]domain.Account, error) {
	var w accountRow
	return scanByIDs(ctx, r.r, "accounts", "record_id", recordIDs, 2, w.scanIn(s), s, func(cond string) string {
		return "SELECT " + accountScopedCols + " FROM accounts WHERE company_id = ? AND env = ? AND " + cond + " ORDER BY created_at DESC, id DESC"
	})
}

// RefsMany loads what a balance shows of its account, and no more: a
// page of balances reads its accounts' timestamps and ids nobody sees
// otherwise, and the driver decodes every column it is sent.
func (r accountRepo) RefsMany(ctx context.Context, s domain.Scope, ids []domain.ID) ([]domain.Account, error) {
	var a domain.Account
	a.CompanyID, a.Env = s.CompanyID, s.Env
	rs := rowScan[domain.Account]{dest: []any{&a.ID, &a.BankID, &a.NUBAN, &a.Name, &a.Type, &a.Connected}, take: func() domain.Account { return a }}
	return scanByIDs(ctx, r.r, "accounts", "id", ids, 1, rs, s, func(cond string) string {
		return "SELECT id, bank_id, nuban, name, account_type, connected FROM accounts WHERE company_id = ? AND env = ? AND " + cond
	})
}

// IDsByRecords names the accounts of records, each record's newest first
// as ListByRecord orders them: only their ids, records and scope, all a
// record's answer shows of them.
func (r accountRepo) IDsByRecords(ctx context.Context, s domain.Scope, recordIDs []domain.ID) ([]domain.Account, error) {
	var a domain.Account
	a.CompanyID, a.Env = s.CompanyID, s.Env
	rs := rowScan[domain.Account]{dest: []any{&a.ID, &a.RecordID}, take: func() domain.Account { return a }}
	return scanByIDs(ctx, r.r, "accounts", "record_id", recordIDs, 2, rs, s, func(cond string) string {
		return "SELECT id, record_id FROM accounts WHERE company_id = ? AND env = ? AND " + cond + " ORDER BY created_at DESC, id DESC"
	})
}
