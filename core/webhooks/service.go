// Package webhooks manages a company's webhook endpoint and its delivery log:
// setting (and rotating) the endpoint with its signing secret, listing
// deliveries and replaying an event. Delivery itself is the webhook adapter's
// worker; it opens an endpoint's secrets with OpenEndpoint.
package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// URLGuard decides whether a webhook URL may be used. Refusals are
// domain.Invalid("url", …) errors.
type URLGuard interface {
	Check(ctx context.Context, rawURL string) error
}

// Notifier is ports.Notifier: the delivery worker, nudged after an event
// was committed.
type Notifier = ports.Notifier

// Limits and lifetimes.
const (
	// SecretPrefix starts every signing secret.
	SecretPrefix = "whsec_"
	// RotationGrace is how long the previous signing secret stays valid
	// after the endpoint is set again.
	RotationGrace = 24 * time.Hour
	// MaxURLLength and MaxTokenLength bound what a company may store.
	MaxURLLength   = 2048
	MaxTokenLength = 512
)

// SetResult is what setting an endpoint returns. SigningSecret is shown this
// once and never again.
type SetResult struct {
	URL           string
	SigningSecret string
}

// Service is the webhook administration service.
type Service struct {
	store  ports.Store
	sealer ports.Sealer
	clock  ports.Clock
	ids    ports.IDs
	guard  URLGuard
	notify Notifier
}

// NewService builds the service.
func NewService(store ports.Store, sealer ports.Sealer, clock ports.Clock, ids ports.IDs, guard URLGuard) *Service {
	return &Service{store: store, sealer: sealer, clock: clock, ids: ids, guard: guard}
}

// SetNotifier makes Replay nudge n (the delivery worker). Call it while
// wiring, before the service is used.
func (s *Service) SetNotifier(n Notifier) { s.notify = n }

// Set stores the endpoint of the scope's company and environment with a new
// signing secret. Setting it again rotates the secret: the old one stays
// valid for RotationGrace so receivers can switch without losing events.
func (s *Service) Set(ctx context.Context, scope domain.Scope, rawURL, token string) (SetResult, error) {
	rawURL = strings.TrimSpace(rawURL)
	token = strings.TrimSpace(token)
	switch {
	case rawURL == "":
		return SetResult{}, domain.Invalid("url", "is required")
	case len(rawURL) > MaxURLLength:
		return SetResult{}, domain.Invalid("url", fmt.Sprintf("must be at most %d characters", MaxURLLength))
	}
	if err := checkToken(token); err != nil {
		return SetResult{}, err
	}
	if err := s.guard.Check(ctx, rawURL); err != nil {
		return SetResult{}, err
	}
	secret, err := newSecret()
	if err != nil {
		return SetResult{}, err
	}
	sealedSecret, err := s.sealer.Seal([]byte(secret), domain.WebhookAD(scope, domain.WebhookSecretPurpose))
	if err != nil {
		return SetResult{}, fmt.Errorf("seal webhook signing secret: %w", err)
	}
	var sealedToken []byte
	if token != "" {
		if sealedToken, err = s.sealer.Seal([]byte(token), domain.WebhookAD(scope, domain.WebhookTokenPurpose)); err != nil {
			return SetResult{}, fmt.Errorf("seal webhook token: %w", err)
		}
	}
	now := s.clock.Now()
	err = s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		// Two sets at once must each see the other's secret, or the
		// first one's would never become the previous one.
		if err := tx.Lock(ctx, "webhook-endpoint:"+scope.CompanyID+":"+string(scope.Env)); err != nil {
			return fmt.Errorf("lock webhook endpoint: %w", err)
		}
		ep := domain.WebhookEndpoint{
			CompanyID: scope.CompanyID, Env: scope.Env, URL: rawURL,
			SealedToken: sealedToken, SealedSecret: sealedSecret, CreatedAt: now, UpdatedAt: now,
		}
		old, err := tx.Webhooks().Get(ctx, scope)
		switch {
		case err == nil:
			ep.CreatedAt = old.CreatedAt
			if len(old.SealedSecret) > 0 {
				until := now.Add(RotationGrace)
				ep.SealedPrevious, ep.PreviousUntil = old.SealedSecret, &until
			}
		case !errors.Is(err, domain.ErrNotFound):
			return fmt.Errorf("read webhook endpoint: %w", err)
		}
		if err := tx.Webhooks().Set(ctx, ep); err != nil {
			return fmt.Errorf("store webhook endpoint: %w", err)
		}
		return nil
	})
	if err != nil {
		return SetResult{}, err
	}
	return SetResult{URL: rawURL, SigningSecret: secret}, nil
}

