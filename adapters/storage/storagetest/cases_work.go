package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

func testLinkSessions(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	l := domain.LinkSession{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, TokenHash: []byte("token-hash"),
		Options: []byte(`{"products":["auth"]}`), Status: domain.StepStart, CustomerID: domain.NewID(), Version: 1,
		ExpiresAt: at(time.Hour), CreatedAt: base, UpdatedAt: base}
	must(t, s.LinkSessions().Create(ctx, l), "create")
	got, err := s.LinkSessions().Get(ctx, l.ID)
	must(t, err, "get")
	equal(t, got, l, "stored session")
	wantKind(t, s.LinkSessions().Create(ctx, l), domain.KindConflict, "create with a taken id")

	next := got
	next.Status, next.BankID, next.Method, next.Step, next.SealedState, next.Attempts, next.UpdatedAt =
		domain.StepChallenge, domain.NewID(), domain.MethodUSSD, []byte(`{"type":"otp"}`), []byte("sealed"), 1, at(time.Minute)
	updated, err := s.LinkSessions().Update(ctx, next)
	must(t, err, "update")
	want := next
	want.Version = 2
	equal(t, updated, want, "updated session")

	// A second instance that read version 1 loses.
	stale := got
	stale.Status = domain.StepFailed
	_, err = s.LinkSessions().Update(ctx, stale)
	wantKind(t, err, domain.KindConflict, "update from a stale version")
	again, err := s.LinkSessions().Get(ctx, l.ID)
	must(t, err, "get after conflict")
	equal(t, again, want, "the session after a lost update")

	missing := next
	missing.ID = domain.NewID()
	_, err = s.LinkSessions().Update(ctx, missing)
	wantKind(t, err, domain.KindNotFound, "update a missing session")
	foreign := updated
	foreign.CompanyID = domain.NewID()
	_, err = s.LinkSessions().Update(ctx, foreign)
	wantKind(t, err, domain.KindNotFound, "update through another company")

	must(t, s.LinkSessions().DeleteByCustomer(ctx, scopeOf(domain.NewID(), sc.Env), l.CustomerID), "delete from another company")
	_, err = s.LinkSessions().Get(ctx, l.ID)
	must(t, err, "get after another company's delete")
	must(t, s.LinkSessions().DeleteByCustomer(ctx, sc, l.CustomerID), "delete")
	_, err = s.LinkSessions().Get(ctx, l.ID)
	wantKind(t, err, domain.KindNotFound, "get after delete")
}

