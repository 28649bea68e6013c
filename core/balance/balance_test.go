package balance

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

func TestSufficiency(t *testing.T) {
	for _, tc := range []struct {
		available, amount domain.Minor
		sufficient        bool
		shortfall         domain.Minor
	}{
		{25_000_000, 25_000_000, true, 0},
		{25_000_000, 25_000_001, false, 1},
		{50_000, 100_000, false, 50_000},
		{0, 0, true, 0},
		{-500, 1000, false, 1500}, // overdrawn
		{1, 0, true, 0},
	} {
		ok, short := Sufficiency(tc.available, tc.amount)
		if ok != tc.sufficient || short != tc.shortfall {
			t.Errorf("Sufficiency(%d, %d) = %v, %d; want %v, %d", tc.available, tc.amount, ok, short, tc.sufficient, tc.shortfall)
		}
	}
}

func TestFlightSharesOneCall(t *testing.T) {
	var f flight[int]
	var calls atomic.Int32
	release := make(chan struct{})
	entered := make(chan struct{})
	const n = 10
	var wg sync.WaitGroup
	results := make([]int, n)
	shared := make([]bool, n)
	// The first caller holds the call open until all others wait on it.
	wg.Add(1)
	go func() {
		defer wg.Done()
		results[0], shared[0], _ = f.do(context.Background(), "k", func() (int, error) {
			calls.Add(1)
			close(entered)
			<-release
			return 42, nil
		})
	}()
	<-entered
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], shared[i], _ = f.do(context.Background(), "k", func() (int, error) {
				calls.Add(1)
				return -1, nil
			})
		}()
	}
	// Wait (bounded) until the others are parked on the call.
	deadline := time.Now().Add(5 * time.Second)
	for f.waiting("k") < n-1 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d callers joined the call", f.waiting("k"))
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if c := calls.Load(); c != 1 {
		t.Fatalf("%d calls, want 1", c)
	}
	for i, r := range results {
		if r != 42 || shared[i] != (i != 0) {
			t.Fatalf("caller %d got %d (shared %v)", i, r, shared[i])
		}
	}
	// The key is free again: a new call runs.
	v, _, _ := f.do(context.Background(), "k", func() (int, error) { return 7, nil })
	if v != 7 {
		t.Fatalf("after the call ended, a new one returned %d", v)
	}
}

func TestFlightWaiterLeavesOnCancel(t *testing.T) {
	var f flight[int]
	release := make(chan struct{})
	entered := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, _, err := f.do(context.Background(), "k", func() (int, error) {
			close(entered)
			<-release
			return 0, errors.New("bank down")
		})
		done <- err
	}()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := f.do(ctx, "k", func() (int, error) { return 1, nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled waiter got %v", err)
	}
	close(release)
	if err := <-done; err == nil || err.Error() != "bank down" {
		t.Fatalf("the caller got %v", err)
	}
}

func TestCallbackURL(t *testing.T) {
	s := NewService(Deps{}, Config{PublicURL: "https://api.example.com/"})
	if got := s.CallbackURL(domain.EnvSandbox, "0123456789abcdef01234567"); got != "https://api.example.com/v2/sandbox/callback?record=0123456789abcdef01234567&method=BALANCE" {
		t.Fatalf("sandbox callback URL %s", got)
	}
	s = NewService(Deps{}, Config{Origin: func() string { return "http://127.0.0.1:9" }})
	if got := s.CallbackURL(domain.EnvProduction, "0123456789abcdef01234567"); got != "http://127.0.0.1:9/v2/callback?record=0123456789abcdef01234567&method=BALANCE" {
		t.Fatalf("production callback URL %s", got)
	}
}

func TestRejectionKinds(t *testing.T) {
	for reason, kind := range map[string]domain.Kind{
		domain.RejectBankUnavailable:    domain.KindUnavailable,
		domain.RejectRateLimited:        domain.KindRateLimited,
		domain.RejectInvalidCredentials: domain.KindRejected,
		domain.RejectUnsupported:        domain.KindUnavailable,
	} {
		if got := rejection(&domain.BankRejection{Reason: reason}); got.Kind != kind || got.Code != reason || got.Message == "" {
			t.Errorf("%s: %+v", reason, got)
		}
	}
}
