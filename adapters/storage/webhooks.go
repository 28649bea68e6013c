package storage

import (
	"context"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

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
