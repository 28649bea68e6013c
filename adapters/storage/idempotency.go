package storage

import (
	"context"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

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
