package storage

import (
	"context"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// --- records

const recordCols = "id, company_id, env, customer_id, bank_id, status, method, products, sealed_session, sealed_username, login_key, quick_login_failures, quick_login_locked_until, created_at, updated_at"

type recordRow struct {
	ID             string   `db:"id"`
	CompanyID      string   `db:"company_id"`
	Env            string   `db:"env"`
	CustomerID     string   `db:"customer_id"`
	BankID         string   `db:"bank_id"`
	Status         string   `db:"status"`
	Method         string   `db:"method"`
	Products       strList  `db:"products"`
	SealedSession  []byte   `db:"sealed_session"`
	SealedUsername []byte   `db:"sealed_username"`
	LoginKey       []byte   `db:"login_key"`
	QuickFailures  int      `db:"quick_login_failures"`
	QuickLocked    nullTime `db:"quick_login_locked_until"`
	CreatedAt      dbTime   `db:"created_at"`
	UpdatedAt      dbTime   `db:"updated_at"`
}

func recordToRow(r domain.Record) recordRow {
	return recordRow{r.ID, r.CompanyID, string(r.Env), r.CustomerID, r.BankID, string(r.Status), r.Method, r.Products,
		blob(r.SealedSession), blob(r.SealedUsername), blob(r.LoginKey), r.QuickLoginFailures, nts(r.QuickLoginLockedUntil),
		ts(r.CreatedAt), ts(r.UpdatedAt)}
}

func (w recordRow) domain() domain.Record {
	return domain.Record{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), CustomerID: w.CustomerID, BankID: w.BankID,
		Status: domain.RecordStatus(w.Status), Method: w.Method, Products: w.Products, SealedSession: blob(w.SealedSession),
		SealedUsername: blob(w.SealedUsername), LoginKey: blob(w.LoginKey), QuickLoginFailures: w.QuickFailures,
		QuickLoginLockedUntil: w.QuickLocked.ptr(), CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
}

func recordsOut(rows []recordRow) []domain.Record {
	out := make([]domain.Record, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out
}

var recordList = listSpec{
	table: "records", cols: recordCols, what: "records",
	customer: "records.customer_id = ?",
	bank:     "records.bank_id = ?",
	account:  "EXISTS (SELECT 1 FROM accounts a WHERE a.record_id = records.id AND a.company_id = records.company_id AND a.env = records.env AND a.id = ?)",
	record:   "records.id = ?",
}

type recordRepo struct{ r *repos }

func (r recordRepo) Create(ctx context.Context, rec domain.Record) error {
	_, err := r.r.named(ctx, "record", "create record", insertSQL("records", recordCols), recordToRow(rec))
	return err
}

func (r recordRepo) Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Record, error) {
	var w recordRow
	err := r.r.get(ctx, &w, "record", "SELECT "+recordCols+" FROM records WHERE id = ? AND company_id = ? AND env = ?",
		id, s.CompanyID, string(s.Env))
	return w.domain(), err
}

func (r recordRepo) Update(ctx context.Context, rec domain.Record) error {
	n, err := r.r.named(ctx, "record", "update record",
		"UPDATE records SET "+updateSet("customer_id, bank_id, status, method, products, sealed_session, sealed_username, login_key, updated_at")+
			" WHERE id = :id AND company_id = :company_id AND env = :env",
		recordToRow(rec))
	return mustAffect(n, err, "record")
}

func (r recordRepo) FindByLogin(ctx context.Context, s domain.Scope, bankID domain.ID, loginKey []byte) (domain.Record, error) {
	if len(loginKey) == 0 {
		return domain.Record{}, domain.NotFound("record")
	}
	var w recordRow
	err := r.r.get(ctx, &w, "record",
		"SELECT "+recordCols+" FROM records WHERE company_id = ? AND env = ? AND bank_id = ? AND login_key = ?",
		s.CompanyID, string(s.Env), bankID, loginKey)
	return w.domain(), err
}

func (r recordRepo) List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Record, int, error) {
	rows, total, err := listOf[recordRow](ctx, r.r, recordList, s, f)
	if err != nil {
		return nil, 0, err
	}
	return recordsOut(rows), total, nil
}

