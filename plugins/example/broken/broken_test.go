package broken_test

import (
	"strings"
	"testing"

	"github.com/bankauth/bankauth/plugins/example/broken"
	"github.com/bankauth/bankauth/plugins/sdk"
	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

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
	report := conformance.Check(conformance.InProcess(func() sdk.Connector { return broken.Connector{} }), plan, nil)
	failures := report.Failures()
	if report.Passed() {
		t.Fatal("the kit passed a broken connector")
	}
	all := strings.Join(failures, "\n")
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
	if !strings.Contains(strings.Join(report.Logs(), "\n"), "checks run") {
		t.Errorf("the kit did not log how many checks ran; logs:\n%s", strings.Join(report.Logs(), "\n"))
	}
	t.Logf("the kit reported %d failures, e.g.\n%s", len(failures), strings.Join(failures[:min(5, len(failures))], "\n"))
}
