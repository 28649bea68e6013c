package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	httpapi "github.com/bankauth/bankauth/adapters/http"
	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/company"
	"github.com/bankauth/bankauth/core/ports"
)

// coreModule wires the core services to the ports the adapters provide.
var coreModule = fx.Module("core",
	fx.Provide(
		func() ports.Clock { return ports.SystemClock{} },
		func() ports.IDs { return ports.RandomIDs{} },
		company.NewService,
		func(s *company.Service) httpapi.KeyAuthenticator { return s },
		auth.NewQueries,
		func(q *auth.Queries) httpapi.Reader { return q },
		fx.Annotate(migrationsReady, fx.ResultTags(`group:"readiness"`)),
	),
)

// migrationsReady is the /readyz check that the schema is current.
func migrationsReady(st *storage.Store) httpapi.ReadinessCheck {
	return httpapi.ReadinessCheck{Name: "migrations", Check: func(ctx context.Context) error {
		applied, err := st.MigrationsApplied(ctx)
		if err != nil {
			return fmt.Errorf("check migrations: %w", err)
		}
		if !applied {
			return errors.New("migrations pending")
		}
		return nil
	}}
}

// appOptions is the whole program for serve: configuration, the adapters'
// modules and the core services. Tests validate this same list.
func appOptions(c config, logger *slog.Logger, out io.Writer) fx.Option {
	return fx.Options(
		fx.Supply(
			logger,
			storage.Config{DatabaseURL: c.DatabaseURL, DataDir: c.DataDir},
			seal.Source{MasterKeys: c.MasterKey, DataDir: c.DataDir},
			httpapi.Config{Addr: c.Addr, RateLimit: c.RateLimit, RateBurst: c.RateBurst},
		),
		fx.StopTimeout(c.ShutdownTimeout+5e9),
		fx.WithLogger(func() fxevent.Logger { return fxLogger{logger} }),
		storage.Module,
		seal.Module,
		httpapi.Module,
		coreModule,
		fx.Invoke(func(lc fx.Lifecycle, companies *company.Service, srv *httpapi.Server) {
			lc.Append(fx.Hook{OnStart: func(ctx context.Context) error {
				return announceDemo(ctx, companies, c, srv, out)
			}})
		}),
	)
}

// announceDemo creates the demo company on an empty database and prints its
// sandbox keys, so a newcomer can link a fake bank account at once.
func announceDemo(ctx context.Context, companies *company.Service, c config, srv *httpapi.Server, out io.Writer) error {
	demo, created, err := companies.EnsureDemo(ctx)
	if err != nil {
		return fmt.Errorf("create demo company: %w", err)
	}
	origin := publicOrigin(c, srv.Addr())
	if !created {
		fmt.Fprintf(out, "bankauth is serving on %s\n", origin)
		return nil
	}
	fmt.Fprintf(out, `bankauth is serving on %s

An empty database: created the demo company %q.
  client token (company id): %s
  sandbox public key:        %s
  sandbox secret key:        %s   (shown once; stored only as a hash)

Try it:
  curl -s -X POST %s/v2/sandbox/products/auths -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{}'
  open %s/demo to link a fake bank account
`, origin, demo.Company.Name, demo.Company.ID, demo.Sandbox.PublicKey, demo.Sandbox.SecretKey,
		origin, demo.Sandbox.SecretKey, origin)
	return nil
}

func publicOrigin(c config, addr string) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	return "http://" + addr
}

// fxLogger sends fx's own events to slog at debug level, errors at error.
type fxLogger struct{ l *slog.Logger }

func (f fxLogger) LogEvent(e fxevent.Event) {
	switch ev := e.(type) {
	case *fxevent.OnStartExecuted:
		if ev.Err != nil {
			f.l.Error("start hook failed", "callee", ev.FunctionName, "error", ev.Err.Error())
		}
	case *fxevent.OnStopExecuted:
		if ev.Err != nil {
			f.l.Error("stop hook failed", "callee", ev.FunctionName, "error", ev.Err.Error())
		}
	case *fxevent.Started:
		if ev.Err != nil {
			f.l.Error("start failed", "error", ev.Err.Error())
		}
	case *fxevent.Stopped:
		if ev.Err != nil {
			f.l.Error("stop failed", "error", ev.Err.Error())
		}
	}
}
