package connector

import (
	"slices"
	"sync"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// minSamples is the number of calls a bank needs before its success rate
// and latency can make it degraded.
const minSamples = 5

// bankHealth keeps the outcomes of a bank's recent calls in a ring.
type bankHealth struct {
	mu       sync.Mutex
	failed   []bool
	latency  []time.Duration
	n, next  int
	failRun  int // consecutive failures, newest last
	lastCall time.Time
}

func newBankHealth(window int) *bankHealth {
	return &bankHealth{failed: make([]bool, window), latency: make([]time.Duration, window)}
}

func (h *bankHealth) record(failed bool, d time.Duration, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failed[h.next] = failed
	h.latency[h.next] = d
	h.next = (h.next + 1) % len(h.failed)
	if h.n < len(h.failed) {
		h.n++
	}
	if failed {
		h.failRun++
	} else {
		h.failRun = 0
	}
	h.lastCall = at
}

// healthStats summarises the window.
type healthStats struct {
	Calls       int
	SuccessRate float64
	P95         time.Duration
	FailRun     int
}

func (h *bankHealth) stats() healthStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := healthStats{Calls: h.n, FailRun: h.failRun, SuccessRate: 1}
	if h.n == 0 {
		return s
	}
	ok := 0
	lat := make([]time.Duration, 0, h.n)
	for i := 0; i < h.n; i++ {
		if !h.failed[i] {
			ok++
		}
		lat = append(lat, h.latency[i])
	}
	slices.Sort(lat)
	s.SuccessRate = float64(ok) / float64(h.n)
	s.P95 = lat[(len(lat)*95+99)/100-1]
	return s
}

// status computes a bank's status from its recent calls; connectorDown says
// that its connector cannot be reached at all (breaker open or not started).
func (s healthStats) status(cfg Config, connectorDown bool) string {
	switch {
	case connectorDown, s.FailRun >= cfg.DownAfter:
		return domain.BankDown
	case s.Calls >= minSamples && (s.SuccessRate < cfg.DegradedBelow || s.P95 > cfg.SlowCall):
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
