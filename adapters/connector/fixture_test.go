package connector

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/plugins/fakebank"
	"github.com/bankauth/bankauth/plugins/sdk"
)

// Each misbehaving connector costs only the call in flight a domain error of
// the right kind within the deadline; the host stays usable, the next call
// succeeds, and no process is left behind.
func TestMisbehavingConnectors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode        string
		kind        domain.Kind
		sameProcess bool // the process survives the failure
	}{
		{modePanic, domain.KindConnectorFailed, false},
		{modeExit, domain.KindConnectorFailed, false},
		{modeHang, domain.KindTimeout, true},
		{modeGarbage, domain.KindConnectorFailed, true},
	}
	cfg := testConfig(t)
	binaries := map[string]string{}
	t.Cleanup(func() {
		// Cleanups run last-in first-out: this one after the host's Stop.
		// Every process any fixture started is gone.
		for mode, bin := range binaries {
			pids := readPIDs(t, bin)
			if len(pids) == 0 {
				t.Errorf("%s: never ran", mode)
			}
			for _, pid := range pids {
				assertGone(t, pid)
			}
		}
	})
	h := newTestHost(t, cfg)
	for _, c := range cases {
		binaries[c.mode] = installFixture(t, cfg.PluginDir, c.mode)
		registerBinary(t, h.store, cfg.PluginDir, c.mode, binaries[c.mode], false)
	}
	start(t, h.Host)

	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			t.Parallel()
			bank := fixtureBank(c.mode)
			goodLogin(t, h.Host, bank)
			pid := h.pidOf(t, c.mode)
			began := time.Now()
			_, err := h.BeginLogin(context.Background(), bank, domain.MethodInternetBanking,
				map[string]string{"username": "u", "password": pwTrigger})
			elapsed := time.Since(began)
			de := requireKind(t, err, c.kind)
			if !de.Retryable {
				t.Errorf("%s: not retryable", c.mode)
			}
			if !strings.Contains(de.Error(), `connector "`+c.mode+`"`) {
				t.Errorf("error does not name the connector: %v", de)
			}
			if elapsed > cfg.CallTimeout+500*time.Millisecond {
				t.Errorf("the failure took %s; deadline %s", elapsed, cfg.CallTimeout)
			}
			// The host stays usable: another connector answers meanwhile.
			goodLogin(t, h.Host, "sandbox-bank")
			// And the failed one answers the next call.
			st := goodLogin(t, h.Host, bank)
			if st.Authenticated.Owner.Name != "Fixture Owner" {
				t.Errorf("owner %q", st.Authenticated.Owner.Name)
			}
			np := h.pidOf(t, c.mode)
			if c.sameProcess && np != pid {
				t.Errorf("process replaced (%d -> %d), want it kept", pid, np)
			}
			if !c.sameProcess {
				if np == pid {
					t.Errorf("process %d not replaced", pid)
				}
				assertGone(t, pid)
			}
		})
	}
}

