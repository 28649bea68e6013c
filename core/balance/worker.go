package balance

import (
	"context"

	"github.com/bankauth/bankauth/core/jobs"
)

// Worker runs queued balance refreshes, each claimed by one instance at a
// time; a type of its own, so that the app's wiring and its shutdown logs
// tell it from the other job workers.
type Worker struct{ *jobs.Worker }

// NewWorker builds the refresh worker of s.
func NewWorker(s *Service) *Worker {
	return &Worker{jobs.NewWorker(s.queue, s.refreshJob(), s.cfg.Worker, s.notify, s.log)}
}

// Stop is jobs.Worker's, under this type's name in the shutdown log.
func (w *Worker) Stop(ctx context.Context) error { return w.Worker.Stop(ctx) }
