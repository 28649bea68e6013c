package storage

import (
	"errors"

	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is the seam between the two engines: only what must differ lives
// here. Queries are written once with ? placeholders and rebound.
type dialect struct {
	// name is what Store.Dialect reports and the migrations directory.
	name string
	// driver is the database/sql driver name.
	driver string
	goose  goose.Dialect
	// skipLocked is appended to the row-selecting subquery of a claim so
	// concurrent claimers pass over each other's rows. SQLite serialises
	// writers instead, so it needs nothing.
	skipLocked string
	// lockKey takes a lock on one key until the transaction ends; empty
	// where writers are serialised anyway (SQLite's BEGIN IMMEDIATE).
	lockKey string
	// uniqueViolation and foreignKeyViolation classify driver errors.
	uniqueViolation     func(error) bool
	foreignKeyViolation func(error) bool
}

var postgresDialect = dialect{
	name:       "postgres",
	driver:     "postgres",
	goose:      goose.DialectPostgres,
	skipLocked: " FOR UPDATE SKIP LOCKED",
	lockKey:    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
	uniqueViolation: func(err error) bool {
		var pe *pq.Error
		return errors.As(err, &pe) && pe.Code == "23505"
	},
	foreignKeyViolation: func(err error) bool {
		var pe *pq.Error
		return errors.As(err, &pe) && pe.Code == "23503"
	},
}

var sqliteDialect = dialect{
	name:   "sqlite",
	driver: "sqlite",
	goose:  goose.DialectSQLite3,
	uniqueViolation: func(err error) bool {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return false
		}
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	foreignKeyViolation: func(err error) bool {
		var se *sqlite.Error
		return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	},
}
