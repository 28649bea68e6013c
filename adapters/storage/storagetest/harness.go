// Package storagetest is the exported contract suite of ports.Store and a
// harness that opens fresh, migrated stores on every available dialect:
// SQLite always, PostgreSQL when BANKAUTH_TEST_DATABASE_URL names a server.
//
// Other packages use it for end-to-end tests on both engines:
//
//	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) { … })
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/bankauth/bankauth/adapters/storage"
)

// Environment variables the harness reads.
const (
	// EnvDatabaseURL names a PostgreSQL server (any database on it); each
	// store gets its own database there, dropped when the test ends.
	EnvDatabaseURL = "BANKAUTH_TEST_DATABASE_URL"
	// EnvRequirePostgres set to 1 turns a missing EnvDatabaseURL into a
	// failure instead of a skip (for CI).
	EnvRequirePostgres = "BANKAUTH_REQUIRE_POSTGRES"
)

// Target is one dialect a test can run against.
type Target struct {
	// Name is "sqlite" or "postgres", the subtest name.
	Name string
	// Open returns a fresh, migrated, empty store closed (and, on
	// PostgreSQL, dropped) when t ends. The postgres target skips t, or
	// fails it under BANKAUTH_REQUIRE_POSTGRES=1, when no server is set.
	Open func(t testing.TB) *storage.Store
}

// Dialects returns the SQLite and PostgreSQL targets.
func Dialects(t testing.TB) []Target {
	t.Helper()
	return []Target{
		{Name: "sqlite", Open: OpenSQLite},
		{Name: "postgres", Open: OpenPostgres},
	}
}

// ForEachDialect runs fn in a subtest per dialect ("sqlite", "postgres"),
// each with its own fresh store.
func ForEachDialect(t *testing.T, fn func(t *testing.T, s *storage.Store)) {
	t.Helper()
	for _, target := range Dialects(t) {
		t.Run(target.Name, func(t *testing.T) {
			fn(t, target.Open(t))
		})
	}
}

// OpenSQLite returns a fresh migrated SQLite store in t.TempDir().
func OpenSQLite(t testing.TB) *storage.Store {
	t.Helper()
	return openMigrated(t, storage.Config{DataDir: filepath.Join(t.TempDir(), "data")})
}

// PostgresURL returns the server URL from the environment; when it is unset
// it skips t, or fails it when BANKAUTH_REQUIRE_POSTGRES=1.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvDatabaseURL)
	if u == "" {
		if os.Getenv(EnvRequirePostgres) == "1" {
			t.Fatalf("%s is not set and %s=1", EnvDatabaseURL, EnvRequirePostgres)
		}
		t.Skipf("%s is not set", EnvDatabaseURL)
	}
	return u
}

// OpenPostgres creates a uniquely named database on the server
// BANKAUTH_TEST_DATABASE_URL names, returns a migrated store on it and drops
// it when t ends.
func OpenPostgres(t testing.TB) *storage.Store {
	t.Helper()
	return openMigrated(t, PostgresConfig(t))
}

// SQLiteConfig is the configuration of a fresh SQLite database in
// t.TempDir(), for tests that start the whole program on it.
func SQLiteConfig(t testing.TB) storage.Config {
	return storage.Config{DataDir: filepath.Join(t.TempDir(), "data")}
}

// PostgresConfig creates a uniquely named, empty database on the server
// BANKAUTH_TEST_DATABASE_URL names and returns its configuration; the
// database is dropped when t ends. It skips t (or fails it under
// BANKAUTH_REQUIRE_POSTGRES=1) when no server is set.
func PostgresConfig(t testing.TB) storage.Config {
	t.Helper()
	serverURL := PostgresURL(t)
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatalf("%s does not parse", EnvDatabaseURL)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "bankauth_test_" + hex.EncodeToString(b[:])

	admin, err := sql.Open("postgres", serverURL)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return storage.Config{DatabaseURL: u.String()}
}

// Configs pairs each dialect's name with a fresh database configuration
// maker, for tests that run the whole program on both engines.
func Configs() []struct {
	Name   string
	Config func(t testing.TB) storage.Config
} {
	return []struct {
		Name   string
		Config func(t testing.TB) storage.Config
	}{{"sqlite", SQLiteConfig}, {"postgres", PostgresConfig}}
}

func openMigrated(t testing.TB, cfg storage.Config) *storage.Store {
	t.Helper()
	ctx := context.Background()
	s, err := storage.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}
