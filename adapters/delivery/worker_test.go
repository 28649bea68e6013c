package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/webhooks"
)

func TestDeliversSignedEvent(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		f := newFixture(t, s, ports.SystemClock{}, true)
		rcv := newReceiver(t, always(http.StatusOK))
		res := f.set(t, rcv.URL+"/hooks", "tok_receiver_canary")
		if !strings.HasPrefix(res.SigningSecret, "whsec_") || len(res.SigningSecret) != len("whsec_")+64 {
			t.Fatalf("signing secret %q has the wrong shape", res.SigningSecret)
		}
		w := f.worker(t, Config{AllowPrivate: true, PollInterval: time.Hour})
		start(t, w)

		ev := f.emit(t, f.scope)
		w.Notify()
		d := rcv.next(t)

		if d.EventID != ev.ID {
			t.Errorf("event id header %q, want %q", d.EventID, ev.ID)
		}
		if err := Verify(res.SigningSecret, d.Signature, d.Body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("the receiver cannot verify the signature %q: %v", d.Signature, err)
		}
		if err := Verify("whsec_wrong", d.Signature, d.Body, time.Now(), 5*time.Minute); !errors.Is(err, ErrBadSignature) {
			t.Errorf("a wrong secret verifies: %v", err)
		}
		if got := strings.Count(d.Signature, "v1="); got != 1 {
			t.Errorf("%d signatures without a rotation, want 1", got)
		}
		if d.Auth != "Bearer tok_receiver_canary" {
			t.Errorf("Authorization %q", d.Auth)
		}
		if d.Type != "application/json" || d.Agent != UserAgent {
			t.Errorf("Content-Type %q, User-Agent %q", d.Type, d.Agent)
		}
		var body map[string]any
		if err := json.Unmarshal(d.Body, &body); err != nil {
			t.Fatalf("body is not JSON: %v", err)
		}
		if body["event_id"] != ev.ID || body["code"] != domain.CodeAuthSuccess || body["env"] != string(domain.EnvSandbox) {
			t.Errorf("body %s", d.Body)
		}

		eventually(t, "the event to be marked delivered", func() bool {
			return f.event(t, ev.ID).Status == domain.OutboxDelivered
		})
		got := f.event(t, ev.ID)
		if got.Attempts != 1 || got.LastStatus != http.StatusOK || got.LastError != "" || got.ClaimedBy != "" {
			t.Errorf("delivered event %+v", got)
		}
		if a := attempts(t, s, ev.ID); len(a) != 1 || a[0].HTTPStatus != http.StatusOK || a[0].URL != rcv.URL+"/hooks" {
			t.Errorf("delivery log %+v", a)
		}
	})
}

func TestRetriesThenReplays(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		f := newFixture(t, s, ports.SystemClock{}, true)
		// Fails twice, then accepts.
		rcv := newReceiver(t, func(n int) int {
			if n <= 2 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		f.set(t, rcv.URL, "")
		w := f.worker(t, Config{AllowPrivate: true, PollInterval: 10 * time.Millisecond})
		start(t, w)

		ev := f.emit(t, f.scope)
		w.Notify()
		for i := 0; i < 3; i++ {
			if d := rcv.next(t); d.EventID != ev.ID {
				t.Fatalf("request %d carried event %q, want %q", i+1, d.EventID, ev.ID)
			}
		}
		eventually(t, "the event to be delivered", func() bool {
			return f.event(t, ev.ID).Status == domain.OutboxDelivered
		})
		if received, accepted := rcv.counts(ev.ID); received != 3 || accepted != 1 {
			t.Errorf("the receiver saw the event %d times and accepted it %d times, want 3 and 1", received, accepted)
		}
		// The delivery log (the service's view) shows three attempts.
		ctx := context.Background()
		log, total, err := f.svc.Deliveries(ctx, f.scope, domain.Page{Number: 1, Limit: 10})
		if err != nil || total != 1 || len(log) != 1 {
			t.Fatalf("deliveries: %d of %d, %v", len(log), total, err)
		}
		if l := log[0]; l.ID != ev.ID || l.Attempts != 3 || l.LastStatus != http.StatusOK || l.Status != domain.OutboxDelivered {
			t.Errorf("delivery log entry %+v", l)
		}
		a := attempts(t, s, ev.ID)
		if len(a) != 3 {
			t.Fatalf("%d attempts logged, want 3", len(a))
		}
		var failed int
		for _, x := range a {
			if x.HTTPStatus == http.StatusInternalServerError && x.Error == "HTTP 500" {
				failed++
			}
		}
		if failed != 2 {
			t.Errorf("attempts %+v: want two logged 500s", a)
		}

		// Replay sends the same event again, with the same id.
		if err := f.svc.Replay(ctx, f.scope, ev.ID); err != nil {
			t.Fatalf("replay: %v", err)
		}
		if d := rcv.next(t); d.EventID != ev.ID {
			t.Fatalf("replay carried event %q, want %q", d.EventID, ev.ID)
		}
		eventually(t, "the replayed event to be delivered", func() bool {
			e := f.event(t, ev.ID)
			return e.Status == domain.OutboxDelivered && e.Attempts == 4
		})
		if received, accepted := rcv.counts(ev.ID); received != 4 || accepted != 2 {
			t.Errorf("after the replay the receiver saw the event %d times and accepted it %d times, want 4 and 2", received, accepted)
		}
	})
}

