// Package delivery delivers webhooks from the outbox: a worker claims due events, signs
// them and POSTs them to each company's endpoint, retrying with exponential
// backoff and full jitter until the retry window closes, and logs every
// attempt. It also provides the URL guard that keeps webhooks away from
// internal addresses, and Verify for receivers.
package delivery

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/jobs"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/webhooks"
)

// Config tunes the worker. Zero fields take the defaults.
type Config struct {
	// AllowPrivate lets webhooks reach loopback, link-local and private
	// addresses (--allow-private-webhooks, for development and tests).
	AllowPrivate bool
	// PollInterval is how often the worker looks for due events when
	// nobody nudges it (default 1 s).
	PollInterval time.Duration
	// WorkerID names this worker in claims (default host-pid-random).
	WorkerID string
	// Timeout bounds one delivery (default 10 s).
	Timeout time.Duration
	// RetryWindow is how long after its creation an event is retried
	// before it is marked failed (default 24 h).
	RetryWindow time.Duration
	// BaseBackoff is the first retry's backoff ceiling, doubled per attempt
	// up to MaxBackoff (defaults 2 s and 1 h); the wait is drawn uniformly
	// below the ceiling (full jitter).
	BaseBackoff, MaxBackoff time.Duration
	// Concurrency is how many deliveries this worker runs at once
	// (default 16). Each runs on its own: a slow receiver holds only its
	// own deliveries.
	Concurrency int
	// PerEndpoint is how many of one endpoint's (company and environment's)
	// events may be in flight at once, across every worker sharing the
	// database (default 2), so a hanging receiver cannot take every slot.
	PerEndpoint int
}

// Defaults.
const (
	DefaultPollInterval = time.Second
	DefaultTimeout      = 10 * time.Second
	DefaultRetryWindow  = 24 * time.Hour
	DefaultBaseBackoff  = 2 * time.Second
	DefaultMaxBackoff   = time.Hour
	DefaultConcurrency  = 16
	DefaultPerEndpoint  = 2
)

// NoEndpointError is the last error of an event whose company has no
// endpoint in the event's environment.
const NoEndpointError = "no webhook endpoint set"

// What the delivery log says went wrong: a generic reason, never the
// client's error text, which would tell a company which internal ports are
// open (a port-scan oracle) and might echo the URL.
const (
	ReasonConnection = "connection failed"
	ReasonTimeout    = "timeout"
	ReasonPrivate    = "refused: private address"
	ReasonBadURL     = "invalid URL"
	ReasonSecret     = "signing secret unavailable"
)

// reasonStatus is the reason for a non-2xx answer ("HTTP 500").
func reasonStatus(code int) string { return fmt.Sprintf("HTTP %d", code) }

