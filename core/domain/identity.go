package domain

import (
	"strings"
	"time"
)

// Person is an account owner as the bank reports them. It is personal
// data: it lives in memory and in sealed columns, never in plain text at
// rest or in logs.
type Person struct {
	FullName   string   `json:"full_name,omitempty"`
	FirstName  string   `json:"first_name,omitempty"`
	MiddleName string   `json:"middle_name,omitempty"`
	LastName   string   `json:"last_name,omitempty"`
	DOB        string   `json:"dob,omitempty"` // YYYY-MM-DD
	Gender     string   `json:"gender,omitempty"`
	BVN        string   `json:"bvn,omitempty"`
	NIN        string   `json:"nin,omitempty"`
	Phones     []string `json:"phones,omitempty"`
	Emails     []string `json:"emails,omitempty"`
	Addresses  []string `json:"addresses,omitempty"`
}

// Name is the full name, or the name parts joined when the bank gave none.
func (p Person) Name() string {
	if strings.TrimSpace(p.FullName) != "" {
		return strings.TrimSpace(p.FullName)
	}
	return strings.Join(strings.Fields(p.FirstName+" "+p.MiddleName+" "+p.LastName), " ")
}

// PersonFromOwner is what a login's owner tells of the person: a name,
// and perhaps a BVN, a phone and an email.
func PersonFromOwner(o BankOwner) Person {
	p := Person{FullName: o.Name, BVN: o.BVN}
	if o.Phone != "" {
		p.Phones = []string{o.Phone}
	}
	if o.Email != "" {
		p.Emails = []string{o.Email}
	}
	return p
}

// Identity sources: where a stored identity came from.
const (
	IdentitySourceBank  = "identity" // the connector's GetIdentity, or a login that carried it
	IdentitySourceLogin = "login"    // only the owner a login reported (a connector of protocol 1.0)
)

// Identity is the stored identity of one record, refreshed in place.
type Identity struct {
	ID         ID
	CompanyID  ID
	Env        Env
	RecordID   ID
	CustomerID ID
	BankID     ID
	// Sealed is the Person as JSON, sealed with IdentityAD(ID).
	Sealed []byte
	Source string
	// Verified and Score are the outcome of matching what the company
	// supplied about its customer at link time; nil when it supplied
	// nothing to compare.
	Verified  *bool
	Score     *int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IdentityChange records that a refresh changed an identity: when, and
// which fields (their names, never their values).
type IdentityChange struct {
	ID         ID
	IdentityID ID
	CompanyID  ID
	Env        Env
	Fields     []string
	CreatedAt  time.Time
}

// BankIdentity is a GetIdentity answer: the person, or a rejection, and
// perhaps a rotated session to store.
type BankIdentity struct {
	Person         *Person
	Rejected       *BankRejection
	RotatedSession []byte
}