func TestReplayScope(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		f := newFixture(t, s, ports.SystemClock{}, true)
		theirs := f.emit(t, domain.Scope{CompanyID: domain.NewID(), Env: domain.EnvSandbox})
		otherEnv := f.emit(t, domain.Scope{CompanyID: f.scope.CompanyID, Env: domain.EnvProduction})
		ctx := context.Background()
		for name, id := range map[string]string{
			"another company's event": theirs.ID,
			"our other env's event":   otherEnv.ID,
			"an unknown id":           domain.NewID(),
		} {
			if err := f.svc.Replay(ctx, f.scope, id); !errors.Is(err, domain.ErrNotFound) || err.Error() != "event not found" {
				t.Errorf("replay of %s: %v, want event not found", name, err)
			}
		}
		for _, id := range []string{"", "not-an-id"} {
			err := f.svc.Replay(ctx, f.scope, id)
			if de, ok := domain.AsError(err); !ok || de.Kind != domain.KindInvalid || de.Field != "event_id" {
				t.Errorf("replay of %q: %v, want invalid event_id", id, err)
			}
		}
	})
}

func TestNoEndpointFailsThenReplayDelivers(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		f := newFixture(t, s, ports.SystemClock{}, true)
		w := f.worker(t, Config{AllowPrivate: true})
		ctx := context.Background()
		ev := f.emit(t, f.scope)
		if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
			t.Fatalf("deliver: %d, %v", n, err)
		}
		got := f.event(t, ev.ID)
		if got.Status != domain.OutboxFailed || got.LastError != NoEndpointError || got.Attempts != 0 {
			t.Fatalf("event without an endpoint: %+v", got)
		}

		rcv := newReceiver(t, always(http.StatusNoContent))
		f.set(t, rcv.URL, "")
		if err := f.svc.Replay(ctx, f.scope, ev.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
			t.Fatalf("deliver after replay: %d, %v", n, err)
		}
		if d := rcv.next(t); d.EventID != ev.ID {
			t.Errorf("got event %q", d.EventID)
		}
		if got := f.event(t, ev.ID); got.Status != domain.OutboxDelivered || got.LastStatus != http.StatusNoContent || got.LastError != "" {
			t.Errorf("replayed event %+v", got)
		}
	})
}

func TestRotationSignsWithBothSecrets(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		clock := newFakeClock()
		f := newFixture(t, s, clock, true)
		rcv := newReceiver(t, always(http.StatusOK))
		first := f.set(t, rcv.URL, "")
		second := f.set(t, rcv.URL, "")
		if first.SigningSecret == second.SigningSecret {
			t.Fatal("setting again did not rotate the secret")
		}
		w := f.worker(t, Config{AllowPrivate: true})
		ctx := context.Background()

		f.emit(t, f.scope)
		if _, err := w.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		d := rcv.next(t)
		if got := strings.Count(d.Signature, "v1="); got != 2 {
			t.Errorf("%d signatures during a rotation, want 2: %s", got, d.Signature)
		}
		for name, secret := range map[string]string{"old": first.SigningSecret, "new": second.SigningSecret} {
			if err := Verify(secret, d.Signature, d.Body, clock.Now(), time.Minute); err != nil {
				t.Errorf("the %s secret does not verify: %v", name, err)
			}
		}

		// A day later only the new secret signs.
		clock.Advance(24*time.Hour + time.Second)
		f.emit(t, f.scope)
		if _, err := w.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		d = rcv.next(t)
		if got := strings.Count(d.Signature, "v1="); got != 1 {
			t.Errorf("%d signatures after the grace period, want 1", got)
		}
		if err := Verify(second.SigningSecret, d.Signature, d.Body, clock.Now(), time.Minute); err != nil {
			t.Errorf("the new secret does not verify: %v", err)
		}
		if err := Verify(first.SigningSecret, d.Signature, d.Body, clock.Now(), time.Minute); !errors.Is(err, ErrBadSignature) {
			t.Errorf("the expired secret still verifies: %v", err)
		}
	})
}

