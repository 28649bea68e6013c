package domain

import (
	"slices"
	"time"
)

// Partner is a payment processor the operator registered. It has its own
// keys and sees only what processor tokens grant it.
type Partner struct {
	ID        ID
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PartnerKey is a partner's stored secret key of one environment (only
// its hash).
type PartnerKey struct {
	ID        ID
	PartnerID ID
	Env       Env
	// Prefix is the key's first characters, for operators to tell keys
	// apart.
	Prefix    string
	Hash      []byte
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Active reports whether the key may be used at t.
func (k PartnerKey) Active(t time.Time) bool { return k.RevokedAt == nil || t.Before(*k.RevokedAt) }

// Products a processor token may grant.
const (
	ProductAuth     = "auth"
	ProductBalance  = "balance"
	ProductIdentity = "identity"
)

// TokenScopes lists the products a processor token may grant, in order.
var TokenScopes = []string{ProductAuth, ProductBalance, ProductIdentity}

// ProcessorToken is what a company hands its payment partner instead of an
// account number: one account, one partner, some products, revocable.
// Only the token's hash is kept.
type ProcessorToken struct {
	ID        ID
	CompanyID ID
	Env       Env
	PartnerID ID
	AccountID ID
	Scopes    []string
	Hash      []byte
	CreatedAt time.Time
	// LastUsedAt and Redemptions are kept by the store as redemptions are
	// recorded.
	LastUsedAt  *time.Time
	Redemptions int
	RevokedAt   *time.Time
}

// Grants reports whether the token grants a product.
func (t ProcessorToken) Grants(product string) bool { return slices.Contains(t.Scopes, product) }

// Revoked reports whether the token was revoked.
func (t ProcessorToken) Revoked() bool { return t.RevokedAt != nil }

// Redemption is one use of a processor token by its partner: who, what and
// when.
type Redemption struct {
	ID        ID
	TokenID   ID
	CompanyID ID
	Env       Env
	PartnerID ID
	Product   string
	CreatedAt time.Time
}

// MethodProcessorToken is the method of the events a partner receives.
const MethodProcessorToken EventMethod = "PROCESSOR_TOKEN"

// Codes of the events a partner receives.
const (
	CodeTokenRevoked = "REVOKED"
	// CodeTokenRequired (shared with RECORD events) tells that the bank
	// needs the customer again before the token can be redeemed.
)

// PartnerScope is where a partner's own objects (its webhook endpoint and
// events) live: the partner stands in the company's place.
func PartnerScope(partnerID ID, env Env) Scope { return Scope{CompanyID: partnerID, Env: env} }
