package sdk_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/bankauth/bankauth/plugins/sdk"
)

var ada = sdk.Identity{
	Name: "Ada Obi", BVN: "22222222222", FirstName: "Ada", LastName: "Obi",
	DateOfBirth: "1990-01-15", Gender: sdk.GenderFemale, NIN: "12345678901",
	Phones: []string{"08000000001", "+2348000000009"}, Emails: []string{"ada.obi@example.com"},
	Addresses: []string{"12 Marina Road, Lagos Island, Lagos"},
}

// identityBank answers GetIdentity by the session's content.
type identityBank struct{ sdk.Unimplemented }

func (identityBank) GetIdentity(_ context.Context, req sdk.GetIdentityRequest) (sdk.IdentityResult, error) {
	switch string(req.Session) {
	case "ada":
		o := ada
		return sdk.IdentityResult{Identity: &o, RotatedSession: []byte("ada-2")}, nil
	case "expired":
		return sdk.IdentityResult{Rejected: &sdk.Rejected{Reason: sdk.RejectSessionExpired, Message: "log in again"}}, nil
	case "bad-dob":
		o := ada
		o.DateOfBirth = "15/01/1990"
		return sdk.IdentityResult{Identity: &o}, nil
	}
	return sdk.IdentityResult{}, nil // neither: breaks the protocol
}

// v10Connector is written against protocol 1.0: it implements every
// method of 1.0 and knows nothing of GetIdentity (no Unimplemented).
type v10Connector struct{}

func (v10Connector) GetMetadata(context.Context) (sdk.Metadata, error) {
	return sdk.Metadata{Name: "old", Version: "1.0.0"}, nil
}
func (v10Connector) BeginLogin(context.Context, sdk.BeginLoginRequest) (sdk.Step, error) {
	return sdk.Step{Authenticated: &sdk.Authenticated{Session: []byte("s"), Owner: sdk.Owner{Name: "Old Owner", Phone: "08011111111", Email: "old@example.com"}}}, nil
}
func (v10Connector) ContinueLogin(context.Context, sdk.ContinueLoginRequest) (sdk.Step, error) {
	return sdk.Step{}, sdk.ErrUnimplemented
}
func (v10Connector) ResumeSession(context.Context, sdk.ResumeSessionRequest) (sdk.Step, error) {
	return sdk.Step{}, sdk.ErrUnimplemented
}
func (v10Connector) GetBalance(context.Context, sdk.GetBalanceRequest) (sdk.BalanceResult, error) {
	return sdk.BalanceResult{}, sdk.ErrUnimplemented
}

func TestGetIdentityCrossesTheBoundary(t *testing.T) {
	c, _ := sdk.TestConn(t, identityBank{})
	ctx := context.Background()
	res, err := sdk.GetIdentity(ctx, c, sdk.GetIdentityRequest{Bank: "b", Session: []byte("ada")})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*res.Identity, ada) || string(res.RotatedSession) != "ada-2" {
		t.Fatalf("identity after the round trip:\n got  %+v\n want %+v (rotated %q)", *res.Identity, ada, res.RotatedSession)
	}
	res, err = sdk.GetIdentity(ctx, c, sdk.GetIdentityRequest{Session: []byte("expired")})
	if err != nil || res.Rejected == nil || res.Rejected.Reason != sdk.RejectSessionExpired {
		t.Fatalf("expired session: %+v, %v", res, err)
	}
	for _, session := range []string{"bad-dob", "nothing"} {
		if _, err := sdk.GetIdentity(ctx, c, sdk.GetIdentityRequest{Session: []byte(session)}); !errors.Is(err, sdk.ErrConnectorFailed) {
			t.Errorf("%s: a malformed answer must be a protocol error, got %v", session, err)
		}
	}
}

