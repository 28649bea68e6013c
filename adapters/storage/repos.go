package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

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
func (r *repos) Banks() ports.BankRepo               { return cachedBanks{r} }
func (r *repos) Connectors() ports.ConnectorRepo     { return connectorRepo{r} }
func (r *repos) Customers() ports.CustomerRepo       { return customerRepo{r} }
func (r *repos) Records() ports.RecordRepo           { return recordRepo{r} }
func (r *repos) Accounts() ports.AccountRepo         { return accountRepo{r} }
func (r *repos) Auths() ports.AuthRepo               { return authRepo{r} }
func (r *repos) Balances() ports.BalanceRepo         { return balanceRepo{r} }
func (r *repos) Identities() ports.IdentityRepo      { return identityRepo{r} }
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
		r.s.counted(ctx, r.s.d.lockKey)
		if _, err := q.ExecContext(ctx, r.s.d.lockKey, k); err != nil {
			return r.s.mapErr(err, "lock", "lock "+k)
		}
	}
	return nil
}

// q picks where a statement runs: the bound transaction, else the one ctx
// carries, else the pool.
func (r *repos) q(ctx context.Context) sqlx.ExtContext {
	if tx := r.current(ctx); tx != nil {
		return tx
	}
	return r.s.db
}

// current is the transaction a statement joins, or nil for the pool.
func (r *repos) current(ctx context.Context) *sqlx.Tx {
	if r.tx != nil {
		return r.tx.tx
	}
	if st, ok := ctx.Value(txKey{r.s}).(*txState); ok {
		return st.tx
	}
	return nil
}

// inTx runs fn in a transaction, joining the current one if there is any.
func (r *repos) inTx(ctx context.Context, fn func(ctx context.Context, r *repos) error) error {
	if r.tx != nil {
		ctx = context.WithValue(ctx, txKey{r.s}, r.tx)
	}
	return r.s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		return fn(ctx, tx.(*repos))
	})
}

// runner is what one statement runs on: a prepared statement of the pool
// when the store caches them, else the transaction or the pool itself.
type runner interface {
	GetContext(ctx context.Context, dest any, args ...any) error
	SelectContext(ctx context.Context, dest any, args ...any) error
	QueryxContext(ctx context.Context, args ...any) (*sqlx.Rows, error)
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
}

// statement binds query (written with ? placeholders) to where it runs and
// counts it.
func (r *repos) statement(ctx context.Context, query string) runner {
	return r.bound(ctx, r.s.rebind(query))
}

// bound is statement for a text already in the driver's placeholders.
func (r *repos) bound(ctx context.Context, bound string) runner {
	tx := r.current(ctx)
	var q sqlx.ExtContext = r.s.db
	if tx != nil {
		q = tx
	}
	r.s.counted(ctx, bound)
	if tx == nil {
		if st := r.s.stmts.get(ctx, r.s.db, bound); st != nil {
			return st
		}
	}
	return unprepared{q: q, query: bound}
}

// unprepared runs a statement by its text.
type unprepared struct {
	q     sqlx.ExtContext
	query string
}

func (u unprepared) GetContext(ctx context.Context, dest any, args ...any) error {
	return sqlx.GetContext(ctx, u.q, dest, u.query, args...)
}

func (u unprepared) SelectContext(ctx context.Context, dest any, args ...any) error {
	return sqlx.SelectContext(ctx, u.q, dest, u.query, args...)
}

func (u unprepared) QueryxContext(ctx context.Context, args ...any) (*sqlx.Rows, error) {
	return u.q.QueryxContext(ctx, u.query, args...)
}

func (u unprepared) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return u.q.ExecContext(ctx, u.query, args...)
}

// get scans one row into dest; what names the object for errors.
func (r *repos) get(ctx context.Context, dest any, what, query string, args ...any) error {
	if err := r.statement(ctx, query).GetContext(ctx, dest, args...); err != nil {
		return r.s.mapErr(err, what, "get "+what)
	}
	return nil
}

// sel scans every row into dest, a pointer to a slice.
func (r *repos) sel(ctx context.Context, dest any, what, query string, args ...any) error {
	if err := r.statement(ctx, query).SelectContext(ctx, dest, args...); err != nil {
		return r.s.mapErr(err, what, "list "+what)
	}
	return nil
}

