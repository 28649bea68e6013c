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
		l.Method, l.CustomerID, l.RecordID, blob(l.Step), blob(l.SealedState), l.Attempts, l.Version,
		ts(l.ExpiresAt), ts(l.CreatedAt), ts(l.UpdatedAt)}
}

func (w linkSessionRow) domain() domain.LinkSession {
	return domain.LinkSession{ID: w.ID, CompanyID: w.CompanyID, Env: domain.Env(w.Env), TokenHash: blob(w.TokenHash),
		Options: blob(w.Options), Status: domain.StepStatus(w.Status), BankID: w.BankID, Method: w.Method,
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

// --- short links

const shortLinkCols = "code, company_id, env, options, created_at, expires_at"

type shortLinkRow struct {
	Code      string   `db:"code"`
	CompanyID string   `db:"company_id"`
	Env       string   `db:"env"`
	Options   []byte   `db:"options"`
	CreatedAt dbTime   `db:"created_at"`
	ExpiresAt nullTime `db:"expires_at"`
}

type shortLinkRepo struct{ r *repos }

func (r shortLinkRepo) Create(ctx context.Context, l domain.ShortLink) error {
	_, err := r.r.named(ctx, "short link", "create short link", insertSQL("short_links", shortLinkCols),
		shortLinkRow{l.Code, l.CompanyID, string(l.Env), blob(l.Options), ts(l.CreatedAt), nts(l.ExpiresAt)})
	return err
}

func (r shortLinkRepo) Get(ctx context.Context, code string) (domain.ShortLink, error) {
	var w shortLinkRow
	if err := r.r.get(ctx, &w, "short link", "SELECT "+shortLinkCols+" FROM short_links WHERE code = ?", code); err != nil {
		return domain.ShortLink{}, err
	}
	return domain.ShortLink{Code: w.Code, CompanyID: w.CompanyID, Env: domain.Env(w.Env), Options: blob(w.Options),
		CreatedAt: w.CreatedAt.Time, ExpiresAt: w.ExpiresAt.ptr()}, nil
}

// --- webhook endpoints

const webhookCols = "company_id, env, url, sealed_token, sealed_secret, sealed_previous, previous_until, failures, retry_after, created_at, updated_at"

type webhookRow struct {
	CompanyID      string   `db:"company_id"`
	Env            string   `db:"env"`
	URL            string   `db:"url"`
	SealedToken    []byte   `db:"sealed_token"`
	SealedSecret   []byte   `db:"sealed_secret"`
	SealedPrevious []byte   `db:"sealed_previous"`
	PreviousUntil  nullTime `db:"previous_until"`
	Failures       int      `db:"failures"`
	RetryAfter     nullTime `db:"retry_after"`
	CreatedAt      dbTime   `db:"created_at"`
	UpdatedAt      dbTime   `db:"updated_at"`
}

type webhookRepo struct{ r *repos }

// Set stores the endpoint of w's company and env, replacing any (its
// creation time stays).
func (r webhookRepo) Set(ctx context.Context, w domain.WebhookEndpoint) error {
	_, err := r.r.named(ctx, "webhook", "set webhook",
		insertSQL("webhook_endpoints", webhookCols)+" ON CONFLICT (company_id, env) DO UPDATE SET "+
			excludedSet("url, sealed_token, sealed_secret, sealed_previous, previous_until, failures, retry_after, updated_at"),
		webhookRow{w.CompanyID, string(w.Env), w.URL, blob(w.SealedToken), blob(w.SealedSecret), blob(w.SealedPrevious),
			nts(w.PreviousUntil), w.Failures, nts(w.RetryAfter), ts(w.CreatedAt), ts(w.UpdatedAt)})
	return err
}

func (r webhookRepo) Get(ctx context.Context, s domain.Scope) (domain.WebhookEndpoint, error) {
	var w webhookRow
	if err := r.r.get(ctx, &w, "webhook", "SELECT "+webhookCols+" FROM webhook_endpoints WHERE company_id = ? AND env = ?",
		s.CompanyID, string(s.Env)); err != nil {
		return domain.WebhookEndpoint{}, err
	}
	return domain.WebhookEndpoint{CompanyID: w.CompanyID, Env: domain.Env(w.Env), URL: w.URL, SealedToken: blob(w.SealedToken),
		SealedSecret: blob(w.SealedSecret), SealedPrevious: blob(w.SealedPrevious), PreviousUntil: w.PreviousUntil.ptr(),
		Failures: w.Failures, RetryAfter: w.RetryAfter.ptr(), CreatedAt: w.CreatedAt.Time, UpdatedAt: w.UpdatedAt.Time}, nil
}

func (r webhookRepo) SetBackoff(ctx context.Context, s domain.Scope, failures int, retryAfter *time.Time) error {
	n, err := r.r.exec(ctx, "webhook", "set webhook backoff",
		"UPDATE webhook_endpoints SET failures = ?, retry_after = ? WHERE company_id = ? AND env = ?",
		failures, nts(retryAfter), s.CompanyID, string(s.Env))
	return mustAffect(n, err, "webhook")
}
