// Package webhook delivers the outbox: a worker claims due events, signs
// them and POSTs them to each company's endpoint, retrying with exponential
// backoff and full jitter until the retry window closes, and logs every
// attempt. It also provides the URL guard that keeps webhooks away from
// internal addresses, and Verify for receivers.
package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/bankauth/bankauth/core/domain"
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
	// Concurrency is how many events are delivered at once (default 4).
	Concurrency int
}

// Defaults.
const (
	DefaultPollInterval = time.Second
	DefaultTimeout      = 10 * time.Second
	DefaultRetryWindow  = 24 * time.Hour
	DefaultBaseBackoff  = 2 * time.Second
	DefaultMaxBackoff   = time.Hour
	DefaultConcurrency  = 4
)

// NoEndpointError is the last error of an event whose company has no
// endpoint in the event's environment.
const NoEndpointError = "no webhook endpoint set"

// maxErrorText caps the error text kept in the delivery log.
const maxErrorText = 300

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
	wake   chan struct{}

	mu       sync.Mutex
	stopping chan struct{}      // closed by Stop: finish in-flight work, take no more
	abort    context.CancelFunc // cancels in-flight deliveries when Stop's ctx ends
	done     chan struct{}      // closed when the loop has returned
}

var _ webhooks.Notifier = (*Worker)(nil)

// NewWorker builds a worker; Start runs it.
func NewWorker(cfg Config, store ports.Store, sealer ports.Sealer, clock ports.Clock, ids ports.IDs, log *slog.Logger) *Worker {
	cfg = cfg.WithDefaults()
	if log == nil {
		log = slog.Default()
	}
	return &Worker{
		cfg: cfg, store: store, sealer: sealer, clock: clock, ids: ids,
		log:    log.With("component", "webhook-worker", "worker", cfg.WorkerID),
		client: newClient(cfg), wake: make(chan struct{}, 1),
	}
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

// Start runs the worker in the background and returns at once. Starting a
// running worker does nothing.
func (w *Worker) Start(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stopping, w.abort, w.done = make(chan struct{}), cancel, make(chan struct{})
	go w.loop(ctx, w.stopping, w.done)
	return nil
}

// Stop asks the worker to stop and waits for the deliveries in flight to
// finish; when ctx ends first they are cancelled (their events stay pending
// and are sent again later) and ctx's error is returned.
func (w *Worker) Stop(ctx context.Context) error {
	w.mu.Lock()
	stopping, abort, done := w.stopping, w.abort, w.done
	w.stopping, w.abort, w.done = nil, nil, nil
	w.mu.Unlock()
	if done == nil {
		return nil
	}
	close(stopping)
	defer abort()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		abort()
		<-done
		return ctx.Err()
	}
}

func (w *Worker) loop(ctx context.Context, stopping <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	ticker := time.NewTicker(w.cfg.PollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-stopping:
			return
		default:
		}
		n, err := w.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Error("claim webhook events", "error", err.Error())
		}
		if n == w.cfg.Concurrency && err == nil {
			continue // there may be more due at once
		}
		select {
		case <-stopping:
			return
		case <-ticker.C:
		case <-w.wake:
		}
	}
}

// claimTTL is how long a claim lasts: long enough for one delivery and the
// bookkeeping around it.
func (w *Worker) claimTTL() time.Duration { return w.cfg.Timeout + time.Minute }

// DeliverDue claims the events due now (up to Concurrency), delivers them
// in parallel and returns how many it claimed. The loop calls it; tests may
// call it directly instead of starting the worker.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	now := w.clock.Now()
	events, err := w.store.Outbox().Claim(ctx, w.cfg.WorkerID, now, now.Add(w.claimTTL()), w.cfg.Concurrency)
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

