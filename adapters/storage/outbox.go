package storage

import (
	"context"
	"sort"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// --- outbox

const outboxCols = "id, company_id, env, method, code, record_id, payload, status, attempts, next_attempt, last_status, last_error, claimed_by, claimed_till, created_at, updated_at"

type outboxRow struct {
	ID          string   `db:"id"`
	CompanyID   string   `db:"company_id"`
	Env         string   `db:"env"`
	Method      string   `db:"method"`
	Code        string   `db:"code"`
	RecordID    string   `db:"record_id"`
	Payload     []byte   `db:"payload"`
	Status      string   `db:"status"`
	Attempts    int      `db:"attempts"`
	NextAttempt dbTime   `db:"next_attempt"`
	LastStatus  int      `db:"last_status"`
	LastError   string   `db:"last_error"`
	ClaimedBy   string   `db:"claimed_by"`
	ClaimedTill nullTime `db:"claimed_till"`
	CreatedAt   dbTime   `db:"created_at"`
	UpdatedAt   dbTime   `db:"updated_at"`
}

func (w outboxRow) domain() domain.OutboxEvent {
	return domain.OutboxEvent{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), Method: domain.EventMethod(w.Method), Code: w.Code,
		RecordID: w.RecordID, Payload: blob(w.Payload), Status: w.Status, Attempts: w.Attempts, NextAttempt: w.NextAttempt.Time,
		LastStatus: w.LastStatus, LastError: w.LastError, ClaimedBy: w.ClaimedBy, ClaimedTill: w.ClaimedTill.ptr(),
		CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}
}

func outboxOut(rows []outboxRow) []domain.OutboxEvent {
	out := make([]domain.OutboxEvent, len(rows))
	for i, w := range rows {
		out[i] = w.domain()
	}
	return out
}

var outboxList = listSpec{table: "outbox_events", cols: outboxCols, what: "events", record: "outbox_events.record_id = ?"}

type outboxRepo struct{ r *repos }

func (r outboxRepo) Add(ctx context.Context, e domain.OutboxEvent) error {
	if e.Status == "" {
		e.Status = domain.OutboxPending
	}
	_, err := r.r.named(ctx, "event", "add outbox event", insertSQL("outbox_events", outboxCols), outboxRow{
		e.ID, e.CompanyID, string(e.Env), string(e.Method), e.Code, e.RecordID, blob(e.Payload), e.Status, e.Attempts,
		ts(e.NextAttempt), e.LastStatus, e.LastError, e.ClaimedBy, nts(e.ClaimedTill), ts(e.CreatedAt), ts(e.UpdatedAt)})
	return err
}

func (r outboxRepo) Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.OutboxEvent, error) {
	var w outboxRow
	err := r.r.get(ctx, &w, "event", "SELECT "+outboxCols+" FROM outbox_events WHERE id = ? AND company_id = ? AND env = ?",
		id, s.CompanyID, string(s.Env))
	return w.domain(), err
}

