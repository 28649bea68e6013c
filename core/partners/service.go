// Package partners hands accounts to companies' payment partners without the
// company storing account numbers: the operator registers partners (with
// their own keys), a company issues processor tokens (one account, one
// partner, some products, revocable), and the partner redeems them. Every
// redemption is recorded and counted.
package partners

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bankauth/bankauth/core/balance"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/reads"
	"github.com/bankauth/bankauth/core/webhooks"
)

// Secret layouts: partner keys carry 128 random bits like company keys;
// processor tokens 256, since each is a bearer credential for one account.
const (
	keyBytes   = 16
	tokenBytes = 32
)

func keyPrefix(env domain.Env) string {
	if env == domain.EnvProduction {
		return "psk_live_"
	}
	return "psk_test_"
}

func tokenPrefix(env domain.Env) string {
	if env == domain.EnvProduction {
		return "ptok_live_"
	}
	return "ptok_test_"
}

// BalanceChecker is the balance check processor/balance/get runs
// (core/balance.Service).
type BalanceChecker interface {
	Check(ctx context.Context, s domain.Scope, req balance.CheckRequest) (balance.CheckResult, error)
}

// WebhookSetter sets a webhook endpoint with a new signing secret
// (core/webhooks.Service); a partner's lives under domain.PartnerScope.
type WebhookSetter interface {
	Set(ctx context.Context, s domain.Scope, url, token string) (webhooks.SetResult, error)
}

// Notifier is ports.Notifier, named here for the service's Deps.
type Notifier = ports.Notifier

// Deps are the service's collaborators. Balance, Webhooks and Notify may be
// nil where they are not used (the operator's commands need none of the
// partner API).
type Deps struct {
	Store    ports.Store
	Clock    ports.Clock
	IDs      ports.IDs
	Balance  BalanceChecker
	Webhooks WebhookSetter
	Notify   Notifier
	// Identities is optional: without it the identity scope answers the
	// owner's name from the login.
	Identities IdentityReader
}

// IdentityReader finds the identity stored for a record
// (core/identity.Service).
type IdentityReader interface {
	ByRecord(ctx context.Context, scope domain.Scope, recordID domain.ID) (reads.Identity, error)
}

// Service is the partners and processor tokens service.
type Service struct {
	store      ports.Store
	clock      ports.Clock
	ids        ports.IDs
	balance    BalanceChecker
	webhooks   WebhookSetter
	notify     Notifier
	identities IdentityReader
}

// NewService builds the service.
func NewService(d Deps) *Service {
	return &Service{store: d.Store, clock: d.Clock, ids: d.IDs, balance: d.Balance, webhooks: d.Webhooks, notify: d.Notify,
		identities: d.Identities}
}

// KeyPair is a partner's secret key of one environment, shown only when it
// is made.
type KeyPair struct {
	SecretKey string `json:"secret_key"`
}

// Created is a partner with its new keys in both environments.
type Created struct {
	Partner    domain.Partner
	Sandbox    KeyPair
	Production KeyPair
}

// Create registers a partner with a secret key per environment.
func (s *Service) Create(ctx context.Context, name string) (Created, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return Created{}, domain.Invalid("name", "must be 1 to 200 characters")
	}
	now := s.clock.Now()
	p := domain.Partner{ID: s.ids.NewID(), Name: name, CreatedAt: now, UpdatedAt: now}
	out := Created{Partner: p}
	err := s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		if err := tx.Partners().Create(ctx, p); err != nil {
			return fmt.Errorf("create partner: %w", err)
		}
		var err error
		if out.Sandbox, err = s.issue(ctx, tx, p.ID, domain.EnvSandbox); err != nil {
			return err
		}
		out.Production, err = s.issue(ctx, tx, p.ID, domain.EnvProduction)
		return err
	})
	return out, err
}

