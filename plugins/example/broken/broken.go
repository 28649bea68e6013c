// Package broken is a deliberately faulty connector. Its test shows that
// the conformance kit catches the faults with readable messages. Do not
// copy it.
package broken

import (
	"context"

	"github.com/bankauth/bankauth/plugins/sdk"
)

// Connector has these faults: a version that is not semver, a 9-digit
// NUBAN, a wrong answer that never uses up attempts, and a capability it
// does not implement (balance).
type Connector struct {
	sdk.Unimplemented
}

// GetMetadata claims balances it cannot give.
func (Connector) GetMetadata(context.Context) (sdk.Metadata, error) {
	return sdk.Metadata{
		Name:         "example-broken",
		Version:      "v1",
		Capabilities: sdk.Capabilities{MFAKinds: []sdk.ChallengeKind{sdk.ChallengeOTP}, Balance: true},
		Banks: []sdk.Bank{{
			ID: "broken-bank", Name: "Broken Bank", Country: "NG",
			Methods:  []sdk.Method{sdk.MethodInternetBanking},
			MFAKinds: []sdk.ChallengeKind{sdk.ChallengeOTP},
			Products: []string{sdk.ProductAuth, sdk.ProductBalance},
			Fields: map[sdk.Method][]sdk.CredentialField{
				sdk.MethodInternetBanking: {{Name: "username", Label: "Username"}, {Name: "password", Label: "Password", Secret: true}},
			},
		}},
	}, nil
}

func authenticated() sdk.Step {
	return sdk.Step{Authenticated: &sdk.Authenticated{
		Session: []byte("s"),
		Owner:   sdk.Owner{Name: "Broken Customer"},
		Accounts: []sdk.Account{{
			ID: "a1", NUBAN: "123456789", Name: "Broken Customer", Type: "current", Currency: "NGN",
		}},
	}}
}

// BeginLogin: pass_good logs in, pass_otp asks for an OTP.
func (Connector) BeginLogin(_ context.Context, req sdk.BeginLoginRequest) (sdk.Step, error) {
	switch req.Credentials["password"] {
	case "pass_good":
		return authenticated(), nil
	case "pass_otp":
		return otp(), nil
	}
	return sdk.Reject(sdk.RejectInvalidCredentials, "wrong password", false), nil
}

func otp() sdk.Step {
	return sdk.Step{
		Challenge: &sdk.Challenge{Kind: sdk.ChallengeOTP, Prompt: "Enter the code", AttemptsLeft: 3},
		FlowState: []byte("otp"),
	}
}

// ContinueLogin never runs out of attempts (and challenges never expire).
func (Connector) ContinueLogin(_ context.Context, req sdk.ContinueLoginRequest) (sdk.Step, error) {
	if req.Answer == "123456" {
		return authenticated(), nil
	}
	return otp(), nil
}
