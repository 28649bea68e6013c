package auth

import (
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// The success payload and the Okra-shaped auth it carries. The
// link API answers it, the widget posts it to the host page, and the AUTH
// webhook sends the same facts, so it is built once, here.

// BankDetails is the bank as the success payload names it.
type BankDetails struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Logo string `json:"logo"`
	Icon string `json:"icon"`
}

// BankIcon is the served path of a bank's icon.
func BankIcon(b domain.Bank) string {
	if b.Slug == "" {
		return ""
	}
	return "/widget/assets/bank.svg#" + b.Slug
}

func bankDetails(b domain.Bank) BankDetails {
	return BankDetails{ID: b.ID, Name: b.Name, Slug: b.Slug, Logo: BankIcon(b), Icon: BankIcon(b)}
}

// PayloadAuth is the Auth object inside the payload.
type PayloadAuth struct {
	ID             string      `json:"id"`
	MongoID        string      `json:"_id"`
	Validated      bool        `json:"validated"`
	ValidationNote string      `json:"validation_note,omitempty"`
	Bank           string      `json:"bank"`
	BankID         string      `json:"bank_id"`
	Customer       string      `json:"customer"`
	CustomerID     string      `json:"customer_id"`
	Record         string      `json:"record"`
	Owner          string      `json:"owner"`
	Env            domain.Env  `json:"env"`
	Accounts       []string    `json:"accounts"`
	Status         bool        `json:"status"`
	Type           string      `json:"type"`
	BankDetails    BankDetails `json:"bank_details"`
	CreatedAt      string      `json:"created_at"`
	LastUpdated    string      `json:"last_updated"`
}

// PayloadAccount is one account in the payload.
type PayloadAccount struct {
	ID        string        `json:"id"`
	AccountID string        `json:"accountId"`
	Name      string        `json:"name"`
	NUBAN     string        `json:"nuban"`
	Type      string        `json:"type"`
	Currency  string        `json:"currency"`
	Connected bool          `json:"connected"`
	Available *domain.Minor `json:"available_balance,omitempty"`
	Ledger    *domain.Minor `json:"ledger_balance,omitempty"`
	Env       domain.Env    `json:"env"`
	Customer  string        `json:"customer"`
}

// Payload is what onSuccess receives.
type Payload struct {
	RecordID    string           `json:"record_id"`
	Record      string           `json:"record"`
	CustomerID  string           `json:"customer_id"`
	BankID      string           `json:"bank_id"`
	Accounts    []PayloadAccount `json:"accounts"`
	Auth        PayloadAuth      `json:"auth"`
	Identity    any              `json:"identity"`
	CallbackURL string           `json:"callback_url,omitempty"`
	Meta        any              `json:"meta"`
	Returning   bool             `json:"returning"`
	Duplicate   bool             `json:"duplicate"`
	// Merged is true when the account already belonged to another
	// customer and the company's policy merged this link into that one.
	Merged  bool `json:"merged,omitempty"`
	Success bool `json:"success"`
	Done    bool `json:"done"`
}

// stamp writes times the way Okra's API did: ISO 8601 UTC with
// milliseconds.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// NewPayloadAuth shapes an auth for the payload and the AUTH webhook.
func NewPayloadAuth(a domain.Auth, b domain.Bank) PayloadAuth {
	ids := a.AccountIDs
	if ids == nil {
		ids = []string{}
	}
	return PayloadAuth{
		ID: a.ID, MongoID: a.ID, Validated: a.Validated, ValidationNote: a.ValidationNote,
		Bank: a.BankID, BankID: a.BankID, Customer: a.CustomerID, CustomerID: a.CustomerID,
		Record: a.RecordID, Owner: a.CompanyID, Env: a.Env, Accounts: ids,
		Status: a.Validated, Type: "validate", BankDetails: bankDetails(b),
		CreatedAt: stamp(a.CreatedAt), LastUpdated: stamp(a.UpdatedAt),
	}
}
