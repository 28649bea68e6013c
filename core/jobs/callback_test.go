package jobs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

func TestCallbackURL(t *testing.T) {
	listening := func() string { return "http://127.0.0.1:8080" }
	notYet := func() string { return "" }
	for _, tc := range []struct {
		name      string
		publicURL string
		origin    func() string
		env       domain.Env
		want      string
	}{
		{"production", "https://api.example.com", nil, domain.EnvProduction, "https://api.example.com/v2/callback?record=r%2F1&method=BALANCE"},
		{"sandbox", "https://api.example.com/", nil, domain.EnvSandbox, "https://api.example.com/v2/sandbox/callback?record=r%2F1&method=BALANCE"},
		{"the listen address", "", listening, domain.EnvProduction, "http://127.0.0.1:8080/v2/callback?record=r%2F1&method=BALANCE"},
		{"no listen address yet", "https://api.example.com", notYet, domain.EnvProduction, "https://api.example.com/v2/callback?record=r%2F1&method=BALANCE"},
	} {
		if got := CallbackURL(tc.publicURL, tc.origin, tc.env, "r/1", domain.MethodBalance); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestErrorOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Error
	}{
		{errors.New("database gone"), Error{Type: "API", Code: "API", Message: "the refresh failed on our side"}},
		{&domain.Error{Kind: domain.KindInternal, Message: "secret detail"}, Error{Type: "API", Code: "API", Message: "the refresh failed on our side"}},
		{&domain.Error{Kind: domain.KindTimeout, Message: "slow"}, Error{Type: "BANK_TIMEOUT", Code: "BANK_TIMEOUT", Message: "slow"}},
		{fmt.Errorf("pull: %w", &domain.Error{Kind: domain.KindTokenRequired, Code: domain.CodeTokenRequired, Message: "log in again"}),
			Error{Type: domain.KindTokenRequired.OkraType(), Code: domain.CodeTokenRequired, Message: "log in again"}},
	} {
		if got := ErrorOf(tc.err); *got != tc.want {
			t.Errorf("ErrorOf(%v) = %+v, want %+v", tc.err, *got, tc.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{context.Canceled, true},
		{errors.New("database gone"), true},
		{&domain.Error{Kind: domain.KindTimeout}, true},
		{&domain.Error{Kind: domain.KindUnavailable}, true},
		{&domain.Error{Kind: domain.KindConnectorFailed}, true},
		{&domain.Error{Kind: domain.KindRateLimited}, true},
		{&domain.Error{Kind: domain.KindInternal}, true},
		{&domain.Error{Kind: domain.KindRejected, Retryable: true}, true},
		{&domain.Error{Kind: domain.KindRejected}, false},
		{&domain.Error{Kind: domain.KindTokenRequired, Retryable: true}, false},
		{domain.NotFound("record"), false},
	} {
		if got := Retryable(tc.err); got != tc.want {
			t.Errorf("Retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for attempts, want := range map[int]time.Duration{0: 5 * time.Second, 1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second,
		4: 40 * time.Second, 5: 80 * time.Second, 10: 80 * time.Second} {
		if got := Backoff(attempts); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", attempts, got, want)
		}
	}
}

func TestExponential(t *testing.T) {
	e := Exponential{Base: 2 * time.Second, Max: time.Hour}
	for _, tc := range []struct {
		failures int
		ceiling  time.Duration
	}{{0, 2 * time.Second}, {1, 2 * time.Second}, {2, 4 * time.Second}, {3, 8 * time.Second}, {12, time.Hour}, {1000, time.Hour}} {
		if got := e.Ceiling(tc.failures); got != tc.ceiling {
			t.Fatalf("Ceiling(%d) = %s, want %s", tc.failures, got, tc.ceiling)
		}
		var lowest, highest time.Duration = tc.ceiling, 0
		for i := 0; i < 300; i++ {
			full, half := e.FullJitter(tc.failures), e.HalfJitter(tc.failures)
			if full < 0 || full > tc.ceiling {
				t.Fatalf("FullJitter(%d) = %s, outside [0, %s]", tc.failures, full, tc.ceiling)
			}
			if half < tc.ceiling/2 || half > tc.ceiling {
				t.Fatalf("HalfJitter(%d) = %s, outside [%s, %s]", tc.failures, half, tc.ceiling/2, tc.ceiling)
			}
			lowest, highest = min(lowest, full), max(highest, full)
		}
		if highest < tc.ceiling*3/4 || lowest > tc.ceiling/4 {
			t.Errorf("FullJitter(%d) stayed in [%s, %s] in 300 draws: no jitter over the full range", tc.failures, lowest, highest)
		}
	}
}
