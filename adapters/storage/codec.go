package storage

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// timeLayout is how times are written: UTC, microseconds (PostgreSQL's
// precision), fixed width, so SQLite's TEXT columns sort and compare in time
// order and PostgreSQL parses the same text as timestamptz.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// dbTime is a time as stored. Times are truncated to the microsecond and
// come back in UTC.
type dbTime struct{ time.Time }

func ts(t time.Time) dbTime { return dbTime{t} }

// Value implements driver.Valuer.
func (t dbTime) Value() (driver.Value, error) {
	return t.UTC().Truncate(time.Microsecond).Format(timeLayout), nil
}

// Scan implements sql.Scanner for PostgreSQL's time.Time and SQLite's text.
func (t *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		t.Time = x.UTC()
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	case nil:
		t.Time = time.Time{}
	default:
		return fmt.Errorf("scan time from %T", v)
	}
	return nil
}

func (t *dbTime) parse(s string) error {
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	t.Time = p.UTC()
	return nil
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

// blob makes empty byte slices NULL on the way in and nil on the way out,
// so both engines give the same answer.
func blob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
