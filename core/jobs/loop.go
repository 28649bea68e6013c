// Package jobs runs a background loop over durable jobs: it runs whatever
// is due, one at a time, then waits for a nudge or the next poll, and stops
// by first taking no more jobs and then, if its deadline passes, cutting
// the one in flight short (the job's claim lapses and it runs again).
package jobs

import (
	"context"
	"log/slog"
	"time"
)

// Loop is the start/stop machinery a job worker embeds.
type Loop struct {
	// Name says in logs which worker failed.
	Name string
	// Poll is how often due jobs are looked for without a nudge.
	Poll time.Duration
	// Wake nudges the loop to look now.
	Wake <-chan struct{}
	// RunOne claims and runs one due job; it returns 0 when none was due.
	RunOne func(ctx context.Context) (int, error)
	Log    *slog.Logger

	stopping chan struct{}
	abort    context.CancelFunc
	done     chan struct{}
}

// Start runs the loop in the background; it does not block.
func (l *Loop) Start(context.Context) error {
	if l.done != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.stopping, l.abort, l.done = make(chan struct{}), cancel, make(chan struct{})
	go l.run(ctx, l.stopping, l.done)
	return nil
}

// Stop takes no more jobs and waits for the one in flight; if ctx ends
// first, the job is interrupted and given back to run again.
func (l *Loop) Stop(ctx context.Context) error {
	if l.done == nil {
		return nil
	}
	stopping, abort, done := l.stopping, l.abort, l.done
	l.stopping, l.abort, l.done = nil, nil, nil
	close(stopping)
	select {
	case <-done:
		abort()
		return nil
	case <-ctx.Done():
		abort()
		<-done
		return ctx.Err()
	}
}

func (l *Loop) run(ctx context.Context, stopping <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(l.Poll)
	defer tick.Stop()
	for {
		l.runDue(ctx, stopping)
		select {
		case <-stopping:
			return
		case <-l.Wake:
		case <-tick.C:
		}
	}
}

// runDue runs due jobs one at a time until none is left, one fails, or the
// loop stops.
func (l *Loop) runDue(ctx context.Context, stopping <-chan struct{}) {
	for {
		select {
		case <-stopping:
			return
		default:
		}
		n, err := l.RunOne(ctx)
		if err != nil {
			if l.Log != nil {
				l.Log.Error(l.Name, "error", err.Error())
			}
			return
		}
		if n == 0 {
			return
		}
	}
}
