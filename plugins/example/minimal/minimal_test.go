package minimal_test

import (
	"testing"

	"github.com/bankauth/bankauth/plugins/example/minimal"
	"github.com/bankauth/bankauth/plugins/sdk"
	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

func TestConformance(t *testing.T) {
	plan := conformance.Plan{
		Bank:    "example-bank",
		Method:  sdk.MethodInternetBanking,
		Success: map[string]string{"username": "ada", "password": "pass_good"},
		Rejections: []conformance.RejectionPlan{
			{Reason: sdk.RejectInvalidCredentials, Credentials: map[string]string{"username": "ada", "password": "nope"}},
		},
	}
	conformance.Run(t, conformance.InProcess(func() sdk.Connector { return minimal.New() }), plan)
}