func testShortLinksWebhooks(t *testing.T, s ports.Store) {
	exp := at(day)
	sl := domain.ShortLink{Code: "abc123", CompanyID: domain.NewID(), Env: domain.EnvSandbox, Options: []byte(`{}`), CreatedAt: base, ExpiresAt: &exp}
	must(t, s.ShortLinks().Create(ctx, sl), "create short link")
	got, err := s.ShortLinks().Get(ctx, "abc123")
	must(t, err, "get short link")
	equal(t, got, sl, "stored short link")
	wantKind(t, s.ShortLinks().Create(ctx, sl), domain.KindConflict, "create a taken code")
	_, err = s.ShortLinks().Get(ctx, "nope")
	wantKind(t, err, domain.KindNotFound, "missing short link")
	forever := sl
	forever.Code, forever.ExpiresAt = "def456", nil
	must(t, s.ShortLinks().Create(ctx, forever), "create a link that never expires")
	got, err = s.ShortLinks().Get(ctx, "def456")
	must(t, err, "get")
	equal(t, got, forever, "link without expiry")

	sc := scopeOf(domain.NewID(), domain.EnvProduction)
	_, err = s.Webhooks().Get(ctx, sc)
	wantKind(t, err, domain.KindNotFound, "no webhook yet")
	w := domain.WebhookEndpoint{CompanyID: sc.CompanyID, Env: sc.Env, URL: "https://a.example/hook", SealedSecret: []byte("s1"),
		CreatedAt: base, UpdatedAt: base}
	must(t, s.Webhooks().Set(ctx, w), "set")
	gotW, err := s.Webhooks().Get(ctx, sc)
	must(t, err, "get")
	equal(t, gotW, w, "stored webhook")
	until := at(day)
	w2 := w
	w2.URL, w2.SealedToken, w2.SealedSecret, w2.SealedPrevious, w2.PreviousUntil, w2.UpdatedAt, w2.CreatedAt =
		"https://b.example/hook", []byte("tok"), []byte("s2"), []byte("s1"), &until, at(time.Hour), at(time.Hour)
	must(t, s.Webhooks().Set(ctx, w2), "replace")
	gotW, err = s.Webhooks().Get(ctx, sc)
	must(t, err, "get after replace")
	want := w2
	want.CreatedAt = w.CreatedAt
	equal(t, gotW, want, "replaced webhook")
	_, err = s.Webhooks().Get(ctx, scopeOf(sc.CompanyID, domain.EnvSandbox))
	wantKind(t, err, domain.KindNotFound, "webhook of the other env")

	// Backoff is recorded, cleared, and started again by Set.
	retry := at(2 * time.Hour)
	must(t, s.Webhooks().SetBackoff(ctx, sc, 3, &retry), "set backoff")
	gotW, err = s.Webhooks().Get(ctx, sc)
	must(t, err, "get in backoff")
	want.Failures, want.RetryAfter = 3, &retry
	equal(t, gotW, want, "webhook in backoff")
	must(t, s.Webhooks().SetBackoff(ctx, sc, 0, nil), "clear backoff")
	gotW, err = s.Webhooks().Get(ctx, sc)
	must(t, err, "get after clearing")
	want.Failures, want.RetryAfter = 0, nil
	equal(t, gotW, want, "webhook out of backoff")
	must(t, s.Webhooks().SetBackoff(ctx, sc, 1, &retry), "set backoff again")
	must(t, s.Webhooks().Set(ctx, w2), "set again")
	gotW, err = s.Webhooks().Get(ctx, sc)
	must(t, err, "get after setting again")
	equal(t, gotW, want, "setting the endpoint again clears its backoff")
	wantKind(t, s.Webhooks().SetBackoff(ctx, scopeOf(domain.NewID(), sc.Env), 1, &retry), domain.KindNotFound, "backoff of a missing webhook")
}

