package okra

import (
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/reads"
)

// The objects of the list and getById routes. Each carries both id and
// _id, and its bank and customer populated as references.

// Auth is an auth as the auth routes answer it.
type Auth struct {
	ID             string            `json:"id"`
	MongoID        string            `json:"_id"`
	Validated      bool              `json:"validated"`
	ValidationNote string            `json:"validation_note,omitempty"`
	Bank           BankRefWithStatus `json:"bank"`
	Customer       CustomerRef       `json:"customer"`
	Record         string            `json:"record"`
	Owner          string            `json:"owner"`
	Env            domain.Env        `json:"env"`
	Accounts       []string          `json:"accounts"`
	CreatedAt      string            `json:"created_at"`
	LastUpdated    string            `json:"last_updated"`
}

// PresentAuth shapes v for the wire.
func PresentAuth(v reads.Auth) Auth {
	a := v.Auth
	return Auth{
		ID: a.ID, MongoID: a.ID, Validated: a.Validated, ValidationNote: a.ValidationNote,
		Bank: PresentBankRefWithStatus(deref(v.Bank)), Customer: PresentCustomerRef(deref(v.Customer)),
		Record: a.RecordID, Owner: a.CompanyID, Env: a.Env, Accounts: orEmpty(a.AccountIDs),
		CreatedAt: Time(a.CreatedAt), LastUpdated: Time(a.UpdatedAt),
	}
}

// Customer is a customer as the customer routes answer it.
type Customer struct {
	ID          string     `json:"id"`
	MongoID     string     `json:"_id"`
	Name        string     `json:"name"`
	Owner       string     `json:"owner"`
	Env         domain.Env `json:"env"`
	CreatedAt   string     `json:"created_at"`
	LastUpdated string     `json:"last_updated"`
}

// PresentCustomer shapes c for the wire.
func PresentCustomer(c domain.Customer) Customer {
	return Customer{ID: c.ID, MongoID: c.ID, Name: c.Name, Owner: c.CompanyID, Env: c.Env,
		CreatedAt: Time(c.CreatedAt), LastUpdated: Time(c.UpdatedAt)}
}

// Record is a record as records/list answers it: its accounts and auth by
// id.
type Record struct {
	ID          string              `json:"id"`
	MongoID     string              `json:"_id"`
	Status      domain.RecordStatus `json:"status"`
	Method      string              `json:"method"`
	Bank        BankRefWithStatus   `json:"bank"`
	Customer    CustomerRef         `json:"customer"`
	Owner       string              `json:"owner"`
	Env         domain.Env          `json:"env"`
	Products    []string            `json:"products"`
	Accounts    []string            `json:"accounts"`
	Auth        *string             `json:"auth"`
	CreatedAt   string              `json:"created_at"`
	LastUpdated string              `json:"last_updated"`
}

// PresentRecord shapes v for the wire.
func PresentRecord(v reads.Record) Record {
	r := v.Record
	out := Record{
		ID: r.ID, MongoID: r.ID, Status: r.Status, Method: string(r.Method), Bank: PresentBankRefWithStatus(deref(v.Bank)),
		Customer: PresentCustomerRef(deref(v.Customer)), Owner: r.CompanyID, Env: r.Env,
		Products: orEmpty(r.Products), Accounts: []string{}, CreatedAt: Time(r.CreatedAt), LastUpdated: Time(r.UpdatedAt),
	}
	for _, a := range v.Accounts {
		out.Accounts = append(out.Accounts, a.ID)
	}
	if v.Auth != nil {
		id := v.Auth.ID
		out.Auth = &id
	}
	return out
}

// RecordDetail is products/records/get's object: the record with Okra's
// usedProduct flags.
type RecordDetail struct {
	Record
	UsedProduct ProductFlags `json:"usedProduct"`
}

// PresentRecordDetail shapes v for products/records/get.
func PresentRecordDetail(v reads.Record) RecordDetail {
	r := PresentRecord(v)
	return RecordDetail{Record: r, UsedProduct: Flags(r.Products)}
}

// Account is an account as the account routes answer it.
type Account struct {
	ID          string            `json:"id"`
	MongoID     string            `json:"_id"`
	Name        string            `json:"name"`
	NUBAN       string            `json:"nuban"`
	Type        string            `json:"type"`
	Currency    string            `json:"currency"`
	Connected   bool              `json:"connected"`
	Customer    CustomerRef       `json:"customer"`
	Bank        BankRefWithStatus `json:"bank"`
	Record      string            `json:"record"`
	Owner       string            `json:"owner"`
	Env         domain.Env        `json:"env"`
	CreatedAt   string            `json:"created_at"`
	LastUpdated string            `json:"last_updated"`
}

// PresentAccount shapes v for the wire.
func PresentAccount(v reads.Account) Account {
	a := v.Account
	return Account{ID: a.ID, MongoID: a.ID, Name: a.Name, NUBAN: a.NUBAN, Type: a.Type, Currency: a.Currency,
		Connected: a.Connected, Customer: PresentCustomerRef(deref(v.Customer)), Bank: PresentBankRefWithStatus(deref(v.Bank)),
		Record: a.RecordID, Owner: a.CompanyID, Env: a.Env, CreatedAt: Time(a.CreatedAt), LastUpdated: Time(a.UpdatedAt)}
}
