package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/bankauth/bankauth/adapters/connector"
	"github.com/bankauth/bankauth/adapters/delivery"
	httpapi "github.com/bankauth/bankauth/adapters/httpapi"
	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/company"
	"github.com/bankauth/bankauth/core/customers"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/reads"
	"github.com/bankauth/bankauth/core/webhooks"
)

// coreModule wires the core services to the ports the adapters provide.
var coreModule = fx.Module("core",
	fx.Provide(
		func() ports.Clock { return ports.SystemClock{} },
		func() ports.IDs { return ports.RandomIDs{} },
		company.NewService,
		func(s *company.Service) httpapi.KeyAuthenticator { return s },
		reads.NewQueries,
		func(q *reads.Queries) httpapi.Reader { return httpapi.HidingReader(q) },
		customers.NewService,
		func(c *customers.Service) httpapi.CustomerAdmin { return c },
		func(c *company.Service) ports.KeyChecker { return c },
		newLinkService,
		func(s *auth.Service) httpapi.LinkFlow { return s },
		func(h *connector.Host) httpapi.BankLister { return h },
		func(clock ports.Clock) *httpapi.SessionLimiter { return httpapi.NewSessionLimiter(5, 20, clock) },
		fx.Annotate(httpapi.LinkRoutes, fx.ResultTags(`group:"routes"`)),
		fx.Annotate(httpapi.BankRoutes, fx.ResultTags(`group:"routes"`)),
		fx.Annotate(httpapi.AccountRoutes, fx.ResultTags(`group:"routes"`)),
		fx.Annotate(httpapi.CustomerRoutes, fx.ResultTags(`group:"routes"`)),
		fx.Annotate(httpapi.CallbackRoutes, fx.ParamTags(``, `group:"callbacks"`), fx.ResultTags(`group:"routes"`)),
		fx.Annotate(connectorsReady, fx.ResultTags(`group:"readiness"`)),
		func(s *webhooks.Service) httpapi.WebhookAdmin { return s },
		fx.Annotate(httpapi.WebhookRoutes, fx.ResultTags(`group:"routes"`)),
		fx.Annotate(migrationsReady, fx.ResultTags(`group:"readiness"`)),
		// The link flow's attempt budgets follow --rate-limit: -1 turns
		// them off with the API's.
		func(c config) auth.Config { return auth.Config{Budgets: auth.Budgets{Off: c.RateLimit < 0}} },
		func(s *auth.Service) httpapi.LinkTokens { return s },
		fx.Annotate(httpapi.LinkTokenRoutes, fx.ResultTags(`group:"routes"`)),
		func(st ports.Store, clock ports.Clock, log *slog.Logger) *auth.Purger {
			return auth.NewPurger(st, clock, time.Minute, log)
		},
	),
	fx.Invoke(func(lc fx.Lifecycle, p *auth.Purger) {
		lc.Append(fx.Hook{OnStart: p.Start, OnStop: p.Stop})
	}),
)

// linkDeps gathers what the link service needs from the graph.
type linkDeps struct {
	fx.In
	Store  ports.Store
	Bank   ports.BankConnector
	Sealer ports.Sealer
	Index  ports.BlindIndexer
	Clock  ports.Clock
	IDs    ports.IDs
	Keys   ports.KeyChecker
	Notify ports.Notifier `optional:"true"`
	Config auth.Config    `optional:"true"`
}

func newLinkService(d linkDeps) *auth.Service {
	return auth.NewService(auth.Deps{Store: d.Store, Bank: d.Bank, Sealer: d.Sealer, Index: d.Index,
		Clock: d.Clock, IDs: d.IDs, Keys: d.Keys, Notify: d.Notify}, d.Config)
}

// clientAddresses is who the link API's budgets count a request against;
// serve refuses a bad --trusted-proxies before the app is built.
func clientAddresses(c config) httpapi.ClientAddresses {
	proxies, _ := httpapi.ParseTrustedProxies(c.TrustedProxies)
	return httpapi.ClientAddresses{TrustedProxies: proxies}
}

// connectorsReady is the /readyz check that at least one connector serves.
func connectorsReady(h *connector.Host) httpapi.ReadinessCheck {
	return httpapi.ReadinessCheck{Name: "connectors", Check: h.Ready}
}

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
			c,
			balancePublicURL(c.PublicURL),
			logger,
			storage.Config{DatabaseURL: c.DatabaseURL, DataDir: c.DataDir},
			seal.Source{MasterKeys: c.MasterKey, DataDir: c.DataDir},
			httpapi.Config{Addr: c.Addr, RateLimit: c.RateLimit, RateBurst: c.RateBurst},
			clientAddresses(c),
			connectorConfig(c),
			delivery.Config{AllowPrivate: c.AllowPrivateWebhooks, BaseBackoff: c.WebhookBackoff},
		),
		fx.StopTimeout(c.ShutdownTimeout+5e9),
		fx.WithLogger(func() fxevent.Logger { return fxLogger{logger} }),
		// fx stops hooks in the reverse order of their registration, and a
		// module's hooks are registered in the order the modules are listed
		// here, before those of the top level. So on SIGTERM the HTTP
		// server stops first (its listener closes at once, then requests
		// in flight finish, with their connector calls), then the workers,
		// then the connectors, and the database last (its hook registers
		// when the first module needing it is built).
		// TestFaultShutdownOrder holds this order.
		storage.Module,
		seal.Module,
		connector.Module,
		delivery.Module,
		fx.Module("balance", balanceWiring),
		fx.Module("identity", identityWiring),
		fx.Module("partners", partnersWiring),
		httpapi.Module,
		coreModule,
		widgetWiring,
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
	case *fxevent.OnStopExecuting:
		f.l.Debug("stop hook", "callee", ev.FunctionName)
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
