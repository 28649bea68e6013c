package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

func testLinkTokens(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	tok := domain.LinkToken{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, Hash: []byte("hash-1"),
		Options: []byte(`{"customer":{"bvn":"22222222222"}}`), ExpiresAt: at(30 * time.Minute), CreatedAt: base}
	must(t, s.LinkTokens().Create(ctx, tok), "create")
	wantKind(t, s.LinkTokens().Create(ctx, domain.LinkToken{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env,
		Hash: tok.Hash, ExpiresAt: at(time.Hour), CreatedAt: base}), domain.KindConflict, "a second token with the same hash")

	for _, c := range []struct {
		name  string
		scope domain.Scope
		hash  []byte
		now   time.Time
	}{
		{"another company", scopeOf(domain.NewID(), sc.Env), tok.Hash, at(time.Minute)},
		{"the other env", scopeOf(sc.CompanyID, domain.EnvProduction), tok.Hash, at(time.Minute)},
		{"another hash", sc, []byte("hash-2"), at(time.Minute)},
		{"after expiry", sc, tok.Hash, at(30 * time.Minute)},
	} {
		_, err := s.LinkTokens().Consume(ctx, c.scope, c.hash, c.now)
		wantKind(t, err, domain.KindNotFound, "consume with "+c.name)
	}

	// Racing consumers: exactly one wins.
	const n = 4
	var wg sync.WaitGroup
	won := make(chan domain.LinkToken, n)
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.LinkTokens().Consume(ctx, sc, tok.Hash, at(time.Minute))
			if err == nil {
				won <- got
			} else if domain.KindOf(err) != domain.KindNotFound {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(won)
	close(errs)
	for err := range errs {
		// SQLite may answer busy to a loser; that is a failure here.
		t.Fatalf("a racing consume failed: %v", err)
	}
	var winners []domain.LinkToken
	for w := range won {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("%d consumers won one token", len(winners))
	}
	consumed := at(time.Minute)
	want := tok
	want.ConsumedAt = &consumed
	equal(t, winners[0], want, "the consumed token")

	fresh := domain.LinkToken{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, Hash: []byte("hash-3"),
		ExpiresAt: at(2 * time.Hour), CreatedAt: base}
	stale := domain.LinkToken{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, Hash: []byte("hash-4"),
		ExpiresAt: at(10 * time.Minute), CreatedAt: base}
	must(t, s.LinkTokens().Create(ctx, fresh), "create fresh")
	must(t, s.LinkTokens().Create(ctx, stale), "create stale")
	gone, err := s.LinkTokens().DeleteSpent(ctx, at(time.Hour))
	must(t, err, "delete spent")
	equal(t, gone, 2, "tokens deleted (the consumed and the expired)")
	_, err = s.LinkTokens().Consume(ctx, sc, fresh.Hash, at(time.Hour))
	must(t, err, "the fresh token survives the purge")
}

func testLinkSessionPurge(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	mk := func(expires time.Time) domain.LinkSession {
		l := domain.LinkSession{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, TokenHash: []byte("h"),
			Status: domain.StepStart, Version: 1, ExpiresAt: expires, CreatedAt: base, UpdatedAt: base}
		must(t, s.LinkSessions().Create(ctx, l), "create session")
		return l
	}
	old, current := mk(at(time.Minute)), mk(at(time.Hour))
	n, err := s.LinkSessions().DeleteExpired(ctx, at(30*time.Minute))
	must(t, err, "delete expired")
	equal(t, n, 1, "sessions deleted")
	_, err = s.LinkSessions().Get(ctx, old.ID)
	wantKind(t, err, domain.KindNotFound, "the expired session")
	_, err = s.LinkSessions().Get(ctx, current.ID)
	must(t, err, "the current session survives")
}

func testQuickLoginCounters(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	r := newRecord(t, s, sc, domain.NewID(), domain.NewID(), base)
	for want := 1; want <= 3; want++ {
		n, err := s.Records().AddQuickLoginFailure(ctx, sc, r.ID)
		must(t, err, "add failure")
		equal(t, n, want, "failures")
	}
	// A full update of the record leaves the counters alone.
	r.Status = domain.RecordSuccess
	must(t, s.Records().Update(ctx, r), "update")
	got, err := s.Records().Get(ctx, sc, r.ID)
	must(t, err, "get")
	equal(t, got.QuickLoginFailures, 3, "failures after an update")

	until := at(15 * time.Minute)
	must(t, s.Records().SetQuickLoginLock(ctx, sc, r.ID, &until), "lock")
	got, err = s.Records().Get(ctx, sc, r.ID)
	must(t, err, "get locked")
	equal(t, got.QuickLoginFailures, 0, "failures after the lock")
	if !got.QuickLoginLocked(at(time.Minute)) || got.QuickLoginLocked(until) {
		t.Fatalf("locked until %v; want locked before %v and free from then", got.QuickLoginLockedUntil, until)
	}
	must(t, s.Records().SetQuickLoginLock(ctx, sc, r.ID, nil), "unlock")
	got, err = s.Records().Get(ctx, sc, r.ID)
	must(t, err, "get unlocked")
	if got.QuickLoginLockedUntil != nil {
		t.Fatalf("still locked until %v", got.QuickLoginLockedUntil)
	}
	other := scopeOf(domain.NewID(), sc.Env)
	_, err = s.Records().AddQuickLoginFailure(ctx, other, r.ID)
	wantKind(t, err, domain.KindNotFound, "count a failure through another company")
	wantKind(t, s.Records().SetQuickLoginLock(ctx, other, r.ID, &until), domain.KindNotFound, "lock through another company")
}