func TestGivesUpAfterRetryWindow(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		clock := newFakeClock()
		f := newFixture(t, s, clock, true)
		rcv := newReceiver(t, always(http.StatusServiceUnavailable))
		f.set(t, rcv.URL, "")
		// Production backoffs: the injected clock, not the wall, decides.
		w := f.worker(t, Config{AllowPrivate: true, BaseBackoff: DefaultBaseBackoff, MaxBackoff: DefaultMaxBackoff})
		ctx := context.Background()
		ev := f.emit(t, f.scope)

		step := func(advance time.Duration, wantClaimed int) domain.OutboxEvent {
			t.Helper()
			clock.Advance(advance)
			n, err := w.DeliverDue(ctx)
			if err != nil || n != wantClaimed {
				t.Fatalf("at +%s claimed %d (%v), want %d", clock.Now().Sub(ev.CreatedAt), n, err, wantClaimed)
			}
			return f.event(t, ev.ID)
		}
		got := step(0, 1)
		if got.Status != domain.OutboxPending || got.Attempts != 1 || got.NextAttempt.After(ev.CreatedAt.Add(DefaultBaseBackoff)) {
			t.Fatalf("after the first failure: %+v", got)
		}
		got = step(time.Hour, 1)
		if got.Status != domain.OutboxPending || got.Attempts != 2 || got.NextAttempt.After(clock.Now().Add(2*DefaultBaseBackoff)) {
			t.Fatalf("after the second failure: %+v", got)
		}
		got = step(23*time.Hour, 1) // exactly 24 h after creation
		if got.Status != domain.OutboxFailed || got.Attempts != 3 || got.LastStatus != http.StatusServiceUnavailable {
			t.Fatalf("after the window: %+v", got)
		}
		step(48*time.Hour, 0) // a failed event is not claimed again
		if received, _ := rcv.counts(ev.ID); received != 3 {
			t.Errorf("the receiver got %d requests, want 3", received)
		}
	})
}

func TestBackoffStaysUnderItsCeiling(t *testing.T) {
	w := NewWorker(Config{BaseBackoff: 2 * time.Second, MaxBackoff: time.Hour}, nil, nil, ports.SystemClock{}, nil, nil)
	for _, tc := range []struct {
		attempts int
		ceiling  time.Duration
	}{{1, 2 * time.Second}, {2, 4 * time.Second}, {3, 8 * time.Second}, {12, time.Hour}, {40, time.Hour}, {1000, time.Hour}} {
		var max time.Duration
		for i := 0; i < 300; i++ {
			d := w.retry.FullJitter(tc.attempts)
			if d < 0 || d > tc.ceiling {
				t.Fatalf("retry backoff(%d) = %s, outside [0, %s]", tc.attempts, d, tc.ceiling)
			}
			if d > max {
				max = d
			}
		}
		if max < tc.ceiling/4 {
			t.Errorf("backoff(%d) never went above %s in 300 draws: no jitter over the full range", tc.attempts, max)
		}
	}
}

