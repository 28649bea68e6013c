package fakebank_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bankauth/bankauth/plugins/fakebank"
	"github.com/bankauth/bankauth/plugins/sdk"
	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

// serveEnv makes the test binary serve the fake banks as a plugin, so the
// kit can test the real go-plugin process boundary without a separate build.
const serveEnv = "BANKAUTH_FAKEBANK_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		fakebank.Main()
		return
	}
	os.Exit(m.Run())
}

var (
	planFile     = filepath.Join("..", "..", "testdata", "fakebank", "plan.json")
	scenarioFile = filepath.Join("..", "..", "testdata", "fakebank", "conformance.json")
)

func loadPlan(t *testing.T) conformance.Plan {
	t.Helper()
	plan, err := conformance.LoadPlan(planFile)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func TestConformanceInProcess(t *testing.T) {
	t.Parallel()
	sc, err := fakebank.LoadScenario(scenarioFile)
	if err != nil {
		t.Fatal(err)
	}
	conformance.Run(t, conformance.InProcess(func() sdk.Connector { return fakebank.New(sc) }), loadPlan(t))
}

func TestConformanceBinary(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts many processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	scenario, err := filepath.Abs(scenarioFile)
	if err != nil {
		t.Fatal(err)
	}
	target := conformance.Binary(exe).WithEnv(serveEnv+"=1", fakebank.ScenarioEnv+"="+scenario)
	conformance.Run(t, target, loadPlan(t))
}
