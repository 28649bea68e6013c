package conformance_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/plugins/fakebank"
	"github.com/bankauth/bankauth/plugins/sdk"
	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

// noIdentity declares the identity capability but is a bare sdk.Connector:
// GetIdentity is absent.
type noIdentity struct{ sdk.Connector }

// wrongIdentity answers someone else's identity, malformed.
type wrongIdentity struct{ *fakebank.Connector }

func (w wrongIdentity) GetIdentity(ctx context.Context, req sdk.GetIdentityRequest) (sdk.IdentityResult, error) {
	res, err := w.Connector.GetIdentity(ctx, req)
	if res.Identity != nil {
		res.Identity.BVN, res.Identity.FirstName, res.Identity.Phones = "99999999999", "Bisi", []string{"08000000009"}
	}
	return res, err
}

// v10 reports protocol 1.0 and the identity capability.
type v10 struct{ *fakebank.Connector }

func (v v10) GetMetadata(ctx context.Context) (sdk.Metadata, error) {
	md, err := v.Connector.GetMetadata(ctx)
	md.ProtocolMinor = 0
	return md, err
}

func TestKitChecksIdentity(t *testing.T) {
	plan, err := conformance.LoadPlan(filepath.Join("..", "..", "..", "testdata", "fakebank", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Only what identity touches: the rest is the fake bank's own test.
	plan.Skip = []string{"methods", "challenges", "rejections", "balance", "resume", "ussd", "deadline", "login", "stateless/challenge_in_fresh_instance", "stateless/session_in_fresh_instance"}
	sc, err := fakebank.LoadScenario(filepath.Join("..", "..", "..", "testdata", "fakebank", "conformance.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		conn    func() sdk.Connector
		wantErr []string
	}{
		{"GetIdentity absent", func() sdk.Connector { return noIdentity{fakebank.New(sc)} }, []string{
			"identity/well_formed: GetIdentity failed: connector: not implemented by this connector",
			"stateless/identity_in_fresh_instance: GetIdentity failed",
		}},
		{"another person", func() sdk.Connector { return wrongIdentity{fakebank.New(sc)} }, []string{
			`identity/well_formed: GetIdentity: BVN "99999999999", but the login reported "22222222222"`,
			`identity/well_formed: GetIdentity: name part "Bisi" does not appear in the login's owner name "Ada Obi"`,
			`identity/well_formed: identity first_name is "Bisi", the plan expects "Ada"`,
			`identity/well_formed: identity phones are ["08000000009"], the plan expects ["08000000001"]`,
		}},
		{"declared under 1.0", func() sdk.Connector { return v10{fakebank.New(sc)} }, []string{
			"metadata: capabilities.identity is true but the connector reports protocol 1.0",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			all := strings.Join(conformance.Check(conformance.InProcess(tc.conn), plan, nil).Failures(), "\n")
			for _, want := range tc.wantErr {
				if !strings.Contains(all, want) {
					t.Errorf("the kit did not report %q; it reported:\n%s", want, all)
				}
			}
		})
	}
	// And the fake bank itself passes the same checks.
	if report := conformance.Check(conformance.InProcess(func() sdk.Connector { return fakebank.New(sc) }), plan, nil); !report.Passed() {
		t.Fatalf("the fake bank fails the identity checks:\n%s", strings.Join(report.Failures(), "\n"))
	}
}

// TestCheckReportsAnInvalidPlan: outside go test a plan the kit refuses
// is one failure in the report, and the run returns.
func TestCheckReportsAnInvalidPlan(t *testing.T) {
	var live strings.Builder
	report := conformance.Check(conformance.InProcess(func() sdk.Connector { return fakebank.New(fakebank.Scenario{}) }), conformance.Plan{}, &live)
	if report.Passed() || len(report.Failures()) != 1 {
		t.Fatalf("report of an empty plan: %+v", report)
	}
	if !strings.HasPrefix(live.String(), "FAIL ") {
		t.Fatalf("live output %q does not start with the failure", live.String())
	}
}