// WithDefaults fills the zero fields.
func (c Config) WithDefaults() Config {
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.WorkerID == "" {
		c.WorkerID = defaultWorkerID()
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.RetryWindow <= 0 {
		c.RetryWindow = DefaultRetryWindow
	}
	if c.BaseBackoff <= 0 {
		c.BaseBackoff = DefaultBaseBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.MaxBackoff < c.BaseBackoff {
		c.MaxBackoff = c.BaseBackoff
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.PerEndpoint <= 0 {
		c.PerEndpoint = DefaultPerEndpoint
	}
	return c
}

func defaultWorkerID() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "bankauth"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Worker delivers outbox events. Several workers, in one process or many,
// may share a database: each event is claimed by one at a time.
type Worker struct {
	cfg    Config
	store  ports.Store
	sealer ports.Sealer
	clock  ports.Clock
	ids    ports.IDs
	log    *slog.Logger
	client *http.Client
	retry  jobs.Exponential // an event's retries, and a failing endpoint's rest
	wake   chan struct{}
	// Loop claims due events and starts their deliveries; Stop takes no
	// more and waits for the deliveries in flight.
	jobs.Loop

	mu      sync.Mutex
	active  int            // deliveries running
	running sync.WaitGroup // the same, to wait for
}

var _ ports.Notifier = (*Worker)(nil)

// NewWorker builds a worker; Start runs it.
func NewWorker(cfg Config, store ports.Store, sealer ports.Sealer, clock ports.Clock, ids ports.IDs, log *slog.Logger) *Worker {
	cfg = cfg.WithDefaults()
	if log == nil {
		log = slog.Default()
	}
	w := &Worker{
		cfg: cfg, store: store, sealer: sealer, clock: clock, ids: ids,
		log:    log.With("component", "webhook-worker", "worker", cfg.WorkerID),
		client: newClient(cfg), wake: make(chan struct{}, 1),
		retry: jobs.Exponential{Base: cfg.BaseBackoff, Max: cfg.MaxBackoff},
	}
	w.Loop = jobs.Loop{Name: "webhook worker", Poll: cfg.PollInterval, Wake: w.wake, RunOne: w.startDue, Wait: w.running.Wait, Log: w.log}
	return w
}

// newClient is the delivery client: no proxy, no redirects, a deadline, and
// unless private addresses are allowed a dialer that refuses blocked
// addresses at connect time.
func newClient(cfg Config) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivate {
		dialer.Control = dialControl
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would hide the real destination from the dial check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		// A redirect is an answer, not a 2xx: it is never followed, so it
		// cannot lead the worker somewhere the guard did not check.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Notify nudges the worker to look for due events now. It never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Stop asks the worker to take no more events and waits for the
// deliveries in flight to finish; when ctx ends first they are cancelled,
// their claims released with no attempt counted (the events stay pending,
// for this or another instance to send again under the same id), and ctx's
// error is returned once that is done.
func (w *Worker) Stop(ctx context.Context) error { return w.Loop.Stop(ctx) }

// startDue claims as many due events as there are free slots and starts
// each delivery on its own, without waiting for it; a finished delivery
// nudges the worker to claim again. It returns how many it claimed when
// that filled every free slot (more may be due at once), else 0.
func (w *Worker) startDue(ctx context.Context) (int, error) {
	free := w.cfg.Concurrency - w.inFlight()
	if free <= 0 {
		return 0, nil
	}
	events, err := w.claim(ctx, free)
	if err != nil {
		return 0, err
	}
	for _, ev := range events {
		w.setRunning(+1)
		w.running.Add(1)
		go func() {
			defer w.running.Done()
			defer w.Notify() // a slot and a place at the endpoint are free again
			defer w.setRunning(-1)
			w.deliver(ctx, ev)
		}()
	}
	if len(events) < free {
		return 0, nil
	}
	return len(events), nil
}

func (w *Worker) inFlight() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.active
}

func (w *Worker) setRunning(delta int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active += delta
}

// claimTTL is how long a claim lasts: well beyond one delivery's timeout
// and the bookkeeping around it, so a claim never lapses while its
// delivery still runs.
func (w *Worker) claimTTL() time.Duration { return w.cfg.Timeout + time.Minute }

func (w *Worker) claim(ctx context.Context, n int) ([]domain.OutboxEvent, error) {
	now := w.clock.Now()
	events, err := w.store.Outbox().Claim(ctx, w.cfg.WorkerID, now, now.Add(w.claimTTL()), n, w.cfg.PerEndpoint)
	if err != nil {
		return nil, fmt.Errorf("claim events: %w", err)
	}
	return events, nil
}

// DeliverDue claims the events due now (up to Concurrency, PerEndpoint per
// endpoint), delivers them in parallel, waits for them and returns how many
// it claimed. Tests call it instead of starting the worker.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	events, err := w.claim(ctx, w.cfg.Concurrency)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, ev := range events {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.deliver(ctx, ev)
		}()
	}
	wg.Wait()
	return len(events), nil
}

// sending is one claimed event on its way.
type sending struct {
	ev      domain.OutboxEvent // what becomes of it
	claimed domain.OutboxEvent // as claimed, to give back untouched
	log     *slog.Logger
}

// deliver sends one claimed event and records the outcome: find the
// endpoint, open its secrets to sign with, post, log the attempt, then
// settle the event (delivered, retried later or given up).
func (w *Worker) deliver(ctx context.Context, ev domain.OutboxEvent) {
	d := w.claimed(ev)
	ep, ok := w.endpoint(ctx, d)
	if !ok {
		return
	}
	creds, ok := w.credentials(d, ep)
	out := outcome{reason: ReasonSecret}
	if ok {
		out = w.post(ctx, d.ev, creds)
	}
	if ctx.Err() != nil {
		// Stopping: this attempt does not count; the event goes back.
		w.release(ctx, d)
		return
	}
	now := w.clock.Now()
	w.logAttempt(ctx, d, creds, out, now)
	w.endpointOutcome(ctx, d.log, ep, out, now)
	w.settle(ctx, d, out, now)
}