// A connector of protocol 1.0 still serves, and its host learns that
// GetIdentity is absent (Unimplemented), while its login owner's 1.0
// fields read as the 1.1 lists.
func TestProtocol10ConnectorHasNoIdentity(t *testing.T) {
	c, _ := sdk.TestConn(t, v10Connector{})
	ctx := context.Background()
	_, err := sdk.GetIdentity(ctx, c, sdk.GetIdentityRequest{Session: []byte("s")})
	if !errors.Is(err, sdk.ErrUnimplemented) || status.Code(err) != codes.Unimplemented {
		t.Fatalf("GetIdentity of a 1.0 connector: %v (code %s), want Unimplemented", err, status.Code(err))
	}
	st, err := c.BeginLogin(ctx, sdk.BeginLoginRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if a := st.Authenticated; a.Owner != (sdk.Owner{Name: "Old Owner", Phone: "08011111111", Email: "old@example.com"}) || a.Identity != nil {
		t.Fatalf("1.0 login read as owner %+v, identity %+v", a.Owner, a.Identity)
	}
	if _, err := sdk.GetIdentity(ctx, v10Connector{}, sdk.GetIdentityRequest{}); !errors.Is(err, sdk.ErrUnimplemented) {
		t.Fatalf("sdk.GetIdentity on a bare 1.0 connector: %v", err)
	}
}

// A 1.1 login may carry the full identity; a 1.0 host reads the owner
// fields, filled from it where the connector left them empty.
type richLogin struct{ sdk.Unimplemented }

func (richLogin) BeginLogin(context.Context, sdk.BeginLoginRequest) (sdk.Step, error) {
	id := ada
	return sdk.Step{Authenticated: &sdk.Authenticated{Session: []byte("s"), Owner: sdk.Owner{Name: "ADA OBI"}, Identity: &id}}, nil
}

func TestLoginCarriesTheIdentity(t *testing.T) {
	c, _ := sdk.TestConn(t, richLogin{})
	st, err := c.BeginLogin(context.Background(), sdk.BeginLoginRequest{})
	if err != nil {
		t.Fatal(err)
	}
	a := st.Authenticated
	if want := (sdk.Owner{Name: "ADA OBI", BVN: "22222222222", Phone: "08000000001", Email: "ada.obi@example.com"}); a.Owner != want {
		t.Errorf("owner %+v, want %+v", a.Owner, want)
	}
	want := ada
	want.Name = "ADA OBI" // one name field on the wire: the owner's
	if a.Identity == nil || !reflect.DeepEqual(*a.Identity, want) {
		t.Errorf("identity %+v, want %+v", a.Identity, want)
	}
}

func TestIdentityValidate(t *testing.T) {
	change := func(f func(*sdk.Identity)) sdk.Identity {
		o := ada
		f(&o)
		return o
	}
	cases := []struct {
		name    string
		owner   sdk.Identity
		problem string // "" when valid
	}{
		{"full", ada, ""},
		{"only a full name", sdk.Identity{Name: "Ada Obi"}, ""},
		{"only first and last", sdk.Identity{FirstName: "Ada", LastName: "Obi"}, ""},
		{"no name", change(func(o *sdk.Identity) { o.Name, o.FirstName = "", "" }), "name"},
		{"first name only", sdk.Identity{FirstName: "Ada"}, "name"},
		{"dob format", change(func(o *sdk.Identity) { o.DateOfBirth = "1990-1-15" }), "YYYY-MM-DD"},
		{"dob in the future", change(func(o *sdk.Identity) { o.DateOfBirth = "2999-01-01" }), "future"},
		{"gender", change(func(o *sdk.Identity) { o.Gender = "F" }), "gender"},
		{"short bvn", change(func(o *sdk.Identity) { o.BVN = "2222" }), "BVN"},
		{"letters in nin", change(func(o *sdk.Identity) { o.NIN = "1234567890a" }), "NIN"},
		{"phone with letters", change(func(o *sdk.Identity) { o.Phones = []string{"0800-ADA"} }), "phone"},
		{"written phone", change(func(o *sdk.Identity) { o.Phones = []string{"+234 (800) 000-0001"} }), ""},
		{"email", change(func(o *sdk.Identity) { o.Emails = []string{"ada.example.com"} }), "email"},
		{"empty address", change(func(o *sdk.Identity) { o.Addresses = []string{" "} }), "address"},
	}
	for _, tc := range cases {
		err := tc.owner.Validate()
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%s: valid owner refused: %v", tc.name, err)
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
			t.Errorf("%s: want an error about %q, got %v", tc.name, tc.problem, err)
		}
	}
}
