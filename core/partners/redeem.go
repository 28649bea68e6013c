package partners

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"

	"github.com/bankauth/bankauth/core/balance"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

// errTokenNotFound is the one answer for a token that is unknown, another
// partner's, revoked, of the other environment, or whose account is gone,
// so a partner cannot tell them apart.
var errTokenNotFound = domain.NotFound("processor token")

// CodeScopeNotGranted is the code of a redemption for a product the token
// does not grant.
const CodeScopeNotGranted = "SCOPE_NOT_GRANTED"

// Grant is what a redeemed token reaches: the account with its record,
// bank and customer, in the company's scope.
type Grant struct {
	Token    domain.ProcessorToken
	Account  domain.Account
	Record   domain.Record
	Bank     domain.Bank
	Customer domain.Customer
}

// Scope is the company scope the token lives in.
func (g Grant) Scope() domain.Scope {
	return domain.Scope{CompanyID: g.Token.CompanyID, Env: g.Token.Env}
}

// redeem resolves a token for its partner and a product and records the
// redemption. Every lookup happens now, in the database: a token revoked
// on any instance fails here at once.
func (s *Service) redeem(ctx context.Context, p domain.Partner, env domain.Env, secret, product string) (Grant, error) {
	if secret == "" {
		return Grant{}, domain.Invalid("processor_token", "is required")
	}
	if !domain.CheckSecret(secret, tokenPrefix(env), tokenBytes) {
		return Grant{}, errTokenNotFound
	}
	h := domain.HashSecret(secret)
	t, err := s.store.ProcessorTokens().FindByHash(ctx, h)
	if errors.Is(err, domain.ErrNotFound) {
		return Grant{}, errTokenNotFound
	}
	if err != nil {
		return Grant{}, fmt.Errorf("look up processor token: %w", err)
	}
	if subtle.ConstantTimeCompare(t.Hash, h) != 1 || t.PartnerID != p.ID || t.Env != env || t.Revoked() {
		return Grant{}, errTokenNotFound
	}
	g := Grant{Token: t}
	scope := g.Scope()
	if g.Account, g.Record, err = s.account(ctx, scope, t.AccountID); err != nil {
		if errors.Is(err, errGone) {
			return Grant{}, errTokenNotFound
		}
		return Grant{}, err
	}
	if !t.Grants(product) {
		return Grant{}, &domain.Error{Kind: domain.KindForbidden, Code: CodeScopeNotGranted,
			Message: fmt.Sprintf("this processor token does not grant %s (it grants %v); ask the company for a token with %s", product, t.Scopes, product)}
	}
	err = s.store.ProcessorTokens().Redeem(ctx, domain.Redemption{
		ID: s.ids.NewID(), TokenID: t.ID, CompanyID: t.CompanyID, Env: t.Env, PartnerID: p.ID,
		Product: product, CreatedAt: s.clock.Now(),
	})
	if errors.Is(err, domain.ErrNotFound) {
		return Grant{}, errTokenNotFound // revoked a moment ago
	}
	if err != nil {
		return Grant{}, fmt.Errorf("record redemption of %s: %w", t.ID, err)
	}
	switch g.Record.Status {
	case domain.RecordTokenRequired, domain.RecordInvalid:
		return Grant{}, &domain.Error{Kind: domain.KindTokenRequired, Code: balance.CodeTokenRequired,
			Message: "the bank needs the customer to log in again; the company must reauthenticate this account before the token can be redeemed"}
	}
	if g.Bank, err = s.store.Banks().Get(ctx, g.Account.BankID); err != nil {
		return Grant{}, fmt.Errorf("load bank %s: %w", g.Account.BankID, err)
	}
	g.Customer, err = s.store.Customers().Get(ctx, scope, g.Account.CustomerID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return Grant{}, fmt.Errorf("load customer %s: %w", g.Account.CustomerID, err)
	}
	return g, nil
}

