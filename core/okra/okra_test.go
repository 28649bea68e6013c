package okra

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

func TestTime(t *testing.T) {
	lagos := time.FixedZone("WAT", 3600)
	if got := Time(time.Date(2026, 5, 1, 10, 0, 0, 123456789, lagos)); got != "2026-05-01T09:00:00.123Z" {
		t.Fatalf("Time = %s, want UTC with milliseconds", got)
	}
	if got := Time(time.Time{}); got != "" {
		t.Fatalf("Time of an unset time = %q, want empty", got)
	}
}

// TestBankRefs: the two bank references keep Okra's field order, the
// status only where Okra sent it.
func TestBankRefs(t *testing.T) {
	b := domain.Bank{ID: "b1", Name: "Fake Bank", Slug: "fake"}
	for _, tc := range []struct {
		v    any
		want string
	}{
		{PresentBankRef(b), `{"_id":"b1","name":"Fake Bank","slug":"fake","icon":"/widget/assets/bank.svg#fake","logo":"/widget/assets/bank.svg#fake"}`},
		{PresentBankRefWithStatus(b), `{"_id":"b1","name":"Fake Bank","slug":"fake","icon":"/widget/assets/bank.svg#fake","logo":"/widget/assets/bank.svg#fake","status":"operational"}`},
		{PresentBankDetails(domain.Bank{ID: "b2"}), `{"_id":"b2","name":"","slug":"","logo":"","icon":""}`},
	} {
		raw, err := json.Marshal(tc.v)
		if err != nil || string(raw) != tc.want {
			t.Errorf("%T = %s %v, want %s", tc.v, raw, err, tc.want)
		}
	}
}

func TestFlags(t *testing.T) {
	f := Flags([]string{"auth", "balance"})
	if len(f) != len(callbackProducts) || !f["auth"] || !f["balance"] || f["identity"] {
		t.Fatalf("Flags = %v", f)
	}
}
