package storage

import (
	"testing"
	"time"
)

// TestEpochSelect: only the plain time columns of the outer select list
// are read as epochs; subqueries, functions of a time, quoted text, WHERE
// and ORDER BY keep their columns.
func TestEpochSelect(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT id, created_at FROM t WHERE id = ?",
			"SELECT id, EXTRACT(EPOCH FROM created_at) FROM t WHERE id = ?"},
		{"SELECT (SELECT COUNT(*) FROM auths WHERE auths.company_id = ?) AS total_docs, id, created_at, updated_at FROM auths WHERE company_id = ? ORDER BY created_at DESC",
			"SELECT (SELECT COUNT(*) FROM auths WHERE auths.company_id = ?) AS total_docs, id, EXTRACT(EPOCH FROM created_at), EXTRACT(EPOCH FROM updated_at) FROM auths WHERE company_id = ? ORDER BY created_at DESC"},
		{"SELECT auths.total_docs, auths.id, auths.created_at, COALESCE(cu.name, '') FROM (SELECT auths.* FROM auths ORDER BY auths.created_at DESC LIMIT ?) auths LEFT JOIN customers cu ON cu.id = auths.customer_id ORDER BY auths.created_at DESC",
			"SELECT auths.total_docs, auths.id, EXTRACT(EPOCH FROM auths.created_at), COALESCE(cu.name, '') FROM (SELECT auths.* FROM auths ORDER BY auths.created_at DESC LIMIT ?) auths LEFT JOIN customers cu ON cu.id = auths.customer_id ORDER BY auths.created_at DESC"},
		{"SELECT MAX(created_at), 'a, created_at FROM x', expires_at FROM t",
			"SELECT MAX(created_at), 'a, created_at FROM x', EXTRACT(EPOCH FROM expires_at) FROM t"},
		{"SELECT 'it''s', revoked_at FROM t", "SELECT 'it''s', EXTRACT(EPOCH FROM revoked_at) FROM t"},
		{"SELECT created_at_note, name FROM t", "SELECT created_at_note, name FROM t"},
		{"SELECT now()", "SELECT now()"},
		{"SELECT created_at FROM a UNION SELECT created_at FROM b", "SELECT created_at FROM a UNION SELECT created_at FROM b"},
		{"SELECT created_at FROM a\nUNION ALL\nSELECT created_at FROM b", "SELECT created_at FROM a\nUNION ALL\nSELECT created_at FROM b"},
		{"SELECT id,\n\tcreated_at\nFROM t\nWHERE id = ?", "SELECT id,\n\tEXTRACT(EPOCH FROM created_at)\nFROM t\nWHERE id = ?"},
		{"SELECT SUBSTRING(name FROM 2), updated_at FROM t", "SELECT SUBSTRING(name FROM 2), EXTRACT(EPOCH FROM updated_at) FROM t"},
		{"UPDATE t SET created_at = ? RETURNING created_at", "UPDATE t SET created_at = ? RETURNING created_at"},
	}
	for _, c := range cases {
		if got := epochSelect(c.in); got != c.want {
			t.Errorf("epochSelect(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestParseEpoch reads what PostgreSQL writes for EXTRACT(EPOCH FROM t)
// and refuses anything else, so SQLite's stored text still goes to the
// layout parser.
func TestParseEpoch(t *testing.T) {
	ok := map[string]time.Time{
		"0.000000":            time.Unix(0, 0).UTC(),
		"1743591121.915000":   time.Date(2025, 4, 2, 10, 52, 1, 915000000, time.UTC),
		"1743591121.000001":   time.Date(2025, 4, 2, 10, 52, 1, 1000, time.UTC),
		"1743591121":          time.Date(2025, 4, 2, 10, 52, 1, 0, time.UTC),
		"1743591121.5":        time.Date(2025, 4, 2, 10, 52, 1, 500000000, time.UTC),
		"-0.500000":           time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC),
		"-1.250000":           time.Date(1969, 12, 31, 23, 59, 58, 750000000, time.UTC),
		"-62135596800.000000": {},
		"253402300799.999999": time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
	}
	for in, want := range ok {
		got, parsed := parseEpoch([]byte(in))
		if !parsed || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseEpoch(%q) = %v, %v; want %v", in, got, parsed, want)
		}
	}
	if got, _ := parseEpoch([]byte("-62135596800.000000")); !got.IsZero() {
		t.Errorf("the zero time came back as %v, not zero", got)
	}
	for _, in := range []string{"", "-", ".5", "1.", "1.1234567", "2025-04-02T10:52:01.915000Z", "1e9", "12a.0", "1.2.3", "99999999999999.0", "Infinity", "NaN"} {
		if got, parsed := parseEpoch([]byte(in)); parsed {
			t.Errorf("parseEpoch(%q) = %v; want refused", in, got)
		}
	}
}
