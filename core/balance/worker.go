package balance

import (
	"context"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/jobs"
)

// WorkerConfig tunes the refresh worker.
type WorkerConfig struct {
	// ID names this instance in job claims (default: a random id).
	ID string
	// PollInterval is how often the worker looks for due jobs when nobody
	// nudged it (default 2 s).
	PollInterval time.Duration
	// ClaimTTL is how long a claimed job is this worker's; a job whose
	// claim lapsed (its instance died) is claimed again. It must outlast a
	// bank call (default 2 min).
	ClaimTTL time.Duration
	// MaxAttempts a job gets against retryable failures (default 3).
	MaxAttempts int
	// Disabled leaves refreshes to other instances (an API-only instance).
	Disabled bool
}

func (c WorkerConfig) withDefaults() WorkerConfig {
	if c.ID == "" {
		c.ID = "balance-" + domain.NewID()
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.ClaimTTL <= 0 {
		c.ClaimTTL = 2 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	return c
}

// backoff is the wait before the next attempt of a failed refresh.
func backoff(attempts int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempts && d < time.Minute; i++ {
		d *= 2
	}
	return d
}

// Worker runs queued balance refreshes: it claims due jobs (each is
// claimed by one instance), pulls, stores the result and emits the
// BALANCE webhook.
type Worker struct {
	svc *Service
	cfg WorkerConfig
	jobs.Loop
}

// NewWorker builds the refresh worker of s.
func NewWorker(s *Service) *Worker {
	w := &Worker{svc: s, cfg: s.cfg.Worker}
	w.Loop = jobs.Loop{Name: "balance refresh worker", Poll: w.cfg.PollInterval, Wake: s.jobs, RunOne: w.RunOne, Log: s.log}
	return w
}

// Notify nudges the worker to look for due jobs now. It never blocks.
func (w *Worker) Notify() { w.svc.Notify() }

// Start runs the worker in the background unless it is disabled; it does
// not block.
func (w *Worker) Start(ctx context.Context) error {
	if w.cfg.Disabled {
		return nil
	}
	return w.Loop.Start(ctx)
}

// Stop takes no more jobs and waits for the one in flight; if ctx ends
// first, the job is interrupted and given back to run again.
func (w *Worker) Stop(ctx context.Context) error { return w.Loop.Stop(ctx) }

// RunOne claims and runs one due job; it returns 0 when none was due.
func (w *Worker) RunOne(ctx context.Context) (int, error) {
	now := w.svc.clock.Now()
	jobs, err := w.svc.store.Jobs().ClaimKind(ctx, domain.JobBalanceRefresh, w.cfg.ID, now, now.Add(w.cfg.ClaimTTL), 1)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	for _, j := range jobs {
		if err := w.svc.runJob(ctx, j, w.cfg.MaxAttempts); err != nil {
			return len(jobs), err
		}
	}
	return len(jobs), nil
}
