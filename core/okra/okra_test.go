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

// TestTimeMatchesFormat holds the hand-written layout to time.Format's
// over edge dates, zones and years outside four digits, and a spread of
// instants.
func TestTimeMatchesFormat(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("WAT", 3600), time.FixedZone("west", -11*3600-1800)}
	cases := []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 999500000, time.UTC),
		time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2025, 4, 1, 9, 0, 0, 1234000, time.UTC),
	}
	for i := int64(0); i < 2000; i++ {
		cases = append(cases, time.Unix(i*987654321-1e12, i*7919%1e9))
	}
	for _, c := range cases {
		for _, z := range zones {
			v := c.In(z)
			if got, want := Time(v), v.UTC().Format(stampLayout); got != want {
				t.Fatalf("Time(%v) = %s, Format says %s", v, got, want)
			}
		}
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
