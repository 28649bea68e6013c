package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/plugins/sdk"
)

// launchSpec says how to run one connector.
type launchSpec struct {
	name       string
	builtin    bool
	path       string
	args       []string
	env        []string // added to the allow-listed host variables
	checksum   []byte   // external connectors: the registered SHA-256
	production bool
}

// instance is one running connector process.
type instance struct {
	client   *plugin.Client
	conn     sdk.Connector
	health   grpc_health_v1.HealthClient
	pid      int
	md       sdk.Metadata
	checking atomic.Bool // a health check is under way
	release  func()      // frees the thread that started the process
	killOnce sync.Once
}

// kill ends the process and waits for it to be gone.
func (i *instance) kill() {
	i.killOnce.Do(func() {
		i.client.Kill()
		i.release()
	})
}

// Supervisor runs one connector: it starts the process on demand, bounds
// the calls in flight, notices crashes and processes that stop answering
// their health check, restarts with backoff, opens a breaker when the
// connector crash-loops, and kills the process on Stop. No process outlives
// the supervisor, and the kernel ends the process if this one dies first.
type Supervisor struct {
	spec    launchSpec
	cfg     Config
	catalog *Catalog // resolves external paths at every start
	log     *slog.Logger
	m       *metrics
	loaded  func(*Supervisor, sdk.Metadata) // after every successful start
	sem     chan struct{}
	bg      sync.WaitGroup // launches and kills in the background

	mu        sync.Mutex
	inst      *instance
	starting  chan struct{} // closed when the launch in progress ends
	lastErr   *domain.Error // of the last failed start
	failures  []time.Time   // crashes and failed starts within CrashLoopWindow
	failRun   int           // consecutive crashes and failed starts
	nextStart time.Time     // backoff
	openUntil time.Time     // breaker
	stopped   bool
	launches  int
	restarts  int
	inflight  int
	drained   chan struct{} // closed when inflight drops to zero during Stop
	md        *sdk.Metadata
}

func newSupervisor(spec launchSpec, cfg Config, cat *Catalog, log *slog.Logger, m *metrics,
	loaded func(*Supervisor, sdk.Metadata)) *Supervisor {
	return &Supervisor{spec: spec, cfg: cfg, catalog: cat, log: log.With("connector", spec.name), m: m,
		loaded: loaded, sem: make(chan struct{}, cfg.MaxConcurrent)}
}

// Name is the connector's catalog name.
func (s *Supervisor) Name() string { return s.spec.name }

// Start starts the process unless it runs already.
func (s *Supervisor) Start(ctx context.Context) error {
	_, err := s.acquire(ctx)
	return err
}

// Stop waits for the calls in flight (until ctx ends), then kills the
// process and waits for it to be gone.
func (s *Supervisor) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	var drained chan struct{}
	if s.inflight > 0 {
		s.drained = make(chan struct{})
		drained = s.drained
	}
	s.mu.Unlock()
	if drained != nil {
		select {
		case <-drained:
		case <-ctx.Done():
		}
	}
	s.bg.Wait() // a launch in progress ends within StartTimeout and sees stopped
	s.mu.Lock()
	inst := s.inst
	s.inst = nil
	s.mu.Unlock()
	if inst != nil {
		inst.kill()
	}
	return nil
}

// do runs fn against the running process. ctx carries the call's deadline.
// The error is the connector's, a context error, or a *domain.Error from
// starting.
func (s *Supervisor) do(ctx context.Context, fn func(context.Context, sdk.Connector) error) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return &domain.Error{Kind: domain.KindUnavailable, Code: CodeUnavailable, Retryable: true,
			Message: "the bank's connector is unavailable", Err: fmt.Errorf("connector %q is stopped", s.spec.name)}
	}
	s.inflight++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight--
		if s.inflight == 0 && s.drained != nil {
			close(s.drained)
			s.drained = nil
		}
		s.mu.Unlock()
	}()

	if err := s.takeSlot(ctx); err != nil {
		return err
	}
	defer func() { <-s.sem }()

	inst, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	err = fn(ctx, inst.conn)
	s.after(ctx, inst, err)
	return err
}

// takeSlot takes one of the connector's slots, waiting at most SlotWait:
// a full connector refuses quickly rather than queueing callers.
func (s *Supervisor) takeSlot(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(s.cfg.SlotWait)
	defer t.Stop()
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-t.C:
		return refusal(CodeBusy, "the bank's connector is busy; try again shortly",
			fmt.Errorf("connector %q: all %d call slots in use", s.spec.name, cap(s.sem)))
	case <-ctx.Done():
		return ctx.Err()
	}
}

