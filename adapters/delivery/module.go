package delivery

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/webhooks"
)

// Module provides the delivery worker (started and stopped with the app),
// the worker as ports.Notifier, the URL guard as webhooks.URLGuard and
// the webhooks.Service. The composition root supplies Config, ports.Store,
// ports.Sealer, ports.Clock, ports.IDs and *slog.Logger.
var Module = fx.Module("delivery",
	fx.Provide(
		newWorkerFromGraph,
		func(w *Worker) ports.Notifier { return w },
		fx.Annotate(guardFromConfig, fx.As(new(webhooks.URLGuard))),
		NewService,
	),
	fx.Invoke(func(lc fx.Lifecycle, w *Worker) {
		lc.Append(fx.Hook{OnStart: w.Start, OnStop: w.Stop})
	}),
)

type workerParams struct {
	fx.In
	Config Config
	Store  ports.Store
	Sealer ports.Sealer
	Clock  ports.Clock
	IDs    ports.IDs
	Logger *slog.Logger `optional:"true"`
}

func newWorkerFromGraph(p workerParams) *Worker {
	return NewWorker(p.Config, p.Store, p.Sealer, p.Clock, p.IDs, p.Logger)
}

func guardFromConfig(cfg Config) *URLGuard { return NewURLGuard(cfg.AllowPrivate) }

// NewService builds the webhooks service with the worker as its notifier,
// so a replay is sent at once rather than at the next poll.
func NewService(store ports.Store, sealer ports.Sealer, clock ports.Clock, ids ports.IDs,
	guard webhooks.URLGuard, notifier webhooks.Notifier) *webhooks.Service {
	s := webhooks.NewService(store, sealer, clock, ids, guard)
	s.SetNotifier(notifier)
	return s
}
