package connector

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bankauth/bankauth/core/domain"
)

func TestBuiltinFakeBank(t *testing.T) {
	t.Parallel()
	h := newTestHost(t, testConfig(t))
	start(t, h.Host)
	if err := h.Ready(context.Background()); err != nil {
		t.Fatalf("Ready after Start: %v", err)
	}
	ctx := context.Background()

	t.Run("banks synced", func(t *testing.T) {
		want := map[string][]domain.LoginMethod{
			"sandbox-bank":       {domain.MethodInternetBanking, domain.MethodMobileBanking, domain.MethodUSSD},
			"sandbox-ussd-bank":  {domain.MethodUSSD},
			"sandbox-flaky-bank": {domain.MethodInternetBanking},
		}
		for slug, methods := range want {
			b, err := h.store.Banks().GetBySlug(ctx, slug)
			if err != nil {
				t.Fatalf("bank %s not stored: %v", slug, err)
			}
			if !slices.Equal(b.Methods, methods) || b.Connector != BuiltinName || b.Production || b.Country != "NG" {
				t.Errorf("bank %s stored as %+v", slug, b)
			}
			if !domain.ValidID(b.ID) {
				t.Errorf("bank %s id %q", slug, b.ID)
			}
		}
		banks, err := h.Banks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(banks) != 3 {
			t.Fatalf("Banks: %d banks, want 3: %+v", len(banks), banks)
		}
		for _, b := range banks {
			if b.Status != domain.BankOperational {
				t.Errorf("bank %s status %s before any call", b.Slug, b.Status)
			}
		}
		// A restart upserts again and keeps the ids.
		before, _ := h.store.Banks().GetBySlug(ctx, "sandbox-bank")
		h.onLoaded(h.conns[BuiltinName], *h.conns[BuiltinName].md)
		after, _ := h.store.Banks().GetBySlug(ctx, "sandbox-bank")
		if before.ID != after.ID {
			t.Errorf("bank id changed on re-sync: %s -> %s", before.ID, after.ID)
		}
	})

	t.Run("login and balance", func(t *testing.T) {
		st := goodLogin(t, h.Host, "sandbox-bank")
		a := st.Authenticated
		if a.Owner.Name != "Ada Obi" || a.Owner.BVN != "22222222222" || len(a.Accounts) != 2 {
			t.Fatalf("login: %+v", a)
		}
		cur := a.Accounts[0]
		if cur.Available == nil || *cur.Available != 25000000 || cur.Ledger == nil || *cur.Ledger != 26250000 || len(cur.NUBAN) != 10 {
			t.Errorf("current account: %+v", cur)
		}
		bal, err := h.GetBalance(ctx, "sandbox-bank", a.Session, []string{cur.Ref})
		if err != nil {
			t.Fatal(err)
		}
		if len(bal.Balances) != 1 || bal.Balances[0].Available != 25000000 || bal.Balances[0].Ledger != 26250000 ||
			bal.Balances[0].Currency != "NGN" || bal.Balances[0].AsOf.IsZero() || len(bal.RotatedSession) == 0 {
			t.Errorf("balance: %+v", bal)
		}
	})

	t.Run("challenges", func(t *testing.T) {
		st, err := h.BeginLogin(ctx, "sandbox-bank", domain.MethodInternetBanking,
			map[string]string{"username": "user_good", "password": "pass_otp"})
		if err != nil {
			t.Fatal(err)
		}
		if st.Challenge == nil || st.Challenge.Kind != domain.ChallengeOTP || len(st.FlowState) == 0 {
			t.Fatalf("want an otp challenge, got %+v", st)
		}
		next, err := h.ContinueLogin(ctx, "sandbox-bank", st.FlowState, "123456")
		if err != nil {
			t.Fatal(err)
		}
		if next.Authenticated == nil {
			t.Fatalf("want authenticated after the otp, got %+v", next)
		}
		q, err := h.ResumeSession(ctx, "sandbox-bank", next.Authenticated.Session)
		if err != nil {
			t.Fatal(err)
		}
		if q.Challenge == nil || q.Challenge.Kind != domain.ChallengeOTP {
			t.Fatalf("quick login: want an otp challenge, got %+v", q)
		}
	})

	t.Run("rejections are steps", func(t *testing.T) {
		for _, reason := range []string{domain.RejectInvalidCredentials, domain.RejectAccountLocked, domain.RejectBankUnavailable} {
			st, err := h.BeginLogin(ctx, "sandbox-bank", domain.MethodInternetBanking,
				map[string]string{"username": "user_good", "password": "error_" + reason})
			if err != nil {
				t.Fatalf("%s: got error %v, want a rejected step", reason, err)
			}
			if st.Rejected == nil || st.Rejected.Reason != reason {
				t.Fatalf("%s: got %+v", reason, st)
			}
		}
	})

	t.Run("unknown bank", func(t *testing.T) {
		_, err := h.BeginLogin(ctx, "no-such-bank", domain.MethodInternetBanking, nil)
		requireKind(t, err, domain.KindNotFound)
	})

	t.Run("invalid request", func(t *testing.T) {
		_, err := h.ContinueLogin(ctx, "sandbox-bank", []byte("not a flow state"), "x")
		requireKind(t, err, domain.KindInvalid)
	})
}