// after looks at a call's error to tell whether the process is still fit.
// A call that timed out was cancelled and says nothing about the process
// (its bank's breaker deals with a bank that hangs); the process is
// replaced only when it has exited or no longer answers its health check.
func (s *Supervisor) after(ctx context.Context, inst *instance, err error) {
	switch {
	case err == nil, errors.Is(err, sdk.ErrUnimplemented), errors.Is(err, sdk.ErrInvalidRequest):
		s.mu.Lock()
		s.failRun = 0
		s.mu.Unlock()
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// The caller went away; says nothing about the connector.
	default:
		// Timed out, crashed mid-call, broken connection, or garbage. One
		// health check at a time answers for all the calls that failed
		// meanwhile.
		if !inst.checking.CompareAndSwap(false, true) {
			return
		}
		defer inst.checking.Store(false)
		if !s.alive(inst) {
			s.retire(inst, "it exited or stopped answering its health check", true)
		}
	}
}

// alive reports whether the process runs and answers a health check.
func (s *Supervisor) alive(inst *instance) bool {
	if inst.client.Exited() {
		return false
	}
	if inst.health == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := inst.health.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: plugin.GRPCServiceName})
	return err == nil && !inst.client.Exited()
}

// retire drops inst (if it is still current) and kills its process.
func (s *Supervisor) retire(inst *instance, why string, failure bool) {
	s.mu.Lock()
	current := s.inst == inst
	if current {
		s.inst = nil
		if failure {
			s.noteFailureLocked(time.Now())
		}
	}
	stopped := s.stopped
	if !stopped {
		s.bg.Add(1)
	}
	s.mu.Unlock()
	if current {
		s.log.Warn("connector process replaced", "reason", why, "pid", inst.pid)
	}
	if stopped {
		inst.kill()
		return
	}
	go func() {
		defer s.bg.Done()
		inst.kill()
	}()
}

// noteFailureLocked counts a crash or a failed start: it sets the backoff
// for the next start and opens the breaker on a crash loop.
func (s *Supervisor) noteFailureLocked(now time.Time) {
	s.failRun++
	keep := s.failures[:0]
	for _, t := range s.failures {
		if now.Sub(t) < s.cfg.CrashLoopWindow {
			keep = append(keep, t)
		}
	}
	s.failures = append(keep, now)
	var delay time.Duration
	if s.failRun > 1 {
		delay = s.cfg.RestartBackoff
		for i := 2; i < s.failRun && delay < s.cfg.MaxRestartBackoff; i++ {
			delay *= 2
		}
		delay = min(delay, s.cfg.MaxRestartBackoff)
	}
	s.nextStart = now.Add(delay)
	if len(s.failures) >= s.cfg.CrashLoopThreshold {
		s.openUntil = now.Add(s.cfg.BreakerCooldown)
		s.m.breaker.WithLabelValues(s.spec.name).Set(1)
		s.log.Error("connector is crash-looping; failing its calls fast", "failures", len(s.failures),
			"window", s.cfg.CrashLoopWindow, "cooldown", s.cfg.BreakerCooldown)
	}
}

func (s *Supervisor) unavailable(err error) *domain.Error {
	return &domain.Error{Kind: domain.KindUnavailable, Code: CodeUnavailable, Retryable: true,
		Message: "the bank's connector is unavailable", Err: fmt.Errorf("connector %q: %w", s.spec.name, err)}
}

// acquire returns the running instance, starting one if needed. Concurrent
// callers share one launch; each waits only as long as its ctx allows.
func (s *Supervisor) acquire(ctx context.Context) (*instance, error) {
	for {
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return nil, s.unavailable(errors.New("stopped"))
		}
		if inst := s.inst; inst != nil {
			if !inst.client.Exited() {
				s.mu.Unlock()
				return inst, nil
			}
			s.mu.Unlock()
			s.retire(inst, "it exited", true)
			continue
		}
		now := time.Now()
		if now.Before(s.openUntil) {
			s.mu.Unlock()
			return nil, &domain.Error{Kind: domain.KindUnavailable, Code: CodeCrashLoop, Retryable: true,
				Message: "the bank's connector is unavailable",
				Err:     fmt.Errorf("connector %q is crash-looping; retry after %s", s.spec.name, s.openUntil.Sub(now).Round(time.Second))}
		}
		ch := s.starting
		if ch == nil {
			if wait := s.nextStart.Sub(now); wait > 0 {
				s.mu.Unlock()
				if dl, ok := ctx.Deadline(); ok && now.Add(wait).After(dl) {
					return nil, s.unavailable(fmt.Errorf("restarting after a failure; next attempt in %s", wait.Round(time.Millisecond)))
				}
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return nil, ctx.Err()
				}
				continue
			}
			ch = make(chan struct{})
			s.starting = ch
			s.bg.Add(1)
			go s.launch(ch)
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s.mu.Lock()
		inst, lastErr := s.inst, s.lastErr
		s.mu.Unlock()
		if inst == nil {
			if lastErr == nil {
				lastErr = s.unavailable(errors.New("not running"))
			}
			return nil, lastErr
		}
		// Loop once more: the instance may have died already.
	}
}