// claimed starts the delivery of an event this worker claimed.
func (w *Worker) claimed(ev domain.OutboxEvent) sending {
	if ev.ClaimedBy == "" {
		ev.ClaimedBy = w.cfg.WorkerID
	}
	return sending{ev: ev, claimed: ev,
		log: w.log.With("event_id", ev.ID, "company_id", ev.CompanyID, "env", string(ev.Env))}
}

// endpoint is where the event goes. An event whose company has none
// fails at once; one whose endpoint cannot be read goes back to be tried
// again.
func (w *Worker) endpoint(ctx context.Context, d sending) (domain.WebhookEndpoint, bool) {
	ep, err := w.store.Webhooks().Get(ctx, domain.Scope{CompanyID: d.ev.CompanyID, Env: d.ev.Env})
	switch {
	case errors.Is(err, domain.ErrNotFound):
		d.ev.Status, d.ev.LastStatus, d.ev.LastError, d.ev.UpdatedAt = domain.OutboxFailed, 0, NoEndpointError, w.clock.Now()
		w.finish(ctx, d.log, d.ev)
		return ep, false
	case err != nil:
		if ctx.Err() == nil {
			d.log.Error("read webhook endpoint", "error", err.Error())
		}
		w.release(ctx, d)
		return ep, false
	}
	return ep, true
}

// credentials opens the endpoint's signing secrets and token; without
// them only the URL is known, for the delivery log.
func (w *Worker) credentials(d sending, ep domain.WebhookEndpoint) (webhooks.Credentials, bool) {
	creds, err := webhooks.OpenEndpoint(w.sealer, ep, w.clock.Now())
	if err != nil {
		// The cause may name the key ring's state but never a secret.
		d.log.Error("open webhook endpoint secrets", "error", err.Error())
		return webhooks.Credentials{URL: ep.URL}, false
	}
	return creds, true
}

// logAttempt writes the attempt to the company's delivery log, and its
// cause, if any, to the operator's.
func (w *Worker) logAttempt(ctx context.Context, d sending, creds webhooks.Credentials, out outcome, now time.Time) {
	if out.cause != "" {
		// For the operator only; the company's log gets out.reason.
		d.log.Info("webhook delivery failed", "reason", out.reason, "cause", redact(out.cause, creds))
	}
	attempt := domain.DeliveryAttempt{
		EventID: d.ev.ID, CompanyID: d.ev.CompanyID, Env: d.ev.Env, URL: creds.URL, HTTPStatus: out.status,
		Error: out.reason, DurationMS: out.elapsed.Milliseconds(), CreatedAt: now,
	}
	if w.ids != nil {
		attempt.ID = w.ids.NewID()
	}
	if err := w.store.Outbox().AddAttempt(context.WithoutCancel(ctx), attempt); err != nil {
		d.log.Error("log delivery attempt", "error", err.Error())
	}
}

// settle records what the attempt made of the event: delivered, given up
// once the retry window has closed, or due again after a backoff (and at
// the latest when the window closes, for one last try).
func (w *Worker) settle(ctx context.Context, d sending, out outcome, now time.Time) {
	ev := d.ev
	ev.Attempts++
	ev.LastStatus, ev.LastError, ev.UpdatedAt = out.status, out.reason, now
	switch deadline := ev.CreatedAt.Add(w.cfg.RetryWindow); {
	case out.delivered():
		ev.Status = domain.OutboxDelivered
	case !now.Before(deadline):
		ev.Status = domain.OutboxFailed
		d.log.Warn("webhook event given up", "attempts", ev.Attempts, "last_status", out.status)
	default:
		next := now.Add(w.retry.FullJitter(ev.Attempts))
		if next.After(deadline) {
			next = deadline
		}
		ev.Status, ev.NextAttempt = domain.OutboxPending, next
		w.wakeAt(next)
	}
	w.finish(ctx, d.log, ev)
}

// wakeAt nudges the worker at t when that comes before its next poll, so a
// retry due in a moment is not held back to the poll after.
func (w *Worker) wakeAt(t time.Time) {
	if d := t.Sub(w.clock.Now()); d < w.cfg.PollInterval {
		time.AfterFunc(max(d, 0), w.Notify)
	}
}

