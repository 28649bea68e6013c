package httpapi

import (
	"strconv"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// SessionLimiter bounds how fast one link session may call (USSD polling
// included), so a leaked session token cannot hammer a bank.
type SessionLimiter struct {
	l     *rateLimiter
	clock ports.Clock
}

// NewSessionLimiter allows rate calls per second per session, burst at once.
func NewSessionLimiter(rate float64, burst int, clock ports.Clock) *SessionLimiter {
	return &SessionLimiter{l: newRateLimiter(rate, burst), clock: clock}
}

func (s *SessionLimiter) take(id string) error {
	okay, wait := s.l.take("session/"+id, s.clock.Now())
	if okay {
		return nil
	}
	secs := int(wait.Seconds()) + 1
	return &domain.Error{Kind: domain.KindRateLimited, Message: "too many calls for this session; retry after " + strconv.Itoa(secs) + "s"}
}
