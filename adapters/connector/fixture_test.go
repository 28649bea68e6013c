package connector

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
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

// A connector that ignores deadlines is replaced after repeated timeouts.
func TestHangingConnectorIsRecycled(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.CallTimeout = 300 * time.Millisecond
	cfg.RecycleAfterTimeouts = 2
	h := newTestHost(t, cfg)
	bin := installFixture(t, cfg.PluginDir, modeHang)
	registerBinary(t, h.store, cfg.PluginDir, "hang", bin, false)
	start(t, h.Host)
	pid := h.pidOf(t, "hang")
	for range 2 {
		_, err := h.BeginLogin(context.Background(), fixtureBank(modeHang), domain.MethodInternetBanking,
			map[string]string{"password": pwTrigger})
		requireKind(t, err, domain.KindTimeout)
	}
	assertGone(t, pid)
	// The restart itself may take longer than this test's short deadline.
	if err := h.conns["hang"].Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	goodLogin(t, h.Host, fixtureBank(modeHang))
	if np := h.pidOf(t, "hang"); np == pid {
		t.Errorf("hanging process %d not replaced", pid)
	}
}

// The concurrency limit bounds calls in flight; a waiting call respects its
// context.
func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.MaxConcurrent = 1
	h := newTestHost(t, cfg)
	bin := installFixture(t, cfg.PluginDir, modeHang)
	registerBinary(t, h.store, cfg.PluginDir, "hang", bin, false)
	start(t, h.Host)
	sup := h.conns["hang"]

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = h.BeginLogin(context.Background(), fixtureBank(modeHang), domain.MethodInternetBanking,
			map[string]string{"password": pwTrigger})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(sup.sem) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the hanging call never took the slot")
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := h.BeginLogin(ctx, fixtureBank(modeHang), domain.MethodInternetBanking,
		map[string]string{"password": pwGood})
	requireKind(t, err, domain.KindTimeout)
	if el := time.Since(began); el > time.Second {
		t.Errorf("waiting for a slot took %s", el)
	}
	wg.Wait()
	goodLogin(t, h.Host, fixtureBank(modeHang))
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
			cfg.StartTimeout = time.Second
			cfg.CrashLoopThreshold = 3
			cfg.RestartBackoff = time.Millisecond
			cfg.MaxRestartBackoff = time.Millisecond
			h := newTestHost(t, cfg)
			bin := installFixture(t, cfg.PluginDir, mode)
			registerBinary(t, h.store, cfg.PluginDir, "broken", bin, false)
			// The connector served its bank once; its row routes calls to it.
			if _, err := h.store.Banks().Upsert(context.Background(), domain.Bank{Slug: "broken-bank",
				Name: "Broken", Connector: "broken", Methods: []string{domain.MethodInternetBanking},
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
	cfg.FakebankScenario = filepath.Join("testdata", "fakebank", "flaky-down.json")
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
