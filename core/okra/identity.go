package okra

import (
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/reads"
)

// Identity is an identity in Okra's shape.
type Identity struct {
	ID          string     `json:"id"`
	MongoID     string     `json:"_id"`
	Firstname   string     `json:"firstname"`
	Middlename  string     `json:"middlename"`
	Lastname    string     `json:"lastname"`
	Fullname    string     `json:"fullname"`
	DOB         *string    `json:"dob"`
	Gender      *string    `json:"gender"`
	BVN         *string    `json:"bvn"`
	NIN         *string    `json:"nin"`
	Phone       []string   `json:"phone"`
	Email       []string   `json:"email"`
	Address     []string   `json:"address"`
	Customer    string     `json:"customer"`
	Bank        string     `json:"bank"`
	Record      string     `json:"record"`
	Owner       string     `json:"owner"`
	Env         domain.Env `json:"env"`
	Source      string     `json:"source"`
	Verified    *bool      `json:"verified,omitempty"`
	Score       *int       `json:"score,omitempty"`
	CreatedAt   string     `json:"created_at"`
	LastUpdated string     `json:"last_updated"`
}

// PresentIdentity shapes v the way Okra's API did.
func PresentIdentity(v reads.Identity) Identity {
	i, p := v.Identity, v.Person
	return Identity{
		ID: i.ID, MongoID: i.ID, Firstname: p.FirstName, Middlename: p.MiddleName, Lastname: p.LastName, Fullname: p.Name(),
		DOB: orNull(p.DOB), Gender: orNull(p.Gender), BVN: orNull(p.BVN), NIN: orNull(p.NIN),
		Phone: orEmpty(p.Phones), Email: orEmpty(p.Emails), Address: orEmpty(p.Addresses),
		Customer: i.CustomerID, Bank: i.BankID, Record: i.RecordID, Owner: i.CompanyID, Env: i.Env, Source: i.Source,
		Verified: i.Verified, Score: i.Score, CreatedAt: Time(i.CreatedAt), LastUpdated: Time(i.UpdatedAt),
	}
}

// IdentityRef is an identity without its personal values: what the
// IDENTITY webhook carries, so none sits in the outbox in plain text.
// Receivers read the identity with identity/getById or the callback.
type IdentityRef struct {
	ID          string     `json:"id"`
	MongoID     string     `json:"_id"`
	Customer    string     `json:"customer"`
	Bank        string     `json:"bank"`
	Record      string     `json:"record"`
	Env         domain.Env `json:"env"`
	Verified    *bool      `json:"verified,omitempty"`
	Score       *int       `json:"score,omitempty"`
	CreatedAt   string     `json:"created_at"`
	LastUpdated string     `json:"last_updated"`
}

// PresentIdentityRef is i's reference for webhooks.
func PresentIdentityRef(i domain.Identity) IdentityRef {
	return IdentityRef{ID: i.ID, MongoID: i.ID, Customer: i.CustomerID, Bank: i.BankID, Record: i.RecordID, Env: i.Env,
		Verified: i.Verified, Score: i.Score, CreatedAt: Time(i.CreatedAt), LastUpdated: Time(i.UpdatedAt)}
}
