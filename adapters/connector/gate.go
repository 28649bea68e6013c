package connector

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// bankGate admits the calls to one bank. The bank has a budget of slots of
// its own, so a slow bank cannot take a healthy one's share of their
// connector, and a breaker, so a bank that keeps timing out is refused at
// once instead of holding callers until the deadline.
type bankGate struct {
	bank     string
	slots    chan struct{}
	after    int           // consecutive failures that open the breaker
	cooldown time.Duration // open for this long before a probe

	mu        sync.Mutex
	failRun   int
	open      bool
	openUntil time.Time
	probing   bool // half-open: one call is finding out
}

func newBankGate(bank string, cfg Config) *bankGate {
	return &bankGate{bank: bank, slots: make(chan struct{}, cfg.BankConcurrent),
		after: cfg.BankBreakerAfter, cooldown: cfg.BankBreakerCooldown}
}

// verdict is what a finished call says about its bank.
type verdict int

const (
	verdictNone    verdict = iota // says nothing: the caller gave up, a refusal, a start failure
	verdictAnswer                 // the bank answered (a rejection is an answer)
	verdictFailure                // timed out at the bank's deadline, or the connector failed
)

// breakerChange is a transition of the breaker, for logs and metrics.
type breakerChange int

const (
	breakerSame breakerChange = iota
	breakerOpened
	breakerClosed
)

// enter takes a slot for one call. probe reports that the call is the one
// a half-open breaker lets through. A refusal is a *domain.Error of kind
// unavailable, returned at once when the breaker is open and within wait
// when the budget is full; ctx's error is returned if it ends first.
func (g *bankGate) enter(ctx context.Context, wait time.Duration) (probe bool, err error) {
	now := time.Now()
	g.mu.Lock()
	if g.open {
		if now.Before(g.openUntil) || g.probing {
			retry := max(g.openUntil.Sub(now), 0)
			g.mu.Unlock()
			return false, refusal(CodeBreakerOpen, "the bank is not answering; try again later",
				fmt.Errorf("bank %q: breaker open after repeated timeouts or failures; next probe in %s", g.bank, retry.Round(time.Second)))
		}
		g.probing, probe = true, true
	}
	g.mu.Unlock()
	select {
	case g.slots <- struct{}{}:
		return probe, nil
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return probe, nil
	case <-t.C:
		err = refusal(CodeBusy, "the bank is busy; try again shortly",
			fmt.Errorf("bank %q: all %d call slots in use", g.bank, cap(g.slots)))
	case <-ctx.Done():
		err = ctx.Err()
	}
	if probe {
		g.mu.Lock()
		g.probing = false // let another call probe
		g.mu.Unlock()
	}
	return false, err
}

// leave gives the slot back and feeds the call's verdict to the breaker.
func (g *bankGate) leave(probe bool, v verdict) breakerChange {
	<-g.slots
	g.mu.Lock()
	defer g.mu.Unlock()
	if probe {
		g.probing = false
	}
	switch v {
	case verdictAnswer:
		g.failRun = 0
		if g.open && probe {
			g.open = false
			return breakerClosed
		}
	case verdictFailure:
		g.failRun++
		switch {
		case probe:
			g.openUntil = time.Now().Add(g.cooldown)
		case !g.open && g.failRun >= g.after:
			g.open = true
			g.openUntil = time.Now().Add(g.cooldown)
			return breakerOpened
		}
	}
	return breakerSame
}

// isOpen reports whether the breaker is open or half-open: the bank is down
// until a probe is answered.
func (g *bankGate) isOpen() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

// inUse is the number of slots taken.
func (g *bankGate) inUse() int { return len(g.slots) }

func refusal(code, msg string, err error) *domain.Error {
	return &domain.Error{Kind: domain.KindUnavailable, Code: code, Retryable: true, Message: msg, Err: err}
}
