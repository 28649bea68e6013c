package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
	"github.com/bankauth/bankauth/core/ports"
)

// clockFunc is a clock the test moves by hand.
type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// nudges counts the webhook worker's nudges.
type nudges struct{ n int }

func (n *nudges) Notify() { n.n++ }

const testKind = "test_refresh"

// bench is a queue of test jobs about one record and its worker, run by
// a handler the test scripts.
type bench struct {
	ctx    context.Context
	store  *storage.Store
	now    time.Time
	nudges *nudges
	queue  *Queue
	scope  domain.Scope
	record domain.Record
}

func newBench(t *testing.T, s *storage.Store) *bench {
	b := &bench{ctx: context.Background(), store: s, now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), nudges: &nudges{},
		scope: domain.Scope{CompanyID: domain.NewID(), Env: domain.EnvSandbox}}
	b.queue = NewQueue(testKind, s, clockFunc(func() time.Time { return b.now }), ports.RandomIDs{})
	b.record = domain.Record{ID: domain.NewID(), CompanyID: b.scope.CompanyID, Env: b.scope.Env, Status: domain.RecordSuccess}
	return b
}

func (b *bench) worker(h Handler, maxAttempts int) *Worker {
	h.Name, h.FailedCode = "test refresh", "TEST_FAILED"
	return NewWorker(b.queue, h, Config{MaxAttempts: maxAttempts}.WithDefaults("test"), b.nudges, nil)
}

func (b *bench) latest(t *testing.T) domain.Job {
	t.Helper()
	j, err := b.queue.Latest(b.ctx, b.scope, b.record.ID)
	if err != nil {
		t.Fatalf("latest job: %v", err)
	}
	return j
}

func (b *bench) events(t *testing.T) []domain.OutboxEvent {
	t.Helper()
	list, _, err := b.store.Outbox().List(b.ctx, b.scope, domain.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestWorkerSettlesJobs: what the handler's work returns decides what
// becomes of the job, its result and its webhook event.
func TestWorkerSettlesJobs(t *testing.T) {
	timeout := &domain.Error{Kind: domain.KindTimeout, Message: "the bank is slow"}
	refused := &domain.Error{Kind: domain.KindRejected, Code: "NOPE", Message: "the bank said no"}
	cases := []struct {
		name        string
		attempts    int  // the job's attempts before this one
		stopped     bool // the worker is stopping
		gone        bool // the subject is gone: no record on the event
		err         error
		settleErr   error
		wantStatus  string
		wantAttempt int
		wantResult  string // "" when the job keeps none
		wantEvent   string // "" when none is emitted
		wantRunErr  bool
	}{
		{name: "success", wantStatus: domain.JobDone, wantAttempt: 1,
			wantResult: `{"status":"success"}`, wantEvent: "TEST_SUCCESS"},
		{name: "a failure for good", err: refused, wantStatus: domain.JobFailed, wantAttempt: 1,
			wantResult: `{"status":"failed","error":{"type":"BANK_REJECTED","code":"NOPE","message":"the bank said no"}}`, wantEvent: "TEST_FAILED"},
		{name: "a retryable failure with attempts left", err: timeout, wantStatus: domain.JobPending, wantAttempt: 1},
		{name: "a retryable failure on the last attempt", attempts: 1, err: timeout, wantStatus: domain.JobFailed, wantAttempt: 2,
			wantResult: `{"status":"failed","error":{"type":"BANK_TIMEOUT","code":"BANK_TIMEOUT","message":"the bank is slow"}}`, wantEvent: "TEST_FAILED"},
		{name: "the subject is gone", gone: true, err: domain.NotFound("record"), wantStatus: domain.JobFailed, wantAttempt: 1,
			wantResult: `{"status":"failed","error":{"type":"NOT_FOUND","code":"NOT_FOUND","message":"record not found"}}`},
		{name: "cut short by a stop", stopped: true, err: context.Canceled, wantStatus: domain.JobPending, wantAttempt: 0},
		{name: "storing the success fails", settleErr: errors.New("disk full"), wantStatus: domain.JobRunning, wantAttempt: 1, wantRunErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A store each: the worker claims any due job of its kind.
			storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
				b := newBench(t, s)
				if err := b.queue.Add(b.ctx, b.scope, b.record.ID, []byte(`{}`), nil); err != nil {
					t.Fatal(err)
				}
				if tc.attempts > 0 {
					j := b.latest(t)
					j.Attempts = tc.attempts
					if err := s.Jobs().Finish(b.ctx, j); err != nil {
						t.Fatal(err)
					}
				}
				ctx, cancel := context.WithCancel(b.ctx)
				defer cancel()
				w := b.worker(Handler{Run: func(context.Context, domain.Job) (events.Event, Succeeded, error) {
					ev := events.Event{Scope: b.scope, Method: "TEST", Record: b.record}
					if tc.gone {
						ev.Record = domain.Record{}
					}
					if tc.stopped {
						cancel()
					}
					return ev, func(_ context.Context, _ ports.Repos, ev *events.Event) (any, error) {
						ev.Code = "TEST_SUCCESS"
						return map[string]string{"status": "success"}, tc.settleErr
					}, tc.err
				}}, 2)
				n, err := w.RunOne(ctx)
				if n != 1 || (err != nil) != tc.wantRunErr {
					t.Fatalf("run: %d %v", n, err)
				}
				j := b.latest(t)
				if j.Status != tc.wantStatus || j.Attempts != tc.wantAttempt || string(j.Result) != tc.wantResult {
					t.Fatalf("job %s, %d attempts, result %s; want %s, %d, %s", j.Status, j.Attempts, j.Result, tc.wantStatus, tc.wantAttempt, tc.wantResult)
				}
				evs := b.events(t)
				switch {
				case tc.wantEvent == "" && len(evs) != 0:
					t.Fatalf("events %+v, want none", evs)
				case tc.wantEvent != "" && (len(evs) != 1 || evs[0].Code != tc.wantEvent || evs[0].RecordID != b.record.ID):
					t.Fatalf("events %+v, want one %s", evs, tc.wantEvent)
				case (tc.wantEvent != "") != (b.nudges.n == 1):
					t.Fatalf("the webhook worker was nudged %d times", b.nudges.n)
				}
				if tc.wantStatus == domain.JobPending && !tc.stopped {
					// The retry waits for its backoff, then runs.
					if n, _ := w.RunOne(b.ctx); n != 0 {
						t.Fatal("a retry ran before its backoff")
					}
					b.now = b.now.Add(Backoff(j.Attempts))
					if n, _ := w.RunOne(b.ctx); n != 1 {
						t.Fatal("the retry did not run after its backoff")
					}
				}
			})
		})
	}
}