// RotateKeys issues new keys for both environments and revokes the old
// ones at once.
func (s *Service) RotateKeys(ctx context.Context, partnerID domain.ID) (Created, error) {
	var out Created
	err := s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		p, err := tx.Partners().Get(ctx, partnerID)
		if err != nil {
			return fmt.Errorf("load partner %s: %w", partnerID, err)
		}
		out.Partner = p
		keys, err := tx.PartnerKeys().ListByPartner(ctx, partnerID)
		if err != nil {
			return fmt.Errorf("list keys of partner %s: %w", partnerID, err)
		}
		now := s.clock.Now()
		for _, k := range keys {
			if k.RevokedAt == nil {
				if err := tx.PartnerKeys().Revoke(ctx, k.ID, now); err != nil {
					return fmt.Errorf("revoke partner key %s: %w", k.ID, err)
				}
			}
		}
		if out.Sandbox, err = s.issue(ctx, tx, partnerID, domain.EnvSandbox); err != nil {
			return err
		}
		out.Production, err = s.issue(ctx, tx, partnerID, domain.EnvProduction)
		return err
	})
	return out, err
}

func (s *Service) issue(ctx context.Context, tx ports.Repos, partnerID domain.ID, env domain.Env) (KeyPair, error) {
	key := domain.NewSecret(keyPrefix(env), keyBytes)
	err := tx.PartnerKeys().Create(ctx, domain.PartnerKey{
		ID: s.ids.NewID(), PartnerID: partnerID, Env: env, Prefix: key[:len(keyPrefix(env))+6],
		Hash: domain.HashSecret(key), CreatedAt: s.clock.Now(),
	})
	if err != nil {
		return KeyPair{}, fmt.Errorf("store %s partner key: %w", env, err)
	}
	return KeyPair{SecretKey: key}, nil
}

// List returns every partner, newest first.
func (s *Service) List(ctx context.Context) ([]domain.Partner, error) {
	list, err := s.store.Partners().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	return list, nil
}

// WebhookSet is a partner's endpoint in both environments, with the new
// signing secrets (shown once).
type WebhookSet struct {
	Sandbox    webhooks.SetResult
	Production webhooks.SetResult
}

// SetWebhook points the partner's PROCESSOR_TOKEN events of both
// environments at url, each with a new signing secret (setting it again
// rotates them; the old ones stay valid for a while, as for companies).
func (s *Service) SetWebhook(ctx context.Context, partnerID domain.ID, url string) (WebhookSet, error) {
	if s.webhooks == nil {
		return WebhookSet{}, errors.New("partners: built without webhooks; cannot set a partner's endpoint")
	}
	if _, err := s.store.Partners().Get(ctx, partnerID); err != nil {
		return WebhookSet{}, fmt.Errorf("load partner %s: %w", partnerID, err)
	}
	var out WebhookSet
	var err error
	if out.Sandbox, err = s.webhooks.Set(ctx, domain.PartnerScope(partnerID, domain.EnvSandbox), url, ""); err != nil {
		return WebhookSet{}, err
	}
	if out.Production, err = s.webhooks.Set(ctx, domain.PartnerScope(partnerID, domain.EnvProduction), url, ""); err != nil {
		return WebhookSet{}, err
	}
	return out, nil
}

// errBadKey is the one answer for every partner key that does not work.
var errBadKey = &domain.Error{Kind: domain.KindUnauthorized, Code: domain.CodeInvalidKey, Message: "the key is not valid"}

// AuthenticatePartner tells which partner a secret key belongs to; the key
// must be meant for env. A company's key is refused: partner routes take
// only partner keys.
func (s *Service) AuthenticatePartner(ctx context.Context, key string, env domain.Env) (domain.Partner, error) {
	var keyEnv domain.Env
	for _, e := range []domain.Env{domain.EnvSandbox, domain.EnvProduction} {
		if domain.CheckSecret(key, keyPrefix(e), keyBytes) {
			keyEnv = e
		}
	}
	switch {
	case keyEnv == "":
		return domain.Partner{}, &domain.Error{Kind: domain.KindUnauthorized, Code: domain.CodeWrongKeyKind,
			Message: "a payment partner's secret key (psk_test_… or psk_live_…) is needed here"}
	case keyEnv != env:
		return domain.Partner{}, &domain.Error{Kind: domain.KindWrongEnv, Code: domain.CodeWrongEnv,
			Message: fmt.Sprintf("this key is for %s, not %s", keyEnv, env)}
	}
	h := domain.HashSecret(key)
	stored, err := s.store.PartnerKeys().FindByHash(ctx, h)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Partner{}, errBadKey
	}
	if err != nil {
		return domain.Partner{}, fmt.Errorf("look up partner key: %w", err)
	}
	if subtle.ConstantTimeCompare(stored.Hash, h) != 1 || stored.Env != env || !stored.Active(s.clock.Now()) {
		return domain.Partner{}, errBadKey
	}
	p, err := s.store.Partners().Get(ctx, stored.PartnerID)
	if err != nil {
		return domain.Partner{}, fmt.Errorf("load partner of key: %w", err)
	}
	return p, nil
}

