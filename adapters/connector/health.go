package connector

import (
	"sync"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// minSamples is the number of calls a bank needs before its success rate
// and latency can make it degraded.
const minSamples = 5

// bankHealth keeps the outcomes of a bank's recent calls in a ring, with
// running counts so that a call's bookkeeping does not depend on the window.
type bankHealth struct {
	mu       sync.Mutex
	slow     time.Duration // a call slower than this counts as slow
	failed   []bool
	slowCall []bool
	n, next  int
	nFailed  int
	nSlow    int
	failRun  int // consecutive failures, newest last
	lastCall time.Time
}

func newBankHealth(window int, slow time.Duration) *bankHealth {
	return &bankHealth{slow: slow, failed: make([]bool, window), slowCall: make([]bool, window)}
}

func (h *bankHealth) record(failed bool, d time.Duration, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == len(h.failed) { // the oldest call leaves the window
		h.nFailed -= b2i(h.failed[h.next])
		h.nSlow -= b2i(h.slowCall[h.next])
	} else {
		h.n++
	}
	slow := d > h.slow
	h.failed[h.next], h.slowCall[h.next] = failed, slow
	h.nFailed += b2i(failed)
	h.nSlow += b2i(slow)
	h.next = (h.next + 1) % len(h.failed)
	if failed {
		h.failRun++
	} else {
		h.failRun = 0
	}
	h.lastCall = at
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// healthStats summarises the window.
type healthStats struct {
	Calls       int
	SuccessRate float64
	SlowP95     bool // the window's 95th-percentile latency is over the slow mark
	FailRun     int
}

func (h *bankHealth) stats() healthStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := healthStats{Calls: h.n, FailRun: h.failRun, SuccessRate: 1}
	if h.n == 0 {
		return s
	}
	s.SuccessRate = float64(h.n-h.nFailed) / float64(h.n)
	// The p95 is the ceil(0.95n)-th smallest latency, so it is over the
	// mark exactly when more than n-ceil(0.95n) of the calls are.
	s.SlowP95 = h.nSlow > h.n-(h.n*95+99)/100
	return s
}

// status computes a bank's status from its recent calls; connectorDown says
// that its connector cannot be reached at all (breaker open or not started).
func (s healthStats) status(cfg Config, connectorDown bool) string {
	switch {
	case connectorDown, s.FailRun >= cfg.DownAfter:
		return domain.BankDown
	case s.Calls >= minSamples && (s.SuccessRate < cfg.DegradedBelow || s.SlowP95):
		return domain.BankDegraded
	}
	return domain.BankOperational
}

func statusValue(status string) float64 {
	switch status {
	case domain.BankOperational:
		return 1
	case domain.BankDegraded:
		return 0.5
	}
	return 0
}
