package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bankauth/bankauth/plugins/sdk"
)

func (r *runner) identity(t T, c sdk.Connector, session []byte) sdk.IdentityResult {
	t.Helper()
	return call(r, t, "GetIdentity", func(ctx context.Context) (sdk.IdentityResult, error) {
		return sdk.GetIdentity(ctx, c, sdk.GetIdentityRequest{Bank: r.plan.Bank, Session: session})
	})
}

func describeIdentity(res sdk.IdentityResult) string {
	switch {
	case res.Rejected != nil:
		return fmt.Sprintf("rejected with %s (%q)", res.Rejected.Reason, res.Rejected.Message)
	case res.Identity != nil:
		return "an identity"
	}
	return "an empty answer"
}

// checkIdentity checks that res is a well-formed identity of the person
// the login reported.
func checkIdentity(t T, label string, auth *sdk.Authenticated, res sdk.IdentityResult) *sdk.Identity {
	t.Helper()
	if res.Identity == nil {
		t.Fatalf("%s: want an identity, got %s", label, describeIdentity(res))
	}
	id := res.Identity
	if err := id.Validate(); err != nil {
		t.Errorf("%s: %v", label, err)
	}
	if o := auth.Owner; o.BVN != "" && id.BVN != o.BVN {
		t.Errorf("%s: BVN %q, but the login reported %q", label, id.BVN, o.BVN)
	}
	// The login's name and the identity's name parts are one person's:
	// every part the identity gives appears in the name the login showed.
	if login := nameWords(auth.Owner.Name); len(login) > 0 {
		for _, part := range []string{id.FirstName, id.LastName} {
			for _, w := range nameWords(part) {
				if !slices.Contains(login, w) {
					t.Errorf("%s: name part %q does not appear in the login's owner name %q", label, part, auth.Owner.Name)
				}
			}
		}
	}
	return id
}

func nameWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == ',' || r == '.' || r == '-' })
}

func (r *runner) checkIdentity(t T, path string) {
	r.check(t, path, "well_formed", func(t T) {
		r.require(t, "identity", r.capabilities(t).Identity)
		c, auth, done := r.openLoggedIn(t)
		defer done()
		if auth.Identity != nil {
			if err := auth.Identity.Validate(); err != nil {
				t.Errorf("the login's identity: %v", err)
			}
		}
		res := r.identity(t, c, auth.Session)
		id := checkIdentity(t, "GetIdentity", auth, res)
		if len(res.RotatedSession) > 0 {
			checkIdentity(t, "GetIdentity(rotated session)", auth, r.identity(t, c, res.RotatedSession))
		}
		if want := r.plan.Identity; want != nil {
			compareIdentity(t, *id, *want)
		}
	})
	r.check(t, path, "garbage_session", func(t T) {
		r.require(t, "identity", r.capabilities(t).Identity)
		c, done := r.target.Open(t)
		defer done()
		ctx, cancel := r.ctx()
		defer cancel()
		res, err := sdk.GetIdentity(ctx, c, sdk.GetIdentityRequest{Bank: r.plan.Bank, Session: []byte("conformance: not a session")})
		expectForeignSessionRefused(t, "GetIdentity", res.Rejected, describeIdentity(res), err)
	})
}

func compareIdentity(t T, got sdk.Identity, want IdentityExpectation) {
	t.Helper()
	for _, f := range []struct{ name, got, want string }{
		{"first_name", got.FirstName, want.FirstName}, {"middle_name", got.MiddleName, want.MiddleName},
		{"last_name", got.LastName, want.LastName}, {"date_of_birth", got.DateOfBirth, want.DateOfBirth},
		{"gender", string(got.Gender), want.Gender}, {"bvn", got.BVN, want.BVN}, {"nin", got.NIN, want.NIN},
	} {
		if f.want != "" && f.got != f.want {
			t.Errorf("identity %s is %q, the plan expects %q", f.name, f.got, f.want)
		}
	}
	for _, f := range []struct {
		name      string
		got, want []string
	}{{"phones", got.Phones, want.Phones}, {"emails", got.Emails, want.Emails}, {"addresses", got.Addresses, want.Addresses}} {
		if len(f.want) > 0 && !slices.Equal(f.got, f.want) {
			t.Errorf("identity %s are %q, the plan expects %q", f.name, f.got, f.want)
		}
	}
}
