// Package storage implements the core's repositories (ports.Store) once with
// sqlx, for SQLite (modernc.org/sqlite, the default) and PostgreSQL (lib/pq).
// What differs between the engines is kept in a narrow dialect seam.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // registers the "postgres" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/migrations"
)

func init() {
	// sqlx knows "sqlite3" but not modernc's driver name.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// Config says where the database is.
type Config struct {
	// DatabaseURL is empty for the default SQLite file in DataDir, a
	// postgres:// or postgresql:// URL for PostgreSQL, or sqlite:<path> /
	// file:<path> for a SQLite file elsewhere.
	DatabaseURL string
	// DataDir holds bankauth.db when DatabaseURL is empty ("." if unset).
	DataDir string
	// MaxOpenConns caps the connection pool; 0 picks a default per engine.
	MaxOpenConns int
}

// sqliteBusyTimeoutMS is how long a SQLite writer waits for the write lock.
const sqliteBusyTimeoutMS = 10000

// Store is the database: it implements ports.Store.
type Store struct {
	db       *sqlx.DB
	d        dialect
	provider *goose.Provider
	root     *repos
	stmts    *stmtCache
	banks    *bankCache
	queries  atomic.Int64
	hook     atomic.Pointer[QueryHook]
	// bound maps a statement text with ? placeholders to the driver's
	// ($1 on PostgreSQL), so a hot read does not rebuild it every call.
	bound  sync.Map
	nbound atomic.Int64
	// epochTimes says the row readers ask for times as epochs (scanned);
	// epochs maps each of their statement texts to the one they send.
	epochTimes bool
	epochs     sync.Map
	nepochs    atomic.Int64
}

// rebind is query with the driver's placeholders. Statement texts come
// from the code; the bound only guards against a bug that builds them
// from data.
func (s *Store) rebind(query string) string {
	if b, ok := s.bound.Load(query); ok {
		return b.(string)
	}
	b := s.db.Rebind(query)
	if s.nbound.Add(1) <= 4*maxCachedStatements {
		s.bound.Store(query, b)
	}
	return b
}

// QueryHook is told of every statement the store sends, with the ctx of
// the call that sent it (for tests that count a request's queries).
type QueryHook func(ctx context.Context, query string)

// OnQuery installs h (nil removes it).
func (s *Store) OnQuery(h QueryHook) {
	if h == nil {
		s.hook.Store(nil)
		return
	}
	s.hook.Store(&h)
}

// QueryCount is how many statements the store has sent since it opened,
// transaction control included.
func (s *Store) QueryCount() int64 { return s.queries.Load() }

func (s *Store) counted(ctx context.Context, query string) {
	s.queries.Add(1)
	if h := s.hook.Load(); h != nil {
		(*h)(ctx, query)
	}
}

// maxCachedStatements bounds the statement cache; statement texts come
// from the code, so this is only a guard against a bug that builds them
// from data.
const maxCachedStatements = 512

// stmtCache holds one prepared statement of the pool per statement text,
// so a read costs one round trip instead of parse-then-execute (lib/pq
// sends an unnamed statement's parse and waits before it binds).
type stmtCache struct {
	enabled bool
	mu      sync.RWMutex
	m       map[string]*sqlx.Stmt
	closed  bool
}

func newStmtCache(enabled bool) *stmtCache {
	return &stmtCache{enabled: enabled, m: map[string]*sqlx.Stmt{}}
}

// get returns the prepared statement of query, preparing it on a miss, or
// nil when it cannot (the caller then runs the text).
func (c *stmtCache) get(ctx context.Context, db *sqlx.DB, query string) *sqlx.Stmt {
	if !c.enabled {
		return nil
	}
	c.mu.RLock()
	st, closed, n := c.m[query], c.closed, len(c.m)
	c.mu.RUnlock()
	if st != nil || closed || n >= maxCachedStatements {
		return st
	}
	// A cancelled request must not leave a half-prepared entry behind.
	prepared, err := db.PreparexContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[query]; st != nil || c.closed {
		_ = prepared.Close()
		return st
	}
	c.m[query] = prepared
	return prepared
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

var _ ports.Store = (*Store)(nil)

// Open connects to the database cfg names and checks that it answers. It
// does not migrate; call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	d, dsn, memory, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open(d.driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", d.name, err)
	}
	maxOpen := cfg.MaxOpenConns
	if maxOpen <= 0 {
		maxOpen = 16
		if d.name == "sqlite" {
			maxOpen = 8
		}
	}
	if memory {
		// Every connection to :memory: is a different database.
		maxOpen = 1
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", d.name, err)
	}
	s := &Store{db: db, d: d, stmts: newStmtCache(d.prepare), banks: newBankCache()}
	s.root = &repos{s: s}
	if d.name == "postgres" {
		var version int
		if err := db.GetContext(ctx, &version, "SELECT current_setting('server_version_num')::int"); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("read the PostgreSQL server version: %w", err)
		}
		s.epochTimes = version >= epochMinVersion
	}
	if s.provider, err = newProvider(d, db.DB); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// resolve turns a Config into a dialect and a driver DSN.
