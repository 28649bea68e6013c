package broken_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/bankauth/bankauth/plugins/example/broken"
	"github.com/bankauth/bankauth/plugins/sdk"
	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

// recorder is a conformance.T that records instead of failing.
type recorder struct {
	mu     sync.Mutex
	errors []string
	logs   []string
}

func (r *recorder) Helper() {}
func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }
func (r *recorder) Skipf(format string, args ...any)  { r.Logf(format, args...) }
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errors) > 0
}

func TestKitCatchesFaults(t *testing.T) {
	plan := conformance.Plan{
		Bank:    "broken-bank",
		Method:  sdk.MethodInternetBanking,
		Success: map[string]string{"username": "u", "password": "pass_good"},
		Challenges: []conformance.ChallengePlan{{
			Name:        "otp",
			Credentials: map[string]string{"username": "u", "password": "pass_otp"},
			Steps:       []conformance.ChallengeStep{{Kind: sdk.ChallengeOTP, Answer: "123456", WrongAnswer: "000000"}},
		}},
	}
	rec := &recorder{}
	conformance.Run(rec, conformance.InProcess(func() sdk.Connector { return broken.Connector{} }), plan)
	if !rec.Failed() {
		t.Fatal("the kit passed a broken connector")
	}
	all := strings.Join(rec.errors, "\n")
	for _, want := range []string{
		`metadata: version "v1" is not a semantic version`,
		`login/success: account "a1": NUBAN "123456789" is not 10 digits`,
		`challenges/otp/step1_wrong_answers: after wrong answer 1: attempts_left is 3, want it to decrease from 3`,
		`challenge has no expires_at`,
		`balance/every_account: GetBalance failed: connector: not implemented by this connector`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the kit's failures do not mention %q; they were:\n%s", want, all)
		}
	}
	if !strings.Contains(strings.Join(rec.logs, "\n"), "checks run") {
		t.Errorf("the kit did not log how many checks ran; logs:\n%s", strings.Join(rec.logs, "\n"))
	}
	t.Logf("the kit reported %d failures, e.g.\n%s", len(rec.errors), strings.Join(rec.errors[:min(5, len(rec.errors))], "\n"))
}
