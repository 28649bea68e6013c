package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// repos implements ports.Repos, bound to a transaction or to the pool.
type repos struct {
	s  *Store
	tx *txState // nil outside WithinTx
}

func (r *repos) Companies() ports.CompanyRepo        { return companyRepo{r} }
func (r *repos) Keys() ports.KeyRepo                 { return keyRepo{r} }
func (r *repos) Banks() ports.BankRepo               { return bankRepo{r} }
func (r *repos) Connectors() ports.ConnectorRepo     { return connectorRepo{r} }
func (r *repos) Customers() ports.CustomerRepo       { return customerRepo{r} }
func (r *repos) Records() ports.RecordRepo           { return recordRepo{r} }
func (r *repos) Accounts() ports.AccountRepo         { return accountRepo{r} }
func (r *repos) Auths() ports.AuthRepo               { return authRepo{r} }
func (r *repos) Balances() ports.BalanceRepo         { return balanceRepo{r} }
func (r *repos) LinkSessions() ports.LinkSessionRepo { return linkSessionRepo{r} }
func (r *repos) ShortLinks() ports.ShortLinkRepo     { return shortLinkRepo{r} }
func (r *repos) LinkTokens() ports.LinkTokenRepo     { return linkTokenRepo{r} }
func (r *repos) Webhooks() ports.WebhookRepo         { return webhookRepo{r} }
func (r *repos) Outbox() ports.OutboxRepo            { return outboxRepo{r} }
func (r *repos) Idempotency() ports.IdempotencyRepo  { return idempotencyRepo{r} }
func (r *repos) Audit() ports.AuditRepo              { return auditRepo{r} }
func (r *repos) Jobs() ports.JobRepo                 { return jobRepo{r} }
func (r *repos) Partners() ports.PartnerRepo         { return partnerRepo{r} }
func (r *repos) PartnerKeys() ports.PartnerKeyRepo   { return partnerKeyRepo{r} }
func (r *repos) ProcessorTokens() ports.ProcessorTokenRepo {
	return processorTokenRepo{r}
}

// Lock takes transaction-scoped locks on keys, in a stable order so two
// transactions locking the same keys cannot deadlock.
func (r *repos) Lock(ctx context.Context, keys ...string) error {
	if r.s.d.lockKey == "" || len(keys) == 0 {
		return nil
	}
	if r.tx == nil && ctx.Value(txKey{r.s}) == nil {
		return errors.New("lock: only inside a transaction")
	}
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	q := r.q(ctx)
	for i, k := range sorted {
		if i > 0 && k == sorted[i-1] {
			continue
		}
		if _, err := q.ExecContext(ctx, r.s.d.lockKey, k); err != nil {
			return r.s.mapErr(err, "lock", "lock "+k)
		}
	}
	return nil
}

// q picks where a statement runs: the bound transaction, else the one ctx
// carries, else the pool.
func (r *repos) q(ctx context.Context) sqlx.ExtContext {
	if r.tx != nil {
		return r.tx.tx
	}
	if st, ok := ctx.Value(txKey{r.s}).(*txState); ok {
		return st.tx
	}
	return r.s.db
}

// tx runs fn in a transaction, joining the current one if there is any.
func (r *repos) inTx(ctx context.Context, fn func(ctx context.Context, r *repos) error) error {
	if r.tx != nil {
		ctx = context.WithValue(ctx, txKey{r.s}, r.tx)
	}
	return r.s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		return fn(ctx, tx.(*repos))
	})
}

// get scans one row into dest; what names the object for errors.
func (r *repos) get(ctx context.Context, dest any, what, query string, args ...any) error {
	q := r.q(ctx)
	if err := sqlx.GetContext(ctx, q, dest, q.Rebind(query), args...); err != nil {
		return r.s.mapErr(err, what, "get "+what)
	}
	return nil
}

// sel scans every row into dest, a pointer to a slice.
func (r *repos) sel(ctx context.Context, dest any, what, query string, args ...any) error {
	q := r.q(ctx)
	if err := sqlx.SelectContext(ctx, q, dest, q.Rebind(query), args...); err != nil {
		return r.s.mapErr(err, what, "list "+what)
	}
	return nil
}