func (r recordRepo) ListByCustomer(ctx context.Context, s domain.Scope, customerID domain.ID) ([]domain.Record, error) {
	var rows []recordRow
	if err := r.r.sel(ctx, &rows, "records",
		"SELECT "+recordCols+" FROM records WHERE company_id = ? AND env = ? AND customer_id = ? ORDER BY created_at DESC, id DESC",
		s.CompanyID, string(s.Env), customerID); err != nil {
		return nil, err
	}
	return recordsOut(rows), nil
}

// AddQuickLoginFailure counts a failed quick login in one statement, so
// concurrent failures on several instances are all counted.
func (r recordRepo) AddQuickLoginFailure(ctx context.Context, s domain.Scope, id domain.ID) (int, error) {
	var n int
	err := r.r.get(ctx, &n, "record",
		"UPDATE records SET quick_login_failures = quick_login_failures + 1 WHERE id = ? AND company_id = ? AND env = ? RETURNING quick_login_failures",
		id, s.CompanyID, string(s.Env))
	return n, err
}

func (r recordRepo) SetQuickLoginLock(ctx context.Context, s domain.Scope, id domain.ID, until *time.Time) error {
	n, err := r.r.exec(ctx, "record", "set quick login lock",
		"UPDATE records SET quick_login_failures = 0, quick_login_locked_until = ? WHERE id = ? AND company_id = ? AND env = ?",
		nts(until), id, s.CompanyID, string(s.Env))
	return mustAffect(n, err, "record")
}

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

func accountsOut(rows []accountRow) []domain.Account {
	out := make([]domain.Account, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out
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
	err := r.r.get(ctx, &w, "account", "SELECT "+accountCols+" FROM accounts WHERE id = ? AND company_id = ? AND env = ?",
		id, s.CompanyID, string(s.Env))
	return w.domain(), err
}

func (r accountRepo) FindByNUBAN(ctx context.Context, s domain.Scope, bankID domain.ID, nuban string) (domain.Account, error) {
	var w accountRow
	err := r.r.get(ctx, &w, "account",
		"SELECT "+accountCols+" FROM accounts WHERE company_id = ? AND env = ? AND bank_id = ? AND nuban = ?",
		s.CompanyID, string(s.Env), bankID, nuban)
	return w.domain(), err
}

func (r accountRepo) List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Account, int, error) {
	rows, total, err := listOf[accountRow](ctx, r.r, accountList, s, f)
	if err != nil {
		return nil, 0, err
	}
	return accountsOut(rows), total, nil
}

func (r accountRepo) ListByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) ([]domain.Account, error) {
	var rows []accountRow
	if err := r.r.sel(ctx, &rows, "accounts",
		"SELECT "+accountCols+" FROM accounts WHERE company_id = ? AND env = ? AND record_id = ? ORDER BY created_at DESC, id DESC",
		s.CompanyID, string(s.Env), recordID); err != nil {
		return nil, err
	}
	return accountsOut(rows), nil
}

// GetMany returns the accounts of ids in the scope that exist, in no
// particular order.
func (r accountRepo) GetMany(ctx context.Context, s domain.Scope, ids []domain.ID) ([]domain.Account, error) {
	ids = uniqueIDs(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	cond, arg := r.r.s.d.inIDs("id", ids)
	var rows []accountRow
	if err := r.r.sel(ctx, &rows, "accounts", "SELECT "+accountCols+" FROM accounts WHERE company_id = ? AND env = ? AND "+cond,
		s.CompanyID, string(s.Env), arg); err != nil {
		return nil, err
	}
	return accountsOut(rows), nil
}

// ListByRecords returns the accounts of records, newest first as
// ListByRecord orders each record's.
func (r accountRepo) ListByRecords(ctx context.Context, s domain.Scope, recordIDs []domain.ID) ([]domain.Account, error) {
	recordIDs = uniqueIDs(recordIDs)
	if len(recordIDs) == 0 {
		return nil, nil
	}
	cond, arg := r.r.s.d.inIDs("record_id", recordIDs)
	var rows []accountRow
	if err := r.r.sel(ctx, &rows, "accounts",
		"SELECT "+accountCols+" FROM accounts WHERE company_id = ? AND env = ? AND "+cond+" ORDER BY created_at DESC, id DESC",
		s.CompanyID, string(s.Env), arg); err != nil {
		return nil, err
	}
	return accountsOut(rows), nil
}
