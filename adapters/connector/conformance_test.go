package connector

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/plugins/fakebank"
	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

// The command-line conformance run certifies the fake bank (this test
// binary re-executed as the built-in connector) and reports a failure when
// the plan does not hold.
func TestRunConformance(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the whole kit against real processes")
	}
	plan, err := conformance.LoadPlan(filepath.Join("..", "..", "testdata", "fakebank", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	scenario, err := filepath.Abs(filepath.Join("..", "..", "testdata", "fakebank", "conformance.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The fake bank's full certification runs in plugins/fakebank; here a
	// few checks prove the command-line runner.
	plan.Skip = []string{"methods", "challenges", "balance", "resume", "expired_session", "ussd", "stateless", "deadline"}
	args := []string{"__connector", "fakebank"}
	env := []string{fakebank.ScenarioEnv + "=" + scenario}

	t.Run("pass", func(t *testing.T) {
		t.Parallel()
		var out bytes.Buffer
		if !RunConformance(selfExe(t), args, env, plan, 10*time.Second, &out) {
			t.Fatalf("the fake bank failed the kit:\n%s", out.String())
		}
		if !strings.Contains(out.String(), "checks run") {
			t.Errorf("no summary in:\n%s", out.String())
		}
	})
	t.Run("fail", func(t *testing.T) {
		t.Parallel()
		bad := conformance.Plan{Bank: plan.Bank, Method: plan.Method,
			Success: map[string]string{"username": "user_good", "password": "not-the-password"}, Skip: plan.Skip}
		var out bytes.Buffer
		if RunConformance(selfExe(t), args, env, bad, 10*time.Second, &out) {
			t.Fatalf("a wrong plan passed:\n%s", out.String())
		}
		if !strings.Contains(out.String(), "FAIL") {
			t.Errorf("no failure reported:\n%s", out.String())
		}
	})
}
