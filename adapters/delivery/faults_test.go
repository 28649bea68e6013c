package delivery

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// hangingReceiver holds every request until release is closed (or the
// client gives up), reporting each arrival and the most requests it held at
// once.
type hangingReceiver struct {
	arrived chan string
	release chan struct{}
	once    sync.Once

	mu         sync.Mutex
	held, most int
}

func newHangingReceiver(t *testing.T) (*hangingReceiver, string) {
	t.Helper()
	h := &hangingReceiver{arrived: make(chan string, 100), release: make(chan struct{})}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // lets the server notice the client going away
		id := r.Header.Get(HeaderEventID)
		h.mu.Lock()
		h.held++
		h.most = max(h.most, h.held)
		h.mu.Unlock()
		h.arrived <- id
		select {
		case <-h.release:
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
		}
		h.mu.Lock()
		h.held--
		h.mu.Unlock()
	})
	// Runs before the server closes (cleanups run last first).
	t.Cleanup(h.let)
	return h, srv.URL
}

func (h *hangingReceiver) let() { h.once.Do(func() { close(h.release) }) }

func (h *hangingReceiver) mostHeld() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.most
}

// TestHangingReceiverDoesNotDelayOthers: company A's receiver holds every
// request; company B's events, one of which fails once, must still arrive
// within a second of their creation, and A never has more than the
// per-endpoint limit of requests in flight.
func TestHangingReceiverDoesNotDelayOthers(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		const maxDelay = time.Second
		f := newFixture(t, s, ports.SystemClock{}, true)
		ctx := context.Background()
		scopeA, scopeB := f.scope, domain.Scope{CompanyID: domain.NewID(), Env: domain.EnvSandbox}

		hangA, urlA := newHangingReceiver(t)
		type arrival struct {
			id string
			at time.Time
		}
		arrivedB := make(chan arrival, 100)
		var failOnce sync.Map
		srvB := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			id := r.Header.Get(HeaderEventID)
			if _, failed := failOnce.LoadOrStore(id, true); !failed && r.Header.Get("Authorization") == "Bearer fail-first" {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			arrivedB <- arrival{id, time.Now()}
			w.WriteHeader(http.StatusOK)
		})
		if _, err := f.svc.Set(ctx, scopeA, urlA, ""); err != nil {
			t.Fatal(err)
		}
		// The token makes B's receiver fail each event's first attempt.
		if _, err := f.svc.Set(ctx, scopeB, srvB.URL, "fail-first"); err != nil {
			t.Fatal(err)
		}

		// Production timings but for the retry backoff.
		w := f.worker(t, Config{AllowPrivate: true, PollInterval: DefaultPollInterval, Timeout: DefaultTimeout})
		start(t, w)

		var idsA []string
		for i := 0; i < 5; i++ {
			idsA = append(idsA, f.emit(t, scopeA).ID)
		}
		w.Notify()
		select {
		case <-hangA.arrived:
		case <-time.After(waitFor):
			t.Fatal("A's receiver got no request")
		}

		// Bounded well under a minute; the old worker, which waited for its
		// whole batch, delivered B's events 20 s or more late.
		giveUp := time.After(15 * time.Second)
		for i := 0; i < 3; i++ {
			created := time.Now()
			ev := f.emit(t, scopeB)
			w.Notify()
			var got arrival
			select {
			case got = <-arrivedB:
			case <-giveUp:
				t.Fatalf("B's event %d was not delivered within 15 s while A hangs", i+1)
			}
			if got.id != ev.ID {
				t.Fatalf("B received %s, want %s", got.id, ev.ID)
			}
			delay := got.at.Sub(created)
			t.Logf("B's event %d (failed once first) delivered %s after its creation", i+1, delay.Round(time.Millisecond))
			if delay > maxDelay {
				t.Errorf("B's event %d was delivered %s after its creation while A hangs, want at most %s", i+1, delay, maxDelay)
			}
		}
		if most := hangA.mostHeld(); most > DefaultPerEndpoint {
			t.Errorf("A's receiver held %d requests at once, want at most %d in flight per endpoint", most, DefaultPerEndpoint)
		}

		// Once A answers again, every one of its events is delivered.
		hangA.let()
		eventually(t, "A's events to be delivered", func() bool {
			for _, id := range idsA {
				ev, err := s.Outbox().Get(ctx, scopeA, id)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Status != domain.OutboxDelivered {
					return false
				}
			}
			return true
		})
	})
}

