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
	return recordRow{r.ID, r.CompanyID, string(r.Env), r.CustomerID, r.BankID, string(r.Status), string(r.Method), r.Products,
		blob(r.SealedSession), blob(r.SealedUsername), blob(r.LoginKey), r.QuickLoginFailures, nts(r.QuickLoginLockedUntil),
		ts(r.CreatedAt), ts(r.UpdatedAt)}
}

func (w recordRow) domain() domain.Record {
	return domain.Record{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), CustomerID: w.CustomerID, BankID: w.BankID,
		Status: domain.RecordStatus(w.Status), Method: domain.LoginMethod(w.Method), Products: w.Products, SealedSession: blob(w.SealedSession),
		SealedUsername: blob(w.SealedUsername), LoginKey: blob(w.LoginKey), QuickLoginFailures: w.QuickFailures,
		QuickLoginLockedUntil: w.QuickLocked.ptr(), CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
}

// scan reads record rows into w, one at a time.
func (w *recordRow) scan() rowScan[domain.Record] {
	return rowScan[domain.Record]{
		dest: []any{&w.ID, &w.CompanyID, &w.Env, &w.CustomerID, &w.BankID, &w.Status, &w.Method, &w.Products, &w.SealedSession,
			&w.SealedUsername, &w.LoginKey, &w.QuickFailures, &w.QuickLocked, &w.CreatedAt, &w.UpdatedAt},
		take: func() domain.Record { return w.domain() },
	}
}

// recordScopedCols is recordCols without company_id and env, for queries scoped in WHERE.
var recordScopedCols = scopedCols(recordCols)

// scanIn is scan for rows of recordScopedCols, which carry s's company and env.
func (w *recordRow) scanIn(s domain.Scope) rowScan[domain.Record] {
	return inScope(w.scan(), &w.CompanyID, &w.Env, s)
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
	return scanOne(ctx, r.r, "record", "SELECT "+recordScopedCols+" FROM records WHERE id = ? AND company_id = ? AND env = ?",
		w.scanIn(s), id, s.CompanyID, string(s.Env))
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
	var w recordRow
	return listOf(ctx, r.r, recordList, recordScopedCols, w.scanIn(s), s, f)
}

// recordShownCols are what a record's answer shows of it, for a page
// that does not load the sealed session, username and login key.
const recordShownCols = "id, customer_id, bank_id, status, method, products, created_at, updated_at"

// recordsNamed is how a page of records brings its customers' names.
var recordsNamed = newNamedPage("records", recordShownCols)

// ListWithCustomers is a page of records without their secrets, with
// their customers' names joined in.
func (r recordRepo) ListWithCustomers(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Record, []domain.Customer, int, error) {
	var w recordRow
	rs := rowScan[domain.Record]{
		dest: []any{&w.ID, &w.CustomerID, &w.BankID, &w.Status, &w.Method, &w.Products, &w.CreatedAt, &w.UpdatedAt},
		take: func() domain.Record {
			return domain.Record{ID: w.ID, CompanyID: s.CompanyID, Env: s.Env, CustomerID: w.CustomerID, BankID: w.BankID,
				Status: domain.RecordStatus(w.Status), Method: domain.LoginMethod(w.Method), Products: w.Products, CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
		},
	}
	return listNamed(ctx, r.r, recordsNamed, recordList, rs, s, f)
}

func (r recordRepo) ListByCustomer(ctx context.Context, s domain.Scope, customerID domain.ID) ([]domain.Record, error) {
	var w recordRow
	return scanAll(ctx, r.r, "records",
		"SELECT "+recordScopedCols+" FROM records WHERE company_id = ? AND env = ? AND customer_id = ? ORDER BY created_at DESC, id DESC",
		4, w.scanIn(s), s.CompanyID, string(s.Env), customerID)
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
