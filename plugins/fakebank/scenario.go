package fakebank

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ScenarioEnv names the environment variable holding the path of a scenario
// file that overrides the embedded default. The host sets it explicitly.
const ScenarioEnv = "FAKEBANK_SCENARIO"

//go:embed scenario.json
var defaultScenarioJSON []byte

// Scenario tunes the fake banks. Outcomes of credentials are fixed; a
// scenario only changes timing and failure injection.
type Scenario struct {
	Description string                  `json:"description,omitempty"`
	Banks       map[string]BankScenario `json:"banks"`
}

// BankScenario tunes one bank.
type BankScenario struct {
	// LatencyMS is added to every call (cancelled with the call's context).
	LatencyMS int `json:"latency_ms"`
	// FailureRate in [0,1] is the share of calls rejected with a retryable
	// BANK_UNAVAILABLE.
	FailureRate float64 `json:"failure_rate"`
	// USSDTTL is how long a USSD code can be confirmed.
	USSDTTL Duration `json:"ussd_ttl"`
	// ChallengeTTL is how long an OTP or security question can be answered.
	ChallengeTTL Duration `json:"challenge_ttl"`
}

// Duration reads a Go duration string ("120s", "5m") or a number of seconds.
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "2m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts "90s" or 90.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration must be a string like \"90s\" or a number of seconds, got %s", b)
	}
	*d = Duration(time.Duration(secs * float64(time.Second)))
	return nil
}

// DefaultScenario is the canonical scenario embedded in the package.
func DefaultScenario() Scenario {
	var sc Scenario
	if err := json.Unmarshal(defaultScenarioJSON, &sc); err != nil {
		panic("fakebank: embedded scenario.json is invalid: " + err.Error())
	}
	return sc
}

// ParseScenario reads a scenario and lays it over the default: banks and
// fields it leaves out keep their default values.
func ParseScenario(data []byte) (Scenario, error) {
	sc := DefaultScenario()
	var raw struct {
		Description string                     `json:"description"`
		Banks       map[string]json.RawMessage `json:"banks"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Scenario{}, fmt.Errorf("scenario: %w", err)
	}
	if raw.Description != "" {
		sc.Description = raw.Description
	}
	for id, msg := range raw.Banks {
		bs, ok := sc.Banks[id]
		if !ok {
			return Scenario{}, fmt.Errorf("scenario: unknown bank %q (known: %s)", id, strings.Join(bankIDs(), ", "))
		}
		if err := json.Unmarshal(msg, &bs); err != nil {
			return Scenario{}, fmt.Errorf("scenario: bank %q: %w", id, err)
		}
		sc.Banks[id] = bs
	}
	return sc, sc.Validate()
}

// LoadScenario reads the scenario file at path; an empty path means the
// default scenario.
func LoadScenario(path string) (Scenario, error) {
	if path == "" {
		return DefaultScenario(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("scenario: %w", err)
	}
	return ParseScenario(data)
}

// Validate checks ranges.
func (sc Scenario) Validate() error {
	var errs []error
	for id, b := range sc.Banks {
		if b.LatencyMS < 0 {
			errs = append(errs, fmt.Errorf("scenario: bank %q: latency_ms must not be negative", id))
		}
		if b.FailureRate < 0 || b.FailureRate > 1 {
			errs = append(errs, fmt.Errorf("scenario: bank %q: failure_rate must be between 0 and 1", id))
		}
		if b.USSDTTL <= 0 || b.ChallengeTTL <= 0 {
			errs = append(errs, fmt.Errorf("scenario: bank %q: ussd_ttl and challenge_ttl must be positive", id))
		}
	}
	return errors.Join(errs...)
}
