package storage

import (
	"context"

	"go.uber.org/fx"

	"github.com/bankauth/bankauth/core/ports"
)

// Module provides *Store (from a Config the composition root supplies) and
// binds it as ports.Store. The store migrates on start and closes on stop.
var Module = fx.Module("storage",
	fx.Provide(
		NewLifecycle,
		func(s *Store) ports.Store { return s },
	),
)

// NewLifecycle opens the store and registers Migrate as its start hook and
// Close as its stop hook.
func NewLifecycle(lc fx.Lifecycle, cfg Config) (*Store, error) {
	s, err := Open(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.Hook{
		OnStart: s.Migrate,
		OnStop:  func(context.Context) error { return s.Close() },
	})
	return s, nil
}