// OwnerName is the account holder's name as the bank reported it at login.
func (g Grant) OwnerName() string {
	if g.Customer.Name != "" {
		return g.Customer.Name
	}
	return g.Account.Name
}

// AuthResult is processor/auth/get's answer: the account with its full
// NUBAN, its bank and owner, and whether the link was validated.
type AuthResult struct {
	Grant
	Validated bool
}

// Auth redeems a token for the auth product.
func (s *Service) Auth(ctx context.Context, p domain.Partner, env domain.Env, token string) (AuthResult, error) {
	g, err := s.redeem(ctx, p, env, token, domain.ProductAuth)
	if err != nil {
		return AuthResult{}, err
	}
	a, err := s.store.Auths().GetByRecord(ctx, g.Scope(), g.Record.ID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return AuthResult{Grant: g}, nil
	case err != nil:
		return AuthResult{}, fmt.Errorf("load the auth of record %s: %w", g.Record.ID, err)
	}
	return AuthResult{Grant: g, Validated: a.Validated && slices.Contains(a.AccountIDs, g.Account.ID)}, nil
}

// BalanceRequest is processor/balance/get's question.
type BalanceRequest struct {
	Amount   *domain.Minor
	Currency string
	MaxAge   *int
}

// BalanceResult is the balance check of the token's account.
type BalanceResult struct {
	Grant
	Check balance.CheckResult
}

// Balance redeems a token for the balance product and runs the balance
// check on its account: the same freshness, single pull and exact
// sufficiency as the company's own balance/check.
func (s *Service) Balance(ctx context.Context, p domain.Partner, env domain.Env, token string, req BalanceRequest) (BalanceResult, error) {
	if req.Amount != nil && *req.Amount < 0 {
		return BalanceResult{}, domain.Invalid("amount", "must not be negative")
	}
	if req.MaxAge != nil && *req.MaxAge < 0 {
		return BalanceResult{}, domain.Invalid("max_age", "must be a whole number of seconds, 0 or more")
	}
	if s.balance == nil {
		return BalanceResult{}, errors.New("partners: built without the balance service")
	}
	g, err := s.redeem(ctx, p, env, token, domain.ProductBalance)
	if err != nil {
		return BalanceResult{}, err
	}
	res, err := s.balance.Check(ctx, g.Scope(), balance.CheckRequest{
		AccountID: g.Account.ID, Amount: req.Amount, Currency: req.Currency, MaxAge: req.MaxAge,
	})
	if err != nil {
		return BalanceResult{}, err
	}
	return BalanceResult{Grant: g, Check: res}, nil
}

// IdentityResult is what processor/identity/get answers: the identity
// the bank reported for the account's record when the identity product
// stored one (Identity set, Complete true), else the owner's name as the
// bank reported it at login.
type IdentityResult struct {
	Grant
	Identity *okra.Identity
	FullName string
	Complete bool
}

// Identity redeems a token for the identity product.
func (s *Service) Identity(ctx context.Context, p domain.Partner, env domain.Env, token string) (IdentityResult, error) {
	g, err := s.redeem(ctx, p, env, token, domain.ProductIdentity)
	if err != nil {
		return IdentityResult{}, err
	}
	if s.identities != nil {
		v, err := s.identities.ByRecord(ctx, g.Scope(), g.Record.ID)
		switch {
		case err == nil:
			obj := okra.PresentIdentity(v)
			return IdentityResult{Grant: g, Identity: &obj, FullName: obj.Fullname, Complete: true}, nil
		case !errors.Is(err, domain.ErrNotFound):
			return IdentityResult{}, fmt.Errorf("load identity of record %s: %w", g.Record.ID, err)
		}
	}
	name := g.OwnerName()
	if name == "" {
		return IdentityResult{}, &domain.Error{Kind: domain.KindUnavailable, Code: "IDENTITY_UNAVAILABLE",
			Message: "no identity is stored for this account yet"}
	}
	return IdentityResult{Grant: g, FullName: name}, nil
}
