package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// testIdempotencyLease: an in-flight entry is held for its lease; after it
// a retry of the same request takes the entry over, and the attempt that
// lost it can neither complete nor abandon it.
func testIdempotencyLease(t *testing.T, s ports.Store) {
	co := domain.NewID()
	entry := func(hash string, now time.Time) domain.IdempotencyEntry {
		return domain.IdempotencyEntry{CompanyID: co, Env: domain.EnvSandbox, Key: "k", RequestHash: []byte(hash),
			CreatedAt: now, ExpiresAt: now.Add(day), LeaseUntil: now.Add(time.Minute)}
	}
	first := entry("h", base)
	_, existed, err := s.Idempotency().Begin(ctx, first)
	must(t, err, "begin")
	equal(t, existed, false, "existed on the first begin")

	tests := []struct {
		name    string
		retry   domain.IdempotencyEntry
		existed bool
	}{
		{"within the lease", entry("h", at(59*time.Second)), true},
		{"another request after the lease", entry("other", at(2*time.Minute)), true},
		{"the same request when the lease ends", entry("h", at(time.Minute)), false},
	}
	var took domain.IdempotencyEntry
	for _, tt := range tests {
		got, existed, err := s.Idempotency().Begin(ctx, tt.retry)
		must(t, err, tt.name)
		equal(t, existed, tt.existed, tt.name+": existed")
		if !existed {
			took = got
			equal(t, got.LeaseUntil, tt.retry.LeaseUntil, tt.name+": the new lease")
		}
	}

	// The first attempt lost the entry: its outcome must not land.
	late := first
	late.StatusCode, late.Response = 200, []byte(`{"late":true}`)
	wantKind(t, s.Idempotency().Complete(ctx, late), domain.KindNotFound, "complete by the attempt that lost the lease")
	must(t, s.Idempotency().Abandon(ctx, first), "abandon by the attempt that lost the lease")
	got, existed, err := s.Idempotency().Begin(ctx, entry("h", at(61*time.Second)))
	must(t, err, "begin after the stale abandon")
	equal(t, existed, true, "the stale abandon removed the new holder's entry")
	equal(t, got.LeaseUntil, took.LeaseUntil, "the holder's lease")

	done := took
	done.StatusCode, done.Response = 201, []byte(`{"ok":true}`)
	must(t, s.Idempotency().Complete(ctx, done), "complete by the new holder")
	got, existed, err = s.Idempotency().Begin(ctx, entry("h", at(time.Hour)))
	must(t, err, "begin after completion")
	equal(t, existed && got.State == domain.IdemDone && got.StatusCode == 201, true, "a finished entry is replayed, never taken over")
}

// testIdempotencyTakeoverRace: many retries of a lapsed entry at once; one
// takes it over.
func testIdempotencyTakeoverRace(t *testing.T, s ports.Store) {
	co := domain.NewID()
	e := domain.IdempotencyEntry{CompanyID: co, Env: domain.EnvSandbox, Key: "race", RequestHash: []byte("h"),
		CreatedAt: base, ExpiresAt: at(day), LeaseUntil: at(time.Minute)}
	_, _, err := s.Idempotency().Begin(ctx, e)
	must(t, err, "begin")
	const n = 8
	var wg sync.WaitGroup
	won := make(chan int, n)
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			retry := e
			retry.CreatedAt, retry.LeaseUntil = at(2*time.Minute), at(2*time.Minute+time.Duration(i+1)*time.Second)
			_, existed, err := s.Idempotency().Begin(ctx, retry)
			if err != nil {
				errs <- err
				return
			}
			if !existed {
				won <- i
			}
		}()
	}
	wg.Wait()
	close(won)
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent takeover: %v", err)
	}
	winners := 0
	for range won {
		winners++
	}
	equal(t, winners, 1, "retries that took over the lapsed entry")
}
