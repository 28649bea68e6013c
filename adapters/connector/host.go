// Package connector is the go-plugin host: it runs every bank connector as
// its own process (the built-in fake banks by re-executing this binary,
// external connectors from the operator's catalog after checking their
// checksum), supervises the processes, translates between the SDK's types
// and the domain's, and keeps per-bank health. It implements
// ports.BankConnector.
package connector

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/plugins/sdk"
)

// Host runs the connectors and routes calls to them by bank slug.
type Host struct {
	cfg     Config
	store   ports.Store
	catalog *Catalog
	log     *slog.Logger
	quiet   *logThrottle // repeated call failures
	m       *metrics

	mu      sync.RWMutex
	conns   map[string]*Supervisor // by connector name
	order   []string               // connector names, built-in first
	routes  map[string]*Supervisor // by bank slug
	health  map[string]*bankHealth // by bank slug
	gates   map[string]*bankGate   // by bank slug
	loaded  bool
	stopped bool
	bg      sync.WaitGroup // Launch's background start
}

var _ ports.BankConnector = (*Host)(nil)

// New returns a Host; nothing runs until Start or the first call.
func New(cfg Config, store ports.Store, reg prometheus.Registerer, log *slog.Logger) (*Host, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("connector metrics: %w", err)
	}
	log = log.With("component", "connector")
	return &Host{
		cfg: cfg, store: store, catalog: NewCatalog(cfg.PluginDir, store.Connectors()),
		log: log, quiet: newLogThrottle(log, 10*time.Second), m: m,
		conns: map[string]*Supervisor{}, routes: map[string]*Supervisor{}, health: map[string]*bankHealth{},
		gates: map[string]*bankGate{},
	}, nil
}

// Start loads the catalog and starts every connector in parallel, each
// within StartTimeout, syncing their banks into the store. A connector that
// fails to start is logged and retried on demand; Start fails only when the
// catalog cannot be read.
func (h *Host) Start(ctx context.Context) error {
	if err := h.Reload(ctx); err != nil {
		return err
	}
	h.startAll(ctx)
	return nil
}

func (h *Host) startAll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range h.supervisors() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Start(ctx)
		}()
	}
	wg.Wait()
	h.mu.Lock()
	h.loaded = true
	h.mu.Unlock()
}

// Reload reads the catalog again: connectors registered since are added,
// changed registrations replace their supervisor (the old process is
// stopped), removed ones are stopped. New processes start on demand.
func (h *Host) Reload(ctx context.Context) error {
	specs, err := h.specs(ctx)
	if err != nil {
		return err
	}
	var retired []*Supervisor
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		return errors.New("connector host is stopped")
	}
	next := make(map[string]*Supervisor, len(specs))
	order := make([]string, 0, len(specs))
	for _, spec := range specs {
		order = append(order, spec.name)
		if old, ok := h.conns[spec.name]; ok && sameSpec(old.spec, spec) {
			next[spec.name] = old
			continue
		}
		if old, ok := h.conns[spec.name]; ok {
			retired = append(retired, old)
		}
		next[spec.name] = newSupervisor(spec, h.cfg, h.catalog, h.log, h.m, h.onLoaded)
	}
	for name, old := range h.conns {
		if _, ok := next[name]; !ok {
			retired = append(retired, old)
		}
	}
	for slug, s := range h.routes {
		if next[s.Name()] != s {
			delete(h.routes, slug)
		}
	}
	h.conns, h.order = next, order
	h.mu.Unlock()
	for _, s := range retired {
		_ = s.Stop(ctx)
	}
	return nil
}

func sameSpec(a, b launchSpec) bool {
	return a.name == b.name && a.builtin == b.builtin && a.path == b.path && a.production == b.production &&
		hex.EncodeToString(a.checksum) == hex.EncodeToString(b.checksum) &&
		fmt.Sprint(a.args) == fmt.Sprint(b.args) && fmt.Sprint(a.env) == fmt.Sprint(b.env)
}

func (h *Host) specs(ctx context.Context) ([]launchSpec, error) {
	var specs []launchSpec
	if !h.cfg.DisableBuiltin {
		// The fake bank is a tiny stateless process: one scheduler thread
		// keeps each call on one CPU instead of handing it between idle
		// ones, which is most of a call's latency on small machines.
		env := append([]string{"GOMAXPROCS=1"}, h.cfg.BuiltinEnv...)
		specs = append(specs, launchSpec{name: BuiltinName, builtin: true, path: h.cfg.SelfExecutable,
			args: append([]string(nil), h.cfg.SelfArgs...), env: env})
	}
	regs, err := h.catalog.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the connector catalog: %w", err)
	}
	sort.Slice(regs, func(i, j int) bool { return regs[i].Name < regs[j].Name })
	for _, rc := range regs {
		sum, err := parseSHA256(rc.SHA256)
		if err != nil || rc.Name == BuiltinName {
			h.log.Error("ignoring a malformed connector registration", "connector", rc.Name)
			continue
		}
		specs = append(specs, launchSpec{name: rc.Name, path: rc.Path, checksum: sum, production: rc.Enabled})
	}
	return specs, nil
}