// deliver sends one claimed event and records the outcome.
func (w *Worker) deliver(ctx context.Context, ev domain.OutboxEvent) {
	claimed := ev
	if ev.ClaimedBy == "" {
		ev.ClaimedBy = w.cfg.WorkerID
		claimed.ClaimedBy = w.cfg.WorkerID
	}
	log := w.log.With("event_id", ev.ID, "company_id", ev.CompanyID, "env", string(ev.Env))
	scope := domain.Scope{CompanyID: ev.CompanyID, Env: ev.Env}
	ep, err := w.store.Webhooks().Get(ctx, scope)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		ev.Status, ev.LastStatus, ev.LastError, ev.UpdatedAt = domain.OutboxFailed, 0, NoEndpointError, w.clock.Now()
		w.finish(ctx, log, ev)
		return
	case err != nil:
		if ctx.Err() == nil {
			log.Error("read webhook endpoint", "error", err.Error())
		}
		w.release(ctx, log, claimed)
		return
	}

	var (
		status  int
		errText string
		elapsed time.Duration
		creds   webhooks.Credentials
	)
	creds, err = webhooks.OpenEndpoint(w.sealer, ep, w.clock.Now())
	if err != nil {
		// The cause may name the key ring's state but never a secret.
		log.Error("open webhook endpoint secrets", "error", err.Error())
		creds, errText = webhooks.Credentials{URL: ep.URL}, "could not open the endpoint's signing secret"
	} else {
		status, errText, elapsed = w.post(ctx, ev, creds)
	}
	if ctx.Err() != nil {
		// Stopping: this attempt does not count; the event goes back.
		w.release(ctx, log, claimed)
		return
	}

	now := w.clock.Now()
	attempt := domain.DeliveryAttempt{
		EventID: ev.ID, CompanyID: ev.CompanyID, Env: ev.Env, URL: creds.URL, HTTPStatus: status,
		Error: errText, DurationMS: elapsed.Milliseconds(), CreatedAt: now,
	}
	if w.ids != nil {
		attempt.ID = w.ids.NewID()
	}
	if err := w.store.Outbox().AddAttempt(context.WithoutCancel(ctx), attempt); err != nil {
		log.Error("log delivery attempt", "error", err.Error())
	}

	ev.Attempts++
	ev.LastStatus, ev.LastError, ev.UpdatedAt = status, errText, now
	switch deadline := ev.CreatedAt.Add(w.cfg.RetryWindow); {
	case errText == "" && status >= 200 && status < 300:
		ev.Status = domain.OutboxDelivered
	case !now.Before(deadline):
		ev.Status = domain.OutboxFailed
		log.Warn("webhook event given up", "attempts", ev.Attempts, "last_status", status)
	default:
		next := now.Add(w.backoff(ev.Attempts))
		if next.After(deadline) {
			next = deadline // one last try when the window closes
		}
		ev.Status, ev.NextAttempt = domain.OutboxPending, next
	}
	w.finish(ctx, log, ev)
}

// post signs and sends the event; it returns the status (0 when there was
// no answer), the error text for the log ("" on a 2xx) and the duration.
func (w *Worker) post(ctx context.Context, ev domain.OutboxEvent, c webhooks.Credentials) (int, string, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(ev.Payload))
	if err != nil {
		return 0, "the endpoint URL is not usable", 0
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
		return 0, redact(describe(ctx, err, w.cfg.Timeout), c), time.Since(start)
	}
	// Drain a little so the connection can be reused; the body itself is
	// never logged (a receiver might echo our headers).
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	elapsed := time.Since(start)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Sprintf("the receiver answered %d", resp.StatusCode), elapsed
	}
	return resp.StatusCode, "", elapsed
}

// describe turns a client error into a short sentence without the URL.
func describe(ctx context.Context, err error, timeout time.Duration) string {
	var forbidden errForbiddenAddress
	if errors.As(err, &forbidden) {
		return forbidden.Error()
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timed out after %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Sprintf("timed out after %s", timeout)
		}
		err = ue.Err
	}
	return err.Error()
}

// redact removes the endpoint's secrets from text, should a library ever
// echo one, and caps its length.
func redact(text string, c webhooks.Credentials) string {
	for _, s := range append([]string{c.Token}, c.Secrets...) {
		if s != "" {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
	}
	if len(text) > maxErrorText {
		text = text[:maxErrorText]
	}
	return text
}

// backoff is the wait before the retry after attempts failures: uniform in
// [0, min(MaxBackoff, BaseBackoff·2^(attempts-1))].
func (w *Worker) backoff(attempts int) time.Duration {
	ceiling := w.cfg.BaseBackoff
	for i := 1; i < attempts && ceiling < w.cfg.MaxBackoff; i++ {
		ceiling *= 2
	}
	if ceiling > w.cfg.MaxBackoff {
		ceiling = w.cfg.MaxBackoff
	}
	return time.Duration(mathrand.Int64N(int64(ceiling) + 1))
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
func (w *Worker) release(ctx context.Context, log *slog.Logger, claimed domain.OutboxEvent) {
	w.finish(ctx, log, claimed)
}
