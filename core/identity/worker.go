package identity

import (
	"context"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/jobs"
)

// WorkerConfig tunes the refresh worker.
type WorkerConfig = jobs.Config

// backoff is the wait before the next attempt of a failed refresh.
var backoff = jobs.Backoff

// Worker runs queued identity refreshes, each claimed by one instance.
type Worker struct {
	svc *Service
	cfg WorkerConfig
	jobs.Loop
}

// NewWorker builds the refresh worker of s.
func NewWorker(s *Service) *Worker {
	w := &Worker{svc: s, cfg: s.cfg.Worker}
	w.Loop = jobs.Loop{Name: "identity refresh worker", Poll: w.cfg.PollInterval, Wake: s.jobs, RunOne: w.RunOne, Log: s.log}
	return w
}

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

// RunOne claims and runs one due identity job; it returns 0 when none
// was due.
func (w *Worker) RunOne(ctx context.Context) (int, error) {
	now := w.svc.clock.Now()
	jobs, err := w.svc.store.Jobs().ClaimKind(ctx, domain.JobIdentityRefresh, w.cfg.ID, now, now.Add(w.cfg.ClaimTTL), 1)
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
