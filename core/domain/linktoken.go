package domain

import "time"

// LinkToken is what a company's server vouches for before a link session
// opens: the customer, a record to reauthenticate, products and display
// options. It is single use and short-lived; only its SHA-256 is stored.
type LinkToken struct {
	ID        ID
	CompanyID ID
	Env       Env
	// Hash is the SHA-256 of the token; the token itself is shown once.
	Hash []byte
	// Options is the JSON of what the token carries.
	Options    []byte
	ExpiresAt  time.Time
	ConsumedAt *time.Time
	CreatedAt  time.Time
}
