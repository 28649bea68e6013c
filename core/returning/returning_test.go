package returning

import (
	"testing"

	"github.com/bankauth/bankauth/core/domain"
)

func TestResolve(t *testing.T) {
	const a, b = "aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb"
	cases := []struct {
		name              string
		policy            domain.DuplicatePolicy
		candidate, owner  string
		want              string
		merged, duplicate bool
	}{
		{"new account", domain.DuplicateMerge, a, "", a, false, false},
		{"same customer again", domain.DuplicateReject, a, a, a, false, false},
		{"unknown linker, known owner", domain.DuplicateReject, "", b, b, false, false},
		{"merge", domain.DuplicateMerge, a, b, b, true, false},
		{"empty policy merges", "", a, b, b, true, false},
		{"allow", domain.DuplicateAllow, a, b, a, false, false},
		{"reject", domain.DuplicateReject, a, b, "", false, true},
	}
	for _, c := range cases {
		d, err := Resolve(c.policy, c.candidate, c.owner)
		if c.duplicate {
			if domain.KindOf(err) != domain.KindDuplicateAccount {
				t.Errorf("%s: err %v, want duplicate_account", c.name, err)
			}
			continue
		}
		if err != nil || d.CustomerID != c.want || d.Merged != c.merged {
			t.Errorf("%s: %+v %v, want %s merged=%v", c.name, d, err, c.want, c.merged)
		}
	}
}
