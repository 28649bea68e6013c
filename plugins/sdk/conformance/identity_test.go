package conformance_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bankauth/bankauth/plugins/fakebank"
	"github.com/bankauth/bankauth/plugins/sdk"
	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

// recorder is a conformance.T that records instead of failing.
type recorder struct {
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Skipf(string, ...any)      {}
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...) }
func (r *recorder) Errorf(f string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(f, a...))
}
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errors) > 0
}

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
			rec := &recorder{}
			conformance.Run(rec, conformance.InProcess(tc.conn), plan)
			all := strings.Join(rec.errors, "\n")
			for _, want := range tc.wantErr {
				if !strings.Contains(all, want) {
					t.Errorf("the kit did not report %q; it reported:\n%s", want, all)
				}
			}
		})
	}
	// And the fake bank itself passes the same checks.
	rec := &recorder{}
	conformance.Run(rec, conformance.InProcess(func() sdk.Connector { return fakebank.New(sc) }), plan)
	if rec.Failed() {
		t.Fatalf("the fake bank fails the identity checks:\n%s", strings.Join(rec.errors, "\n"))
	}
}
