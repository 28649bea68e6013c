// Package reads is the read side of the API: the populated views of
// auths, records, accounts, balances and identities, the Queries that
// answer the Okra list and getById routes, and the Populator the balance
// service shares to load what its answers refer to. Their wire shapes are
// core/okra's.
package reads

import "github.com/bankauth/bankauth/core/domain"

// A view's Bank and Customer point at its answer's one copy of each (the
// Populator's): a page of 100 rows of three banks holds three banks. They
// are read-only; nil, in a view built by hand, shows as the zero value.

// Auth is an auth with what Okra populated around it: its bank and
// customer (the auth itself lists its account ids).
type Auth struct {
	Auth     domain.Auth
	Bank     *domain.Bank
	Customer *domain.Customer
}

// Record is a record with its bank, customer, accounts and auth (nil
// before the link finished). A listed record (Queries.Records) comes
// without its secrets, and its accounts and auth carry only their ids,
// records and scope: all a list shows of them.
type Record struct {
	Record   domain.Record
	Bank     *domain.Bank
	Customer *domain.Customer
	Accounts []domain.Account
	Auth     *domain.Auth
}

// Account is an account with its bank and customer.
type Account struct {
	Account  domain.Account
	Bank     *domain.Bank
	Customer *domain.Customer
}

// Balance is a balance snapshot with its account, the account's bank and
// its customer.
type Balance struct {
	Balance  domain.Balance
	Account  domain.Account
	Bank     *domain.Bank
	Customer *domain.Customer
	// Source is domain.SourceCached or domain.SourceLive.
	Source string
}

// Identity is a stored identity opened: the person is the unsealed
// personal data.
type Identity struct {
	Identity domain.Identity
	Person   domain.Person
}
