package delivery

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/migrations"
)

// TestMigrationScrubsOldDeliveryErrors: delivery logs written before the
// generic reasons held the dial errors; migration 00004 rewrites them. The
// test runs the migration's scrub statements on rows in the old forms.
func TestMigrationScrubsOldDeliveryErrors(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		fsys, err := migrations.Dialect(s.Dialect())
		if err != nil {
			t.Fatal(err)
		}
		b, err := fs.ReadFile(fsys, "00004_webhooks.sql")
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		at := strings.Index(up, "-- The delivery log used to keep")
		if at < 0 {
			t.Fatal("00004_webhooks.sql has no scrub section")
		}
		scrub := stripComments(up[at:])
		scope := domain.Scope{CompanyID: domain.NewID(), Env: domain.EnvSandbox}
		tests := []struct {
			old    string
			status int
			want   string
		}{
			{"dial tcp 10.0.0.5:6379: connect: connection refused", 0, ReasonConnection},
			{"dial tcp: lookup internal.example: no such host", 0, ReasonConnection},
			{"timed out after 10s", 0, ReasonTimeout},
			{"refused to connect to 127.0.0.1: loopback, link-local or private address", 0, ReasonPrivate},
			{"the receiver answered 503", 503, "HTTP 503"},
			{"could not open the endpoint's signing secret", 0, ReasonSecret},
			{"the endpoint URL is not usable", 0, ReasonBadURL},
			{NoEndpointError, 0, NoEndpointError},
			{"HTTP 500", 500, "HTTP 500"},
			{"", 200, ""},
		}
		now := time.Now().UTC().Truncate(time.Second)
		var ids []string
		for _, tc := range tests {
			ev := domain.OutboxEvent{ID: domain.NewID(), CompanyID: scope.CompanyID, Env: scope.Env, Method: domain.MethodAuth,
				Code: domain.CodeAuthSuccess, RecordID: domain.NewID(), Payload: []byte(`{}`), Status: domain.OutboxPending,
				NextAttempt: now, LastStatus: tc.status, LastError: tc.old, CreatedAt: now, UpdatedAt: now}
			if err := s.Outbox().Add(ctx, ev); err != nil {
				t.Fatal(err)
			}
			if err := s.Outbox().AddAttempt(ctx, domain.DeliveryAttempt{EventID: ev.ID, CompanyID: scope.CompanyID, Env: scope.Env,
				URL: "http://x.example/", HTTPStatus: tc.status, Error: tc.old, CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ev.ID)
		}
		for _, stmt := range strings.Split(scrub, ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := s.DB().ExecContext(ctx, stmt); err != nil {
				t.Fatalf("scrub statement failed: %v\n%s", err, stmt)
			}
		}
		for i, tc := range tests {
			ev, err := s.Outbox().Get(ctx, scope, ids[i])
			if err != nil {
				t.Fatal(err)
			}
			a := attempts(t, s, ids[i])
			if ev.LastError != tc.want || len(a) != 1 || a[0].Error != tc.want {
				t.Errorf("%q became last_error %q, attempt %+v; want %q", tc.old, ev.LastError, a, tc.want)
			}
		}
	})
}

func stripComments(sql string) string {
	var out []string
	for _, line := range strings.Split(sql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
