package httpapi

import (
	"time"

	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/balance"
	"github.com/bankauth/bankauth/core/domain"
)

// Okra's object shapes. Objects carry both id and _id; references are
// populated the way Okra populated them.

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	// ISO 8601 UTC with milliseconds, as Okra's API wrote them.
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

type bankRef struct {
	ID     string `json:"_id"`
	Name   string `json:"name"`
	Slug   string `json:"slug"`
	Icon   string `json:"icon"`
	Logo   string `json:"logo"`
	Status string `json:"status"`
}

func presentBankRef(b domain.Bank) bankRef {
	status := b.Status
	if status == "" {
		status = domain.BankOperational
	}
	return bankRef{ID: b.ID, Name: b.Name, Slug: b.Slug, Icon: auth.BankIcon(b), Logo: auth.BankIcon(b), Status: status}
}

type customerRef struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
}

func presentCustomerRef(c domain.Customer) customerRef { return customerRef{ID: c.ID, Name: c.Name} }

type okraAuth struct {
	ID             string      `json:"id"`
	MongoID        string      `json:"_id"`
	Validated      bool        `json:"validated"`
	ValidationNote string      `json:"validation_note,omitempty"`
	Bank           bankRef     `json:"bank"`
	Customer       customerRef `json:"customer"`
	Record         string      `json:"record"`
	Owner          string      `json:"owner"`
	Env            domain.Env  `json:"env"`
	Accounts       []string    `json:"accounts"`
	CreatedAt      string      `json:"created_at"`
	LastUpdated    string      `json:"last_updated"`
}

func presentAuth(v auth.AuthView) okraAuth {
	ids := v.Auth.AccountIDs
	if ids == nil {
		ids = []string{}
	}
	return okraAuth{
		ID: v.Auth.ID, MongoID: v.Auth.ID, Validated: v.Auth.Validated, ValidationNote: v.Auth.ValidationNote,
		Bank: presentBankRef(v.Bank), Customer: presentCustomerRef(v.Customer),
		Record: v.Auth.RecordID, Owner: v.Auth.CompanyID, Env: v.Auth.Env, Accounts: ids,
		CreatedAt: ts(v.Auth.CreatedAt), LastUpdated: ts(v.Auth.UpdatedAt),
	}
}

type okraCustomer struct {
	ID          string     `json:"id"`
	MongoID     string     `json:"_id"`
	Name        string     `json:"name"`
	Owner       string     `json:"owner"`
	Env         domain.Env `json:"env"`
	CreatedAt   string     `json:"created_at"`
	LastUpdated string     `json:"last_updated"`
}

func presentCustomer(c domain.Customer) okraCustomer {
	return okraCustomer{ID: c.ID, MongoID: c.ID, Name: c.Name, Owner: c.CompanyID, Env: c.Env,
		CreatedAt: ts(c.CreatedAt), LastUpdated: ts(c.UpdatedAt)}
}

type okraRecord struct {
	ID          string              `json:"id"`
	MongoID     string              `json:"_id"`
	Status      domain.RecordStatus `json:"status"`
	Method      string              `json:"method"`
	Bank        bankRef             `json:"bank"`
	Customer    customerRef         `json:"customer"`
	Owner       string              `json:"owner"`
	Env         domain.Env          `json:"env"`
	Products    []string            `json:"products"`
	Accounts    []string            `json:"accounts"`
	Auth        *string             `json:"auth"`
	CreatedAt   string              `json:"created_at"`
	LastUpdated string              `json:"last_updated"`
}

func presentRecord(v auth.RecordView) okraRecord {
	r := v.Record
	out := okraRecord{
		ID: r.ID, MongoID: r.ID, Status: r.Status, Method: r.Method, Bank: presentBankRef(v.Bank),
		Customer: presentCustomerRef(v.Customer), Owner: r.CompanyID, Env: r.Env,
		Products: r.Products, Accounts: []string{}, CreatedAt: ts(r.CreatedAt), LastUpdated: ts(r.UpdatedAt),
	}
	if out.Products == nil {
		out.Products = []string{}
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

// okraRecordDetail is products/records/get's object: the record with
// Okra's usedProduct flags.
type okraRecordDetail struct {
	okraRecord
	UsedProduct balance.ProductFlags `json:"usedProduct"`
}