// A bank that hangs (its connector ignores deadlines) costs each call the
// deadline and nothing more: the process is kept while it answers its
// health check, and the connector's other bank is served throughout. After
// BankBreakerAfter timeouts the bank's breaker opens: its calls are refused
// at once and it is down; after the cool-down one call probes it, a failed
// probe opens the breaker again and an answered one closes it.
func TestHangingBankKeepsTheProcess(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.CallTimeout = 300 * time.Millisecond
	cfg.BankBreakerAfter = 3
	cfg.BankBreakerCooldown = 400 * time.Millisecond
	h := newTestHost(t, cfg)
	bin := installFixture(t, cfg.PluginDir, modeHang)
	registerBinary(t, h.store, cfg.PluginDir, "hang", bin, false)
	start(t, h.Host)
	pid := h.pidOf(t, "hang")
	ctx := context.Background()
	bank := fixtureBank(modeHang)
	login := func(b, pw string) (time.Duration, error) {
		began := time.Now()
		_, err := h.BeginLogin(ctx, b, domain.MethodInternetBanking, map[string]string{"password": pw})
		return time.Since(began), err
	}
	timesOut := func(what string) {
		t.Helper()
		took, err := login(bank, pwTrigger)
		requireKind(t, err, domain.KindTimeout)
		if took < cfg.CallTimeout || took > cfg.CallTimeout+time.Second {
			t.Errorf("%s: timed out after %s, deadline %s", what, took, cfg.CallTimeout)
		}
	}
	refused := func(what string) {
		t.Helper()
		took, err := login(bank, pwGood)
		de := requireKind(t, err, domain.KindUnavailable)
		if de.Code != CodeBreakerOpen || !de.Retryable || took > 100*time.Millisecond {
			t.Errorf("%s: want a quick retryable %s, got %s (retryable %v) after %s", what, CodeBreakerOpen, de.Code, de.Retryable, took)
		}
	}
	status := func() map[string]string {
		t.Helper()
		banks, err := h.Banks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, b := range banks {
			out[b.Slug] = b.Status
		}
		return out
	}
	// waitCooldown polls until the breaker lets a probe through.
	waitCooldown := func() {
		t.Helper()
		g := h.gateOf(bank)
		deadline := time.Now().Add(5 * time.Second)
		for {
			g.mu.Lock()
			due := !time.Now().Before(g.openUntil)
			g.mu.Unlock()
			if due {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the breaker never half-opened")
			}
			time.Sleep(10 * time.Millisecond) // polling with a deadline
		}
	}

	for i := range cfg.BankBreakerAfter {
		timesOut(fmt.Sprintf("call %d", i+1))
		goodLogin(t, h.Host, calmBank)
	}
	refused("after the timeouts")
	if st := status(); st[bank] != domain.BankDown || st[calmBank] != domain.BankOperational {
		t.Errorf("with the breaker open: %v, want %s down and %s operational", st, bank, calmBank)
	}
	if v := metricValue(t, h.reg, "bankauth_bank_breaker_open", map[string]string{"bank": bank}); v != 1 {
		t.Errorf("bank breaker metric %v, want 1", v)
	}
	goodLogin(t, h.Host, calmBank)

	waitCooldown()
	timesOut("a failed probe")
	refused("after a failed probe")
	waitCooldown()
	goodLogin(t, h.Host, bank) // the probe is answered
	goodLogin(t, h.Host, bank)
	if st := status(); st[bank] == domain.BankDown {
		t.Errorf("after an answered probe %s is down", bank)
	}
	if v := metricValue(t, h.reg, "bankauth_bank_breaker_open", map[string]string{"bank": bank}); v != 0 {
		t.Errorf("bank breaker metric %v after the probe, want 0", v)
	}

	if np := h.pidOf(t, "hang"); np != pid {
		t.Errorf("the process was replaced (%d -> %d); a timeout is no reason to", pid, np)
	}
	if st := h.state(t, "hang"); st.Restarts != 0 || st.BreakerOpen {
		t.Errorf("connector state %+v, want no restart and its breaker closed", st)
	}
	if err := h.Ready(ctx); err != nil {
		t.Errorf("a hanging bank made the host unready: %v", err)
	}
}

