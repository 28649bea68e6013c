package domain

import "time"

// DuplicatePolicy decides what happens when a bank account already linked to
// one customer of a company is linked by another.
type DuplicatePolicy string

const (
	DuplicateMerge  DuplicatePolicy = "merge"
	DuplicateReject DuplicatePolicy = "reject"
	DuplicateAllow  DuplicatePolicy = "allow"
)

// Valid reports whether p is a known policy.
func (p DuplicatePolicy) Valid() bool {
	return p == DuplicateMerge || p == DuplicateReject || p == DuplicateAllow
}

// Company is a tenant. Its id is the client token.
type Company struct {
	ID              ID
	Name            string
	DuplicatePolicy DuplicatePolicy
	// FrameAncestors is the CSP frame-ancestors value for the widget; empty
	// means any origin may frame it.
	FrameAncestors string
	// AllowedOrigins are the web origins (scheme://host[:port]) that may
	// embed the company's widget and receive its results. Empty means no
	// restriction has been set.
	AllowedOrigins []string
	// HideAccountNumbers makes every NUBAN the company receives masked;
	// its payment partners get them through processor tokens.
	HideAccountNumbers bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// ShowNUBAN is an account number as the company may see it: masked when it
// hides account numbers. Every place a company receives NUBANs asks here.
func (c Company) ShowNUBAN(n string) string {
	if c.HideAccountNumbers {
		return MaskNUBAN(n)
	}
	return n
}

// AllowsOrigin reports whether origin may embed the company's widget: any
// origin when no list is set, else only one on the list.
func (c Company) AllowsOrigin(origin string) bool {
	if len(c.AllowedOrigins) == 0 {
		return true
	}
	for _, o := range c.AllowedOrigins {
		if o == origin {
			return true
		}
	}
	return false
}

// KeyKind tells a public key from a secret one.
type KeyKind string

const (
	KeyPublic KeyKind = "public"
	KeySecret KeyKind = "secret"
)

// APIKey is a stored key. Secret keys keep only Hash; public keys are not
// secret and keep Hash too, so one lookup path serves both.
type APIKey struct {
	ID        ID
	CompanyID ID
	Env       Env
	Kind      KeyKind
	// Prefix is the first characters of a secret key, shown to operators so
	// they can tell keys apart without seeing them. A public key is not a
	// secret (it ships in web pages), so Prefix holds the whole public key.
	Prefix    string
	Hash      []byte
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Active reports whether the key may be used at t.
func (k APIKey) Active(t time.Time) bool { return k.RevokedAt == nil || t.Before(*k.RevokedAt) }