// launch starts a process and installs it; it closes ch when done.
func (s *Supervisor) launch(ch chan struct{}) {
	defer s.bg.Done()
	inst, err := s.start()
	s.mu.Lock()
	s.starting = nil
	if s.stopped {
		s.mu.Unlock()
		if inst != nil {
			inst.kill()
		}
		close(ch)
		return
	}
	if err != nil {
		s.lastErr = startError(s.spec.name, err)
		s.noteFailureLocked(time.Now())
		s.mu.Unlock()
		s.log.Error("connector did not start", "error", s.lastErr.Err)
		close(ch)
		return
	}
	restart := s.launches > 0 || s.lastErr != nil
	s.launches++
	if restart {
		s.restarts++
		s.m.restarts.WithLabelValues(s.spec.name).Inc()
	}
	s.inst = inst
	s.lastErr = nil
	md := inst.md
	s.md = &md
	if !time.Now().Before(s.openUntil) {
		s.m.breaker.WithLabelValues(s.spec.name).Set(0)
	}
	s.mu.Unlock()
	s.log.Info("connector started", "pid", inst.pid, "name", md.Name, "version", md.Version, "banks", len(md.Banks))
	if s.loaded != nil {
		s.loaded(s, md)
	}
	close(ch)
}

// start execs the connector, completes the handshake and reads its
// metadata, all within StartTimeout. On error no process is left.
func (s *Supervisor) start() (*instance, error) {
	spec := s.spec
	l := &launch{s: s, path: spec.path, args: spec.args}
	if !spec.builtin {
		// Checked at every start: the registration may be stale, the
		// directory configuration may have changed.
		abs, err := s.catalog.resolve(spec.path)
		if err != nil {
			return nil, err
		}
		l.path = abs
		l.checksum = spec.checksum
	}
	noteConfinement(s.log)
	// The process is started by l.runner, confined; it verifies the
	// checksum as go-plugin's SecureConfig would.
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.PluginSets(),
		RunnerFunc:       l.runner,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions:  sdk.DialOptions(),
		SkipHostEnv:      true,
		StartTimeout:     s.cfg.StartTimeout,
		Managed:          false,
		Logger:           newPluginLogger(s.log),
	})
	deadline := time.Now().Add(s.cfg.StartTimeout)
	var (
		rpc plugin.ClientProtocol
		err error
	)
	release := startOnOwnThread(func() { rpc, err = client.Client() })
	fail := func(err error) (*instance, error) {
		client.Kill()
		release()
		return nil, err
	}
	if err != nil {
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			return fail(errChecksum)
		}
		return fail(err)
	}
	conn, err := sdk.Dispense(rpc)
	if err != nil {
		return fail(err)
	}
	inst := &instance{client: client, conn: conn, release: release, pid: l.pid()}
	if g, ok := rpc.(*plugin.GRPCClient); ok {
		inst.health = grpc_health_v1.NewHealthClient(g.Conn)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	md, err := conn.GetMetadata(ctx)
	if err != nil {
		return fail(fmt.Errorf("read metadata: %w", err))
	}
	// The SDK's rules, the same the conformance kit certifies by.
	if err := md.Validate(); err != nil {
		return fail(fmt.Errorf("refuse its metadata: %w", err))
	}
	inst.md = md
	return inst, nil
}

// ConnectorState is a connector's state for operators.
type ConnectorState struct {
	Name        string
	Builtin     bool
	Path        string
	Production  bool
	Running     bool
	PID         int
	Restarts    int
	BreakerOpen bool
	LastError   string
	Version     string
	Banks       []string
}

func (s *Supervisor) state() ConnectorState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := ConnectorState{Name: s.spec.name, Builtin: s.spec.builtin, Path: s.spec.path,
		Production: s.spec.production, Restarts: s.restarts, BreakerOpen: time.Now().Before(s.openUntil)}
	if s.inst != nil && !s.inst.client.Exited() {
		st.Running = true
		st.PID = s.inst.pid
	}
	if s.lastErr != nil {
		st.LastError = s.lastErr.Error()
	}
	if s.md != nil {
		st.Version = s.md.Version
		for _, b := range s.md.Banks {
			st.Banks = append(st.Banks, b.ID)
		}
	}
	return st
}

// down reports whether calls cannot reach the connector at all: the breaker
// is open, or it is not running and its last start failed.
func (s *Supervisor) down() bool { return s.downReason() != "" }

// downReason says why calls cannot reach the connector at all, or is empty
// when they can (see down).
func (s *Supervisor) downReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := time.Now(); now.Before(s.openUntil) {
		return fmt.Sprintf("crash-looping; next start in %s", s.openUntil.Sub(now).Round(time.Second))
	}
	if s.inst == nil && s.lastErr != nil {
		if msg := s.lastErr.Error(); msg != "" {
			return msg
		}
		return "its last start failed"
	}
	return ""
}

// serves reports whether the connector's last metadata lists a bank; known
// is false when it never started.
func (s *Supervisor) serves(slug string) (known, serves bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.md == nil {
		return false, false
	}
	for _, b := range s.md.Banks {
		if b.ID == slug {
			return true, true
		}
	}
	return true, false
}
