package main

import (
	"log/slog"

	"go.uber.org/fx"

	httpapi "github.com/bankauth/bankauth/adapters/httpapi"
	"github.com/bankauth/bankauth/core/identity"
	"github.com/bankauth/bankauth/core/ports"
)

// identityWiring composes the identity feature (core/identity and its
// routes): the service, its refresh worker started and stopped with the
// app, the Okra identity routes and the IDENTITY method of GET callback.
// It shares the balance feature's public origin and listen address.
var identityWiring = fx.Options(
	fx.Provide(
		newIdentityConfig,
		newIdentityService,
		identity.NewWorker,
		func(s *identity.Service) httpapi.IdentityService { return s },
		fx.Annotate(httpapi.IdentityRoutes, fx.ResultTags(`group:"routes"`)),
		fx.Annotate(httpapi.IdentityCallback, fx.ResultTags(`group:"callbacks"`)),
	),
	fx.Invoke(func(lc fx.Lifecycle, w *identity.Worker) {
		lc.Append(fx.Hook{OnStart: w.Start, OnStop: w.Stop})
	}),
)

func newIdentityConfig(o callbackOrigin) identity.Config {
	var c identity.Config
	c.PublicURL, c.Origin = o.urls()
	return c
}

type identityDeps struct {
	fx.In
	Config identity.Config
	Store  ports.Store
	Bank   ports.BankConnector
	Sealer ports.Sealer
	Index  ports.BlindIndexer
	Clock  ports.Clock
	IDs    ports.IDs
	Notify ports.Notifier `optional:"true"`
	Logger *slog.Logger   `optional:"true"`
}

func newIdentityService(d identityDeps) *identity.Service {
	return identity.NewService(identity.Deps{Store: d.Store, Bank: d.Bank, Sealer: d.Sealer, Index: d.Index, Clock: d.Clock, IDs: d.IDs,
		Notify: d.Notify, Log: d.Logger}, d.Config)
}
