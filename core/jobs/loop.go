// Package jobs runs a background loop over durable jobs: it runs whatever
// is due, one at a time, then waits for a nudge or the next poll, and stops
// by first taking no more jobs and then, if its deadline passes, cutting
// the one in flight short (the job's claim lapses and it runs again).
package jobs

import (
	"context"
	"log/slog"
	"sync"
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
	// A RunOne that hands jobs to goroutines returns how many it started,
	// and 0 when it has no more room.
	RunOne func(ctx context.Context) (int, error)
	// Wait, when set, blocks until the jobs RunOne left running have
	// ended; the loop counts as stopped only then.
	Wait func()
	Log  *slog.Logger

	mu       sync.Mutex
	stopping chan struct{}
	abort    context.CancelFunc
	done     chan struct{}
}

// Start runs the loop in the background; it does not block.
func (l *Loop) Start(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
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
	l.mu.Lock()
	stopping, abort, done := l.stopping, l.abort, l.done
	l.stopping, l.abort, l.done = nil, nil, nil
	l.mu.Unlock()
	if done == nil {
		return nil
	}
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
	if l.Wait != nil {
		defer l.Wait()
	}
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
			// While stopping, a failure is the interruption itself.
			if l.Log != nil && ctx.Err() == nil {
				l.Log.Error(l.Name, "error", err.Error())
			}
			return
		}
		if n == 0 {
			return
		}
	}
}
