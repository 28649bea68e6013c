// Package minimal is the smallest useful bankauth connector: one bank,
// internet-banking login, no MFA, no balances. It is the "Writing a
// connector" example of the README.
package minimal

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/bankauth/bankauth/plugins/sdk"
)

// Connector serves "example-bank". Embedding sdk.Unimplemented leaves the
// methods it does not support (ResumeSession, GetBalance) absent.
type Connector struct {
	sdk.Unimplemented
}

// New returns the connector.
func New() *Connector { return &Connector{} }

// GetMetadata describes the connector and its bank.
func (Connector) GetMetadata(context.Context) (sdk.Metadata, error) {
	return sdk.Metadata{
		Name:    "example-minimal",
		Version: "0.1.0",
		Banks: []sdk.Bank{{
			ID: "example-bank", Name: "Example Bank", Country: "NG",
			Methods:  []sdk.Method{sdk.MethodInternetBanking},
			Products: []string{sdk.ProductAuth},
			Fields: map[sdk.Method][]sdk.CredentialField{
				sdk.MethodInternetBanking: {
					{Name: "username", Label: "Username"},
					{Name: "password", Label: "Password", Secret: true},
				},
			},
		}},
	}, nil
}

// BeginLogin accepts the password "pass_good" for any username.
func (Connector) BeginLogin(_ context.Context, req sdk.BeginLoginRequest) (sdk.Step, error) {
	if req.Bank != "example-bank" {
		return sdk.Step{}, fmt.Errorf("%w: unknown bank %q", sdk.ErrInvalidRequest, req.Bank)
	}
	user := req.Credentials["username"]
	if user == "" || req.Credentials["password"] != "pass_good" {
		return sdk.Reject(sdk.RejectInvalidCredentials, "wrong username or password", false), nil
	}
	// A real connector would keep the bank's token here; the host seals it.
	session, err := json.Marshal(map[string]string{"user": user})
	if err != nil {
		return sdk.Step{}, err
	}
	sum := sha256.Sum256([]byte(user))
	nuban := fmt.Sprintf("%010d", (uint64(sum[0])<<32|uint64(sum[1])<<24|uint64(sum[2])<<16|uint64(sum[3])<<8|uint64(sum[4]))%10_000_000_000)
	return sdk.Step{Authenticated: &sdk.Authenticated{
		Session: session,
		Owner:   sdk.Owner{Name: "Example Customer"},
		Accounts: []sdk.Account{{
			ID: "acct_" + nuban, NUBAN: nuban, Name: "Example Customer", Type: "current", Currency: "NGN",
		}},
	}}, nil
}

// ContinueLogin is never needed: this bank asks no questions.
func (Connector) ContinueLogin(context.Context, sdk.ContinueLoginRequest) (sdk.Step, error) {
	return sdk.Step{}, fmt.Errorf("%w: example-bank has no challenges", sdk.ErrInvalidRequest)
}