func checkToken(token string) error {
	if len(token) > MaxTokenLength {
		return domain.Invalid("token", fmt.Sprintf("must be at most %d characters", MaxTokenLength))
	}
	for i := 0; i < len(token); i++ {
		// The token goes into an HTTP header: visible ASCII and spaces only.
		if c := token[i]; c < 0x20 || c > 0x7e {
			return domain.Invalid("token", "must be printable ASCII")
		}
	}
	return nil
}

func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate webhook signing secret: %w", err)
	}
	return SecretPrefix + hex.EncodeToString(b[:]), nil
}

// Deliveries is the delivery log: the scope's events, newest first, with
// their attempts and last outcome, and the total count.
func (s *Service) Deliveries(ctx context.Context, scope domain.Scope, page domain.Page) ([]domain.OutboxEvent, int, error) {
	events, total, err := s.store.Outbox().List(ctx, scope, domain.ListFilter{Page: page.Normalize()})
	if err != nil {
		return nil, 0, fmt.Errorf("list webhook deliveries: %w", err)
	}
	return events, total, nil
}

// Replay queues one event of the scope for delivery again, now, whatever
// its state. Another company's event is not found.
func (s *Service) Replay(ctx context.Context, scope domain.Scope, eventID domain.ID) error {
	if eventID == "" {
		return domain.Invalid("event_id", "is required")
	}
	if !domain.ValidID(eventID) {
		return domain.Invalid("event_id", "must be a 24-character hex id")
	}
	now := s.clock.Now()
	err := s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		ev, err := tx.Outbox().Get(ctx, scope, eventID)
		if errors.Is(err, domain.ErrNotFound) {
			return domain.NotFound("event")
		}
		if err != nil {
			return fmt.Errorf("read event: %w", err)
		}
		ev.Status, ev.NextAttempt, ev.UpdatedAt = domain.OutboxPending, now, now
		// An empty ClaimedBy releases any claim: a worker delivering it
		// right now finds its claim gone and leaves the event to the replay.
		ev.ClaimedBy, ev.ClaimedTill = "", nil
		if err := tx.Outbox().Finish(ctx, ev); err != nil {
			return fmt.Errorf("queue event again: %w", err)
		}
		// A replay is sent now even to a receiver resting after failures
		// (its failure count stays, so a new failure rests it longer).
		ep, err := tx.Webhooks().Get(ctx, scope)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			return nil
		case err != nil:
			return fmt.Errorf("read webhook endpoint: %w", err)
		case ep.RetryAfter != nil:
			if err := tx.Webhooks().SetBackoff(ctx, scope, ep.Failures, nil); err != nil {
				return fmt.Errorf("end webhook endpoint backoff: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.notify != nil {
		s.notify.Notify()
	}
	return nil
}

// Credentials are an endpoint's opened secrets, for signing a delivery.
type Credentials struct {
	URL string
	// Token is the bearer token, "" when none was set.
	Token string
	// Secrets are the signing secrets valid now: the current one first,
	// then the previous one while its grace period lasts.
	Secrets []string
}

// OpenEndpoint opens an endpoint's sealed token and signing secrets as of now.
func OpenEndpoint(sealer ports.Sealer, ep domain.WebhookEndpoint, now time.Time) (Credentials, error) {
	scope := domain.Scope{CompanyID: ep.CompanyID, Env: ep.Env}
	c := Credentials{URL: ep.URL}
	secret, err := sealer.Open(ep.SealedSecret, domain.WebhookAD(scope, domain.WebhookSecretPurpose))
	if err != nil {
		return Credentials{}, fmt.Errorf("open webhook signing secret: %w", err)
	}
	c.Secrets = append(c.Secrets, string(secret))
	if len(ep.SealedPrevious) > 0 && ep.PreviousUntil != nil && now.Before(*ep.PreviousUntil) {
		prev, err := sealer.Open(ep.SealedPrevious, domain.WebhookAD(scope, domain.WebhookSecretPurpose))
		if err != nil {
			return Credentials{}, fmt.Errorf("open previous webhook signing secret: %w", err)
		}
		c.Secrets = append(c.Secrets, string(prev))
	}
	if len(ep.SealedToken) > 0 {
		token, err := sealer.Open(ep.SealedToken, domain.WebhookAD(scope, domain.WebhookTokenPurpose))
		if err != nil {
			return Credentials{}, fmt.Errorf("open webhook token: %w", err)
		}
		c.Token = string(token)
	}
	return c, nil
}
