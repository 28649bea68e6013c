package connector

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/plugins/fakebank"
)

// Repeated BANK_UNAVAILABLE answers turn that bank down while the others
// stay operational; refusals of bad credentials count as the bank's success.
func TestFlakyBankHealth(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	scenario, _ := filepath.Abs(filepath.Join("testdata", "fakebank", "flaky-down.json"))
	cfg.BuiltinEnv, cfg.BuiltinReadPaths = []string{fakebank.ScenarioEnv + "=" + scenario}, []string{scenario}
	h := newTestHost(t, cfg)
	start(t, h.Host)
	ctx := context.Background()
	for range h.cfg.DownAfter + 1 {
		st, err := h.BeginLogin(ctx, "sandbox-flaky-bank", domain.MethodInternetBanking,
			map[string]string{"username": "user_good", "password": pwGood})
		if err != nil {
			t.Fatal(err)
		}
		if st.Rejected == nil || st.Rejected.Reason != domain.RejectBankUnavailable || !st.Rejected.Retryable {
			t.Fatalf("flaky bank answered %+v", st)
		}
		st, err = h.BeginLogin(ctx, "sandbox-bank", domain.MethodInternetBanking,
			map[string]string{"username": "user_good", "password": "error_INVALID_CREDENTIALS"})
		if err != nil || st.Rejected == nil {
			t.Fatalf("sandbox-bank: %+v, %v", st, err)
		}
	}
	banks, err := h.Banks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"sandbox-bank":       domain.BankOperational,
		"sandbox-ussd-bank":  domain.BankOperational,
		"sandbox-flaky-bank": domain.BankDown,
	}
	for _, b := range banks {
		if b.Status != want[b.Slug] {
			t.Errorf("%s is %s, want %s", b.Slug, b.Status, want[b.Slug])
		}
	}
	if v := metricValue(t, h.reg, "bankauth_bank_up", map[string]string{"bank": "sandbox-flaky-bank"}); v != 0 {
		t.Errorf("bank_up{sandbox-flaky-bank} = %v", v)
	}
	if v := metricValue(t, h.reg, "bankauth_bank_up", map[string]string{"bank": "sandbox-bank"}); v != 1 {
		t.Errorf("bank_up{sandbox-bank} = %v", v)
	}
	n := metricValue(t, h.reg, "bankauth_connector_calls_total", map[string]string{
		"connector": BuiltinName, "bank": "sandbox-flaky-bank", "method": "BeginLogin", "outcome": string(outcomeBankUnavailable)})
	if int(n) != h.cfg.DownAfter+1 {
		t.Errorf("calls_total for the flaky bank = %v", n)
	}
}

func TestHealthStatus(t *testing.T) {
	t.Parallel()
	cfg, err := Config{DisableBuiltin: true}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	type call struct {
		failed bool
		d      time.Duration
	}
	repeat := func(n int, c call) []call {
		out := make([]call, n)
		for i := range out {
			out[i] = c
		}
		return out
	}
	ok, bad := call{false, time.Millisecond}, call{true, time.Millisecond}
	cases := []struct {
		name  string
		calls []call
		down  bool
		want  string
	}{
		{"no traffic", nil, false, domain.BankOperational},
		{"all good", repeat(20, ok), false, domain.BankOperational},
		{"few failures under the minimum", repeat(2, bad), false, domain.BankOperational},
		{"connector down", repeat(20, ok), true, domain.BankDown},
		{"last calls failed", append(repeat(20, ok), repeat(cfg.DownAfter, bad)...), false, domain.BankDown},
		{"recovered", append(repeat(cfg.DownAfter, bad), ok), false, domain.BankDegraded},
		{"one in three fails", []call{ok, bad, ok, ok, bad, ok, ok, bad, ok}, false, domain.BankDegraded},
		{"slow", repeat(10, call{false, cfg.SlowCall + time.Second}), false, domain.BankDegraded},
		{"window forgets", append(repeat(cfg.DownAfter, bad), repeat(cfg.HealthWindow, ok)...), false, domain.BankOperational},
	}
	for _, c := range cases {
		h := newBankHealth(cfg.HealthWindow, cfg.SlowCall)
		for _, x := range c.calls {
			h.record(x.failed, x.d, time.Now())
		}
		if got := h.stats().status(cfg, c.down); got != c.want {
			t.Errorf("%s: %s, want %s (%+v)", c.name, got, c.want, h.stats())
		}
	}
}

// The running counts agree with the window recomputed from scratch: the
// success rate and whether the sorted window's p95 is over the slow mark.
func TestHealthCountsMatchTheWindow(t *testing.T) {
	t.Parallel()
	const window, slow = 7, 10 * time.Millisecond
	rng := rand.New(rand.NewPCG(1, 2))
	h := newBankHealth(window, slow)
	var failed []bool
	var lat []time.Duration
	for i := range 500 {
		f := rng.IntN(3) == 0
		d := time.Duration(rng.IntN(15)) * time.Millisecond
		h.record(f, d, time.Now())
		failed, lat = append(failed, f), append(lat, d)
		if len(failed) > window {
			failed, lat = failed[1:], lat[1:]
		}
		ok := 0
		for _, f := range failed {
			if !f {
				ok++
			}
		}
		sorted := slices.Sorted(slices.Values(lat))
		p95 := sorted[(len(sorted)*95+99)/100-1]
		got := h.stats()
		if want := float64(ok) / float64(len(failed)); got.SuccessRate != want || got.SlowP95 != (p95 > slow) || got.Calls != len(failed) {
			t.Fatalf("after call %d: %+v, want rate %v, p95 %v (slow: %v), calls %d", i, got, want, p95, p95 > slow, len(failed))
		}
	}
}
