package storage

import (
	"strings"
	"time"
)

// Times read as epochs. lib/pq decodes every timestamptz it receives with a
// general parser and hands it over boxed, which cost about a microsecond
// per row of a page with two times (a fifth of the row's decoding). A
// numeric it hands over undecoded, so a row read by position asks
// PostgreSQL (14 and later, where EXTRACT returns an exact numeric) for
// EXTRACT(EPOCH FROM t) instead, and dbTime.Scan reads the digits.

// timeColumns names every timestamptz column of the schema (TestTimeColumns
// holds this to the migrated database); a column of another type must not
// take one of these names.
var timeColumns = map[string]bool{
	"created_at": true, "updated_at": true, "expires_at": true, "revoked_at": true, "consumed_at": true,
	"last_used_at": true, "as_of": true, "run_after": true, "next_attempt": true, "claimed_till": true,
	"previous_until": true, "retry_after": true, "quick_login_locked_until": true, "lease_until": true,
}

// epochMinVersion is the first PostgreSQL (server_version_num) whose
// EXTRACT(EPOCH FROM timestamptz) is a numeric with every microsecond; before
// it was a float, which loses microseconds after 2038.
const epochMinVersion = 140000

// scanned is query as the row readers (scanRows, scanOne) send it, with
// the driver's placeholders: with the store's epoch reads, each plain time
// column of its outer select list is read as EXTRACT(EPOCH FROM col).
// Those readers take columns by position, so the changed names do not
// matter; ORDER BY and WHERE keep the columns themselves (and their
// indexes). One memo holds both rewrites.
func (s *Store) scanned(query string) string {
	if !s.epochTimes {
		return s.rebind(query)
	}
	if q, ok := s.epochs.Load(query); ok {
		return q.(string)
	}
	q := s.db.Rebind(epochSelect(query))
	if s.nepochs.Add(1) <= 4*maxCachedStatements {
		s.epochs.Store(query, q)
	}
	return q
}

// epochSelect rewrites the outer select list of query: the items between
// its leading SELECT and the FROM at the same depth, split at that depth's
// commas. Statement texts come from this code, so quotes and parentheses
// are all it must respect.
func epochSelect(query string) string {
	const sel = "SELECT "
	if !strings.HasPrefix(query, sel) || strings.Contains(strings.ToUpper(query), "UNION") {
		// A compound query's lists must agree: left as it is.
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 64)
	b.WriteString(sel)
	depth, quoted, start := 0, false, len(sel)
	item := func(end int) {
		it := query[start:end]
		name := strings.TrimSpace(it)
		if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
			name = name[dot+1:]
		}
		if timeColumns[name] {
			lead := it[:len(it)-len(strings.TrimLeft(it, " \n\t\r"))]
			b.WriteString(lead + "EXTRACT(EPOCH FROM " + strings.TrimSpace(it) + ")")
			return
		}
		b.WriteString(it)
	}
	for i := len(sel); i < len(query); i++ {
		switch c := query[i]; {
		case quoted:
			quoted = c != '\''
		case c == '\'':
			quoted = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && c == ',':
			item(i)
			b.WriteByte(',')
			start = i + 1
		case depth == 0 && isBlank(c) && len(query) > i+5 && query[i+1:i+5] == "FROM" && isBlank(query[i+5]):
			item(i)
			b.WriteString(query[i:])
			return b.String()
		}
	}
	return query // no FROM: nothing read from a table
}

func isBlank(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// parseEpoch reads EXTRACT(EPOCH FROM t) of a timestamptz as PostgreSQL
// writes it: seconds since 1970 with up to six decimals, maybe negative
// ("1743591121.915000", "-0.500000").
func parseEpoch(b []byte) (time.Time, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var sec, micro int64
	i := 0
	for ; i < len(b) && b[i] != '.'; i++ {
		c := b[i]
		if c < '0' || c > '9' || i >= 13 {
			return time.Time{}, false
		}
		sec = sec*10 + int64(c-'0')
	}
	if i == 0 {
		return time.Time{}, false
	}
	if i < len(b) {
		frac := b[i+1:]
		if len(frac) == 0 || len(frac) > 6 {
			return time.Time{}, false
		}
		for j := range 6 {
			micro *= 10
			if j < len(frac) {
				c := frac[j]
				if c < '0' || c > '9' {
					return time.Time{}, false
				}
				micro += int64(c - '0')
			}
		}
	}
	if neg {
		sec, micro = -sec, -micro
	}
	return time.Unix(sec, micro*1000).UTC(), true
}
