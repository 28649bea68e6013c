package balance

import "github.com/bankauth/bankauth/core/jobs"

// WorkerConfig tunes the refresh worker.
type WorkerConfig = jobs.Config

// Worker runs queued balance refreshes: it claims due jobs (each is
// claimed by one instance), pulls, stores the result and emits the
// BALANCE webhook.
type Worker = jobs.Worker

// NewWorker builds the refresh worker of s.
func NewWorker(s *Service) *Worker {
	return jobs.NewWorker(s.queue, s.refreshJob(), s.cfg.Worker, s.notify, s.log)
}
