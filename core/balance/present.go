package balance

import (
	"time"

	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/domain"
)

// Object is a balance in Okra's shape (reference §2.1) plus as_of and
// source. The API, the BALANCE callback, the job result and the BALANCE
// webhook all send this one shape.
type Object struct {
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

// AccountRef is the account a balance belongs to, populated.
type AccountRef struct {
	ID    string  `json:"_id"`
	NUBAN string  `json:"nuban"`
	Name  string  `json:"name"`
	Type  string  `json:"type"`
	Bank  BankRef `json:"bank"`
}

// BankRef is the account's bank, populated.
type BankRef struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Icon string `json:"icon"`
	Logo string `json:"logo"`
}

// CustomerRef is the account's customer, populated.
type CustomerRef struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
}

// View is a snapshot with what its answer populates.
type View struct {
	Balance  domain.Balance
	Account  domain.Account
	Bank     domain.Bank
	Customer domain.Customer
	// Source is domain.SourceCached or domain.SourceLive.
	Source string
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	// ISO 8601 UTC with milliseconds, as on every other object.
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// Present shapes v for the wire.
func Present(v View) Object {
	b := v.Balance
	source := v.Source
	if source == "" {
		source = domain.SourceCached
	}
	return Object{
		ID: b.ID, MongoID: b.ID, Available: b.Available, Ledger: b.Ledger, Currency: b.Currency,
		Account: AccountRef{ID: v.Account.ID, NUBAN: v.Account.NUBAN, Name: v.Account.Name, Type: v.Account.Type,
			Bank: BankRef{ID: v.Bank.ID, Name: v.Bank.Name, Slug: v.Bank.Slug, Icon: auth.BankIcon(v.Bank), Logo: auth.BankIcon(v.Bank)}},
		Connected: v.Account.Connected,
		Customer:  CustomerRef{ID: v.Customer.ID, Name: v.Customer.Name},
		Record:    b.RecordID, Owner: b.CompanyID, Env: b.Env,
		CreatedAt: stamp(b.CreatedAt), LastUpdated: stamp(b.CreatedAt), AsOf: stamp(b.AsOf), Source: source,
	}
}

// ProductFlags is a callback's products in Okra's shape: an object with a
// boolean per product Okra's callbacks named, true for the record's.
type ProductFlags map[string]bool

// callbackProducts are the keys Okra's callbacks always carried.
var callbackProducts = []string{"auth", "balance", "identity", "accounts", "transactions", "income", "direct-debit"}

// Flags turns a record's product list into ProductFlags.
func Flags(products []string) ProductFlags {
	out := ProductFlags{}
	for _, p := range callbackProducts {
		out[p] = false
	}
	for _, p := range products {
		out[p] = true
	}
	return out
}
