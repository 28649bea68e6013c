package identity

import "github.com/bankauth/bankauth/core/jobs"

// WorkerConfig tunes the refresh worker.
type WorkerConfig = jobs.Config

// Worker runs queued identity refreshes, each claimed by one instance.
type Worker = jobs.Worker

// NewWorker builds the refresh worker of s.
func NewWorker(s *Service) *Worker {
	return jobs.NewWorker(s.queue, s.refreshJob(), s.cfg.Worker, s.notify, s.log)
}