// exec runs a statement with ? placeholders.
func (r *repos) exec(ctx context.Context, what, op, query string, args ...any) (int64, error) {
	q := r.q(ctx)
	res, err := q.ExecContext(ctx, q.Rebind(query), args...)
	if err != nil {
		return 0, r.s.mapErr(err, what, op)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return n, nil
}

// named runs a statement with :name placeholders taken from arg.
func (r *repos) named(ctx context.Context, what, op, query string, arg any) (int64, error) {
	bound, args, err := sqlx.Named(query, arg)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return r.exec(ctx, what, op, bound, args...)
}

// namedGet runs a statement with :name placeholders and scans its one row
// (an INSERT … RETURNING).
func (r *repos) namedGet(ctx context.Context, dest any, what, op, query string, arg any) error {
	bound, args, err := sqlx.Named(query, arg)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	q := r.q(ctx)
	if err := sqlx.GetContext(ctx, q, dest, q.Rebind(bound), args...); err != nil {
		return r.s.mapErr(err, what, op)
	}
	return nil
}

// mustAffect turns "no row changed" into not found.
func mustAffect(n int64, err error, what string) error {
	if err != nil {
		return err
	}
	if n == 0 {
		return domain.NotFound(what)
	}
	return nil
}

// mapErr is the one place driver errors become domain errors.
func (s *Store) mapErr(err error, what, op string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return domain.NotFound(what)
	case s.d.uniqueViolation(err):
		return domain.Conflict(what+" already exists", err)
	case s.d.foreignKeyViolation(err):
		return &domain.Error{Kind: domain.KindInvalid, Message: what + " refers to a missing object", Err: err}
	}
	if de := s.d.storeFailure(err); de != nil {
		de.Err = fmt.Errorf("%s: %w", op, err)
		return de
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// insertSQL builds INSERT INTO table (cols) VALUES (:cols).
func insertSQL(table, cols string) string {
	names := splitCols(cols)
	return "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") VALUES (:" + strings.Join(names, ", :") + ")"
}

// updateSet builds "a = :a, b = :b" for cols.
func updateSet(cols string) string {
	names := splitCols(cols)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " = :" + n
	}
	return strings.Join(parts, ", ")
}

// excludedSet builds "a = excluded.a, …" for an upsert.
func excludedSet(cols string) string {
	names := splitCols(cols)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " = excluded." + n
	}
	return strings.Join(parts, ", ")
}

func splitCols(cols string) []string {
	var out []string
	for _, c := range strings.Split(cols, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// listSpec says how a table answers a domain.ListFilter. Each filter is a
// condition with one ? or empty when the filter does not apply to the table.
type listSpec struct {
	table, cols, what               string
	customer, bank, account, record string
}

// list runs a scoped, filtered, paginated query, newest first, and counts
// every match.
func (r *repos) list(ctx context.Context, dest any, spec listSpec, s domain.Scope, f domain.ListFilter) (int, error) {
	where := []string{spec.table + ".company_id = ?", spec.table + ".env = ?"}
	args := []any{s.CompanyID, string(s.Env)}
	add := func(cond, val string) {
		if cond != "" && val != "" {
			where = append(where, cond)
			args = append(args, val)
		}
	}
	add(spec.customer, f.CustomerID)
	add(spec.bank, f.BankID)
	add(spec.account, f.AccountID)
	add(spec.record, f.RecordID)
	if !f.From.IsZero() {
		where = append(where, spec.table+".created_at >= ?")
		args = append(args, ts(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, spec.table+".created_at < ?")
		args = append(args, ts(f.To))
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := r.get(ctx, &total, spec.what, "SELECT COUNT(*) FROM "+spec.table+cond, args...); err != nil {
		return 0, err
	}
	p := f.Page.Normalize()
	query := "SELECT " + spec.cols + " FROM " + spec.table + cond +
		" ORDER BY " + spec.table + ".created_at DESC, " + spec.table + ".id DESC LIMIT ? OFFSET ?"
	if err := r.sel(ctx, dest, spec.what, query, append(args, p.Limit, p.Offset())...); err != nil {
		return 0, err
	}
	return total, nil
}

// Lock takes transaction-scoped locks through the transaction ctx carries.
func (s *Store) Lock(ctx context.Context, keys ...string) error {
	return (&repos{s: s}).Lock(ctx, keys...)
}