// A full budget refuses a call quickly with a retryable BANK_BUSY instead
// of queueing it: the bank's own budget leaves its neighbour served, the
// connector's budget bounds all its banks together, and a call whose own
// context ends first gets its own error.
func TestBudgets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		bankSlots   int
		connSlots   int
		callerWait  time.Duration // the second call's own deadline; 0: none
		second      string        // the bank of the second call
		wantKind    domain.Kind
		calmServed  bool // a call to the other bank succeeds meanwhile
		holdingSlot func(h *testHost) int
	}{
		{name: "bank budget", bankSlots: 1, second: fixtureBank(modeHang), wantKind: domain.KindUnavailable,
			calmServed: true, holdingSlot: func(h *testHost) int { return h.gateOf(fixtureBank(modeHang)).inUse() }},
		{name: "connector budget", bankSlots: 4, connSlots: 1, second: calmBank, wantKind: domain.KindUnavailable,
			holdingSlot: func(h *testHost) int { return len(h.conns["hang"].sem) }},
		{name: "caller's deadline first", bankSlots: 1, callerWait: 20 * time.Millisecond, second: fixtureBank(modeHang),
			wantKind: domain.KindTimeout, calmServed: true,
			holdingSlot: func(h *testHost) int { return h.gateOf(fixtureBank(modeHang)).inUse() }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			cfg.CallTimeout = 3 * time.Second
			cfg.BankConcurrent = c.bankSlots
			cfg.MaxConcurrent = c.connSlots
			cfg.SlotWait = 200 * time.Millisecond
			h := newTestHost(t, cfg)
			bin := installFixture(t, cfg.PluginDir, modeHang)
			registerBinary(t, h.store, cfg.PluginDir, "hang", bin, false)
			start(t, h.Host)

			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = h.BeginLogin(context.Background(), fixtureBank(modeHang), domain.MethodInternetBanking,
					map[string]string{"password": pwTrigger})
			}()
			deadline := time.Now().Add(5 * time.Second)
			for c.holdingSlot(h) == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the hanging call never took the slot")
				}
				time.Sleep(5 * time.Millisecond) // polling with a deadline
			}
			ctx := context.Background()
			if c.callerWait > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.callerWait)
				defer cancel()
			}
			began := time.Now()
			_, err := h.BeginLogin(ctx, c.second, domain.MethodInternetBanking, map[string]string{"password": pwGood})
			took := time.Since(began)
			de := requireKind(t, err, c.wantKind)
			if c.wantKind == domain.KindUnavailable && (de.Code != CodeBusy || !de.Retryable) {
				t.Errorf("want a retryable %s, got %s (retryable %v)", CodeBusy, de.Code, de.Retryable)
			}
			if took > cfg.SlotWait+500*time.Millisecond {
				t.Errorf("the refusal took %s; a full budget waits at most %s", took, cfg.SlotWait)
			}
			if c.calmServed {
				goodLogin(t, h.Host, calmBank)
			}
			wg.Wait()
			goodLogin(t, h.Host, fixtureBank(modeHang))
		})
	}
}

// A connector that cannot start costs calls a kind unavailable error within
// the start timeout; after CrashLoopThreshold failures the breaker opens and
// calls fail fast. The built-in keeps serving. No process is left.
func TestStartFailures(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{modeNoHandshake, modeJunk} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			// The built-in connector starts under the same timeout: short
			// enough to keep the test quick, long enough for a -race build
			// on a busy machine to start it.
			cfg.StartTimeout = 3 * time.Second
			// A call outlives a failed start, so it reports the start's
			// failure rather than its own deadline.
			cfg.CallTimeout = 2 * cfg.StartTimeout
			cfg.CrashLoopThreshold = 3
			cfg.RestartBackoff = time.Millisecond
			cfg.MaxRestartBackoff = time.Millisecond
			h := newTestHost(t, cfg)
			bin := installFixture(t, cfg.PluginDir, mode)
			registerBinary(t, h.store, cfg.PluginDir, "broken", bin, false)
			// The connector served its bank once; its row routes calls to it.
			if _, err := h.store.Banks().Upsert(context.Background(), domain.Bank{Slug: "broken-bank",
				Name: "Broken", Connector: "broken", Methods: []domain.LoginMethod{domain.MethodInternetBanking},
				CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			start(t, h.Host) // one failed start
			if err := h.Ready(context.Background()); err != nil {
				t.Errorf("an external connector's failure made the host unready: %v", err)
			}
			st := h.state(t, "broken")
			if st.Running || st.LastError == "" || !strings.Contains(st.LastError, `connector "broken"`) {
				t.Errorf("state after a failed start: %+v", st)
			}
			for i := 0; i < 2; i++ {
				began := time.Now()
				_, err := h.BeginLogin(context.Background(), "broken-bank", domain.MethodInternetBanking,
					map[string]string{"password": pwGood})
				de := requireKind(t, err, domain.KindUnavailable)
				if de.Code != CodeUnavailable {
					t.Errorf("code %s", de.Code)
				}
				if el := time.Since(began); el > cfg.StartTimeout+time.Second {
					t.Errorf("failed start took %s", el)
				}
			}
			// Three failures: the breaker is open, calls fail fast.
			began := time.Now()
			_, err := h.BeginLogin(context.Background(), "broken-bank", domain.MethodInternetBanking,
				map[string]string{"password": pwGood})
			de := requireKind(t, err, domain.KindUnavailable)
			if de.Code != CodeCrashLoop || time.Since(began) > 100*time.Millisecond {
				t.Errorf("breaker: code %s after %s", de.Code, time.Since(began))
			}
			if v := metricValue(t, h.reg, "bankauth_connector_breaker_open", map[string]string{"connector": "broken"}); v != 1 {
				t.Errorf("breaker metric %v", v)
			}
			banks, err := h.Banks(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range banks {
				want := domain.BankOperational
				if b.Slug == "broken-bank" {
					want = domain.BankDown
				}
				if b.Slug != "sandbox-flaky-bank" && b.Status != want {
					t.Errorf("bank %s is %s, want %s", b.Slug, b.Status, want)
				}
			}
			goodLogin(t, h.Host, "sandbox-bank")
			pids := readPIDs(t, bin)
			if len(pids) != 3 {
				t.Errorf("the broken connector ran %d times, want 3", len(pids))
			}
			for _, pid := range pids {
				assertGone(t, pid)
			}
		})
	}
}

