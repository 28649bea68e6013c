package fakebank_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/bankauth/bankauth/plugins/sdk"
)

func identityOf(t *testing.T, username string) sdk.IdentityResult {
	t.Helper()
	c, _ := newBank(t)
	st := begin(t, c, "sandbox-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": username, "password": "pass_good"})
	res, err := c.GetIdentity(context.Background(), sdk.GetIdentityRequest{Bank: "sandbox-bank", Session: st.Authenticated.Session})
	if err != nil {
		t.Fatalf("GetIdentity(%s): %v", username, err)
	}
	if err := res.Validate(); err != nil {
		t.Fatalf("GetIdentity(%s) answered an invalid identity: %v", username, err)
	}
	return res
}

// The fixed people are the README's; everyone else is derived from the
// username, the same every time.
func TestIdentities(t *testing.T) {
	cases := []struct {
		username string
		want     sdk.Identity
	}{
		{"user_good", sdk.Identity{Name: "Ada Obi", BVN: "22222222222",
			FirstName: "Ada", LastName: "Obi", DateOfBirth: "1990-01-15", Gender: sdk.GenderFemale, NIN: "40000000001",
			Phones: []string{"08000000001"}, Emails: []string{"ada.obi@example.com"},
			Addresses: []string{"12 Marina Road, Lagos Island, Lagos"}}},
		{"user_low", sdk.Identity{Name: "Chidi Okeke", BVN: "33333333333",
			FirstName: "Chidi", LastName: "Okeke", DateOfBirth: "1985-06-02", Gender: sdk.GenderMale, NIN: "40000000004",
			Phones: []string{"08000000004"}, Emails: []string{"chidi.okeke@example.com"},
			Addresses: []string{"4 Ogui Road, Enugu North, Enugu"}}},
	}
	for _, tc := range cases {
		got := identityOf(t, tc.username)
		if !reflect.DeepEqual(*got.Identity, tc.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tc.username, *got.Identity, tc.want)
		}
	}
	middles := 0
	for _, user := range []string{"someone", "another-one", "x1", "x2", "x3", "x4", "x5", "x6"} {
		a, b := identityOf(t, user), identityOf(t, user)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two identities %+v and %+v", user, a.Identity, b.Identity)
		}
		o := a.Identity
		if o.FirstName == "" || o.LastName == "" || o.Name != o.FirstName+" "+o.LastName || o.DateOfBirth == "" ||
			o.Gender == "" || o.NIN == "" || len(o.Phones) != 1 || len(o.Emails) != 1 || len(o.Addresses) != 1 {
			t.Errorf("%s: incomplete derived identity %+v", user, *o)
		}
		if o.MiddleName != "" {
			middles++
		}
	}
	if middles == 0 || middles == 8 {
		t.Errorf("%d of 8 derived people have a middle name; want some with and some without", middles)
	}
}

// A login reports the 1.0 owner fields only; GetIdentity has the rest.
func TestLoginReportsTheBasicOwner(t *testing.T) {
	c, _ := newBank(t)
	st := begin(t, c, "sandbox-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": "user_good", "password": "pass_good"})
	want := sdk.Owner{Name: "Ada Obi", BVN: "22222222222", Phone: "08000000001", Email: "ada.obi@example.com"}
	if got := st.Authenticated; got.Owner != want || got.Identity != nil {
		t.Fatalf("login owner %+v (identity %+v), want %+v alone", got.Owner, got.Identity, want)
	}
}

func TestIdentityRefusesBadSessions(t *testing.T) {
	c, _ := newBank(t)
	st := begin(t, c, "sandbox-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": "user_good", "password": "pass_expired_session"})
	for name, req := range map[string]sdk.GetIdentityRequest{
		"expired":        {Bank: "sandbox-bank", Session: st.Authenticated.Session},
		"garbage":        {Bank: "sandbox-bank", Session: []byte("not a session")},
		"another bank's": {Bank: "sandbox-ussd-bank", Session: identitySession(t, c)},
	} {
		res, err := c.GetIdentity(context.Background(), req)
		if err != nil || res.Rejected == nil || res.Rejected.Reason != sdk.RejectSessionExpired {
			t.Errorf("%s session: %+v, %v; want SESSION_EXPIRED", name, res, err)
		}
	}
}

func identitySession(t *testing.T, c interface {
	BeginLogin(context.Context, sdk.BeginLoginRequest) (sdk.Step, error)
}) []byte {
	t.Helper()
	st, err := c.BeginLogin(context.Background(), sdk.BeginLoginRequest{Bank: "sandbox-bank", Method: sdk.MethodInternetBanking,
		Credentials: sdk.Credentials{"username": "user_good", "password": "pass_good"}})
	if err != nil {
		t.Fatal(err)
	}
	return st.Authenticated.Session
}