// exec runs a statement with ? placeholders.
func (r *repos) exec(ctx context.Context, what, op, query string, args ...any) (int64, error) {
	res, err := r.statement(ctx, query).ExecContext(ctx, args...)
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
	if err := r.statement(ctx, bound).GetContext(ctx, dest, args...); err != nil {
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
	// Filters only some tables answer (accounts by name, balances by
	// currency and amount).
	name, currency, minAvailable, minLedger string
}

// where is the scope and filter of a list as SQL conditions and their
// arguments, the one place a domain.ListFilter becomes SQL.
func (spec listSpec) where(s domain.Scope, f domain.ListFilter) (string, []any) {
	where := []string{spec.table + ".company_id = ?", spec.table + ".env = ?"}
	args := []any{s.CompanyID, string(s.Env)}
	add := func(cond string, val any, given bool) {
		if cond != "" && given {
			where = append(where, cond)
			args = append(args, val)
		}
	}
	add(spec.customer, f.CustomerID, f.CustomerID != "")
	add(spec.bank, f.BankID, f.BankID != "")
	add(spec.account, f.AccountID, f.AccountID != "")
	add(spec.record, f.RecordID, f.RecordID != "")
	add(spec.name, f.Name, f.Name != "")
	add(spec.currency, f.Currency, f.Currency != "")
	if f.MinAvailable != nil {
		add(spec.minAvailable, int64(*f.MinAvailable), true)
	}
	if f.MinLedger != nil {
		add(spec.minLedger, int64(*f.MinLedger), true)
	}
	add(spec.table+".created_at >= ?", ts(f.From), !f.From.IsZero())
	add(spec.table+".created_at < ?", ts(f.To), !f.To.IsZero())
	return " WHERE " + strings.Join(where, " AND "), args
}

// list is listOf for tables the read side does not serve: a count, then
// the page.
func (r *repos) list(ctx context.Context, dest any, spec listSpec, s domain.Scope, f domain.ListFilter) (int, error) {
	cond, args := spec.where(s, f)
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

// listOf runs a scoped, filtered, paginated query, newest first, and
// counts every match in the same statement: the count is a subquery the
// scope's index answers, evaluated once. Only a page past the end, which
// has no row to carry the count, costs a second query. cols are the
// columns rs reads (spec.cols unless the row type adds some).
func listOf[D any](ctx context.Context, r *repos, spec listSpec, cols string, rs rowScan[D], s domain.Scope, f domain.ListFilter) ([]D, int, error) {
	return listJoined(ctx, r, spec, "", nil, cols, rs, s, f)
}

// listJoined is listOf with join applied to the page's rows (not the
// count's), for columns another table brings to each row; cols must then
// be qualified, and joinArgs are the arguments of join's placeholders. The
// page is cut before the join, so the join costs a lookup per row of the
// page whatever plan the database picks (planned with the join inside,
// PostgreSQL may hash-join the whole tenant and sort it to keep 100
// rows). A join delivers the page's rows in any order, and sorting them
// again in the database cost a tenth of a 100-row page: the caller puts
// them back in order (inOrder).
func listJoined[D any](ctx context.Context, r *repos, spec listSpec, join string, joinArgs []any, cols string, rs rowScan[D],
	s domain.Scope, f domain.ListFilter) ([]D, int, error) {
	cond, args := spec.where(s, f)
	count := "SELECT COUNT(*) FROM " + spec.table + cond
	p := f.Page.Normalize()
	order := " ORDER BY " + spec.table + ".created_at DESC, " + spec.table + ".id DESC"
	query := "SELECT (" + count + ") AS total_docs, " + cols + " FROM " + spec.table + cond + order + " LIMIT ? OFFSET ?"
	if join != "" {
		query = "SELECT " + spec.table + ".total_docs, " + cols + " FROM (SELECT (" + count + ") AS total_docs, " + spec.table + ".* FROM " +
			spec.table + cond + order + " LIMIT ? OFFSET ?) " + spec.table + join
	}
	pageArgs := append(append(append(make([]any, 0, 2*len(args)+2+len(joinArgs)), args...), args...), p.Limit, p.Offset())
	pageArgs = append(pageArgs, joinArgs...)
	rows, total, err := scanRows(ctx, r, spec.what, query, p.Limit, rs, true, pageArgs...)
	if err != nil || len(rows) > 0 || p.Offset() == 0 {
		return rows, total, err
	}
	if err := r.get(ctx, &total, spec.what, count, args...); err != nil {
		return nil, 0, err
	}
	return nil, total, nil
}

// Lock takes transaction-scoped locks through the transaction ctx carries.
func (s *Store) Lock(ctx context.Context, keys ...string) error {
	return (&repos{s: s}).Lock(ctx, keys...)
}

// bankCacheTTL bounds how long a bank another instance changed can show
// its old fields here; this instance's own writes drop the cache at once.
const bankCacheTTL = 30 * time.Second

// bankCache holds every bank in memory: banks change only when connectors
// start, and every populated answer names one.
type bankCache struct {
	mu     sync.Mutex
	gen    uint64
	banks  []domain.Bank // as List orders them
	byID   map[domain.ID]int
	bySlug map[string]int
	until  time.Time
}

func newBankCache() *bankCache { return &bankCache{} }

func (c *bankCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.banks, c.byID, c.bySlug, c.until = nil, nil, nil, time.Time{}
	c.mu.Unlock()
}

// snapshot returns the cached banks, loading them when absent or stale. A
// load that an invalidation overtook is returned but not kept.
func (c *bankCache) snapshot(ctx context.Context, load func(context.Context) ([]domain.Bank, error)) (*bankCache, error) {
	c.mu.Lock()
	if c.byID != nil && time.Now().Before(c.until) {
		snap := &bankCache{banks: c.banks, byID: c.byID, bySlug: c.bySlug}
		c.mu.Unlock()
		return snap, nil
	}
	gen := c.gen
	c.mu.Unlock()
	banks, err := load(ctx)
	if err != nil {
		return nil, err
	}
	snap := &bankCache{banks: banks, byID: make(map[domain.ID]int, len(banks)), bySlug: make(map[string]int, len(banks))}
	for i, b := range banks {
		snap.byID[b.ID] = i
		snap.bySlug[b.Slug] = i
	}
	c.mu.Lock()
	if c.gen == gen {
		c.banks, c.byID, c.bySlug, c.until = snap.banks, snap.byID, snap.bySlug, time.Now().Add(bankCacheTTL)
	}
	c.mu.Unlock()
	return snap, nil
}

// cloneBank copies b's slices, so a caller cannot change the cache.
func cloneBank(b domain.Bank) domain.Bank {
	b.Methods, b.MFAKinds, b.Products = slices.Clone(b.Methods), slices.Clone(b.MFAKinds), slices.Clone(b.Products)
	return b
}

// cachedBanks answers bank reads from the bank cache outside transactions
// (inside one it reads the transaction's own view) and drops the cache on
// every write.
type cachedBanks struct{ r *repos }

func (c cachedBanks) db() bankRepo { return bankRepo(c) }

func (c cachedBanks) snapshot(ctx context.Context) (*bankCache, bool, error) {
	if c.r.current(ctx) != nil {
		return nil, false, nil
	}
	snap, err := c.r.s.banks.snapshot(ctx, c.db().List)
	return snap, err == nil, err
}

func (c cachedBanks) Upsert(ctx context.Context, b domain.Bank) (domain.Bank, error) {
	out, err := c.db().Upsert(ctx, b)
	st := c.r.tx
	if st == nil {
		st, _ = ctx.Value(txKey{c.r.s}).(*txState)
	}
	if st != nil {
		st.banksChanged = true
	}
	c.r.s.banks.invalidate()
	return out, err
}

func (c cachedBanks) Get(ctx context.Context, id domain.ID) (domain.Bank, error) {
	snap, ok, err := c.snapshot(ctx)
	if err != nil {
		return domain.Bank{}, err
	}
	if ok {
		if i, found := snap.byID[id]; found {
			return cloneBank(snap.banks[i]), nil
		}
	}
	// Not cached: new since the load (another instance), or absent.
	return c.db().Get(ctx, id)
}

func (c cachedBanks) GetBySlug(ctx context.Context, slug string) (domain.Bank, error) {
	snap, ok, err := c.snapshot(ctx)
	if err != nil {
		return domain.Bank{}, err
	}
	if ok {
		if i, found := snap.bySlug[slug]; found {
			return cloneBank(snap.banks[i]), nil
		}
	}
	return c.db().GetBySlug(ctx, slug)
}

func (c cachedBanks) List(ctx context.Context) ([]domain.Bank, error) {
	snap, ok, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return c.db().List(ctx)
	}
	out := make([]domain.Bank, len(snap.banks))
	for i, b := range snap.banks {
		out[i] = cloneBank(b)
	}
	return out, nil
}

// GetMany returns the banks of ids that exist, in no particular order;
// those not cached are read in one query.
func (c cachedBanks) GetMany(ctx context.Context, ids []domain.ID) ([]domain.Bank, error) {
	ids = uniqueIDs(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	snap, ok, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Bank, 0, len(ids))
	var missing []domain.ID
	for _, id := range ids {
		if i, found := snap.byID[id]; ok && found {
			out = append(out, cloneBank(snap.banks[i]))
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	cond, arg := c.r.s.d.inIDs("id", missing)
	var rows []bankRow
	if err := c.r.sel(ctx, &rows, "banks", "SELECT "+bankCols+" FROM banks WHERE "+cond, arg); err != nil {
		return nil, err
	}
	for _, w := range rows {
		out = append(out, w.domain())
	}
	return out, nil
}