// Stop stops every connector: calls in flight may finish until ctx ends,
// then every process is killed and reaped.
func (h *Host) Stop(ctx context.Context) error {
	h.mu.Lock()
	h.stopped = true
	sups := make([]*Supervisor, 0, len(h.conns))
	for _, s := range h.conns {
		sups = append(sups, s)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range sups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Stop(ctx)
		}()
	}
	wg.Wait()
	h.bg.Wait()
	return nil
}

// Ready reports whether this instance can serve banks: the connectors
// have been started once, and at least one of them is serving (running, or
// between a crash and its restart, and not crash-looping). A connector or a
// bank in trouble while another serves is a bank status and a metric, not
// unreadiness; with no connector in the catalog there is nothing to wait
// for. For /readyz: the error says why, never empty.
func (h *Host) Ready(context.Context) error {
	h.mu.RLock()
	stopped, loaded := h.stopped, h.loaded
	h.mu.RUnlock()
	switch {
	case stopped:
		return errors.New("connector host stopped")
	case !loaded:
		return errors.New("connectors not started yet")
	}
	sups := h.supervisors()
	if len(sups) == 0 {
		return nil
	}
	why := make([]string, 0, len(sups))
	for _, s := range sups {
		reason := s.downReason()
		if reason == "" {
			return nil
		}
		why = append(why, s.Name()+": "+reason)
	}
	return fmt.Errorf("no connector is serving (%s)", strings.Join(why, "; "))
}

// Register adds an external connector to the catalog (see
// Catalog.Register), loads it and starts it, so that its banks are known at
// once. The registration stays even when the start fails; the error says
// why it failed.
func (h *Host) Register(ctx context.Context, name, path, sha256hex string, production bool) error {
	if err := h.catalog.Register(ctx, name, path, sha256hex, production); err != nil {
		return err
	}
	if err := h.Reload(ctx); err != nil {
		return err
	}
	h.mu.RLock()
	s, ok := h.conns[name]
	h.mu.RUnlock()
	if !ok {
		return fmt.Errorf("connector %q registered but not loaded", name)
	}
	return s.Start(ctx)
}

// List returns the state of every connector in the catalog.
func (h *Host) List(context.Context) []ConnectorState {
	sups := h.supervisors()
	out := make([]ConnectorState, len(sups))
	for i, s := range sups {
		out[i] = s.state()
	}
	return out
}

func (h *Host) supervisors() []*Supervisor {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*Supervisor, 0, len(h.order))
	for _, name := range h.order {
		out = append(out, h.conns[name])
	}
	return out
}

// onLoaded routes a connector's banks to it and upserts them into the store.
// A bank slug that another connector already serves stays with that one.
func (h *Host) onLoaded(s *Supervisor, md sdk.Metadata) {
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.StartTimeout)
	defer cancel()
	for _, b := range md.Banks {
		h.mu.Lock()
		if h.conns[s.Name()] != s {
			h.mu.Unlock()
			return // replaced meanwhile
		}
		if other, ok := h.routes[b.ID]; ok && other != s && h.rankLocked(other) < h.rankLocked(s) {
			h.mu.Unlock()
			h.log.Warn("bank already served by another connector; ignoring it", "bank", b.ID,
				"connector", s.Name(), "served_by", other.Name())
			continue
		}
		h.routes[b.ID] = s
		if _, ok := h.health[b.ID]; !ok {
			h.health[b.ID] = newBankHealth(h.cfg.HealthWindow, h.cfg.SlowCall)
		}
		h.mu.Unlock()
		bank := bankFromSDK(s.Name(), s.spec.production, b)
		now := time.Now().UTC()
		bank.CreatedAt, bank.UpdatedAt = now, now
		bank.Status = h.bankStatus(b.ID, s)
		if _, err := h.store.Banks().Upsert(ctx, bank); err != nil {
			h.log.Error("cannot store bank", "bank", b.ID, "connector", s.Name(), "error", err)
		}
	}
}

// rankLocked is a connector's precedence when two claim one bank: the
// built-in first, then by name.
func (h *Host) rankLocked(s *Supervisor) int {
	for i, name := range h.order {
		if name == s.Name() {
			return i
		}
	}
	return len(h.order)
}

