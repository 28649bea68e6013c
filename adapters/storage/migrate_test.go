package storage_test

import (
	"context"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/migrations"
)

// TestAuthAccountIDsBackfill takes a database back below migration 10,
// writes auths the way the older code did (links only), and migrates up
// again: each auth's account_ids must come from its links in position
// order, and one without links must read as covering none.
func TestAuthAccountIDsBackfill(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		fsys, err := migrations.Dialect(s.Dialect())
		if err != nil {
			t.Fatal(err)
		}
		d := goose.DialectSQLite3
		if s.Dialect() == "postgres" {
			d = goose.DialectPostgres
		}
		p, err := goose.NewProvider(d, s.DB().DB, fsys)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 9); err != nil {
			t.Fatalf("migrate down to 9: %v", err)
		}
		sc := domain.Scope{CompanyID: domain.NewID(), Env: domain.EnvSandbox}
		const when = "2025-03-10T12:00:00.000000Z"
		linked, bare := domain.NewID(), domain.NewID()
		first, second, third := domain.NewID(), domain.NewID(), domain.NewID()
		db := s.DB()
		for _, id := range []domain.ID{linked, bare} {
			if _, err := db.ExecContext(ctx, db.Rebind("INSERT INTO auths (id, company_id, env, record_id, customer_id, bank_id, validated, created_at, updated_at)"+
				" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"), id, sc.CompanyID, string(sc.Env), domain.NewID(), domain.NewID(), domain.NewID(), false, when, when); err != nil {
				t.Fatalf("insert auth: %v", err)
			}
		}
		// Inserted out of position order, so the backfill must sort.
		for _, l := range []struct {
			account domain.ID
			pos     int
		}{{third, 2}, {first, 0}, {second, 1}} {
			if _, err := db.ExecContext(ctx, db.Rebind("INSERT INTO auth_accounts (auth_id, account_id, position) VALUES (?, ?, ?)"),
				linked, l.account, l.pos); err != nil {
				t.Fatalf("insert link: %v", err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := s.Auths().Get(ctx, sc, linked)
		if err != nil {
			t.Fatal(err)
		}
		if want := []domain.ID{first, second, third}; len(got.AccountIDs) != 3 || got.AccountIDs[0] != want[0] || got.AccountIDs[1] != want[1] || got.AccountIDs[2] != want[2] {
			t.Fatalf("backfilled account ids %v, want %v", got.AccountIDs, want)
		}
		got, err = s.Auths().Get(ctx, sc, bare)
		if err != nil {
			t.Fatal(err)
		}
		if got.AccountIDs != nil {
			t.Fatalf("an auth without links backfilled with %q", got.AccountIDs)
		}
	})
}
