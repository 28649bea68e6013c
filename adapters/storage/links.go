package storage

import (
	"context"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// --- link sessions

const linkSessionCols = "id, company_id, env, token_hash, options, status, bank_id, method, customer_id, record_id, step, sealed_state, attempts, version, expires_at, created_at, updated_at"

type linkSessionRow struct {
	ID          string `db:"id"`
	CompanyID   string `db:"company_id"`
	Env         string `db:"env"`
	TokenHash   []byte `db:"token_hash"`
	Options     []byte `db:"options"`
	Status      string `db:"status"`
	BankID      string `db:"bank_id"`
	Method      string `db:"method"`
	CustomerID  string `db:"customer_id"`
	RecordID    string `db:"record_id"`
	Step        []byte `db:"step"`
	SealedState []byte `db:"sealed_state"`
	Attempts    int    `db:"attempts"`
	Version     int    `db:"version"`
	ExpiresAt   dbTime `db:"expires_at"`
	CreatedAt   dbTime `db:"created_at"`
	UpdatedAt   dbTime `db:"updated_at"`
}

func linkSessionToRow(l domain.LinkSession) linkSessionRow {
	return linkSessionRow{l.ID, l.CompanyID, string(l.Env), blob(l.TokenHash), blob(l.Options), string(l.Status), l.BankID,
		string(l.Method), l.CustomerID, l.RecordID, blob(l.Step), blob(l.SealedState), l.Attempts, l.Version,
		ts(l.ExpiresAt), ts(l.CreatedAt), ts(l.UpdatedAt)}
}

func (w linkSessionRow) domain() domain.LinkSession {
	return domain.LinkSession{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), TokenHash: blob(w.TokenHash),
		Options: blob(w.Options), Status: domain.StepStatus(w.Status), BankID: w.BankID, Method: domain.LoginMethod(w.Method),
		CustomerID: w.CustomerID, RecordID: w.RecordID, Step: blob(w.Step), SealedState: blob(w.SealedState),
		Attempts: w.Attempts, Version: w.Version, ExpiresAt: w.ExpiresAt.Time, CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
}

type linkSessionRepo struct{ r *repos }

func (r linkSessionRepo) Create(ctx context.Context, l domain.LinkSession) error {
	_, err := r.r.named(ctx, "link session", "create link session", insertSQL("link_sessions", linkSessionCols), linkSessionToRow(l))
	return err
}

func (r linkSessionRepo) Get(ctx context.Context, id domain.ID) (domain.LinkSession, error) {
	var w linkSessionRow
	err := r.r.get(ctx, &w, "link session", "SELECT "+linkSessionCols+" FROM link_sessions WHERE id = ?", id)
	return w.domain(), err
}

// Update stores l when the stored version is l.Version and returns the
// stored session with the version bumped; a stale version is a conflict.
// The token hash, options and creation time never change.
func (r linkSessionRepo) Update(ctx context.Context, l domain.LinkSession) (domain.LinkSession, error) {
	var w linkSessionRow
	err := r.r.namedGet(ctx, &w, "link session", "update link session",
		"UPDATE link_sessions SET "+
			updateSet("status, bank_id, method, customer_id, record_id, step, sealed_state, attempts, expires_at, updated_at")+
			", version = version + 1 WHERE id = :id AND company_id = :company_id AND env = :env AND version = :version RETURNING "+linkSessionCols,
		linkSessionToRow(l))
	if domain.KindOf(err) == domain.KindNotFound {
		var exists int
		if r.r.get(ctx, &exists, "link session",
			"SELECT 1 FROM link_sessions WHERE id = ? AND company_id = ? AND env = ?", l.ID, l.CompanyID, string(l.Env)) == nil {
			return domain.LinkSession{}, domain.Conflict("link session was changed by another request", nil)
		}
	}
	if err != nil {
		return domain.LinkSession{}, err
	}
	return w.domain(), nil
}

func (r linkSessionRepo) DeleteByCustomer(ctx context.Context, s domain.Scope, customerID domain.ID) error {
	_, err := r.r.exec(ctx, "link sessions", "delete link sessions",
		"DELETE FROM link_sessions WHERE company_id = ? AND env = ? AND customer_id = ?", s.CompanyID, string(s.Env), customerID)
	return err
}

// DeleteExpired removes sessions past their expiry (finished ones expire
// a short grace after they finish).
func (r linkSessionRepo) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	n, err := r.r.exec(ctx, "link sessions", "delete expired link sessions",
		"DELETE FROM link_sessions WHERE expires_at < ?", ts(now))
	return int(n), err
}