func resolve(cfg Config) (d dialect, dsn string, memory bool, err error) {
	u := strings.TrimSpace(cfg.DatabaseURL)
	switch {
	case u == "":
		dir := cfg.DataDir
		if dir == "" {
			dir = "."
		}
		return sqliteDSN(filepath.Join(dir, "bankauth.db"), "")
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		if _, err := url.Parse(u); err != nil {
			return d, "", false, errors.New("storage: the PostgreSQL database URL does not parse")
		}
		return postgresDialect, u, false, nil
	case strings.HasPrefix(u, "sqlite:"), strings.HasPrefix(u, "file:"):
		rest := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "file:")
		rest = strings.TrimPrefix(rest, "//")
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return d, "", false, errors.New("storage: the SQLite database URL names no file")
		}
		return sqliteDSN(path, query)
	}
	// The URL may hold a password: never echo it.
	return d, "", false, errors.New("storage: unsupported database URL (want postgres://, postgresql://, sqlite: or file:)")
}

// sqliteDSN builds modernc's DSN: WAL, a busy timeout, foreign keys and
// BEGIN IMMEDIATE for every transaction, so a read-then-write transaction
// never fails to upgrade its lock. Parameters already in extra win.
func sqliteDSN(path, extra string) (dialect, string, bool, error) {
	memory := path == ":memory:"
	if !memory {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return sqliteDialect, "", false, fmt.Errorf("storage: create data directory: %w", err)
		}
	}
	q, err := url.ParseQuery(extra)
	if err != nil {
		return sqliteDialect, "", false, fmt.Errorf("storage: SQLite URL parameters: %w", err)
	}
	if !memory && q.Get("mode") == "" {
		if err := createPrivate(path); err != nil {
			return sqliteDialect, "", false, err
		}
	}
	if _, ok := q["_txlock"]; !ok {
		q.Set("_txlock", "immediate")
	}
	pragmas := map[string]string{
		"busy_timeout": fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeoutMS),
		"journal_mode": "journal_mode(WAL)",
		"foreign_keys": "foreign_keys(1)",
		"synchronous":  "synchronous(NORMAL)",
	}
	for _, p := range q["_pragma"] {
		name, _, _ := strings.Cut(p, "(")
		delete(pragmas, strings.ToLower(strings.TrimSpace(name)))
	}
	if memory {
		delete(pragmas, "journal_mode")
	}
	for _, name := range []string{"busy_timeout", "journal_mode", "foreign_keys", "synchronous"} {
		if p, ok := pragmas[name]; ok {
			q.Add("_pragma", p)
		}
	}
	return sqliteDialect, "file:" + path + "?" + q.Encode(), memory, nil
}

// createPrivate creates the database file readable by its owner only, if it
// does not exist yet. SQLite gives the -wal and -shm files the mode of the
// database file, so they are private too; the file holds sealed secrets
// and blind indexes, which are no one else's business.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("storage: create the database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("storage: create the database file: %w", err)
	}
	return nil
}

func newProvider(d dialect, db *sql.DB) (*goose.Provider, error) {
	fsys, err := migrations.Dialect(d.name)
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	if d.name == "postgres" {
		// Several instances may start at once: one migrates, the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(d.goose, db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration (under an advisory lock on
// PostgreSQL).
func (s *Store) Migrate(ctx context.Context) error {
	if _, err := s.provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s database: %w", s.d.name, err)
	}
	return nil
}

// MigrationsApplied reports whether every embedded migration has been
// applied (for readiness checks).
func (s *Store) MigrationsApplied(ctx context.Context) (bool, error) {
	pending, err := s.provider.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("migration status: %w", err)
	}
	return !pending, nil
}

// Analyze refreshes the query planner's statistics (and, on PostgreSQL,
// the visibility map index-only scans read) after a bulk load. In service
// PostgreSQL's autovacuum does this on its own; a table loaded and read at
// once, as a benchmark's dataset is, would otherwise be planned as empty.
func (s *Store) Analyze(ctx context.Context) error {
	stmt := "ANALYZE"
	if s.d.name == "postgres" {
		stmt = "VACUUM (ANALYZE)"
	}
	if _, err := s.db.ExecContext(ctx, stmt); err != nil {
		return s.mapErr(err, "database", "analyze")
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.stmts.close()
	return s.db.Close()
}

// DB is the underlying pool, for tests and operator tooling.
func (s *Store) DB() *sqlx.DB { return s.db }

// Dialect names the engine: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return s.mapErr(err, "database", "ping "+s.d.name+" database")
	}
	return nil
}