// Claim takes up to n pending events due at now whose claim is absent or
// lapsed, oldest due first, skipping endpoints in backoff and keeping each
// endpoint's unexpired claims at perEndpoint. Attempts is left to Finish.
//
// The innermost query ranks each endpoint's due events after the ones it
// has in flight; the middle one locks the chosen rows (skipping rows
// another claimer holds, and re-checking that they are still due, on
// PostgreSQL); the update marks them. Two PostgreSQL claimers racing for
// the same idle endpoint may each take perEndpoint of its events.
func (r outboxRepo) Claim(ctx context.Context, worker string, now, till time.Time, n, perEndpoint int) ([]domain.OutboxEvent, error) {
	if n <= 0 {
		return nil, nil
	}
	if perEndpoint <= 0 {
		perEndpoint = n
	}
	const due = "status = ? AND next_attempt <= ? AND (claimed_till IS NULL OR claimed_till < ?)"
	var rows []outboxRow
	err := r.r.sel(ctx, &rows, "events",
		"UPDATE outbox_events SET claimed_by = ?, claimed_till = ?, updated_at = ? WHERE id IN ("+
			"SELECT id FROM outbox_events WHERE "+due+" AND id IN ("+
			"SELECT id FROM (SELECT o.id, o.next_attempt,"+
			" ROW_NUMBER() OVER (PARTITION BY o.company_id, o.env ORDER BY o.next_attempt, o.id) +"+
			" (SELECT COUNT(*) FROM outbox_events c WHERE c.company_id = o.company_id AND c.env = o.env"+
			" AND c.status = ? AND c.claimed_till >= ?) AS place"+
			" FROM outbox_events o WHERE o.status = ? AND o.next_attempt <= ? AND (o.claimed_till IS NULL OR o.claimed_till < ?)"+
			" AND NOT EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.company_id = o.company_id AND w.env = o.env AND w.retry_after > ?)"+
			") ranked WHERE place <= ? ORDER BY next_attempt, id LIMIT ?)"+
			r.r.s.d.skipLocked+") RETURNING "+outboxCols,
		worker, ts(till), ts(now),
		domain.OutboxPending, ts(now), ts(now),
		domain.OutboxPending, ts(now),
		domain.OutboxPending, ts(now), ts(now),
		ts(now),
		perEndpoint, n)
	if err != nil {
		return nil, err
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if !a.NextAttempt.Equal(b.NextAttempt.Time) {
			return a.NextAttempt.Before(b.NextAttempt.Time)
		}
		return a.ID < b.ID
	})
	return outboxOut(rows), nil
}

// Finish stores e's status, attempts, next attempt and last outcome and
// releases the claim. When e.ClaimedBy is set, another worker holding the
// claim now (the first one's lapsed) makes it a conflict.
func (r outboxRepo) Finish(ctx context.Context, e domain.OutboxEvent) error {
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = time.Now()
	}
	query := "UPDATE outbox_events SET status = ?, attempts = ?, next_attempt = ?, last_status = ?, last_error = ?," +
		" claimed_by = '', claimed_till = NULL, updated_at = ? WHERE id = ? AND company_id = ? AND env = ?"
	args := []any{e.Status, e.Attempts, ts(e.NextAttempt), e.LastStatus, e.LastError, ts(e.UpdatedAt), e.ID, e.CompanyID, string(e.Env)}
	if e.ClaimedBy != "" {
		query += " AND claimed_by = ?"
		args = append(args, e.ClaimedBy)
	}
	n, err := r.r.exec(ctx, "event", "finish outbox event", query, args...)
	if err != nil || n > 0 {
		return err
	}
	if _, err := r.Get(ctx, domain.Scope{CompanyID: e.CompanyID, Env: e.Env}, e.ID); err != nil {
		return err
	}
	return domain.Conflict("event is claimed by another worker", nil)
}

func (r outboxRepo) List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.OutboxEvent, int, error) {
	var rows []outboxRow
	total, err := r.r.list(ctx, &rows, outboxList, s, f)
	if err != nil {
		return nil, 0, err
	}
	return outboxOut(rows), total, nil
}

const attemptCols = "id, event_id, company_id, env, url, http_status, error_text, duration_ms, created_at"

type attemptRow struct {
	ID         string `db:"id"`
	EventID    string `db:"event_id"`
	CompanyID  string `db:"company_id"`
	Env        string `db:"env"`
	URL        string `db:"url"`
	HTTPStatus int    `db:"http_status"`
	Error      string `db:"error_text"`
	DurationMS int64  `db:"duration_ms"`
	CreatedAt  dbTime `db:"created_at"`
}

func (r outboxRepo) AddAttempt(ctx context.Context, a domain.DeliveryAttempt) error {
	if a.ID == "" {
		a.ID = domain.NewID()
	}
	_, err := r.r.named(ctx, "delivery attempt", "add delivery attempt", insertSQL("delivery_attempts", attemptCols), attemptRow{
		a.ID, a.EventID, a.CompanyID, string(a.Env), a.URL, a.HTTPStatus, a.Error, a.DurationMS, ts(a.CreatedAt)})
	return err
}
