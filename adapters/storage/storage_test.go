package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

func TestContract(t *testing.T) {
	for _, target := range storagetest.Dialects(t) {
		t.Run(target.Name, func(t *testing.T) {
			if target.Name == "postgres" {
				storagetest.PostgresURL(t) // skip the whole dialect at once
			}
			storagetest.Run(t, func(t *testing.T) ports.Store { return target.Open(t) })
		})
	}
}

func TestMigrations(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		ok, err := s.MigrationsApplied(ctx)
		if err != nil || !ok {
			t.Fatalf("MigrationsApplied after Migrate = %v, %v", ok, err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("a second Migrate: %v", err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("ping: %v", err)
		}
		var n int
		if err := s.DB().GetContext(ctx, &n, "SELECT COUNT(*) FROM companies"); err != nil || n != 0 {
			t.Fatalf("raw read: %d, %v", n, err)
		}
		if got := s.Dialect(); got != t.Name()[len(t.Name())-len(got):] {
			t.Fatalf("Dialect() = %q in subtest %s", got, t.Name())
		}
	})
}

func TestUnmigratedStoreIsNotReady(t *testing.T) {
	s, err := storage.Open(context.Background(), storage.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ok, err := s.MigrationsApplied(context.Background())
	if err != nil || ok {
		t.Fatalf("MigrationsApplied before Migrate = %v, %v; want false", ok, err)
	}
}

func TestOpenURLs(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name    string
		cfg     storage.Config
		file    string
		wantErr bool
	}{
		{"data dir", storage.Config{DataDir: filepath.Join(dir, "a", "b")}, filepath.Join(dir, "a", "b", "bankauth.db"), false},
		{"sqlite URL", storage.Config{DatabaseURL: "sqlite:" + filepath.Join(dir, "c", "x.db")}, filepath.Join(dir, "c", "x.db"), false},
		{"file URL", storage.Config{DatabaseURL: "file:" + filepath.Join(dir, "y.db") + "?_pragma=busy_timeout(500)"}, filepath.Join(dir, "y.db"), false},
		{"unknown scheme", storage.Config{DatabaseURL: "mysql://user:secret@host/db"}, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := storage.Open(context.Background(), c.cfg)
			if c.wantErr {
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded")
				}
				if got := err.Error(); strings.Contains(got, "secret") {
					t.Fatalf("the error leaks the URL: %s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Dialect() != "sqlite" {
				t.Fatalf("dialect %s", s.Dialect())
			}
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			var mode string
			if err := s.DB().Get(&mode, "PRAGMA journal_mode"); err != nil || mode != "wal" {
				t.Fatalf("journal mode %q, %v", mode, err)
			}
			var fk int
			if err := s.DB().Get(&fk, "PRAGMA foreign_keys"); err != nil || fk != 1 {
				t.Fatalf("foreign keys %d, %v", fk, err)
			}
			if _, err := os.Stat(c.file); err != nil {
				t.Fatalf("database file: %v", err)
			}
		})
	}
}

// TestAnalyze: Analyze leaves the planner statistics of what was loaded
// behind, on both databases.
func TestAnalyze(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		c := domain.Company{ID: domain.NewID(), Name: "Stats Co", DuplicatePolicy: domain.DuplicateAllow, CreatedAt: now, UpdatedAt: now}
		if err := s.Companies().Create(ctx, c); err != nil {
			t.Fatalf("create company: %v", err)
		}
		if err := s.Analyze(ctx); err != nil {
			t.Fatalf("analyze: %v", err)
		}
		query := "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'companies'"
		if s.Dialect() == "postgres" {
			query = "SELECT COUNT(*) FROM pg_class WHERE relname = 'companies' AND reltuples >= 1"
		}
		var n int
		if err := s.DB().GetContext(ctx, &n, query); err != nil {
			t.Fatalf("read statistics: %v", err)
		}
		if n == 0 {
			t.Fatalf("no statistics for companies after Analyze (%s)", query)
		}
	})
}

// TestTimeColumns: the columns read as epochs are exactly the schema's
// timestamptz columns, so a new time column is read the fast way and no
// other column is wrapped in EXTRACT.
func TestTimeColumns(t *testing.T) {
	s := storagetest.OpenPostgres(t)
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
		Type   string `db:"data_type"`
	}
	if err := s.DB().SelectContext(context.Background(), &cols,
		"SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()"); err != nil {
		t.Fatalf("read the schema: %v", err)
	}
	seen := map[string]bool{}
	for _, c := range cols {
		isTime := c.Type == "timestamp with time zone"
		if isTime != storage.TimeColumns[c.Column] {
			t.Errorf("%s.%s is %s, but the epoch reads' list says time=%v", c.Table, c.Column, c.Type, storage.TimeColumns[c.Column])
		}
		seen[c.Column] = seen[c.Column] || isTime
	}
	for name := range storage.TimeColumns {
		if !seen[name] {
			t.Errorf("the epoch reads list %s, which no table has as a time column", name)
		}
	}
}

// TestEpochAgreesWithPostgres: what PostgreSQL writes for EXTRACT(EPOCH
// FROM t) reads back as t, to the microsecond, across the range of times a
// row can hold.
func TestEpochAgreesWithPostgres(t *testing.T) {
	s := storagetest.OpenPostgres(t)
	times := []time.Time{
		{},
		time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Unix(0, 0).UTC(),
		time.Date(2025, 4, 2, 10, 52, 1, 915000000, time.UTC),
		time.Date(2038, 1, 19, 3, 14, 8, 1000, time.UTC),
		time.Date(2255, 6, 1, 0, 0, 0, 123456000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Now().UTC().Truncate(time.Microsecond),
	}
	for _, want := range times {
		var raw []byte
		if err := s.DB().QueryRowContext(context.Background(), "SELECT EXTRACT(EPOCH FROM $1::timestamptz)",
			want.Format("2006-01-02T15:04:05.000000Z")).Scan(&raw); err != nil {
			t.Fatalf("extract %v: %v", want, err)
		}
		got, ok := storage.ParseEpoch(raw)
		if !ok || !got.Equal(want) {
			t.Errorf("EXTRACT(EPOCH) of %v is %q, read as %v (%v)", want, raw, got, ok)
		}
	}
}