// A connector sees only the allow-listed part of the host's environment.
func TestConnectorEnvironment(t *testing.T) {
	t.Setenv("BANKAUTH_DATABASE_URL", "postgres://secret")
	t.Setenv("BANKAUTH_SEAL_KEY", "secret")
	t.Setenv("DATABASE_URL", "postgres://secret")
	t.Setenv("PGPASSWORD", "secret")
	t.Setenv("PGHOST", "db")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("LANG", "C.UTF-8")
	cfg := testConfig(t)
	scenario, _ := filepath.Abs(filepath.Join("testdata", "fakebank", "flaky-down.json"))
	cfg.BuiltinEnv, cfg.BuiltinReadPaths = []string{fakebank.ScenarioEnv + "=" + scenario}, []string{scenario}
	h := newTestHost(t, cfg)
	bin := installFixture(t, cfg.PluginDir, modeEnv)
	registerBinary(t, h.store, cfg.PluginDir, "env", bin, false)
	start(t, h.Host)
	st := goodLogin(t, h.Host, fixtureBank(modeEnv))
	env := strings.Split(st.Authenticated.Owner.Name, "\n")
	seen := map[string]bool{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		seen[k] = true
		switch {
		case k == sdk.Handshake.MagicCookieKey: // go-plugin's handshake cookie, not a host secret
		case strings.HasPrefix(k, "BANKAUTH_"), strings.Contains(k, "DATABASE"), strings.HasPrefix(k, "PG"),
			strings.HasPrefix(k, "AWS_"), k == "FAKEBANK_SCENARIO":
			t.Errorf("the connector sees %s", k)
		}
		if strings.Contains(kv, "secret") {
			t.Errorf("the connector sees a secret: %s", k)
		}
	}
	if !seen["PATH"] || !seen["LANG"] {
		t.Errorf("allow-listed variables missing: %v", env)
	}
	if !seen["PLUGIN_CLIENT_CERT"] {
		t.Errorf("AutoMTLS is off: no PLUGIN_CLIENT_CERT in %v", env)
	}
}