// CreateRequest asks for a processor token.
type CreateRequest struct {
	AccountID domain.ID
	PartnerID domain.ID
	Scopes    []string
}

// Issued is a new processor token. Secret is shown this once; only its
// hash is kept.
type Issued struct {
	Token  domain.ProcessorToken
	Secret string
}

// CreateToken issues a processor token for one of the company's connected
// accounts to a partner, granting the asked products.
func (s *Service) CreateToken(ctx context.Context, scope domain.Scope, req CreateRequest) (Issued, error) {
	if err := requireID("account_id", req.AccountID); err != nil {
		return Issued{}, err
	}
	if err := requireID("partner_id", req.PartnerID); err != nil {
		return Issued{}, err
	}
	scopes, err := normalizeScopes(req.Scopes)
	if err != nil {
		return Issued{}, err
	}
	if _, _, err := s.account(ctx, scope, req.AccountID); err != nil {
		if errors.Is(err, errGone) {
			return Issued{}, domain.NotFound("account")
		}
		return Issued{}, err
	}
	if _, err := s.store.Partners().Get(ctx, req.PartnerID); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return Issued{}, domain.NotFound("partner")
		}
		return Issued{}, fmt.Errorf("load partner %s: %w", req.PartnerID, err)
	}
	secret := domain.NewSecret(tokenPrefix(scope.Env), tokenBytes)
	now := s.clock.Now()
	t := domain.ProcessorToken{
		ID: s.ids.NewID(), CompanyID: scope.CompanyID, Env: scope.Env, PartnerID: req.PartnerID, AccountID: req.AccountID,
		Scopes: scopes, Hash: domain.HashSecret(secret), CreatedAt: now,
	}
	err = s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		if err := tx.ProcessorTokens().Create(ctx, t); err != nil {
			return fmt.Errorf("store processor token: %w", err)
		}
		return s.audit(ctx, tx, scope, "api", "processor_token.created", t, map[string]any{
			"partner": t.PartnerID, "account": t.AccountID, "scopes": t.Scopes})
	})
	if err != nil {
		return Issued{}, err
	}
	return Issued{Token: t, Secret: secret}, nil
}

// ListTokens returns the company's processor tokens, newest first (never
// the tokens themselves: only their hashes are kept).
func (s *Service) ListTokens(ctx context.Context, scope domain.Scope, page domain.Page) ([]domain.ProcessorToken, int, error) {
	list, total, err := s.store.ProcessorTokens().List(ctx, scope, page.Normalize())
	if err != nil {
		return nil, 0, fmt.Errorf("list processor tokens: %w", err)
	}
	return list, total, nil
}

// RevokeRequest names the token to revoke: by the token itself or by its
// id (as processor/tokens/list shows it).
type RevokeRequest struct {
	Token string
	ID    domain.ID
}

