package storage

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/bankauth/bankauth/core/domain"
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
	// unavailable tells the engine's own words for "cannot serve now"
	// (shutting down, gone, locked past the busy timeout); diskFull tells
	// a full disk.
	unavailable func(error) bool
	diskFull    func(error) bool
	// prepare caches prepared statements of the pool per statement text.
	prepare bool
	// inIDs is a condition "col is one of ids" with one ? and its
	// argument: one statement text whatever the number of ids, so it is
	// prepared once.
	inIDs func(col string, ids []string) (string, any)
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
	unavailable: func(err error) bool {
		var pe *pq.Error
		if !errors.As(err, &pe) {
			return false
		}
		switch pe.Code {
		case "57P01", // admin_shutdown (also pg_terminate_backend)
			"57P02", // crash_shutdown
			"57P03", // cannot_connect_now (starting up, or in recovery)
			"53300", // too_many_connections
			"3D000", // invalid_catalog_name: the database was dropped
			"25006": // read_only_sql_transaction: a standby after failover
			return true
		}
		return pe.Code.Class() == "08" // connection_exception
	},
	diskFull: func(err error) bool {
		var pe *pq.Error
		return errors.As(err, &pe) && pe.Code == "53100"
	},
	prepare: true,
	// Not "col = ANY(?)": in the generic plan PostgreSQL settles on for a
	// prepared statement, that is a linear search of the array for every
	// row it looks at; a set of ids is hashed or probed through the index.
	inIDs: func(col string, ids []string) (string, any) {
		return col + " IN (SELECT unnest(?::text[]))", idArray(ids)
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
	unavailable: func(err error) bool {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return false
		}
		// Primary codes: busy arrives only after the busy timeout ran out.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_CANTOPEN:
			return true
		}
		return false
	},
	diskFull: func(err error) bool {
		var se *sqlite.Error
		return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL
	},
	prepare: true,
	inIDs: func(col string, ids []string) (string, any) {
		if ids == nil {
			ids = []string{}
		}
		// Ids are hex, so this cannot fail; json_each reads the array.
		b, _ := json.Marshal(ids)
		return col + " IN (SELECT value FROM json_each(?))", string(b)
	},
}

// idArray is ids as a PostgreSQL array literal. Ids are plain words, so
// they are written bare in one exactly sized string instead of
// pq.StringArray's quoted copy of each; an id with any other character
// takes pq.StringArray's quoting.
func idArray(ids []string) any {
	n := 2
	for _, id := range ids {
		if id == "" || !plainWord(id) {
			return pq.StringArray(ids)
		}
		n += len(id) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id)
	}
	b.WriteByte('}')
	return b.String()
}

// plainWord reports whether s holds only ASCII letters, digits, _ and -,
// which an array literal needs no quotes for (NULL aside).
func plainWord(s string) bool {
	if strings.EqualFold(s, "null") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// storeFailure is the domain error for a driver error that says the
// database itself cannot serve (unreachable, closed, shutting down, full),
// or nil for any other error. Callers keep the cause for the logs; the
// message is what an API client sees.
func (d dialect) storeFailure(err error) *domain.Error {
	switch {
	case err == nil:
		return nil
	case d.diskFull(err):
		return &domain.Error{Kind: domain.KindStoreFull, Code: "STORAGE_FULL",
			Message: "the server's storage is full, so nothing was saved; try again once the operator has freed space", Err: err}
	case connectionLost(err) || d.unavailable(err):
		return &domain.Error{Kind: domain.KindStoreUnavailable, Code: "DATABASE_UNAVAILABLE",
			Message: "the database is unavailable right now; try again shortly", Retryable: true, Err: err}
	}
	return nil
}

// connectionLost tells the errors of a pool or connection that is gone,
// whatever the engine.
func connectionLost(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return true
	}
	// database/sql does not export the error of a closed pool.
	return strings.Contains(err.Error(), "sql: database is closed")
}