// A connector that crashes or hangs costs the call in flight a clear error
// within the deadline; the next call finds the connector running again.
func TestBuiltinCrashAndTimeout(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	h := newTestHost(t, cfg)
	start(t, h.Host)
	ctx := context.Background()

	pid := h.pidOf(t, BuiltinName)
	began := time.Now()
	_, err := h.BeginLogin(ctx, "sandbox-bank", domain.MethodInternetBanking,
		map[string]string{"username": "user_good", "password": "error_CRASH"})
	de := requireKind(t, err, domain.KindConnectorFailed)
	if !de.Retryable || time.Since(began) > cfg.CallTimeout {
		t.Errorf("crash: retryable %v after %s", de.Retryable, time.Since(began))
	}
	assertGone(t, pid)
	goodLogin(t, h.Host, "sandbox-bank")
	if np := h.pidOf(t, BuiltinName); np == pid || np == 0 {
		t.Errorf("after the crash the pid is %d (was %d)", np, pid)
	}
	if got := h.state(t, BuiltinName).Restarts; got != 1 {
		t.Errorf("restarts = %d, want 1", got)
	}
	if v := metricValue(t, h.reg, "bankauth_connector_restarts_total", map[string]string{"connector": BuiltinName}); v != 1 {
		t.Errorf("restarts metric = %v", v)
	}

	began = time.Now()
	_, err = h.BeginLogin(ctx, "sandbox-bank", domain.MethodInternetBanking,
		map[string]string{"username": "user_good", "password": "error_TIMEOUT"})
	de = requireKind(t, err, domain.KindTimeout)
	if el := time.Since(began); el < cfg.CallTimeout || el > cfg.CallTimeout+time.Second || !de.Retryable {
		t.Errorf("timeout after %s (deadline %s), retryable %v", el, cfg.CallTimeout, de.Retryable)
	}
	goodLogin(t, h.Host, "sandbox-bank")

	// A caller's own shorter deadline is a timeout too.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = h.BeginLogin(short, "sandbox-bank", domain.MethodInternetBanking,
		map[string]string{"username": "user_good", "password": "error_TIMEOUT"})
	requireKind(t, err, domain.KindTimeout)
}

func TestLazyStartAndStop(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	first := newTestHost(t, cfg)
	start(t, first.Host) // syncs the banks into the store
	if err := first.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	h := newTestHostOn(t, cfg, first.store)
	if err := h.Ready(context.Background()); err == nil {
		t.Error("Ready before Start: want an error")
	}
	if err := h.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.pids(); len(got) != 0 {
		t.Fatalf("processes before any call: %v", got)
	}
	// The first call starts the connector, routed by the stored banks.
	goodLogin(t, h.Host, "sandbox-bank")
	pid := h.pidOf(t, BuiltinName)
	if pid == 0 {
		t.Fatal("no process after the first call")
	}
	if err := h.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	assertGone(t, pid)
	_, err := h.BeginLogin(context.Background(), "sandbox-bank", domain.MethodInternetBanking,
		map[string]string{"username": "user_good", "password": pwGood})
	requireKind(t, err, domain.KindUnavailable)
	if err := h.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("Ready after Stop: %v", err)
	}
}

// metricValue returns the value of the series of name with labels.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}
