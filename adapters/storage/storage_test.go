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
