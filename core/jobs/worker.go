package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
	"github.com/bankauth/bankauth/core/ports"
)

// Handler is what one kind of job does; the Worker claims the job, retries
// it and settles it.
type Handler struct {
	// Name says in logs what failed ("balance refresh").
	Name string
	// FailedCode is the webhook code of a job that failed for good.
	FailedCode string
	// Run does a claimed job's work. It returns the webhook event about
	// the job's subject with Scope, Method, Record and Bank set (no Record
	// when the subject is gone: nobody is told) and, when the work
	// succeeded, the step that settles it.
	Run func(ctx context.Context, j domain.Job) (events.Event, Succeeded, error)
	// Retryable reports whether a failure may pass when the job runs
	// again (default: Retryable).
	Retryable func(error) bool
}

// Succeeded stores a successful job's outcome inside the transaction that
// finishes the job: it returns the job's result and sets the event's code
// and body.
type Succeeded func(ctx context.Context, tx ports.Repos, ev *events.Event) (result any, err error)

// failure is the result of a job that failed for good.
type failure struct {
	Status string `json:"status"` // "failed"
	Error  *Error `json:"error"`
}

// Worker runs a queue's due jobs, each claimed by one instance at a time.
type Worker struct {
	Loop
	queue  *Queue
	h      Handler
	cfg    Config
	notify ports.Notifier
	log    *slog.Logger
}

// NewWorker builds the worker of q's jobs; notify (the webhook worker)
// and log may be nil.
func NewWorker(q *Queue, h Handler, cfg Config, notify ports.Notifier, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if h.Retryable == nil {
		h.Retryable = Retryable
	}
	w := &Worker{queue: q, h: h, cfg: cfg, notify: notify, log: log}
	w.Loop = Loop{Name: h.Name + " worker", Poll: cfg.PollInterval, Wake: q.wake, RunOne: w.RunOne, Log: log}
	return w
}

// Notify nudges the worker to look for due jobs now. It never blocks.
func (w *Worker) Notify() { w.queue.Notify() }

// Start runs the worker in the background unless it is disabled; it does
// not block.
func (w *Worker) Start(ctx context.Context) error {
	if w.cfg.Disabled {
		return nil
	}
	return w.Loop.Start(ctx)
}

// RunOne claims and runs one due job; it returns 0 when none was due.
func (w *Worker) RunOne(ctx context.Context) (int, error) {
	now := w.queue.clock.Now()
	claimed, err := w.queue.store.Jobs().ClaimKind(ctx, w.queue.kind, w.cfg.ID, now, now.Add(w.cfg.ClaimTTL), 1)
	if err != nil {
		return 0, fmt.Errorf("claim %s jobs: %w", w.queue.kind, err)
	}
	for _, j := range claimed {
		if err := w.run(ctx, j); err != nil {
			return len(claimed), err
		}
	}
	return len(claimed), nil
}

// run does one claimed job and stores what became of it. A job cut short
// by a stop goes back at once, so the next start runs it; a retryable
// failure goes back after a backoff while it has attempts left; anything
// else settles the job with its webhook event in one transaction.
func (w *Worker) run(ctx context.Context, j domain.Job) error {
	ev, succeeded, err := w.h.Run(ctx, j)
	now := w.queue.clock.Now()
	switch {
	case err != nil && ctx.Err() != nil:
		j.Status, j.Attempts, j.RunAfter, j.UpdatedAt = domain.JobPending, max(j.Attempts-1, 0), now, now
		return w.finish(context.WithoutCancel(ctx), w.queue.store, j)
	case err != nil && w.h.Retryable(err) && j.Attempts < w.cfg.MaxAttempts:
		j.Status, j.RunAfter, j.UpdatedAt = domain.JobPending, now.Add(Backoff(j.Attempts)), now
		w.log.Warn(w.h.Name+" failed; will retry", "job", j.ID, "attempt", j.Attempts, "error", err.Error())
		return w.finish(ctx, w.queue.store, j)
	}
	j.UpdatedAt = now
	tell := ev.Record.ID != ""
	err = w.queue.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		if err := w.settle(ctx, tx, &j, &ev, err, succeeded); err != nil {
			return err
		}
		if err := w.finish(ctx, tx, j); err != nil || !tell {
			return err
		}
		_, err := events.Emit(ctx, tx, w.queue.ids, now, ev)
		return err
	})
	if err == nil && tell && w.notify != nil {
		w.notify.Notify()
	}
	return err
}

// settle shapes a job that will not run again: its status and result, and
// the event's code, by whether the work failed.
func (w *Worker) settle(ctx context.Context, tx ports.Repos, j *domain.Job, ev *events.Event, failed error, succeeded Succeeded) error {
	var res any
	if failed != nil {
		f := failure{Status: "failed", Error: ErrorOf(failed)}
		res, j.Status, ev.Code, ev.Message = f, domain.JobFailed, w.h.FailedCode, f.Error.Message
		w.log.Warn(w.h.Name+" failed", "job", j.ID, "attempts", j.Attempts, "error", failed.Error())
	} else {
		var err error
		if res, err = succeeded(ctx, tx, ev); err != nil {
			return err
		}
		j.Status = domain.JobDone
	}
	var err error
	if j.Result, err = json.Marshal(res); err != nil {
		return fmt.Errorf("encode the result of %s job %s: %w", j.Kind, j.ID, err)
	}
	return nil
}

func (w *Worker) finish(ctx context.Context, repos ports.Repos, j domain.Job) error {
	if err := repos.Jobs().Finish(ctx, j); err != nil {
		return fmt.Errorf("finish %s job %s: %w", j.Kind, j.ID, err)
	}
	return nil
}
