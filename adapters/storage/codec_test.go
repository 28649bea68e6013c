package storage

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestParseLayoutAgreesWithTimeParse: the hand-written reader of stored
// times answers what time.Parse does, and leaves to it what it refuses.
func TestParseLayoutAgreesWithTimeParse(t *testing.T) {
	for _, s := range []string{
		"2025-04-01T09:01:01.234567Z", "1999-12-31T23:59:59.999999Z", "2024-02-29T00:00:00.000000Z",
		"2025-02-29T00:00:00.000000Z", "2025-04-31T00:00:00.000000Z", "2025-13-01T00:00:00.000000Z",
		"2025-04-01T24:00:00.000000Z", "2025-04-01T09:01:01.23456Z", "2025-04-01 09:01:01.234567Z",
		"2025-04-01T09:01:01.234567+01:00", "2025-04-01T09:0a:01.234567Z", "",
	} {
		want, err := time.Parse(time.RFC3339Nano, s)
		got, ok := parseLayout(s)
		if ok && (err != nil || !got.Equal(want) || got.Location() != time.UTC) {
			t.Errorf("parseLayout(%q) = %v, time.Parse says %v, %v", s, got, want, err)
		}
		var d dbTime
		if scanErr := d.Scan(s); (scanErr == nil) != (err == nil) || (err == nil && !d.Time.Equal(want)) {
			t.Errorf("Scan(%q) = %v, %v; time.Parse says %v, %v", s, d.Time, scanErr, want, err)
		}
	}
	if _, ok := parseLayout("2025-04-01T09:01:01.234567Z"); !ok {
		t.Error("parseLayout refuses the stored layout")
	}
}

// TestStrListScanAgreesWithUnmarshal: the plain-array reader gives what
// encoding/json gives, and anything unusual still goes through it.
func TestStrListScanAgreesWithUnmarshal(t *testing.T) {
	for _, s := range []string{
		`[]`, `["auth"]`, `["auth","balance","identity"]`, `["a\"b"]`, `["é"]`, `[ "auth" ]`, `["a",]`, `[,]`, `["",""]`,
	} {
		var want []string
		wantErr := json.Unmarshal([]byte(s), &want)
		if len(want) == 0 {
			want = nil
		}
		var got strList
		err := got.Scan(s)
		if (err == nil) != (wantErr == nil) || (err == nil && !reflect.DeepEqual([]string(got), want)) {
			t.Errorf("Scan(%s) = %q, %v; json.Unmarshal says %q, %v", s, got, err, want, wantErr)
		}
	}
}

func TestScopedCols(t *testing.T) {
	if got := scopedCols(authCols); got != "id, record_id, customer_id, bank_id, validated, validation_note, created_at, updated_at, account_ids" {
		t.Fatalf("scopedCols(authCols) = %q", got)
	}
}

// TestDBIntScan: an integer column reads from what either driver hands
// over, and anything else is refused with the type it was.
func TestDBIntScan(t *testing.T) {
	for _, c := range []struct {
		in   any
		want dbInt
	}{{int64(-42), -42}, {int64(1 << 40), 1 << 40}, {[]byte("206"), 206}, {"7", 7}} {
		n := dbInt(99)
		if err := n.Scan(c.in); err != nil || n != c.want {
			t.Fatalf("Scan(%#v) = %d, %v; want %d", c.in, n, err, c.want)
		}
	}
	for _, bad := range []any{nil, "12x", []byte(""), 1.5, true} {
		var n dbInt
		if err := n.Scan(bad); err == nil {
			t.Fatalf("Scan(%#v) = %d, want an error", bad, n)
		}
	}
}