func TestNoSecretsInDeliveryLog(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		f := newFixture(t, s, ports.SystemClock{}, true)
		const token = "tok_canary_7f3a9c"
		// A receiver that echoes our headers back in an error answer.
		echo := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(r.Header.Get("Authorization") + " " + r.Header.Get(HeaderSignature)))
		})
		res := f.set(t, echo.URL, token)
		w := f.worker(t, Config{AllowPrivate: true})
		ctx := context.Background()
		ev := f.emit(t, f.scope)
		if _, err := w.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		// And once more to a port where nothing listens.
		dead := newServer(t, func(http.ResponseWriter, *http.Request) {})
		dead.Close()
		f.set(t, dead.URL, token)
		if err := f.svc.Replay(ctx, f.scope, ev.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}

		a := attempts(t, s, ev.ID)
		if len(a) != 2 {
			t.Fatalf("%d attempts, want 2", len(a))
		}
		got := f.event(t, ev.ID)
		texts := []string{got.LastError}
		var statuses []int
		for _, x := range a {
			texts = append(texts, x.URL, x.Error)
			statuses = append(statuses, x.HTTPStatus)
			if x.Error == "" {
				t.Errorf("attempt %+v logged no error", x)
			}
		}
		if (statuses[0] == 0) == (statuses[1] == 0) {
			t.Errorf("statuses %v: want one 400 and one without an answer", statuses)
		}
		secretHex := strings.TrimPrefix(res.SigningSecret, "whsec_")
		for _, text := range texts {
			if strings.Contains(text, token) || strings.Contains(text, secretHex) || strings.Contains(text, "v1=") {
				t.Errorf("the delivery log holds a secret: %q", text)
			}
		}
		// The endpoint row keeps them sealed.
		ep, err := s.Webhooks().Get(ctx, f.scope)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range [][]byte{ep.SealedToken, ep.SealedSecret, ep.SealedPrevious} {
			if len(b) == 0 || strings.Contains(string(b), token) || strings.Contains(string(b), secretHex) {
				t.Error("an endpoint secret is missing or stored in the clear")
			}
		}
	})
}

func TestDialRefusesPrivateAddresses(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		f := newFixture(t, s, ports.SystemClock{}, false)
		rcv := newReceiver(t, always(http.StatusOK))
		ctx := context.Background()
		// Setting the loopback receiver is refused…
		_, err := f.svc.Set(ctx, f.scope, rcv.URL, "")
		if de, ok := domain.AsError(err); !ok || de.Kind != domain.KindInvalid || de.Field != "url" {
			t.Fatalf("set a loopback URL: %v, want invalid url", err)
		}
		if _, err := s.Webhooks().Get(ctx, f.scope); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("a refused URL was stored: %v", err)
		}
		// …and a host that passed the check when it was set but points at
		// loopback now (DNS rebinding) is refused when dialled.
		lenient := webhooks.NewService(s, f.ring, f.clock, ports.RandomIDs{}, NewURLGuard(true))
		if _, err := lenient.Set(ctx, f.scope, rcv.URL, ""); err != nil {
			t.Fatal(err)
		}
		w := f.worker(t, Config{AllowPrivate: false})
		ev := f.emit(t, f.scope)
		if _, err := w.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if received, _ := rcv.counts(ev.ID); received != 0 {
			t.Fatalf("the worker reached a loopback receiver %d times", received)
		}
		a := attempts(t, s, ev.ID)
		if len(a) != 1 || a[0].Error != ReasonPrivate || a[0].HTTPStatus != 0 {
			t.Fatalf("attempts %+v, want one refused connection", a)
		}
		if got := f.event(t, ev.ID); got.Status != domain.OutboxPending || got.Attempts != 1 {
			t.Errorf("event %+v, want pending for a retry", got)
		}
	})
}

func TestTwoWorkersDeliverEachEventOnce(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		f := newFixture(t, s, ports.SystemClock{}, true)
		rcv := newReceiver(t, always(http.StatusOK))
		f.set(t, rcv.URL, "")
		const n = 20
		ids := map[string]bool{}
		for i := 0; i < n; i++ {
			ids[f.emit(t, f.scope).ID] = true
		}
		a := f.worker(t, Config{AllowPrivate: true, WorkerID: "worker-a", Concurrency: 2, PollInterval: 5 * time.Millisecond})
		b := f.worker(t, Config{AllowPrivate: true, WorkerID: "worker-b", Concurrency: 2, PollInterval: 5 * time.Millisecond})
		start(t, a)
		start(t, b)
		for i := 0; i < n; i++ {
			if d := rcv.next(t); !ids[d.EventID] {
				t.Fatalf("unexpected event %q", d.EventID)
			}
		}
		eventually(t, "every event to be delivered", func() bool {
			evs, _, err := f.svc.Deliveries(context.Background(), f.scope, domain.Page{Number: 1, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if e.Status != domain.OutboxDelivered {
					return false
				}
			}
			return len(evs) == n
		})
		for id := range ids {
			if received, accepted := rcv.counts(id); received != 1 || accepted != 1 {
				t.Errorf("event %s received %d times", id, received)
			}
			if got := len(attempts(t, s, id)); got != 1 {
				t.Errorf("event %s has %d attempts logged", id, got)
			}
		}
	})
}

