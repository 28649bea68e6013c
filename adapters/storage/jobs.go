package storage

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// --- jobs

const jobCols = "id, company_id, env, kind, subject, record_id, payload, result, status, attempts, run_after, claimed_by, claimed_till, created_at, updated_at"

type jobRow struct {
	ID          string   `db:"id"`
	CompanyID   string   `db:"company_id"`
	Env         string   `db:"env"`
	Kind        string   `db:"kind"`
	Subject     string   `db:"subject"`
	RecordID    string   `db:"record_id"`
	Payload     []byte   `db:"payload"`
	Result      []byte   `db:"result"`
	Status      string   `db:"status"`
	Attempts    int      `db:"attempts"`
	RunAfter    dbTime   `db:"run_after"`
	ClaimedBy   string   `db:"claimed_by"`
	ClaimedTill nullTime `db:"claimed_till"`
	CreatedAt   dbTime   `db:"created_at"`
	UpdatedAt   dbTime   `db:"updated_at"`
}

func (w jobRow) domain() domain.Job {
	return domain.Job{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), Kind: w.Kind, Subject: w.Subject, RecordID: w.RecordID,
		Payload: blob(w.Payload), Result: blob(w.Result), Status: w.Status, Attempts: w.Attempts, RunAfter: w.RunAfter.Time,
		ClaimedBy: w.ClaimedBy, ClaimedTill: w.ClaimedTill.ptr(), CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
}

type jobRepo struct{ r *repos }

func (r jobRepo) Add(ctx context.Context, j domain.Job) error {
	if j.Status == "" {
		j.Status = domain.JobPending
	}
	_, err := r.r.named(ctx, "job", "add job", insertSQL("jobs", jobCols), jobRow{
		j.ID, j.CompanyID, string(j.Env), j.Kind, j.Subject, j.RecordID, blob(j.Payload), blob(j.Result), j.Status, j.Attempts,
		ts(j.RunAfter), j.ClaimedBy, nts(j.ClaimedTill), ts(j.CreatedAt), ts(j.UpdatedAt)})
	return err
}

func (r jobRepo) Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Job, error) {
	var w jobRow
	err := r.r.get(ctx, &w, "job", "SELECT "+jobCols+" FROM jobs WHERE id = ? AND company_id = ? AND env = ?",
		id, s.CompanyID, string(s.Env))
	return w.domain(), err
}

func (r jobRepo) LatestBySubject(ctx context.Context, s domain.Scope, kind string, subject domain.ID) (domain.Job, error) {
	var w jobRow
	err := r.r.get(ctx, &w, "job",
		"SELECT "+jobCols+" FROM jobs WHERE company_id = ? AND env = ? AND kind = ? AND subject = ? ORDER BY created_at DESC, id DESC LIMIT 1",
		s.CompanyID, string(s.Env), kind, subject)
	return w.domain(), err
}

// Claim takes up to n jobs that are pending and due at now, or running with
// a lapsed claim, marks them running for worker until till and counts the
// attempt.
func (r jobRepo) Claim(ctx context.Context, worker string, now, till time.Time, n int) ([]domain.Job, error) {
	return r.claim(ctx, "", worker, now, till, n)
}

func (r jobRepo) ClaimKind(ctx context.Context, kind, worker string, now, till time.Time, n int) ([]domain.Job, error) {
	if kind == "" {
		return nil, errors.New("claim jobs: a kind is required")
	}
	return r.claim(ctx, kind, worker, now, till, n)
}

// claim takes due jobs of kind, or of every kind when kind is empty.
func (r jobRepo) claim(ctx context.Context, kind, worker string, now, till time.Time, n int) ([]domain.Job, error) {
	if n <= 0 {
		return nil, nil
	}
	due := "((status = ? AND run_after <= ?) OR (status = ? AND claimed_till < ?))"
	args := []any{domain.JobRunning, worker, ts(till), ts(now), domain.JobPending, ts(now), domain.JobRunning, ts(now)}
	if kind != "" {
		due += " AND kind = ?"
		args = append(args, kind)
	}
	var rows []jobRow
	err := r.r.sel(ctx, &rows, "jobs",
		"UPDATE jobs SET status = ?, claimed_by = ?, claimed_till = ?, attempts = attempts + 1, updated_at = ? WHERE id IN ("+
			"SELECT id FROM jobs WHERE "+due+" ORDER BY run_after, id LIMIT ?"+r.r.s.d.skipLocked+") RETURNING "+jobCols,
		append(args, n)...)
	if err != nil {
		return nil, err
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if !a.RunAfter.Equal(b.RunAfter.Time) {
			return a.RunAfter.Before(b.RunAfter.Time)
		}
		return a.ID < b.ID
	})
	out := make([]domain.Job, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out, nil
}

// Finish stores j's status, result, attempts and run_after and releases the
// claim; like Outbox.Finish, a claim another worker took over is a conflict.
func (r jobRepo) Finish(ctx context.Context, j domain.Job) error {
	if j.UpdatedAt.IsZero() {
		j.UpdatedAt = time.Now()
	}
	query := "UPDATE jobs SET status = ?, result = ?, attempts = ?, run_after = ?, claimed_by = '', claimed_till = NULL, updated_at = ?" +
		" WHERE id = ? AND company_id = ? AND env = ?"
	args := []any{j.Status, blob(j.Result), j.Attempts, ts(j.RunAfter), ts(j.UpdatedAt), j.ID, j.CompanyID, string(j.Env)}
	if j.ClaimedBy != "" {
		query += " AND claimed_by = ?"
		args = append(args, j.ClaimedBy)
	}
	n, err := r.r.exec(ctx, "job", "finish job", query, args...)
	if err != nil || n > 0 {
		return err
	}
	if _, err := r.Get(ctx, domain.Scope{CompanyID: j.CompanyID, Env: j.Env}, j.ID); err != nil {
		return err
	}
	return domain.Conflict("job is claimed by another worker", nil)
}
