package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/bankauth/bankauth/plugins/sdk"
)

func TestCredentialsNeverPrintValues(t *testing.T) {
	creds := sdk.Credentials{"username": "ada", "password": "hunter2"}
	js, err := json.Marshal(map[string]any{"creds": creds})
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", creds), "%+v": fmt.Sprintf("%+v", creds), "%#v": fmt.Sprintf("%#v", creds),
		"%s": fmt.Sprintf("%s", creds), "json": string(js),
		"struct": fmt.Sprintf("%+v", sdk.BeginLoginRequest{Credentials: creds}),
	} {
		if strings.Contains(out, "hunter2") || strings.Contains(out, "ada") {
			t.Errorf("%s leaks a credential value: %s", name, out)
		}
		if !strings.Contains(out, "password") {
			t.Errorf("%s hides the field names too: %s", name, out)
		}
	}
}

// scripted answers BeginLogin according to the password.
type scripted struct {
	sdk.Unimplemented
}

func (scripted) BeginLogin(ctx context.Context, req sdk.BeginLoginRequest) (sdk.Step, error) {
	avail := int64(150050)
	switch req.Credentials["password"] {
	case "hang":
		<-ctx.Done()
		return sdk.Step{}, ctx.Err()
	case "empty":
		return sdk.Step{}, nil
	case "bad-request":
		return sdk.Step{}, fmt.Errorf("%w: no such bank", sdk.ErrInvalidRequest)
	case "boom":
		return sdk.Step{}, errors.New("boom")
	case "challenge":
		return sdk.Step{Challenge: &sdk.Challenge{Kind: sdk.ChallengeOTP, Prompt: "code", AttemptsLeft: 2,
			ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}, FlowState: []byte{0, 1, 2}}, nil
	case "pending":
		return sdk.Step{Pending: &sdk.Pending{PollAfter: 1500 * time.Millisecond}, FlowState: []byte("f")}, nil
	case "rejected":
		return sdk.Reject(sdk.RejectRateLimited, "slow down", true), nil
	}
	return sdk.Step{Authenticated: &sdk.Authenticated{
		Session:  []byte("s"),
		Owner:    sdk.Owner{Name: "Ada Obi", BVN: "22222222222", Phone: "08000000001", Email: "a@example.com"},
		Accounts: []sdk.Account{{ID: "a", NUBAN: "0123456789", Name: "Ada", Type: "current", Currency: "NGN", AvailableMinor: &avail}},
	}}, nil
}

func TestStepsRoundTrip(t *testing.T) {
	impl := scripted{}
	c, _ := sdk.TestConn(t, impl)
	for _, pw := range []string{"challenge", "pending", "rejected", "good"} {
		req := sdk.BeginLoginRequest{Bank: "b", Method: sdk.MethodUSSD, Credentials: sdk.Credentials{"password": pw}}
		want, _ := impl.BeginLogin(context.Background(), req)
		got, err := c.BeginLogin(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", pw, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: through gRPC got %+v, want %+v", pw, got, want)
		}
	}
}

func TestErrorsCrossTheBoundary(t *testing.T) {
	c, _ := sdk.TestConn(t, scripted{})
	call := func(pw string, timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		_, err := c.BeginLogin(ctx, sdk.BeginLoginRequest{Credentials: sdk.Credentials{"password": pw}})
		return err
	}
	tests := []struct {
		password string
		is       error
		code     codes.Code
	}{
		{"hang", context.DeadlineExceeded, codes.DeadlineExceeded},
		{"empty", sdk.ErrConnectorFailed, codes.Internal},
		{"bad-request", sdk.ErrInvalidRequest, codes.InvalidArgument},
		{"boom", sdk.ErrConnectorFailed, codes.Internal},
	}
	for _, tc := range tests {
		err := call(tc.password, 300*time.Millisecond)
		if !errors.Is(err, tc.is) || status.Code(err) != tc.code {
			t.Errorf("%s: got %v (code %s), want errors.Is %v and code %s", tc.password, err, status.Code(err), tc.is, tc.code)
		}
	}
	if _, err := c.GetBalance(context.Background(), sdk.GetBalanceRequest{}); !errors.Is(err, sdk.ErrUnimplemented) || status.Code(err) != codes.Unimplemented {
		t.Errorf("unimplemented GetBalance: %v", err)
	}
}

type metaOnly struct{ sdk.Unimplemented }

func (metaOnly) GetMetadata(context.Context) (sdk.Metadata, error) {
	return sdk.Metadata{Name: "m", Version: "1.0.0", ProtocolMinor: 0,
		Capabilities: sdk.Capabilities{MFAKinds: []sdk.ChallengeKind{sdk.ChallengeOTP}, USSD: true, Balance: true},
		Banks: []sdk.Bank{{ID: "b", Name: "B", Country: "NG",
			Methods: []sdk.Method{sdk.MethodInternetBanking, sdk.MethodUSSD}, MFAKinds: []sdk.ChallengeKind{sdk.ChallengeOTP},
			Products: []string{"auth"},
			Fields: map[sdk.Method][]sdk.CredentialField{
				sdk.MethodUSSD:            {{Name: "phone", Label: "Phone"}},
				sdk.MethodInternetBanking: {{Name: "password", Label: "Password", Secret: true}},
			}}}}, nil
}

func TestMetadataRoundTripInProcess(t *testing.T) {
	c, closeFn, err := sdk.NewInProcess(metaOnly{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	got, err := c.GetMetadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := metaOnly{}.GetMetadata(context.Background())
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metadata through gRPC:\n got %+v\nwant %+v", got, want)
	}
}

func TestStepValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		step sdk.Step
		ok   bool
	}{
		"empty":        {sdk.Step{}, false},
		"two outcomes": {sdk.Step{Pending: &sdk.Pending{}, Rejected: &sdk.Rejected{Reason: sdk.RejectExpired}}, false},
		"bad kind":     {sdk.Step{Challenge: &sdk.Challenge{Kind: "sms"}}, false},
		"bad reason":   {sdk.Reject("NOPE", "", false), false},
		"no session":   {sdk.Step{Authenticated: &sdk.Authenticated{}}, false},
		"good reject":  {sdk.Reject(sdk.RejectExpired, "late", false), true},
		"good pending": {sdk.Step{Pending: &sdk.Pending{}}, true},
	} {
		if err := tc.step.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", name, err, tc.ok)
		}
	}
}
