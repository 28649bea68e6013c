package sdk_test

import (
	"testing"

	"github.com/bankauth/bankauth/plugins/sdk"
)

func TestValidNUBAN(t *testing.T) {
	for _, tc := range []struct {
		code, nuban string
		want        bool
	}{
		{"901", "0000000017", true},
		{"058", "0123456785", true},
		{"058", "0123456784", false}, // wrong check digit
		{"901", "0123456785", false}, // right digit for another bank
		{"058", "012345678", false},  // too short
		{"058", "01234567855", false},
		{"058", "01234a6785", false},
		{"58", "0123456785", false},
		{"", "0123456785", false},
	} {
		if got := sdk.ValidNUBAN(tc.code, tc.nuban); got != tc.want {
			t.Errorf("ValidNUBAN(%q, %q) = %v, want %v", tc.code, tc.nuban, got, tc.want)
		}
	}
}
