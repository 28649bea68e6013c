package storage

import (
	"context"
	"errors"
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
	return domain.OutboxEvent{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), Method: w.Method, Code: w.Code,
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
		e.ID, e.CompanyID, string(e.Env), e.Method, e.Code, e.RecordID, blob(e.Payload), e.Status, e.Attempts,
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

// --- idempotency

const idemCols = "company_id, env, idem_key, request_hash, state, status_code, response, created_at, expires_at, lease_until"

type idemRow struct {
	CompanyID   string   `db:"company_id"`
	Env         string   `db:"env"`
	Key         string   `db:"idem_key"`
	RequestHash []byte   `db:"request_hash"`
	State       string   `db:"state"`
	StatusCode  int      `db:"status_code"`
	Response    []byte   `db:"response"`
	CreatedAt   dbTime   `db:"created_at"`
	ExpiresAt   dbTime   `db:"expires_at"`
	LeaseUntil  nullTime `db:"lease_until"`
}

func (w idemRow) domain() domain.IdempotencyEntry {
	e := domain.IdempotencyEntry{CompanyID: w.CompanyID, Env: domain.Env(w.Env), Key: w.Key, RequestHash: blob(w.RequestHash),
		State: w.State, StatusCode: w.StatusCode, Response: blob(w.Response), CreatedAt: w.CreatedAt.Time, ExpiresAt: w.ExpiresAt.Time}
	if w.LeaseUntil.Valid {
		e.LeaseUntil = w.LeaseUntil.Time.Time
	}
	return e
}

type idempotencyRepo struct{ r *repos }

// Begin stores e as in flight. An unexpired entry with the same key wins and
// is returned with existed=true; an expired one (expires_at <= e.CreatedAt)
// is replaced, and so is an in-flight one of the same request whose lease
// lapsed. The upsert's condition is checked on the row it locks, so of two
// retries taking over one lapsed entry only one succeeds.
func (r idempotencyRepo) Begin(ctx context.Context, e domain.IdempotencyEntry) (domain.IdempotencyEntry, bool, error) {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	if e.LeaseUntil.IsZero() {
		e.LeaseUntil = e.ExpiresAt
	}
	arg := struct {
		idemRow
		Now      dbTime `db:"now"`
		InFlight string `db:"in_flight"`
	}{idemRow{e.CompanyID, string(e.Env), e.Key, blob(e.RequestHash), domain.IdemInFlight, 0, nil, ts(e.CreatedAt), ts(e.ExpiresAt),
		nts(&e.LeaseUntil)}, ts(e.CreatedAt), domain.IdemInFlight}
	scope := []any{e.CompanyID, string(e.Env), e.Key}
	// The existing row may vanish between the two statements (Abandon);
	// then the insert is tried again.
	for try := 0; ; try++ {
		var w idemRow
		err := r.r.namedGet(ctx, &w, "idempotency key", "begin idempotent request",
			insertSQL("idempotency_keys", idemCols)+" ON CONFLICT (company_id, env, idem_key) DO UPDATE SET "+
				excludedSet("request_hash, state, status_code, response, created_at, expires_at, lease_until")+
				" WHERE idempotency_keys.expires_at <= :now OR (idempotency_keys.state = :in_flight"+
				" AND idempotency_keys.request_hash = excluded.request_hash"+
				" AND (idempotency_keys.lease_until IS NULL OR idempotency_keys.lease_until <= :now))"+
				" RETURNING "+idemCols, arg)
		if err == nil {
			return w.domain(), false, nil
		}
		if domain.KindOf(err) != domain.KindNotFound {
			return domain.IdempotencyEntry{}, false, err
		}
		err = r.r.get(ctx, &w, "idempotency key",
			"SELECT "+idemCols+" FROM idempotency_keys WHERE company_id = ? AND env = ? AND idem_key = ?", scope...)
		if err == nil {
			return w.domain(), true, nil
		}
		if domain.KindOf(err) != domain.KindNotFound || try == 2 {
			return domain.IdempotencyEntry{}, false, err
		}
	}
}

// held is the condition "the in-flight entry e began": a retry that took
// it over set a later lease, so the first attempt no longer matches.
func held(e domain.IdempotencyEntry) (string, []any) {
	cond := "company_id = ? AND env = ? AND idem_key = ? AND state = ?"
	args := []any{e.CompanyID, string(e.Env), e.Key, domain.IdemInFlight}
	if !e.LeaseUntil.IsZero() {
		cond += " AND lease_until = ?"
		args = append(args, ts(e.LeaseUntil))
	}
	return cond, args
}

// Complete stores the response of the in-flight entry e began (State
// defaults to done); one that is not in flight, or was taken over, is not
// found.
func (r idempotencyRepo) Complete(ctx context.Context, e domain.IdempotencyEntry) error {
	if e.State == "" || e.State == domain.IdemInFlight {
		e.State = domain.IdemDone
	}
	cond, args := held(e)
	n, err := r.r.exec(ctx, "idempotency key", "complete idempotent request",
		"UPDATE idempotency_keys SET state = ?, status_code = ?, response = ? WHERE "+cond,
		append([]any{e.State, e.StatusCode, blob(e.Response)}, args...)...)
	return mustAffect(n, err, "idempotency key")
}

// Abandon removes the in-flight entry e began; a finished, absent or
// taken-over one is left.
func (r idempotencyRepo) Abandon(ctx context.Context, e domain.IdempotencyEntry) error {
	cond, args := held(e)
	_, err := r.r.exec(ctx, "idempotency key", "abandon idempotent request", "DELETE FROM idempotency_keys WHERE "+cond, args...)
	return err
}

func (r idempotencyRepo) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	n, err := r.r.exec(ctx, "idempotency keys", "delete expired idempotency keys",
		"DELETE FROM idempotency_keys WHERE expires_at < ?", ts(now))
	return int(n), err
}

// --- audit

const auditCols = "id, company_id, env, actor, action, subject, detail, created_at"

type auditRow struct {
	ID        string `db:"id"`
	CompanyID string `db:"company_id"`
	Env       string `db:"env"`
	Actor     string `db:"actor"`
	Action    string `db:"action"`
	Subject   string `db:"subject"`
	Detail    []byte `db:"detail"`
	CreatedAt dbTime `db:"created_at"`
}

var auditList = listSpec{
	table: "audit_events", cols: auditCols, what: "audit events",
	customer: "audit_events.subject = ?", account: "audit_events.subject = ?", record: "audit_events.subject = ?",
}

type auditRepo struct{ r *repos }

func (r auditRepo) Add(ctx context.Context, e domain.AuditEvent) error {
	if e.ID == "" {
		e.ID = domain.NewID()
	}
	_, err := r.r.named(ctx, "audit event", "add audit event", insertSQL("audit_events", auditCols), auditRow{
		e.ID, e.CompanyID, string(e.Env), e.Actor, e.Action, e.Subject, blob(e.Detail), ts(e.CreatedAt)})
	return err
}

func (r auditRepo) List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.AuditEvent, int, error) {
	var rows []auditRow
	total, err := r.r.list(ctx, &rows, auditList, s, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]domain.AuditEvent, len(rows))
	for i, w := range rows {
		out[i] = domain.AuditEvent{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), Actor: w.Actor, Action: w.Action,
			Subject: w.Subject, Detail: blob(w.Detail), CreatedAt: w.CreatedAt.Time}
	}
	return out, total, nil
}

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
