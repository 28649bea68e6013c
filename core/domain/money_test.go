package domain

import (
	"encoding/json"
	"testing"
)

func TestMinorMajorRoundTrip(t *testing.T) {
	cases := []struct {
		minor Minor
		major string
	}{
		{0, "0"}, {1, "0.01"}, {10, "0.1"}, {150050, "1500.5"}, {25000000, "250000"},
		{25000001, "250000.01"}, {-50, "-0.5"}, {99, "0.99"},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.minor)
		if err != nil || string(b) != c.major {
			t.Errorf("marshal %d = %s, %v; want %s", c.minor, b, err, c.major)
		}
		var back Minor
		if err := json.Unmarshal([]byte(c.major), &back); err != nil || back != c.minor {
			t.Errorf("unmarshal %s = %d, %v; want %d", c.major, back, err, c.minor)
		}
	}
}

func TestParseMajorRejects(t *testing.T) {
	for _, in := range []string{"", "1.234", `"12"`, "1e3", "1.", ".5", "abc", "--1", "1,000", "99999999999999999999"} {
		if v, err := ParseMajor(in); err == nil {
			t.Errorf("ParseMajor(%q) = %d, want an error", in, v)
		}
	}
}

func TestParseMajorExact(t *testing.T) {
	// 0.1 + 0.2 style drift must not happen: every cent maps exactly.
	for cents := int64(0); cents < 100000; cents += 7 {
		m := Minor(cents)
		back, err := ParseMajor(m.Major())
		if err != nil || back != m {
			t.Fatalf("round trip of %d via %q gave %d, %v", cents, m.Major(), back, err)
		}
	}
}

func TestNewIDShape(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := NewID()
		if !ValidID(id) {
			t.Fatalf("NewID() = %q, not 24 lowercase hex", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "abc", "5D6FE57A4099CC4B210BBEB3", "5d6fe57a4099cc4b210bbeb", "5d6fe57a4099cc4b210bbebz"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}
