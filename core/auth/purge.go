package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/bankauth/bankauth/core/ports"
)

// Purger deletes what the link flow no longer needs: expired sessions
// (finished ones expire a short grace after they finish) and spent link
// tokens. Every instance may run one; the deletes are idempotent.
type Purger struct {
	store ports.Store
	clock ports.Clock
	every time.Duration
	log   *slog.Logger

	stop chan struct{}
	done chan struct{}
}

// NewPurger purges every interval (default 1 min).
func NewPurger(store ports.Store, clock ports.Clock, every time.Duration, log *slog.Logger) *Purger {
	if every <= 0 {
		every = time.Minute
	}
	if log == nil {
		log = slog.Default()
	}
	return &Purger{store: store, clock: clock, every: every, log: log}
}

// PurgeOnce deletes expired sessions and spent tokens now.
func (p *Purger) PurgeOnce(ctx context.Context) (sessions, tokens int, err error) {
	now := p.clock.Now()
	if sessions, err = p.store.LinkSessions().DeleteExpired(ctx, now); err != nil {
		return 0, 0, fmt.Errorf("purge link sessions: %w", err)
	}
	if tokens, err = p.store.LinkTokens().DeleteSpent(ctx, now); err != nil {
		return sessions, 0, fmt.Errorf("purge link tokens: %w", err)
	}
	return sessions, tokens, nil
}

// Start purges in the background; it does not block.
func (p *Purger) Start(context.Context) error {
	if p.done != nil {
		return nil
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func(stop <-chan struct{}, done chan<- struct{}) {
		defer close(done)
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), p.every)
				sessions, tokens, err := p.PurgeOnce(ctx)
				cancel()
				if err != nil {
					p.log.Warn("link purge failed", "error", err.Error())
				} else if sessions+tokens > 0 {
					p.log.Debug("link purge", "sessions", sessions, "tokens", tokens)
				}
			}
		}
	}(p.stop, p.done)
	return nil
}

// Stop ends the loop, waiting for a purge under way (or for ctx).
func (p *Purger) Stop(ctx context.Context) error {
	if p.done == nil {
		return nil
	}
	close(p.stop)
	select {
	case <-p.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	p.done = nil
	return nil
}
