package domain

import "time"

// Identifier kinds a customer can be recognised by.
type IdentifierKind string

const (
	IdentBVN   IdentifierKind = "bvn"
	IdentNIN   IdentifierKind = "nin"
	IdentPhone IdentifierKind = "phone"
	IdentEmail IdentifierKind = "email"
	// IdentExternal is the id the company itself uses for the customer.
	IdentExternal IdentifierKind = "id"
)

// Customer is a company's end user.
type Customer struct {
	ID        ID
	CompanyID ID
	Env       Env
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CustomerIdentifier is one identifier of a customer, stored sealed and
// found through its blind index.
type CustomerIdentifier struct {
	ID         ID
	CompanyID  ID
	Env        Env
	CustomerID ID
	Kind       IdentifierKind
	BlindIndex []byte // HMAC of the normalised value; unique per company, env and kind
	Sealed     []byte // the value, sealed with the row id as associated data
	CreatedAt  time.Time
}