// endpointOutcome keeps the endpoint's backoff: a receiver that timed
// out, could not be reached or answered 5xx/429 rests (none of its events
// is claimed) for a backoff that grows with its consecutive failures; its
// first success ends the rest. Other answers say nothing about its health.
func (w *Worker) endpointOutcome(ctx context.Context, log *slog.Logger, ep domain.WebhookEndpoint, out outcome, now time.Time) {
	scope := domain.Scope{CompanyID: ep.CompanyID, Env: ep.Env}
	ctx = context.WithoutCancel(ctx)
	var err error
	switch {
	case out.receiverFault():
		failures := ep.Failures + 1
		// At least half the ceiling: a failing receiver always rests.
		until := now.Add(w.retry.HalfJitter(failures))
		err = w.store.Webhooks().SetBackoff(ctx, scope, failures, &until)
		w.wakeAt(until)
	case out.delivered() && (ep.Failures > 0 || ep.RetryAfter != nil):
		err = w.store.Webhooks().SetBackoff(ctx, scope, 0, nil)
	}
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		log.Error("record webhook endpoint backoff", "error", err.Error())
	}
}

// outcome is one attempt's result.
type outcome struct {
	status  int           // HTTP status, 0 when there was no answer
	reason  string        // for the delivery log: "" on a 2xx, else a generic reason
	cause   string        // the underlying error, for the operator's log only
	elapsed time.Duration // how long the attempt took
}

func (o outcome) delivered() bool { return o.reason == "" && o.status >= 200 && o.status < 300 }

// receiverFault reports an attempt that says the receiver is unwell or
// unreachable, as opposed to one that rejected this event.
func (o outcome) receiverFault() bool {
	switch {
	case o.status == 0:
		return o.reason == ReasonConnection || o.reason == ReasonTimeout || o.reason == ReasonPrivate
	case o.status >= 500, o.status == http.StatusTooManyRequests:
		return true
	}
	return false
}

// post signs and sends the event.
func (w *Worker) post(ctx context.Context, ev domain.OutboxEvent, c webhooks.Credentials) outcome {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(ev.Payload))
	if err != nil {
		return outcome{reason: ReasonBadURL}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderEventID, ev.ID)
	req.Header.Set(HeaderSignature, Sign(c.Secrets, w.clock.Now(), ev.Payload))
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		reason, cause := describe(ctx, err)
		return outcome{reason: reason, cause: cause, elapsed: time.Since(start)}
	}
	// Drain a little so the connection can be reused; the body itself is
	// never logged (a receiver might echo our headers).
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	out := outcome{status: resp.StatusCode, elapsed: time.Since(start)}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		out.reason = reasonStatus(resp.StatusCode)
	}
	return out
}

// describe maps a client error to the delivery log's generic reason and
// the error's own text (without the URL) for the operator.
func describe(ctx context.Context, err error) (reason, cause string) {
	var forbidden errForbiddenAddress
	if errors.As(err, &forbidden) {
		return ReasonPrivate, forbidden.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text carries the URL, which may hold a capability
	}
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) {
		return ReasonTimeout, err.Error()
	}
	return ReasonConnection, err.Error()
}

// redact removes the endpoint's secrets from text, should a library ever
// echo one, and caps its length.
func redact(text string, c webhooks.Credentials) string {
	for _, s := range append([]string{c.Token}, c.Secrets...) {
		if s != "" {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
	}
	const maxText = 300
	if len(text) > maxText {
		text = text[:maxText]
	}
	return text
}

// finish stores the outcome and releases the claim, even while stopping.
func (w *Worker) finish(ctx context.Context, log *slog.Logger, ev domain.OutboxEvent) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := w.store.Outbox().Finish(ctx, ev)
	switch {
	case err == nil:
	case domain.KindOf(err) == domain.KindConflict:
		// Our claim lapsed or the event was replayed meanwhile: the other
		// party's state wins.
		log.Info("webhook event changed hands during delivery; outcome dropped", "status", ev.Status)
	default:
		log.Error("record webhook delivery", "error", err.Error())
	}
}

// release gives a claimed event back untouched.
func (w *Worker) release(ctx context.Context, d sending) {
	w.finish(ctx, d.log, d.claimed)
}