func testIdempotency(t *testing.T, s ports.Store) {
	co := domain.NewID()
	e := domain.IdempotencyEntry{CompanyID: co, Env: domain.EnvSandbox, Key: "key-1", RequestHash: []byte("h1"),
		CreatedAt: base, ExpiresAt: at(day)}
	first, existed, err := s.Idempotency().Begin(ctx, e)
	must(t, err, "begin")
	equal(t, existed, false, "existed on the first begin")
	want := e
	want.State, want.LeaseUntil = domain.IdemInFlight, e.ExpiresAt // no lease given: held until expiry
	equal(t, first, want, "stored entry")

	second := e
	second.RequestHash, second.CreatedAt = []byte("h2"), at(time.Minute)
	got, existed, err := s.Idempotency().Begin(ctx, second)
	must(t, err, "begin twice")
	equal(t, existed, true, "existed on the second begin")
	equal(t, got, want, "the first entry wins")

	// Keys are per company and env.
	for _, other := range []domain.IdempotencyEntry{
		{CompanyID: co, Env: domain.EnvProduction, Key: "key-1", CreatedAt: base, ExpiresAt: at(day)},
		{CompanyID: domain.NewID(), Env: domain.EnvSandbox, Key: "key-1", CreatedAt: base, ExpiresAt: at(day)},
	} {
		_, existed, err = s.Idempotency().Begin(ctx, other)
		must(t, err, "begin elsewhere")
		equal(t, existed, false, "the same key in another scope existed")
	}

	done := e
	done.StatusCode, done.Response = 200, []byte(`{"status":"success"}`)
	must(t, s.Idempotency().Complete(ctx, done), "complete")
	wantKind(t, s.Idempotency().Complete(ctx, done), domain.KindNotFound, "complete twice")
	got, existed, err = s.Idempotency().Begin(ctx, second)
	must(t, err, "begin after complete")
	equal(t, existed, true, "existed after complete")
	equal(t, got.State, domain.IdemDone, "state after complete")
	equal(t, got.StatusCode, 200, "stored status")
	equal(t, string(got.Response), `{"status":"success"}`, "stored response")

	// Abandon removes only in-flight entries.
	must(t, s.Idempotency().Abandon(ctx, e), "abandon a done entry")
	_, existed, _ = s.Idempotency().Begin(ctx, second)
	equal(t, existed, true, "a done entry survives abandon")
	e3 := e
	e3.Key = "key-3"
	_, _, err = s.Idempotency().Begin(ctx, e3)
	must(t, err, "begin key-3")
	must(t, s.Idempotency().Abandon(ctx, e3), "abandon")
	_, existed, err = s.Idempotency().Begin(ctx, e3)
	must(t, err, "begin after abandon")
	equal(t, existed, false, "existed after abandon")

	// An expired entry is replaced.
	late := e
	late.RequestHash, late.CreatedAt, late.ExpiresAt = []byte("h3"), at(day), at(2*day)
	got, existed, err = s.Idempotency().Begin(ctx, late)
	must(t, err, "begin after expiry")
	equal(t, existed, false, "existed after expiry")
	equal(t, string(got.RequestHash), "h3", "replacing entry")
	equal(t, got.State, domain.IdemInFlight, "replacing entry state")

	n, err := s.Idempotency().DeleteExpired(ctx, at(day+time.Second))
	must(t, err, "delete expired")
	equal(t, n, 3, "expired entries") // key-3 and the two in other scopes
	_, existed, _ = s.Idempotency().Begin(ctx, late)
	equal(t, existed, true, "an unexpired entry survives DeleteExpired")
}

func newEvent(sc domain.Scope, due time.Time) domain.OutboxEvent {
	return domain.OutboxEvent{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, Method: domain.MethodAuth, Code: domain.CodeAuthSuccess,
		RecordID: domain.NewID(), Payload: []byte(`{"x":1}`), Status: domain.OutboxPending, NextAttempt: due, CreatedAt: base, UpdatedAt: base}
}