// TestStopReleasesClaimsAnotherWorkerDelivers: a worker stopped while
// several deliveries hang gives every claim back, counting no attempt, and
// another worker then delivers each event once, under the same id. Claims
// outlast the delivery timeout, so no other worker takes over an event
// whose delivery still runs.
func TestStopReleasesClaimsAnotherWorkerDelivers(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		f := newFixture(t, s, ports.SystemClock{}, true)
		ctx := context.Background()
		hang, hangURL := newHangingReceiver(t)
		scopes := []domain.Scope{f.scope, {CompanyID: domain.NewID(), Env: domain.EnvSandbox}}
		var ids []string
		for _, sc := range scopes {
			if _, err := f.svc.Set(ctx, sc, hangURL, ""); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				ids = append(ids, f.emit(t, sc).ID)
			}
		}
		w := f.worker(t, Config{AllowPrivate: true, PollInterval: time.Hour, Timeout: DefaultTimeout, WorkerID: "stopping"})
		if err := w.Start(ctx); err != nil {
			t.Fatal(err)
		}
		w.Notify()
		for range ids {
			select {
			case <-hang.arrived:
			case <-time.After(waitFor):
				t.Fatal("not every delivery started")
			}
		}
		for _, sc := range scopes {
			evs, _, err := s.Outbox().List(ctx, sc, domain.ListFilter{Page: domain.Page{Number: 1, Limit: 10}.Normalize()})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				if ev.ClaimedBy != "stopping" || ev.ClaimedTill == nil || !ev.ClaimedTill.After(time.Now().Add(DefaultTimeout)) {
					t.Errorf("in-flight event %s claimed by %q until %v, want a claim that outlasts the %s timeout",
						ev.ID, ev.ClaimedBy, ev.ClaimedTill, DefaultTimeout)
				}
			}
		}

		stopCtx, cancel := context.WithCancel(ctx)
		cancel() // no grace: the hanging deliveries are cut off
		if err := w.Stop(stopCtx); !errors.Is(err, context.Canceled) {
			t.Fatalf("stop: %v, want context.Canceled", err)
		}
		for i, id := range ids {
			ev, err := s.Outbox().Get(ctx, scopes[i/2], id)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Status != domain.OutboxPending || ev.ClaimedBy != "" || ev.Attempts != 0 {
				t.Errorf("after the stop event %s is %+v, want pending, unclaimed, no attempt counted", id, ev)
			}
		}

		hang.let()
		next := f.worker(t, Config{AllowPrivate: true, WorkerID: "next"})
		start(t, next)
		eventually(t, "the other worker to deliver every event", func() bool {
			for i, id := range ids {
				if ev, err := s.Outbox().Get(ctx, scopes[i/2], id); err != nil || ev.Status != domain.OutboxDelivered {
					return false
				}
			}
			return true
		})
		// The cut-off attempts are not logged: one attempt each, the 200.
		// (The receiver may have seen an event twice: at least once.)
		for i, id := range ids {
			a := attempts(t, s, id)
			ev, _ := s.Outbox().Get(ctx, scopes[i/2], id)
			if len(a) != 1 || a[0].HTTPStatus != http.StatusOK || ev.Attempts != 1 {
				t.Errorf("event %s: %d attempts counted, log %+v; want the one successful attempt", id, ev.Attempts, a)
			}
		}
	})
}
