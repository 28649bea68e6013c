package okra

import "github.com/bankauth/bankauth/core/domain"

// The success payload and the auth it carries. The link API answers it,
// the widget posts it to the host page, and the AUTH webhook sends the
// same auth, so both are shaped here.

// BankDetails is the bank as the payload's auth names it: the same facts
// as a BankRef but logo before icon, the order Okra's payload had.
type BankDetails struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Logo string `json:"logo"`
	Icon string `json:"icon"`
}

// PresentBankDetails names b for the payload.
func PresentBankDetails(b domain.Bank) BankDetails {
	return BankDetails{ID: b.ID, Name: b.Name, Slug: b.Slug, Logo: BankIcon(b), Icon: BankIcon(b)}
}

// PayloadAuth is the auth inside the payload and the AUTH webhook: ids
// rather than populated references, with the bank's details beside them.
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

// PresentPayloadAuth shapes an auth at bank b for the payload and the
// AUTH webhook.
func PresentPayloadAuth(a domain.Auth, b domain.Bank) PayloadAuth {
	return PayloadAuth{
		ID: a.ID, MongoID: a.ID, Validated: a.Validated, ValidationNote: a.ValidationNote,
		Bank: a.BankID, BankID: a.BankID, Customer: a.CustomerID, CustomerID: a.CustomerID,
		Record: a.RecordID, Owner: a.CompanyID, Env: a.Env, Accounts: orEmpty(a.AccountIDs),
		Status: a.Validated, Type: "validate", BankDetails: PresentBankDetails(b),
		CreatedAt: Time(a.CreatedAt), LastUpdated: Time(a.UpdatedAt),
	}
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