func testOutbox(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	e1, e2, later := newEvent(sc, base), newEvent(sc, at(time.Second)), newEvent(sc, at(time.Hour))
	for _, e := range []domain.OutboxEvent{e1, e2, later} {
		must(t, s.Outbox().Add(ctx, e), "add")
	}
	got, err := s.Outbox().Get(ctx, sc, e1.ID)
	must(t, err, "get")
	equal(t, got, e1, "stored event")
	wantKind(t, s.Outbox().Add(ctx, e1), domain.KindConflict, "add a taken id")

	now, till := at(time.Minute), at(2*time.Minute)
	claimed, err := s.Outbox().Claim(ctx, "w1", now, till, 10, 0)
	must(t, err, "claim")
	equal(t, ids(claimed, func(e domain.OutboxEvent) domain.ID { return e.ID }), []domain.ID{e1.ID, e2.ID}, "due events, oldest first")
	if claimed[0].ClaimedBy != "w1" || claimed[0].ClaimedTill == nil || !claimed[0].ClaimedTill.Equal(till) {
		t.Fatalf("claim not recorded: %+v", claimed[0])
	}
	again, err := s.Outbox().Claim(ctx, "w2", now, till, 10, 0)
	must(t, err, "claim again")
	equal(t, len(again), 0, "events claimed twice")

	// w1 delivers e1; e2's claim lapses and w2 takes it over.
	d := claimed[0]
	d.Status, d.Attempts, d.LastStatus, d.UpdatedAt = domain.OutboxDelivered, 1, 200, now
	must(t, s.Outbox().Finish(ctx, d), "finish")
	stored, err := s.Outbox().Get(ctx, sc, e1.ID)
	must(t, err, "get finished")
	if stored.Status != domain.OutboxDelivered || stored.ClaimedBy != "" || stored.ClaimedTill != nil || stored.Attempts != 1 || stored.LastStatus != 200 {
		t.Fatalf("finished event: %+v", stored)
	}
	retaken, err := s.Outbox().Claim(ctx, "w2", at(3*time.Minute), at(4*time.Minute), 10, 0)
	must(t, err, "claim after lapse")
	equal(t, ids(retaken, func(e domain.OutboxEvent) domain.ID { return e.ID }), []domain.ID{e2.ID}, "lapsed claim")
	lost := claimed[1]
	lost.Status, lost.Attempts, lost.LastError = domain.OutboxPending, 1, "timeout"
	wantKind(t, s.Outbox().Finish(ctx, lost), domain.KindConflict, "finish by the worker whose claim lapsed")
	retry := retaken[0]
	retry.Attempts, retry.LastStatus, retry.LastError, retry.NextAttempt = 1, 500, "status 500", at(2*time.Hour)
	must(t, s.Outbox().Finish(ctx, retry), "finish with a retry")
	missing := retry
	missing.ID = domain.NewID()
	wantKind(t, s.Outbox().Finish(ctx, missing), domain.KindNotFound, "finish a missing event")

	due, err := s.Outbox().Claim(ctx, "w3", at(90*time.Minute), at(91*time.Minute), 10, 0)
	must(t, err, "claim later")
	equal(t, ids(due, func(e domain.OutboxEvent) domain.ID { return e.ID }), []domain.ID{later.ID}, "events due later")

	must(t, s.Outbox().AddAttempt(ctx, domain.DeliveryAttempt{ID: domain.NewID(), EventID: e1.ID, CompanyID: sc.CompanyID, Env: sc.Env,
		URL: "https://a.example", HTTPStatus: 200, DurationMS: 12, CreatedAt: now}), "add attempt")

	list, total, err := s.Outbox().List(ctx, sc, domain.ListFilter{RecordID: e2.RecordID})
	must(t, err, "list")
	equal(t, total, 1, "events of a record")
	equal(t, list[0].ID, e2.ID, "event of the record")
}

