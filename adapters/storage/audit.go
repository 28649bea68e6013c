package storage

import (
	"context"

	"github.com/bankauth/bankauth/core/domain"
)

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
