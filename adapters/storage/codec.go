package storage

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// timeLayout is how times are written: UTC, microseconds (PostgreSQL's
// precision), fixed width, so SQLite's TEXT columns sort and compare in time
// order and PostgreSQL parses the same text as timestamptz.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// dbInt scans an integer column: both drivers hand over an int64, which
// database/sql would put into an int or int64 through reflection and a
// round trip through its decimal text, once per row for every page's
// count. NULL is refused, as scanning it into an int64 is: a missing
// amount must not read as zero.
type dbInt int64

// Scan implements sql.Scanner.
func (n *dbInt) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*n = dbInt(x)
	case []byte:
		return n.parse(string(x))
	case string:
		return n.parse(x)
	default:
		return fmt.Errorf("scan integer from %T", v)
	}
	return nil
}

func (n *dbInt) parse(s string) error {
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("scan integer: %w", err)
	}
	*n = dbInt(i)
	return nil
}

// dbTime is a time as stored. Times are truncated to the microsecond and
// come back in UTC.
type dbTime struct{ time.Time }

func ts(t time.Time) dbTime { return dbTime{t} }

// Value implements driver.Valuer.
func (t dbTime) Value() (driver.Value, error) {
	return t.UTC().Truncate(time.Microsecond).Format(timeLayout), nil
}

// Scan implements sql.Scanner for PostgreSQL's time.Time and epoch
// (see scanned) and SQLite's text.
func (t *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		t.Time = x.UTC()
	case string:
		return t.parse(x)
	case []byte:
		if e, ok := parseEpoch(x); ok {
			t.Time = e
			return nil
		}
		return t.parse(string(x))
	case nil:
		t.Time = time.Time{}
	default:
		return fmt.Errorf("scan time from %T", v)
	}
	return nil
}

func (t *dbTime) parse(s string) error {
	if p, ok := parseLayout(s); ok {
		t.Time = p
		return nil
	}
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	t.Time = p.UTC()
	return nil
}

// parseLayout reads a time written in timeLayout, the only form this code
// stores, without time.Parse's general machinery; anything else is left
// to time.Parse.
func parseLayout(s string) (time.Time, bool) {
	if len(s) != len(timeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	micro, ok7 := num(20, 26)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, time.UTC)
	if t.Day() != day {
		// time.Date normalises 31 April to 1 May; time.Parse refuses it.
		return time.Time{}, false
	}
	return t, true
}

// nullTime is an optional time.
type nullTime struct {
	Time  dbTime
	Valid bool
}

func nts(t *time.Time) nullTime {
	if t == nil {
		return nullTime{}
	}
	return nullTime{Time: ts(*t), Valid: true}
}

// Value implements driver.Valuer.
func (n nullTime) Value() (driver.Value, error) {
	if !n.Valid {
		return nil, nil
	}
	return n.Time.Value()
}

// Scan implements sql.Scanner.
func (n *nullTime) Scan(v any) error {
	if v == nil {
		*n = nullTime{}
		return nil
	}
	n.Valid = true
	return n.Time.Scan(v)
}

func (n nullTime) ptr() *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time.Time
	return &t
}

// strList is a list of strings stored as JSON text.
type strList []string

// Value implements driver.Valuer.
func (l strList) Value() (driver.Value, error) {
	if l == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]string(l))
	return string(b), err
}

// Scan implements sql.Scanner.
func (l *strList) Scan(v any) error {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	case nil:
		*l = nil
		return nil
	default:
		return fmt.Errorf("scan string list from %T", v)
	}
	if out, ok := plainStrings(b); ok {
		*l = out
		return nil
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("scan string list: %w", err)
	}
	if len(out) == 0 {
		out = nil
	}
	*l = out
	return nil
}

// plainStrings reads a JSON array of strings without escapes or spaces
// (what Value writes for product names and the like) without
// encoding/json's reflection; anything else is left to json.Unmarshal.
// An empty array is nil, as Scan has it.
func plainStrings(b []byte) ([]string, bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	body := b[1 : len(b)-1]
	if len(body) == 0 {
		return nil, true
	}
	out := make([]string, 0, bytes.Count(body, []byte{','})+1)
	for len(body) > 0 {
		if body[0] != '"' {
			return nil, false
		}
		end := bytes.IndexByte(body[1:], '"')
		if end < 0 {
			return nil, false
		}
		v := body[1 : 1+end]
		for _, c := range v {
			if c == '\\' || c < 0x20 || c >= 0x80 {
				return nil, false
			}
		}
		out = append(out, string(v))
		body = body[2+end:]
		if len(body) > 0 {
			if body[0] != ',' || len(body) == 1 {
				return nil, false
			}
			body = body[1:]
		}
	}
	return out, true
}

// blob makes empty byte slices NULL on the way in and nil on the way out,
// so both engines give the same answer.
func blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