// testOutboxPerEndpoint: a claim takes no more of one endpoint's events than
// keep its claims at the limit, whoever holds them, and none of an endpoint
// in backoff, so one busy receiver leaves room for the others.
func testOutboxPerEndpoint(t *testing.T, s ports.Store) {
	busy, quiet, resting := scopeOf(domain.NewID(), domain.EnvSandbox), scopeOf(domain.NewID(), domain.EnvSandbox),
		scopeOf(domain.NewID(), domain.EnvSandbox)
	var busyIDs, quietIDs []domain.ID
	for i := 0; i < 5; i++ {
		// The busy endpoint's events are the oldest: without the limit
		// they would fill every claim.
		e := newEvent(busy, at(time.Duration(i)*time.Millisecond))
		must(t, s.Outbox().Add(ctx, e), "add")
		busyIDs = append(busyIDs, e.ID)
	}
	for i := 0; i < 2; i++ {
		e := newEvent(quiet, at(time.Second+time.Duration(i)*time.Millisecond))
		must(t, s.Outbox().Add(ctx, e), "add")
		quietIDs = append(quietIDs, e.ID)
	}
	restingEvent := newEvent(resting, base)
	must(t, s.Outbox().Add(ctx, restingEvent), "add")
	retry := at(time.Hour)
	must(t, s.Webhooks().Set(ctx, domain.WebhookEndpoint{CompanyID: resting.CompanyID, Env: resting.Env, URL: "https://r.example/",
		SealedSecret: []byte("s"), CreatedAt: base, UpdatedAt: base}), "set resting webhook")
	must(t, s.Webhooks().SetBackoff(ctx, resting, 4, &retry), "rest the webhook")

	now, till := at(time.Minute), at(2*time.Minute)
	id := func(e domain.OutboxEvent) domain.ID { return e.ID }
	first, err := s.Outbox().Claim(ctx, "w1", now, till, 1, 2)
	must(t, err, "claim one")
	equal(t, ids(first, id), busyIDs[:1], "the oldest due event")
	second, err := s.Outbox().Claim(ctx, "w2", now, till, 10, 2)
	must(t, err, "claim the rest")
	equal(t, ids(second, id), []domain.ID{busyIDs[1], quietIDs[0], quietIDs[1]},
		"one more of the busy endpoint (another worker holds one), both of the quiet one, none of the resting one")
	none, err := s.Outbox().Claim(ctx, "w3", now, till, 10, 2)
	must(t, err, "claim while every endpoint is at its limit")
	equal(t, len(none), 0, "events claimed beyond the per-endpoint limit")

	// Finishing one of the busy endpoint's events frees one place.
	done := first[0]
	done.Status, done.Attempts, done.LastStatus, done.UpdatedAt = domain.OutboxDelivered, 1, 200, now
	must(t, s.Outbox().Finish(ctx, done), "finish")
	next, err := s.Outbox().Claim(ctx, "w3", now, till, 10, 2)
	must(t, err, "claim after a finish")
	equal(t, ids(next, id), busyIDs[2:3], "the busy endpoint's next event")

	// Lapsed claims do not count; the backoff ends.
	later, err := s.Outbox().Claim(ctx, "w4", at(time.Hour+time.Second), at(time.Hour+time.Minute), 10, 2)
	must(t, err, "claim after the claims lapsed")
	equal(t, ids(later, id), []domain.ID{restingEvent.ID, busyIDs[1], busyIDs[2], quietIDs[0], quietIDs[1]},
		"lapsed claims taken over, two per endpoint, the rested endpoint's event included")
}

