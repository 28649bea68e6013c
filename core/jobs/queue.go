package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// Queue is where a feature's jobs of one kind wait: durable rows in the
// store, and a nudge that tells the worker to look now.
type Queue struct {
	kind  string
	store ports.Store
	clock ports.Clock
	ids   ports.IDs
	wake  chan struct{}
}

// NewQueue is the queue of jobs of kind.
func NewQueue(kind string, store ports.Store, clock ports.Clock, ids ports.IDs) *Queue {
	return &Queue{kind: kind, store: store, clock: clock, ids: ids, wake: make(chan struct{}, 1)}
}

// Notify nudges the worker to look for due jobs now. It never blocks.
func (q *Queue) Notify() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Add queues a job about a record unless one that asks the same is still
// queued (same, when set, says whether the queued one does; a retry that
// waits counts as queued), and nudges the worker either way.
func (q *Queue) Add(ctx context.Context, scope domain.Scope, recordID domain.ID, payload []byte, same func(queued domain.Job) bool) error {
	prev, err := q.store.Jobs().LatestBySubject(ctx, scope, q.kind, recordID)
	switch {
	case err == nil:
		if prev.Status == domain.JobPending && (same == nil || same(prev)) {
			q.Notify()
			return nil
		}
	case !errors.Is(err, domain.ErrNotFound):
		return fmt.Errorf("look for a queued %s job of record %s: %w", q.kind, recordID, err)
	}
	now := q.clock.Now()
	if err := q.store.Jobs().Add(ctx, domain.Job{
		ID: q.ids.NewID(), CompanyID: scope.CompanyID, Env: scope.Env, Kind: q.kind,
		Subject: recordID, RecordID: recordID, Payload: payload, Status: domain.JobPending,
		RunAfter: now, CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		return fmt.Errorf("queue a %s job of record %s: %w", q.kind, recordID, err)
	}
	q.Notify()
	return nil
}

// Latest is the newest job about a record; domain.ErrNotFound when there
// has been none.
func (q *Queue) Latest(ctx context.Context, scope domain.Scope, recordID domain.ID) (domain.Job, error) {
	j, err := q.store.Jobs().LatestBySubject(ctx, scope, q.kind, recordID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return j, fmt.Errorf("load the latest %s job of record %s: %w", q.kind, recordID, err)
	}
	return j, err
}