// RevokeToken revokes one of the company's tokens at once (every instance
// looks tokens up on each redemption) and tells its partner. Revoking a
// revoked token changes nothing.
func (s *Service) RevokeToken(ctx context.Context, scope domain.Scope, req RevokeRequest) (domain.ProcessorToken, error) {
	notFound := domain.NotFound("processor token")
	var id domain.ID
	switch {
	case req.Token != "":
		t, err := s.store.ProcessorTokens().FindByHash(ctx, domain.HashSecret(req.Token))
		if errors.Is(err, domain.ErrNotFound) || (err == nil && (t.CompanyID != scope.CompanyID || t.Env != scope.Env)) {
			return domain.ProcessorToken{}, notFound
		}
		if err != nil {
			return domain.ProcessorToken{}, fmt.Errorf("look up processor token: %w", err)
		}
		id = t.ID
	case req.ID != "":
		if !domain.ValidID(req.ID) {
			return domain.ProcessorToken{}, domain.Invalid("id", "must be a 24-character hex id")
		}
		id = req.ID
	default:
		return domain.ProcessorToken{}, domain.Invalid("processor_token", "is required")
	}
	var out domain.ProcessorToken
	emitted := false
	err := s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		now := s.clock.Now()
		err := tx.ProcessorTokens().Revoke(ctx, scope, id, now)
		already := domain.KindOf(err) == domain.KindConflict
		switch {
		case errors.Is(err, domain.ErrNotFound):
			return notFound
		case err != nil && !already:
			return fmt.Errorf("revoke processor token %s: %w", id, err)
		}
		if out, err = tx.ProcessorTokens().Get(ctx, scope, id); err != nil {
			return fmt.Errorf("load processor token %s: %w", id, err)
		}
		if already {
			return nil // the partner was told when it happened
		}
		acc, accErr := tx.Accounts().Get(ctx, scope, out.AccountID)
		if accErr != nil && !errors.Is(accErr, domain.ErrNotFound) {
			return fmt.Errorf("load account %s: %w", out.AccountID, accErr)
		}
		if err := events.EmitToPartner(ctx, tx, s.ids, now, out, acc.RecordID, domain.CodeTokenRevoked,
			"the company revoked this processor token; it answers 404 from now on"); err != nil {
			return err
		}
		emitted = true
		return s.audit(ctx, tx, scope, "api", "processor_token.revoked", out, map[string]any{"partner": out.PartnerID})
	})
	if err != nil {
		return domain.ProcessorToken{}, err
	}
	if emitted && s.notify != nil {
		s.notify.Notify()
	}
	return out, nil
}

func (s *Service) audit(ctx context.Context, tx ports.Repos, scope domain.Scope, actor, action string, t domain.ProcessorToken, detail map[string]any) error {
	raw, _ := json.Marshal(detail)
	if err := tx.Audit().Add(ctx, domain.AuditEvent{
		ID: s.ids.NewID(), CompanyID: scope.CompanyID, Env: scope.Env, Actor: actor, Action: action,
		Subject: t.ID, Detail: raw, CreatedAt: s.clock.Now(),
	}); err != nil {
		return fmt.Errorf("write audit event: %w", err)
	}
	return nil
}

func requireID(field string, id domain.ID) error {
	switch {
	case id == "":
		return domain.Invalid(field, "is required")
	case !domain.ValidID(id):
		return domain.Invalid(field, "must be a 24-character hex id")
	}
	return nil
}

// normalizeScopes checks the asked products and returns them once each, in
// the order of domain.TokenScopes.
func normalizeScopes(asked []string) ([]string, error) {
	if len(asked) == 0 {
		return nil, domain.Invalid("scopes", "name at least one of auth, balance, identity")
	}
	for _, p := range asked {
		if !slices.Contains(domain.TokenScopes, p) {
			return nil, domain.Invalid("scopes", fmt.Sprintf("%q is not one of auth, balance, identity", p))
		}
	}
	var out []string
	for _, p := range domain.TokenScopes {
		if slices.Contains(asked, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// errGone marks an account that cannot be handed out (absent, another
// company's, not connected, or its record removed).
var errGone = errors.New("account not available")

// account loads a connected account of the scope with its record.
func (s *Service) account(ctx context.Context, scope domain.Scope, id domain.ID) (domain.Account, domain.Record, error) {
	acc, err := s.store.Accounts().Get(ctx, scope, id)
	if errors.Is(err, domain.ErrNotFound) {
		return acc, domain.Record{}, errGone
	}
	if err != nil {
		return acc, domain.Record{}, fmt.Errorf("load account %s: %w", id, err)
	}
	if !acc.Connected || acc.CompanyID != scope.CompanyID || acc.Env != scope.Env {
		return acc, domain.Record{}, errGone
	}
	rec, err := s.store.Records().Get(ctx, scope, acc.RecordID)
	if errors.Is(err, domain.ErrNotFound) {
		return acc, rec, errGone
	}
	if err != nil {
		return acc, rec, fmt.Errorf("load record %s: %w", acc.RecordID, err)
	}
	if rec.Status == domain.RecordRemoved {
		return acc, rec, errGone
	}
	return acc, rec, nil
}