func testOutboxConcurrent(t *testing.T, s ports.Store) {
	const events, workers, batch = 40, 4, 3
	want := map[domain.ID]bool{}
	for i := 0; i < events; i++ {
		e := newEvent(scopeOf(domain.NewID(), domain.EnvSandbox), at(time.Duration(i)*time.Millisecond))
		must(t, s.Outbox().Add(ctx, e), "add")
		want[e.ID] = true
	}
	now, till := at(time.Minute), at(2*time.Minute)
	var (
		mu   sync.Mutex
		got  = map[domain.ID]string{}
		errs []error
		wg   sync.WaitGroup
	)
	start := make(chan struct{})
	for w := 0; w < workers; w++ {
		worker := fmt.Sprintf("w%d", w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				claimed, err := s.Outbox().Claim(ctx, worker, now, till, batch, 2)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				for _, e := range claimed {
					if prev, dup := got[e.ID]; dup {
						errs = append(errs, fmt.Errorf("event %s claimed by %s and %s", e.ID, prev, worker))
					}
					got[e.ID] = worker
				}
				mu.Unlock()
				if len(claimed) == 0 {
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if len(got) != len(want) {
		t.Fatalf("claimed %d events, want %d", len(got), len(want))
	}
	for id := range want {
		if _, ok := got[id]; !ok {
			t.Errorf("event %s never claimed", id)
		}
	}
}

func testJobs(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvProduction)
	subject := domain.NewID()
	j1 := domain.Job{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, Kind: domain.JobBalanceRefresh, Subject: subject,
		RecordID: domain.NewID(), Payload: []byte(`{}`), Status: domain.JobPending, RunAfter: base, CreatedAt: base, UpdatedAt: base}
	j2 := j1
	j2.ID, j2.RunAfter, j2.CreatedAt, j2.UpdatedAt = domain.NewID(), at(time.Hour), at(time.Second), at(time.Second)
	must(t, s.Jobs().Add(ctx, j1), "add")
	must(t, s.Jobs().Add(ctx, j2), "add second")
	got, err := s.Jobs().Get(ctx, sc, j1.ID)
	must(t, err, "get")
	equal(t, got, j1, "stored job")
	latest, err := s.Jobs().LatestBySubject(ctx, sc, domain.JobBalanceRefresh, subject)
	must(t, err, "latest")
	equal(t, latest.ID, j2.ID, "latest job of the subject")
	_, err = s.Jobs().LatestBySubject(ctx, sc, "other", subject)
	wantKind(t, err, domain.KindNotFound, "latest of another kind")

	claimed, err := s.Jobs().Claim(ctx, "w1", at(time.Minute), at(2*time.Minute), 5)
	must(t, err, "claim")
	equal(t, ids(claimed, func(j domain.Job) domain.ID { return j.ID }), []domain.ID{j1.ID}, "due jobs")
	c := claimed[0]
	if c.Status != domain.JobRunning || c.ClaimedBy != "w1" || c.Attempts != 1 || c.ClaimedTill == nil {
		t.Fatalf("claimed job: %+v", c)
	}
	none, err := s.Jobs().Claim(ctx, "w2", at(time.Minute), at(2*time.Minute), 5)
	must(t, err, "claim again")
	equal(t, len(none), 0, "jobs claimed twice")

	// w1 stalls; the claim lapses and w2 takes the job over.
	retaken, err := s.Jobs().Claim(ctx, "w2", at(3*time.Minute), at(4*time.Minute), 5)
	must(t, err, "claim after lapse")
	equal(t, ids(retaken, func(j domain.Job) domain.ID { return j.ID }), []domain.ID{j1.ID}, "lapsed job")
	equal(t, retaken[0].Attempts, 2, "attempts after the second claim")
	c.Status = domain.JobDone
	wantKind(t, s.Jobs().Finish(ctx, c), domain.KindConflict, "finish by the stalled worker")

	fin := retaken[0]
	fin.Status, fin.Result, fin.UpdatedAt = domain.JobDone, []byte(`{"ok":true}`), at(3*time.Minute)
	must(t, s.Jobs().Finish(ctx, fin), "finish")
	got, err = s.Jobs().Get(ctx, sc, j1.ID)
	must(t, err, "get finished")
	if got.Status != domain.JobDone || string(got.Result) != `{"ok":true}` || got.ClaimedBy != "" || got.ClaimedTill != nil {
		t.Fatalf("finished job: %+v", got)
	}
	later, err := s.Jobs().Claim(ctx, "w3", at(2*time.Hour), at(3*time.Hour), 5)
	must(t, err, "claim later")
	equal(t, ids(later, func(j domain.Job) domain.ID { return j.ID }), []domain.ID{j2.ID}, "jobs due later")
	_, err = s.Jobs().Get(ctx, sc, domain.NewID())
	wantKind(t, err, domain.KindNotFound, "missing job")
}

func testAudit(t *testing.T, s ports.Store) {
	sc := scopeOf(domain.NewID(), domain.EnvSandbox)
	subject := domain.NewID()
	var all []domain.AuditEvent
	for i := 0; i < 3; i++ {
		e := domain.AuditEvent{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, Actor: "api", Action: "record.updated",
			Subject: subject, Detail: []byte(`{"n":1}`), CreatedAt: at(time.Duration(i) * day)}
		if i == 2 {
			e.Subject = domain.NewID()
		}
		must(t, s.Audit().Add(ctx, e), "add")
		all = append(all, e)
	}
	list, total, err := s.Audit().List(ctx, sc, domain.ListFilter{RecordID: subject})
	must(t, err, "list")
	equal(t, total, 2, "events of the subject")
	equal(t, list, []domain.AuditEvent{all[1], all[0]}, "events of the subject, newest first")
}
