package okra

import (
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/reads"
)

// Balance is a balance in Okra's shape plus as_of and source. The API,
// the BALANCE callback, the job result and the BALANCE webhook all send
// this one shape.
type Balance struct {
	ID          string       `json:"id"`
	MongoID     string       `json:"_id"`
	Available   domain.Minor `json:"available_balance"`
	Ledger      domain.Minor `json:"ledger_balance"`
	Currency    string       `json:"currency"`
	Account     AccountRef   `json:"account"`
	Connected   bool         `json:"connected"`
	Customer    CustomerRef  `json:"customer"`
	Record      string       `json:"record"`
	Owner       string       `json:"owner"`
	Env         domain.Env   `json:"env"`
	CreatedAt   string       `json:"created_at"`
	LastUpdated string       `json:"last_updated"`
	AsOf        string       `json:"as_of"`
	Source      string       `json:"source"`
}

// PresentBalance shapes v for the wire; a view without a source is a
// cached one.
func PresentBalance(v reads.Balance) Balance {
	b := v.Balance
	source := v.Source
	if source == "" {
		source = domain.SourceCached
	}
	// A snapshot is never updated, so it was last updated when taken.
	return Balance{
		ID: b.ID, MongoID: b.ID, Available: b.Available, Ledger: b.Ledger, Currency: b.Currency,
		Account: PresentAccountRef(v.Account, deref(v.Bank)), Connected: v.Account.Connected,
		Customer: PresentCustomerRef(deref(v.Customer)), Record: b.RecordID, Owner: b.CompanyID, Env: b.Env,
		CreatedAt: Time(b.CreatedAt), LastUpdated: Time(b.CreatedAt), AsOf: Time(b.AsOf), Source: source,
	}
}
