package ports

import (
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// Clock tells the time; tests substitute a fixed or stepped one.
type Clock interface {
	Now() time.Time
}

// IDs makes new ids.
type IDs interface {
	NewID() domain.ID
}

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now().UTC() }

// RandomIDs makes ids with domain.NewID.
type RandomIDs struct{}

func (RandomIDs) NewID() domain.ID { return domain.NewID() }
