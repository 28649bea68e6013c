package jobs

import (
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// Config tunes a job worker.
type Config struct {
	// ID names this instance in job claims (default: the worker's kind and
	// a random id).
	ID string
	// PollInterval is how often the worker looks for due jobs when nobody
	// nudged it (default 2 s).
	PollInterval time.Duration
	// ClaimTTL is how long a claimed job is this worker's; a job whose
	// claim lapsed (its instance died) is claimed again. It must outlast a
	// bank call (default 2 min).
	ClaimTTL time.Duration
	// MaxAttempts a job gets against retryable failures (default 3).
	MaxAttempts int
	// Disabled leaves the jobs to other instances (an API-only instance).
	Disabled bool
}

// WithDefaults fills in what is unset; kind prefixes the default ID.
func (c Config) WithDefaults(kind string) Config {
	if c.ID == "" {
		c.ID = kind + "-" + domain.NewID()
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.ClaimTTL <= 0 {
		c.ClaimTTL = 2 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	return c
}
