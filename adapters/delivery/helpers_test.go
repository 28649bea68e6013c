package delivery

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/webhooks"
)

// waitFor bounds every wait in these tests.
const waitFor = 15 * time.Second

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Now().UTC().Truncate(time.Second)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// delivery is one request a receiver got.
type delivery struct {
	EventID   string
	Signature string
	Auth      string
	Type      string
	Agent     string
	Body      []byte
}

// receiver is an httptest server on 127.0.0.1 that records every request
// and answers with what respond returns for the nth request of an event id
// (n from 1).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	byEvent map[string]int
	ok      map[string]int
	got     chan delivery
}

func newReceiver(t *testing.T, respond func(n int) int) *receiver {
	t.Helper()
	r := &receiver{byEvent: map[string]int{}, ok: map[string]int{}, got: make(chan delivery, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		d := delivery{
			EventID: req.Header.Get(HeaderEventID), Signature: req.Header.Get(HeaderSignature),
			Auth: req.Header.Get("Authorization"), Type: req.Header.Get("Content-Type"),
			Agent: req.Header.Get("User-Agent"), Body: body,
		}
		r.mu.Lock()
		r.byEvent[d.EventID]++
		code := respond(r.byEvent[d.EventID])
		if code >= 200 && code < 300 {
			r.ok[d.EventID]++
		}
		r.mu.Unlock()
		r.got <- d
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

// newServer is an httptest server on 127.0.0.1 with a custom handler.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func (r *receiver) counts(id string) (received, accepted int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byEvent[id], r.ok[id]
}

// next waits for the receiver's next request.
func (r *receiver) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-r.got:
		return d
	case <-time.After(waitFor):
		t.Fatal("the receiver got no request in time")
		return delivery{}
	}
}

func always(code int) func(int) int { return func(int) int { return code } }

// fixture is a store, a key ring and the service over them.
type fixture struct {
	store *storage.Store
	ring  *seal.Ring
	clock ports.Clock
	svc   *webhooks.Service
	scope domain.Scope
}

func newFixture(t *testing.T, s *storage.Store, clock ports.Clock, allowPrivate bool) *fixture {
	t.Helper()
	ring, err := seal.NewRing(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: s, ring: ring, clock: clock,
		scope: domain.Scope{CompanyID: domain.NewID(), Env: domain.EnvSandbox}}
	f.svc = webhooks.NewService(s, ring, clock, ports.RandomIDs{}, NewURLGuard(allowPrivate))
	return f
}

// worker builds a worker on the fixture's store with test-sized timings.
func (f *fixture) worker(t *testing.T, cfg Config) *Worker {
	t.Helper()
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	if cfg.BaseBackoff == 0 {
		cfg.BaseBackoff, cfg.MaxBackoff = time.Millisecond, 5*time.Millisecond
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	return NewWorker(cfg, f.store, f.ring, f.clock, ports.RandomIDs{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// start runs w until the test ends.
func start(t *testing.T, w *Worker) {
	t.Helper()
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			t.Errorf("stop worker: %v", err)
		}
	})
}

// emit writes an AUTH_SUCCESS event of scope the way the core does.
func (f *fixture) emit(t *testing.T, scope domain.Scope) domain.OutboxEvent {
	t.Helper()
	var ev domain.OutboxEvent
	err := f.store.WithinTx(context.Background(), func(ctx context.Context, tx ports.Repos) error {
		var err error
		ev, err = events.Emit(ctx, tx, ports.RandomIDs{}, f.clock.Now(), events.Event{
			Scope: scope, Method: domain.MethodAuth, Code: domain.CodeAuthSuccess,
			Record: domain.Record{ID: domain.NewID(), CompanyID: scope.CompanyID, Env: scope.Env, CustomerID: domain.NewID()},
			Bank:   domain.Bank{ID: domain.NewID(), Name: "Sandbox Bank"},
			Auth:   map[string]any{"validated": true},
		})
		return err
	})
	if err != nil {
		t.Fatalf("emit event: %v", err)
	}
	return ev
}

func (f *fixture) set(t *testing.T, url, token string) webhooks.SetResult {
	t.Helper()
	res, err := f.svc.Set(context.Background(), f.scope, url, token)
	if err != nil {
		t.Fatalf("set webhook: %v", err)
	}
	return res
}

func (f *fixture) event(t *testing.T, id string) domain.OutboxEvent {
	t.Helper()
	ev, err := f.store.Outbox().Get(context.Background(), f.scope, id)
	if err != nil {
		t.Fatalf("get event: %v", err)
	}
	return ev
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not synchronising
	}
}

// attempts reads the delivery log rows of an event straight from the table.
func attempts(t *testing.T, s *storage.Store, eventID string) []domain.DeliveryAttempt {
	t.Helper()
	rows, err := s.DB().QueryContext(context.Background(),
		s.DB().Rebind("SELECT url, http_status, error_text, duration_ms FROM delivery_attempts WHERE event_id = ? ORDER BY created_at, id"), eventID)
	if err != nil {
		t.Fatalf("read attempts: %v", err)
	}
	defer rows.Close()
	var out []domain.DeliveryAttempt
	for rows.Next() {
		var a domain.DeliveryAttempt
		if err := rows.Scan(&a.URL, &a.HTTPStatus, &a.Error, &a.DurationMS); err != nil {
			t.Fatalf("scan attempt: %v", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