// route finds the connector serving a bank: from the loaded metadata, or,
// for a connector that has not started yet, from the stored banks.
func (h *Host) route(ctx context.Context, bank string) (*Supervisor, error) {
	h.mu.RLock()
	s, ok := h.routes[bank]
	h.mu.RUnlock()
	if ok {
		return s, nil
	}
	if bank == "" {
		return nil, domain.NotFound("bank")
	}
	b, err := h.store.Banks().GetBySlug(ctx, bank)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil, domain.NotFound("bank")
		}
		return nil, err
	}
	h.mu.RLock()
	s, ok = h.conns[b.Connector]
	h.mu.RUnlock()
	if !ok {
		return nil, domain.NotFound("bank")
	}
	return s, nil
}

func (h *Host) healthOf(bank string) *bankHealth {
	h.mu.RLock()
	hl := h.health[bank]
	h.mu.RUnlock()
	if hl != nil {
		return hl
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if hl = h.health[bank]; hl == nil {
		hl = newBankHealth(h.cfg.HealthWindow, h.cfg.SlowCall)
		h.health[bank] = hl
	}
	return hl
}

func (h *Host) gateOf(bank string) *bankGate {
	h.mu.RLock()
	g := h.gates[bank]
	h.mu.RUnlock()
	if g != nil {
		return g
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if g = h.gates[bank]; g == nil {
		g = newBankGate(bank, h.cfg)
		h.gates[bank] = g
	}
	return g
}

func (h *Host) bankStatus(bank string, s *Supervisor) string {
	st := h.healthOf(bank).stats().status(h.cfg, s.down() || h.gateOf(bank).isOpen())
	h.m.up.WithLabelValues(bank).Set(statusValue(st))
	return st
}

// call runs fn against the bank's connector under the bank's deadline and
// records the outcome. The call first takes one of its bank's slots (or is
// refused at once when the bank's breaker is open, or after SlotWait when
// its budget is full), then one of its connector's. rejected tells a bank's
// own refusal apart.
func (h *Host) call(ctx context.Context, bank, method string,
	fn func(context.Context, sdk.Connector) (*sdk.Rejected, error)) error {
	s, err := h.route(ctx, bank)
	if err != nil {
		return err
	}
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, h.cfg.callTimeout(bank))
	var rej *sdk.Rejected
	gate := h.gateOf(bank)
	probe, err := gate.enter(cctx, h.cfg.SlotWait)
	if err == nil {
		inFlight := h.m.inFlight.WithLabelValues(s.Name(), bank)
		inFlight.Inc()
		err = s.do(cctx, func(ctx context.Context, c sdk.Connector) error {
			var err error
			rej, err = fn(ctx, c)
			return err
		})
		inFlight.Dec()
		h.noteBreaker(s, bank, gate.leave(probe, verdictOf(ctx, err)))
	}
	cancel()
	d := time.Since(start)
	out := outcomeOK
	var derr *domain.Error
	switch {
	case err != nil:
		derr, out = callError(ctx, s.Name(), err)
	case rej != nil && (rej.Reason == sdk.RejectBankUnavailable):
		out = outcomeBankUnavailable
	case rej != nil:
		out = outcomeRejected
	}
	h.m.calls.WithLabelValues(s.Name(), bank, method, string(out)).Inc()
	h.m.duration.WithLabelValues(s.Name(), bank, method).Observe(d.Seconds())
	if counted, failed := out.counts(); counted {
		h.healthOf(bank).record(failed, d, start)
		h.bankStatus(bank, s)
	}
	if derr != nil {
		if out != outcomeCanceled && out != outcomeUnsupported && out != outcomeInvalid {
			h.quiet.warn(s.Name()+"\x00"+bank+"\x00"+method+"\x00"+string(out)+"\x00"+derr.Code,
				"connector call failed", slog.String("connector", s.Name()), slog.String("bank", bank),
				slog.String("method", method), slog.String("outcome", string(out)),
				slog.Int64("duration_ms", d.Milliseconds()), slog.String("error", derr.Error()))
		}
		return derr
	}
	return nil
}

// verdictOf tells what a call's error says about its bank. ctx is the
// caller's: a deadline of the caller's own says nothing about the bank.
func verdictOf(ctx context.Context, err error) verdict {
	var de *domain.Error
	switch {
	case err == nil, errors.Is(err, sdk.ErrUnimplemented), errors.Is(err, sdk.ErrInvalidRequest):
		return verdictAnswer
	case ctx.Err() != nil, errors.As(err, &de):
		// The caller gave up, or the call never reached the bank (a
		// refusal, a connector that cannot start or is stopping).
		return verdictNone
	}
	return verdictFailure // the bank's deadline passed, or the connector failed
}

// noteBreaker logs and counts a bank breaker's transition.
func (h *Host) noteBreaker(s *Supervisor, bank string, c breakerChange) {
	switch c {
	case breakerOpened:
		h.m.bankOpen.WithLabelValues(bank).Set(1)
		h.log.Error("bank keeps timing out or failing; refusing its calls for a while", "connector", s.Name(),
			"bank", bank, "after", h.cfg.BankBreakerAfter, "cooldown", h.cfg.BankBreakerCooldown)
	case breakerClosed:
		h.m.bankOpen.WithLabelValues(bank).Set(0)
		h.log.Info("bank answers again; serving its calls", "connector", s.Name(), "bank", bank)
	default:
		return
	}
	h.bankStatus(bank, s)
}

// Banks lists the banks of every connector in the catalog with their live
// status. Banks of a connector that has not started yet come from the store.
func (h *Host) Banks(ctx context.Context) ([]domain.Bank, error) {
	stored, err := h.store.Banks().List(ctx)
	if err != nil {
		return nil, err
	}
	h.mu.RLock()
	conns := make(map[string]*Supervisor, len(h.conns))
	for k, v := range h.conns {
		conns[k] = v
	}
	routes := make(map[string]*Supervisor, len(h.routes))
	for k, v := range h.routes {
		routes[k] = v
	}
	h.mu.RUnlock()
	out := make([]domain.Bank, 0, len(stored))
	for _, b := range stored {
		s, ok := conns[b.Connector]
		if !ok {
			continue
		}
		if r, routed := routes[b.Slug]; routed && r != s {
			continue // served by another connector
		}
		if known, serves := s.serves(b.Slug); known && !serves {
			continue // the connector no longer serves it
		}
		b.Status = h.bankStatus(b.Slug, s)
		out = append(out, b)
	}
	return out, nil
}

// BeginLogin implements ports.BankConnector.
func (h *Host) BeginLogin(ctx context.Context, bank string, method domain.LoginMethod, credentials map[string]string) (domain.BankStep, error) {
	var step sdk.Step
	err := h.call(ctx, bank, "BeginLogin", func(ctx context.Context, c sdk.Connector) (*sdk.Rejected, error) {
		var err error
		step, err = c.BeginLogin(ctx, sdk.BeginLoginRequest{Bank: bank, Method: methodToSDK(method),
			Credentials: sdk.Credentials(credentials)})
		return step.Rejected, err
	})
	if err != nil {
		return domain.BankStep{}, err
	}
	return h.checked(bank, stepFromSDK(step))
}

// ContinueLogin implements ports.BankConnector.
func (h *Host) ContinueLogin(ctx context.Context, bank string, flowState []byte, answer string) (domain.BankStep, error) {
	var step sdk.Step
	err := h.call(ctx, bank, "ContinueLogin", func(ctx context.Context, c sdk.Connector) (*sdk.Rejected, error) {
		var err error
		step, err = c.ContinueLogin(ctx, sdk.ContinueLoginRequest{FlowState: flowState, Answer: answer})
		return step.Rejected, err
	})
	if err != nil {
		return domain.BankStep{}, err
	}
	return h.checked(bank, stepFromSDK(step))
}

// ResumeSession implements ports.BankConnector.
func (h *Host) ResumeSession(ctx context.Context, bank string, session []byte) (domain.BankStep, error) {
	var step sdk.Step
	err := h.call(ctx, bank, "ResumeSession", func(ctx context.Context, c sdk.Connector) (*sdk.Rejected, error) {
		var err error
		step, err = c.ResumeSession(ctx, sdk.ResumeSessionRequest{Bank: bank, Session: session})
		return step.Rejected, err
	})
	if err != nil {
		return domain.BankStep{}, err
	}
	return h.checked(bank, stepFromSDK(step))
}

// GetBalance implements ports.BankConnector.
func (h *Host) GetBalance(ctx context.Context, bank string, session []byte, accountRefs []string) (domain.BankBalances, error) {
	var res sdk.BalanceResult
	err := h.call(ctx, bank, "GetBalance", func(ctx context.Context, c sdk.Connector) (*sdk.Rejected, error) {
		var err error
		res, err = c.GetBalance(ctx, sdk.GetBalanceRequest{Bank: bank, Session: session, AccountIDs: accountRefs})
		return res.Rejected, err
	})
	if err != nil {
		return domain.BankBalances{}, err
	}
	return balancesFromSDK(res), nil
}

// GetIdentity implements ports.BankConnector. A connector of protocol 1.0
// answers Unimplemented, which comes back as kind unavailable with code
// UNSUPPORTED (not counted against the bank's health).
func (h *Host) GetIdentity(ctx context.Context, bank string, session []byte) (domain.BankIdentity, error) {
	var res sdk.IdentityResult
	err := h.call(ctx, bank, "GetIdentity", func(ctx context.Context, c sdk.Connector) (*sdk.Rejected, error) {
		var err error
		res, err = sdk.GetIdentity(ctx, c, sdk.GetIdentityRequest{Bank: bank, Session: session})
		return res.Rejected, err
	})
	if err != nil {
		return domain.BankIdentity{}, err
	}
	return identityFromSDK(res), nil
}