// txState is the transaction a context carries.
type txState struct {
	tx    *sqlx.Tx
	depth int
	// banksChanged says a bank was written, so the bank cache is dropped
	// when the transaction ends.
	banksChanged bool
}

// txKey is per store, so two stores never share a transaction.
type txKey struct{ s *Store }

// WithinTx runs fn in one transaction (BEGIN IMMEDIATE on SQLite). It
// commits when fn returns nil and rolls back otherwise, including when fn
// panics. Every repository call made with the ctx fn receives, through tx or
// through the Store itself, joins the transaction. A nested call runs in a
// savepoint: its error rolls back only its own writes.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context, tx ports.Repos) error) error {
	if st, ok := ctx.Value(txKey{s}).(*txState); ok {
		return s.nested(ctx, st, fn)
	}
	s.counted(ctx, "BEGIN")
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.mapErr(err, "transaction", "begin transaction")
	}
	st := &txState{tx: tx}
	done := false
	defer func() {
		if st.banksChanged {
			// After the end either way: a reader that loaded the banks
			// while the transaction ran may have seen the old rows.
			s.banks.invalidate()
		}
		if !done {
			_ = tx.Rollback()
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{s}, st), &repos{s: s, tx: st}); err != nil {
		return err
	}
	done = true
	s.counted(ctx, "COMMIT")
	if err := tx.Commit(); err != nil {
		return s.mapErr(err, "transaction", "commit")
	}
	return nil
}

func (s *Store) nested(ctx context.Context, st *txState, fn func(ctx context.Context, tx ports.Repos) error) (err error) {
	st.depth++
	name := fmt.Sprintf("bankauth_sp_%d", st.depth)
	defer func() { st.depth-- }()
	s.counted(ctx, "SAVEPOINT")
	if _, err := st.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	released := false
	defer func() {
		if !released {
			_, _ = st.tx.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name)
			_, _ = st.tx.ExecContext(context.WithoutCancel(ctx), "RELEASE SAVEPOINT "+name)
		}
	}()
	if err := fn(ctx, &repos{s: s, tx: st}); err != nil {
		return err
	}
	released = true
	s.counted(ctx, "RELEASE SAVEPOINT")
	if _, err := st.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// Repository accessors on the Store run outside any transaction unless the
// ctx of a call carries one of this store's transactions.
func (s *Store) Companies() ports.CompanyRepo        { return s.root.Companies() }
func (s *Store) Keys() ports.KeyRepo                 { return s.root.Keys() }
func (s *Store) Banks() ports.BankRepo               { return s.root.Banks() }
func (s *Store) Connectors() ports.ConnectorRepo     { return s.root.Connectors() }
func (s *Store) Customers() ports.CustomerRepo       { return s.root.Customers() }
func (s *Store) Records() ports.RecordRepo           { return s.root.Records() }
func (s *Store) Accounts() ports.AccountRepo         { return s.root.Accounts() }
func (s *Store) Auths() ports.AuthRepo               { return s.root.Auths() }
func (s *Store) Balances() ports.BalanceRepo         { return s.root.Balances() }
func (s *Store) Identities() ports.IdentityRepo      { return s.root.Identities() }
func (s *Store) LinkSessions() ports.LinkSessionRepo { return s.root.LinkSessions() }
func (s *Store) ShortLinks() ports.ShortLinkRepo     { return s.root.ShortLinks() }
func (s *Store) LinkTokens() ports.LinkTokenRepo     { return s.root.LinkTokens() }
func (s *Store) Webhooks() ports.WebhookRepo         { return s.root.Webhooks() }
func (s *Store) Outbox() ports.OutboxRepo            { return s.root.Outbox() }
func (s *Store) Idempotency() ports.IdempotencyRepo  { return s.root.Idempotency() }
func (s *Store) Audit() ports.AuditRepo              { return s.root.Audit() }
func (s *Store) Jobs() ports.JobRepo                 { return s.root.Jobs() }
func (s *Store) Partners() ports.PartnerRepo         { return s.root.Partners() }
func (s *Store) PartnerKeys() ports.PartnerKeyRepo   { return s.root.PartnerKeys() }
func (s *Store) ProcessorTokens() ports.ProcessorTokenRepo {
	return s.root.ProcessorTokens()
}