// A connector that keeps crashing opens the breaker: calls fail fast with
// kind unavailable; after the cool-down the next call starts it again.
func TestCrashLoopBreaker(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.CrashLoopThreshold = 3
	cfg.BreakerCooldown = 500 * time.Millisecond
	cfg.RestartBackoff = time.Millisecond
	cfg.MaxRestartBackoff = 5 * time.Millisecond
	bin := ""
	t.Cleanup(func() {
		for _, pid := range readPIDs(t, bin) {
			assertGone(t, pid)
		}
	})
	h := newTestHost(t, cfg)
	bin = installFixture(t, cfg.PluginDir, modeExit)
	registerBinary(t, h.store, cfg.PluginDir, "exit", bin, false)
	start(t, h.Host)
	ctx := context.Background()
	bank := fixtureBank(modeExit)
	for range cfg.CrashLoopThreshold {
		_, err := h.BeginLogin(ctx, bank, domain.MethodInternetBanking, map[string]string{"password": pwTrigger})
		requireKind(t, err, domain.KindConnectorFailed)
	}
	began := time.Now()
	_, err := h.BeginLogin(ctx, bank, domain.MethodInternetBanking, map[string]string{"password": pwGood})
	if de := requireKind(t, err, domain.KindUnavailable); de.Code != CodeCrashLoop || time.Since(began) > 100*time.Millisecond {
		t.Fatalf("breaker: %v after %s", err, time.Since(began))
	}
	if !h.state(t, "exit").BreakerOpen {
		t.Error("state does not show the breaker open")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := h.BeginLogin(ctx, bank, domain.MethodInternetBanking, map[string]string{"password": pwGood})
		if err == nil {
			break
		}
		if de, _ := domain.AsError(err); de == nil || de.Code != CodeCrashLoop || time.Now().After(deadline) {
			t.Fatalf("after the cool-down: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
	if got := len(readPIDs(t, bin)); got != cfg.CrashLoopThreshold+1 {
		t.Errorf("%d processes started, want %d", got, cfg.CrashLoopThreshold+1)
	}
}

// Ready means this instance can serve a bank: one connector serving is
// enough, and a reason is given whenever it is not ready.
func TestReadiness(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		builtin    bool
		crashLoop  bool // register a connector that crash-loops
		crashBoth  bool // and the built-in crash-loops too, while a third serves
		wantReady  bool
		wantReason string
	}{
		{name: "nothing in the catalog", wantReady: true},
		{name: "built-in serving", builtin: true, wantReady: true},
		{name: "built-in serving, another crash-looping", builtin: true, crashLoop: true, wantReady: true},
		{name: "the only connector crash-looping", crashLoop: true, wantReason: `exit: crash-looping`},
		{name: "built-in crash-looping, another serving", builtin: true, crashLoop: true, crashBoth: true, wantReady: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			cfg.DisableBuiltin = !c.builtin
			cfg.CrashLoopThreshold = 2
			cfg.RestartBackoff = time.Millisecond
			cfg.MaxRestartBackoff = time.Millisecond
			h := newTestHost(t, cfg)
			if c.crashLoop {
				bin := installFixture(t, cfg.PluginDir, modeExit)
				registerBinary(t, h.store, cfg.PluginDir, "exit", bin, false)
			}
			if c.crashBoth {
				bin := installFixture(t, cfg.PluginDir, modeGood)
				registerBinary(t, h.store, cfg.PluginDir, "good", bin, false)
			}
			ctx := context.Background()
			if err := h.Ready(ctx); err == nil || err.Error() == "" {
				t.Errorf("ready before start (%v); want a reason", err)
			}
			start(t, h.Host)
			if c.crashLoop {
				for range cfg.CrashLoopThreshold {
					_, err := h.BeginLogin(ctx, fixtureBank(modeExit), domain.MethodInternetBanking, map[string]string{"password": pwTrigger})
					requireKind(t, err, domain.KindConnectorFailed)
				}
				if !h.state(t, "exit").BreakerOpen {
					t.Fatal("the crash-looping connector's breaker is not open")
				}
			}
			if c.crashBoth {
				for range cfg.CrashLoopThreshold {
					_, err := h.BeginLogin(ctx, "sandbox-bank", domain.MethodInternetBanking,
						map[string]string{"username": "user_good", "password": "error_CRASH"})
					requireKind(t, err, domain.KindConnectorFailed)
				}
				if !h.state(t, BuiltinName).BreakerOpen {
					t.Fatal("the built-in connector's breaker is not open")
				}
			}
			err := h.Ready(ctx)
			switch {
			case c.wantReady && err != nil:
				t.Errorf("not ready: %v", err)
			case !c.wantReady && err == nil:
				t.Error("ready, want not ready")
			case !c.wantReady && !strings.Contains(err.Error(), c.wantReason):
				t.Errorf("reason %q, want it to say %q", err, c.wantReason)
			}
		})
	}
}
