package jobs

import (
	"math/rand/v2"
	"time"
)

// Exponential is a doubling retry schedule: Base after the first failure,
// doubled per failure after that, never above Max.
type Exponential struct {
	Base, Max time.Duration
}

// Ceiling is min(Max, Base·2^(failures-1)); no failure yet counts as one.
func (e Exponential) Ceiling(failures int) time.Duration {
	d := e.Base
	for i := 1; i < failures && d < e.Max; i++ {
		d *= 2
	}
	return min(d, e.Max)
}

// FullJitter is a wait drawn uniformly in [0, Ceiling(failures)], so that
// many failures at once do not retry in step.
func (e Exponential) FullJitter(failures int) time.Duration {
	return time.Duration(rand.Int64N(int64(e.Ceiling(failures)) + 1))
}

// HalfJitter is a wait drawn uniformly in [Ceiling/2, Ceiling]: jittered,
// yet never much shorter than the schedule says.
func (e Exponential) HalfJitter(failures int) time.Duration {
	c := e.Ceiling(failures)
	return c/2 + time.Duration(rand.Int64N(int64(c/2)+1))
}

// refreshes is the schedule of a failed job: 5 s, 10 s, 20 s, 40 s, then
// 80 s for every attempt after.
var refreshes = Exponential{Base: 5 * time.Second, Max: 80 * time.Second}

// Backoff is the wait before the next attempt of a job that failed
// attempts times.
func Backoff(attempts int) time.Duration { return refreshes.Ceiling(attempts) }
