package main

import (
	"log/slog"
	"strings"
	"sync/atomic"

	"go.uber.org/fx"

	httpapi "github.com/bankauth/bankauth/adapters/httpapi"
	"github.com/bankauth/bankauth/core/balance"
	"github.com/bankauth/bankauth/core/ports"
)

// balancePublicURL is the server's public origin (BANKAUTH_PUBLIC_URL) for
// the callback URLs of balance refreshes; empty means http://<listen addr>.
type balancePublicURL string

// balanceWiring composes the balance feature (core/balance and its routes):
// the service, its refresh worker started and stopped with the app, the
// Okra balance routes and the BALANCE method of GET callback.
var balanceWiring = fx.Options(
	fx.Provide(
		func() *listenOrigin { return &listenOrigin{} },
		newBalanceConfig,
		newBalanceService,
		balance.NewWorker,
		func(s *balance.Service) httpapi.BalanceService { return httpapi.HidingBalances(s) },
		fx.Annotate(httpapi.BalanceRoutes, fx.ResultTags(`group:"routes"`)),
		fx.Annotate(httpapi.BalanceCallback, fx.ResultTags(`group:"callbacks"`)),
	),
	fx.Invoke(func(lc fx.Lifecycle, w *balance.Worker) {
		lc.Append(fx.Hook{OnStart: w.Start, OnStop: w.Stop})
	}),
	// The server depends on the routes, so the service cannot depend on
	// the server: its listen address is handed over once both exist.
	fx.Invoke(func(o *listenOrigin, srv *httpapi.Server) { o.srv.Store(srv) }),
)

// listenOrigin is http://<the address the server listens on>.
type listenOrigin struct {
	srv atomic.Pointer[httpapi.Server]
}

func (o *listenOrigin) origin() string {
	if srv := o.srv.Load(); srv != nil {
		return "http://" + srv.Addr()
	}
	return ""
}

// callbackOrigin is what a refresh's callback URL starts with: the
// public origin when the operator set one, else the address the server
// listens on (known once it has started).
type callbackOrigin struct {
	fx.In
	PublicURL balancePublicURL `optional:"true"`
	Listen    *listenOrigin
}

// urls are the origin's two halves as the feature configs take them.
func (o callbackOrigin) urls() (publicURL string, origin func() string) {
	publicURL = strings.TrimRight(string(o.PublicURL), "/")
	if publicURL == "" {
		origin = o.Listen.origin
	}
	return publicURL, origin
}

func newBalanceConfig(o callbackOrigin) balance.Config {
	var c balance.Config
	c.PublicURL, c.Origin = o.urls()
	return c
}

type balanceDeps struct {
	fx.In
	Config balance.Config
	Store  ports.Store
	Bank   ports.BankConnector
	Sealer ports.Sealer
	Clock  ports.Clock
	IDs    ports.IDs
	Notify ports.Notifier `optional:"true"`
	Logger *slog.Logger   `optional:"true"`
}

func newBalanceService(d balanceDeps) *balance.Service {
	return balance.NewService(balance.Deps{Store: d.Store, Bank: d.Bank, Sealer: d.Sealer, Clock: d.Clock, IDs: d.IDs,
		Notify: d.Notify, Log: d.Logger}, d.Config)
}