func TestStopWaitsForInFlightDelivery(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		f := newFixture(t, s, ports.SystemClock{}, true)
		arrived := make(chan string, 10)
		release := make(chan struct{})
		var once sync.Once
		rcv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body) // lets the server notice the client going away
			arrived <- r.Header.Get(HeaderEventID)
			select {
			case <-release:
			case <-r.Context().Done():
			}
			w.WriteHeader(http.StatusOK)
		})
		t.Cleanup(func() { once.Do(func() { close(release) }) })
		f.set(t, rcv.URL, "")

		w := f.worker(t, Config{AllowPrivate: true, PollInterval: time.Hour})
		if err := w.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		ev := f.emit(t, f.scope)
		w.Notify()
		select {
		case <-arrived:
		case <-time.After(waitFor):
			t.Fatal("no delivery started")
		}
		stopped := make(chan error, 1)
		go func() { stopped <- w.Stop(context.Background()) }()
		select {
		case err := <-stopped:
			t.Fatalf("Stop returned (%v) while a delivery was in flight", err)
		default:
		}
		once.Do(func() { close(release) })
		select {
		case err := <-stopped:
			if err != nil {
				t.Fatalf("stop: %v", err)
			}
		case <-time.After(waitFor):
			t.Fatal("Stop did not return after the delivery finished")
		}
		if got := f.event(t, ev.ID); got.Status != domain.OutboxDelivered {
			t.Errorf("event after a graceful stop: %+v", got)
		}
	})
}

func TestStopDeadlineReleasesEvent(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		f := newFixture(t, s, ports.SystemClock{}, true)
		arrived := make(chan struct{}, 10)
		rcv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body) // lets the server notice the client going away
			arrived <- struct{}{}
			<-r.Context().Done() // hangs until the worker gives up
		})
		f.set(t, rcv.URL, "")
		w := f.worker(t, Config{AllowPrivate: true, PollInterval: time.Hour, Timeout: time.Minute})
		if err := w.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		ev := f.emit(t, f.scope)
		w.Notify()
		select {
		case <-arrived:
		case <-time.After(waitFor):
			t.Fatal("no delivery started")
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := w.Stop(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("stop with an ended context: %v", err)
		}
		got := f.event(t, ev.ID)
		if got.Status != domain.OutboxPending || got.Attempts != 0 || got.ClaimedBy != "" {
			t.Errorf("an interrupted delivery left %+v, want it pending, unclaimed and uncounted", got)
		}
		if a := attempts(t, s, ev.ID); len(a) != 0 {
			t.Errorf("an interrupted delivery was logged: %+v", a)
		}
	})
}

// TestFailingReceiverRests: after a receiver fails, none of its events is
// claimed, not even new ones, until its backoff ends; other endpoints are
// unaffected; a replay ends the rest, and a success clears the count.
func TestFailingReceiverRests(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		clock := newFakeClock()
		f := newFixture(t, s, clock, true)
		ctx := context.Background()
		var healthy sync.Map // event id -> true once answered 200
		failing := true
		var mu sync.Mutex
		rcv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if failing {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			healthy.Store(r.Header.Get(HeaderEventID), true)
			w.WriteHeader(http.StatusOK)
		})
		other := newReceiver(t, always(http.StatusOK))
		f.set(t, rcv.URL, "")
		otherScope := domain.Scope{CompanyID: domain.NewID(), Env: domain.EnvSandbox}
		if _, err := f.svc.Set(ctx, otherScope, other.URL, ""); err != nil {
			t.Fatal(err)
		}
		// An hour's first backoff: the endpoint rests at least 30 minutes.
		w := f.worker(t, Config{AllowPrivate: true, BaseBackoff: time.Hour, MaxBackoff: 4 * time.Hour})
		deliver := func(want int, what string) {
			t.Helper()
			if n, err := w.DeliverDue(ctx); err != nil || n != want {
				t.Fatalf("%s: claimed %d (%v), want %d", what, n, err, want)
			}
		}

		first := f.emit(t, f.scope)
		deliver(1, "the first event")
		ep, err := s.Webhooks().Get(ctx, f.scope)
		if err != nil || ep.Failures != 1 || ep.RetryAfter == nil || ep.RetryAfter.Before(clock.Now().Add(30*time.Minute)) {
			t.Fatalf("after a 503 the endpoint is %+v (%v), want one failure and a rest of 30 minutes or more", ep, err)
		}
		// Only a moment later: the first event's own retry is drawn uniformly
		// within the hour (full jitter), so waiting long would sometimes
		// make it due as well, which is not what this step is about.
		clock.Advance(time.Millisecond)
		second := f.emit(t, f.scope)
		f.emit(t, otherScope)
		deliver(1, "while the endpoint rests: only the other company's event")
		if received, _ := other.counts(other.next(t).EventID); received != 1 {
			t.Errorf("the other company's receiver got its event %d times", received)
		}

		// A replay ends the rest at once; the failure count stays.
		if err := f.svc.Replay(ctx, f.scope, second.ID); err != nil {
			t.Fatal(err)
		}
		deliver(1, "a replay to a resting endpoint")
		if ep, _ := s.Webhooks().Get(ctx, f.scope); ep.Failures != 2 || ep.RetryAfter == nil {
			t.Fatalf("after a second failure the endpoint is %+v, want two failures and a rest", ep)
		}

		// When the rest ends both events go, and a success clears it.
		mu.Lock()
		failing = false
		mu.Unlock()
		clock.Advance(5 * time.Hour)
		deliver(2, "after the rest")
		for _, id := range []string{first.ID, second.ID} {
			if _, ok := healthy.Load(id); !ok {
				t.Errorf("event %s not delivered after the rest", id)
			}
		}
		if ep, _ := s.Webhooks().Get(ctx, f.scope); ep.Failures != 0 || ep.RetryAfter != nil {
			t.Errorf("after a success the endpoint is %+v, want its backoff cleared", ep)
		}
	})
}

