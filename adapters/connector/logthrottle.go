package connector

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// logThrottle writes the first of a run of identical failures at once and
// then at most one line per interval, carrying the number of lines it held
// back meanwhile: an open breaker refuses thousands of calls a second, and
// one line every few seconds says as much.
type logThrottle struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	seen map[string]*throttled
}

type throttled struct {
	last       time.Time
	suppressed int
}

func newLogThrottle(log *slog.Logger, interval time.Duration) *logThrottle {
	return &logThrottle{log: log, interval: interval, now: time.Now, seen: map[string]*throttled{}}
}

// warn logs msg with attrs unless a line with the same key was written less
// than an interval ago; key names what makes two failures identical.
func (l *logThrottle) warn(key, msg string, attrs ...slog.Attr) {
	now := l.now()
	l.mu.Lock()
	e, ok := l.seen[key]
	if !ok {
		e = &throttled{}
		l.seen[key] = e
	}
	if ok && now.Sub(e.last) < l.interval {
		e.suppressed++
		l.mu.Unlock()
		return
	}
	held := e.suppressed
	e.last, e.suppressed = now, 0
	l.mu.Unlock()
	if held > 0 {
		// Identical failures since the previous line, not written.
		attrs = append(attrs, slog.Int("suppressed", held))
	}
	l.log.LogAttrs(context.Background(), slog.LevelWarn, msg, attrs...)
}