// TestQueue: a job asked for again while queued is the same job (when
// the handler says it asks the same); the status follows the latest job.
func TestQueue(t *testing.T) {
	b := newBench(t, storagetest.OpenSQLite(t))
	st, result, err := b.queue.Status(b.ctx, b.scope, b.record)
	if err != nil || st != (Status{Record: domain.RecordSuccess, Refresh: "none", Process: Process{Completed: true}}) || result != nil {
		t.Fatalf("no job yet: %+v %s %v", st, result, err)
	}
	for i, tc := range []struct {
		payload string
		newJob  bool
	}{
		{`{"a":1}`, true},
		{`{"a":1}`, false}, // the same, still queued
		{`{"a":2}`, true},  // asks something else
	} {
		before, _ := b.queue.Latest(b.ctx, b.scope, b.record.ID)
		b.now = b.now.Add(time.Second) // the latest job is the newest by creation time
		same := func(queued domain.Job) bool { return string(queued.Payload) == tc.payload }
		if err := b.queue.Add(b.ctx, b.scope, b.record.ID, []byte(tc.payload), same); err != nil {
			t.Fatal(err)
		}
		if after := b.latest(t); (after.ID != before.ID) != tc.newJob {
			t.Fatalf("add %d (%s): a new job is %v, want %v", i, tc.payload, after.ID != before.ID, tc.newJob)
		}
		select {
		case <-b.queue.wake:
		default:
			t.Fatalf("add %d did not nudge the worker", i)
		}
	}
	st, _, _ = b.queue.Status(b.ctx, b.scope, b.record)
	if st.Refresh != domain.JobPending || !st.Process.Running || st.RequestedAt != "2026-05-01T09:00:03.000Z" || st.FinishedAt != "" {
		t.Fatalf("queued: %+v", st)
	}
	w := b.worker(Handler{Run: func(context.Context, domain.Job) (events.Event, Succeeded, error) {
		return events.Event{}, nil, domain.NotFound("record")
	}}, 1)
	b.now = b.now.Add(time.Second)
	for _, want := range []int{1, 1, 0} { // the two queued jobs, then none
		if n, err := w.RunOne(b.ctx); n != want || err != nil {
			t.Fatalf("run: %d %v, want %d", n, err, want)
		}
	}
	st, result, _ = b.queue.Status(b.ctx, b.scope, b.record)
	var res failure
	if st.Refresh != domain.JobFailed || st.Process != (Process{Completed: true}) || st.FinishedAt != "2026-05-01T09:00:04.000Z" ||
		json.Unmarshal(result, &res) != nil || res.Error == nil || res.Error.Type != "NOT_FOUND" {
		t.Fatalf("finished: %+v %s", st, result)
	}
}

func TestDisabledWorkerDoesNotStart(t *testing.T) {
	b := newBench(t, storagetest.OpenSQLite(t))
	ran := make(chan struct{}, 1)
	w := NewWorker(b.queue, Handler{Name: "test", Run: func(context.Context, domain.Job) (events.Event, Succeeded, error) {
		ran <- struct{}{}
		return events.Event{}, nil, nil
	}}, Config{Disabled: true}.WithDefaults("test"), nil, nil)
	if err := b.queue.Add(b.ctx, b.scope, b.record.ID, []byte(`{}`), nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Stop(b.ctx); err != nil {
		t.Fatal(err)
	}
	if j := b.latest(t); j.Status != domain.JobPending || len(ran) != 0 {
		t.Fatalf("a disabled worker ran a job: %+v", j)
	}
}