// TestDeliveryLogShowsOnlyGenericReasons: whatever goes wrong, the delivery
// log (last_error and every attempt) names a generic reason, never the
// client's error text, which would tell a company which internal ports
// are open.
func TestDeliveryLogShowsOnlyGenericReasons(t *testing.T) {
	storagetest.ForEachDialect(t, func(t *testing.T, s *storage.Store) {
		closed := newServer(t, func(http.ResponseWriter, *http.Request) {})
		closed.Close() // nothing listens on its port any more
		hang := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			<-r.Context().Done()
		})
		failing := newReceiver(t, always(http.StatusInternalServerError))
		loopback := newReceiver(t, always(http.StatusOK))
		port := loopback.URL[strings.LastIndex(loopback.URL, ":")+1:]
		tests := []struct {
			name, url    string
			allowPrivate bool // the worker's policy; the URL is always set leniently
			reason       string
			status       int
		}{
			{"closed port", closed.URL + "/hook", true, ReasonConnection, 0},
			{"hanging receiver", hang.URL, true, ReasonTimeout, 0},
			{"HTTP 500", failing.URL, true, "HTTP 500", http.StatusInternalServerError},
			// URLs the set-time guard would refuse, set before it did or
			// rebound since: the dialer refuses them.
			{"loopback", loopback.URL, false, ReasonPrivate, 0},
			{"mapped loopback", "http://[::ffff:127.0.0.1]:" + port + "/", false, ReasonPrivate, 0},
			{"localhost", "http://localhost:" + port + "/", false, ReasonPrivate, 0},
		}
		for _, tc := range tests {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				f := newFixture(t, s, ports.SystemClock{}, true)
				f.set(t, tc.url, "")
				w := f.worker(t, Config{AllowPrivate: tc.allowPrivate, Timeout: 300 * time.Millisecond})
				ev := f.emit(t, f.scope)
				if _, err := w.DeliverDue(context.Background()); err != nil {
					t.Fatal(err)
				}
				got := f.event(t, ev.ID)
				a := attempts(t, s, ev.ID)
				if len(a) != 1 || a[0].Error != tc.reason || a[0].HTTPStatus != tc.status {
					t.Fatalf("attempts %+v, want one with reason %q and status %d", a, tc.reason, tc.status)
				}
				if got.LastError != tc.reason || got.LastStatus != tc.status || got.Status != domain.OutboxPending {
					t.Errorf("event %+v, want pending with last error %q", got, tc.reason)
				}
				for _, leak := range []string{"dial", "tcp", "connect:", "connection refused", "127.0.0.1", "::", port, "refused to", "deadline", "EOF"} {
					if strings.Contains(a[0].Error, leak) || strings.Contains(got.LastError, leak) {
						t.Errorf("the delivery log says %q: it leaks %q", a[0].Error, leak)
					}
				}
			})
		}
		loopback.mu.Lock()
		defer loopback.mu.Unlock()
		if len(loopback.byEvent) != 0 {
			t.Errorf("the dialer reached the loopback receiver: %v", loopback.byEvent)
		}
	})
}
