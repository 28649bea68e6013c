package connector

import (
	"context"

	"go.uber.org/fx"

	"github.com/bankauth/bankauth/core/ports"
)

// Module provides the *Host from a Config supplied by the composition root,
// binds it as ports.BankConnector and runs it with the application: OnStart
// reads the catalog and starts the connectors in the background (Ready
// reports when they are loaded), OnStop kills every connector process.
// The readiness check is Host.Ready; the composition root adds it to the
// HTTP adapter's "readiness" group.
var Module = fx.Module("connector",
	fx.Provide(
		New,
		func(h *Host) ports.BankConnector { return h },
	),
	fx.Invoke(func(lc fx.Lifecycle, h *Host) {
		lc.Append(fx.Hook{OnStart: h.Launch, OnStop: h.Stop})
	}),
)

// Launch is Start without the wait: it reads the catalog, then starts the
// connectors in the background. Ready fails until they are loaded.
func (h *Host) Launch(ctx context.Context) error {
	if err := h.Reload(ctx); err != nil {
		return err
	}
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		return nil
	}
	h.bg.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.bg.Done()
		h.startAll(context.Background())
	}()
	return nil
}
