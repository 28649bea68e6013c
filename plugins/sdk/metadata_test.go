package sdk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/plugins/sdk"
)

func validMetadata() sdk.Metadata {
	return sdk.Metadata{
		Name:          "acme",
		Version:       "1.2.0",
		ProtocolMinor: 1,
		Capabilities:  sdk.Capabilities{MFAKinds: []sdk.ChallengeKind{sdk.ChallengeOTP}, Balance: true},
		Banks: []sdk.Bank{{
			ID: "acme-bank", Name: "Acme Bank", Country: "NG", Code: "044",
			Methods:  []sdk.Method{sdk.MethodInternetBanking},
			MFAKinds: []sdk.ChallengeKind{sdk.ChallengeOTP},
			Products: []string{sdk.ProductBalance},
			Fields: map[sdk.Method][]sdk.CredentialField{
				sdk.MethodInternetBanking: {{Name: "username", Label: "Username"}, {Name: "password", Label: "Password", Secret: true}},
			},
		}},
	}
}

func TestMetadataValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*sdk.Metadata)
		want   string // a substring of the one expected problem; "" for valid
	}{
		{"valid", func(*sdk.Metadata) {}, ""},
		{"no name", func(m *sdk.Metadata) { m.Name = "" }, "name is empty"},
		{"version not semver", func(m *sdk.Metadata) { m.Version = "v1.2" }, "not a semantic version"},
		{"no banks", func(m *sdk.Metadata) { m.Banks = nil; m.Capabilities.Balance = false }, "no banks"},
		{"USSD as an MFA kind", func(m *sdk.Metadata) {
			m.Capabilities.MFAKinds = append(m.Capabilities.MFAKinds, sdk.ChallengeKind("ussd"))
		}, "only otp and security_question"},
		{"bank id not a slug", func(m *sdk.Metadata) { m.Banks[0].ID = "Acme Bank" }, "not a slug"},
		{"empty bank id", func(m *sdk.Metadata) { m.Banks[0].ID = "" }, "not a slug"},
		{"duplicate bank id", func(m *sdk.Metadata) { m.Banks = append(m.Banks, m.Banks[0]) }, "not unique"},
		{"bank without name", func(m *sdk.Metadata) { m.Banks[0].Name = "" }, "name is empty"},
		{"bad country", func(m *sdk.Metadata) { m.Banks[0].Country = "NGA" }, "ISO 3166"},
		{"bad bank code", func(m *sdk.Metadata) { m.Banks[0].Code = "44" }, "3-digit CBN"},
		{"no methods", func(m *sdk.Metadata) { m.Banks[0].Methods = nil }, "no login methods"},
		{"unknown method", func(m *sdk.Metadata) { m.Banks[0].Methods = []sdk.Method{"fax"} }, "is not one of"},
		{"method twice", func(m *sdk.Metadata) {
			m.Banks[0].Methods = append(m.Banks[0].Methods, sdk.MethodInternetBanking)
		}, "listed twice"},
		{"method without fields", func(m *sdk.Metadata) { m.Banks[0].Fields = nil }, "no credential fields"},
		{"field without label", func(m *sdk.Metadata) {
			m.Banks[0].Fields[sdk.MethodInternetBanking][0].Label = ""
		}, "without a name or label"},
		{"undeclared MFA kind", func(m *sdk.Metadata) {
			m.Banks[0].MFAKinds = []sdk.ChallengeKind{sdk.ChallengeSecurityQuestion}
		}, "does not declare it"},
		{"no products", func(m *sdk.Metadata) { m.Banks[0].Products = nil; m.Capabilities.Balance = false }, "no products"},
		{"USSD capability without a USSD bank", func(m *sdk.Metadata) { m.Capabilities.USSD = true }, "capabilities.ussd"},
		{"balance product without capability", func(m *sdk.Metadata) { m.Capabilities.Balance = false }, "capabilities.balance is false"},
		{"balance capability without product", func(m *sdk.Metadata) {
			m.Banks[0].Products = []string{sdk.ProductIdentity}
		}, "no bank offers the balance product"},
		{"identity capability without product", func(m *sdk.Metadata) { m.Capabilities.Identity = true }, "identity product"},
		{"identity on protocol 1.0", func(m *sdk.Metadata) {
			m.Capabilities.Identity = true
			m.Banks[0].Products = append(m.Banks[0].Products, sdk.ProductIdentity)
			m.ProtocolMinor = 0
		}, "GetIdentity came with 1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := validMetadata()
			tt.change(&md)
			err := md.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var invalid *sdk.MetadataError
			if !errors.As(err, &invalid) {
				t.Fatalf("Validate() = %v, want a *MetadataError", err)
			}
			if len(invalid.Problems) != 1 || !strings.Contains(invalid.Problems[0], tt.want) {
				t.Fatalf("problems = %q, want exactly one containing %q", invalid.Problems, tt.want)
			}
		})
	}
}
