package connector

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A run of identical failures writes its first line at once, then one line
// per interval carrying the number held back; different failures are not
// held back by each other.
func TestLogThrottle(t *testing.T) {
	t.Parallel()
	type event struct {
		at  time.Duration // since the start
		key string
	}
	cases := []struct {
		name   string
		events []event
		want   []string // "key suppressed" of each line written
	}{
		{"one line", []event{{0, "a"}}, []string{"a 0"}},
		{"a burst is one line", []event{{0, "a"}, {time.Millisecond, "a"}, {2 * time.Second, "a"}, {9 * time.Second, "a"}},
			[]string{"a 0"}},
		{"the next interval carries the count", []event{{0, "a"}, {1 * time.Second, "a"}, {2 * time.Second, "a"}, {10 * time.Second, "a"}, {11 * time.Second, "a"}},
			[]string{"a 0", "a 2"}},
		{"keys are apart", []event{{0, "a"}, {0, "b"}, {time.Second, "a"}, {time.Second, "b"}, {20 * time.Second, "b"}},
			[]string{"a 0", "b 0", "b 1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			l := newLogThrottle(slog.New(slog.NewJSONHandler(&buf, nil)), 10*time.Second)
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for _, e := range c.events {
				l.now = func() time.Time { return start.Add(e.at) }
				l.warn(e.key, "connector call failed", slog.String("key", e.key))
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				var m struct {
					Key        string
					Suppressed int
				}
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				got = append(got, m.Key+" "+strconv.Itoa(m.Suppressed))
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("lines %q, want %q", got, c.want)
			}
		})
	}
}
