package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// AuthView is an auth with what Okra populated around it: its bank and
// customer (the auth itself lists its account ids).
type AuthView struct {
	Auth     domain.Auth
	Bank     domain.Bank
	Customer domain.Customer
}

// RecordView is a record with its bank and accounts.
type RecordView struct {
	Record   domain.Record
	Bank     domain.Bank
	Customer domain.Customer
	Accounts []domain.Account
	Auth     *domain.Auth
}

// AccountView is an account with its bank and customer.
type AccountView struct {
	Account  domain.Account
	Bank     domain.Bank
	Customer domain.Customer
}

// Queries answers the read side of the API, always within a scope.
type Queries struct {
	store ports.Store
}

// NewQueries builds the read side.
func NewQueries(store ports.Store) *Queries { return &Queries{store: store} }

// Populator loads the banks, customers and accounts an answer refers to,
// each once per answer; a missing one is shown by its id alone.
type Populator struct {
	r         ports.Repos
	s         domain.Scope
	banks     map[domain.ID]domain.Bank
	customers map[domain.ID]domain.Customer
	accounts  map[domain.ID]domain.Account
}

// NewPopulator starts an answer's cache within a scope.
func NewPopulator(r ports.Repos, s domain.Scope) *Populator {
	return &Populator{r: r, s: s, banks: map[domain.ID]domain.Bank{},
		customers: map[domain.ID]domain.Customer{}, accounts: map[domain.ID]domain.Account{}}
}

// cached returns m[id], loading it with get on a miss.
func cached[T any](ctx context.Context, m map[domain.ID]T, id domain.ID, what string, get func(context.Context, domain.ID) (T, error), stub func(domain.ID) T) (T, error) {
	if v, ok := m[id]; ok {
		return v, nil
	}
	v, err := get(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		v, err = stub(id), nil
	}
	if err != nil {
		return v, fmt.Errorf("load %s %s: %w", what, id, err)
	}
	m[id] = v
	return v, nil
}

// Bank returns a bank.
func (p *Populator) Bank(ctx context.Context, id domain.ID) (domain.Bank, error) {
	return cached(ctx, p.banks, id, "bank", p.r.Banks().Get, func(id domain.ID) domain.Bank { return domain.Bank{ID: id} })
}

// Customer returns a customer of the scope.
func (p *Populator) Customer(ctx context.Context, id domain.ID) (domain.Customer, error) {
	get := func(ctx context.Context, id domain.ID) (domain.Customer, error) {
		return p.r.Customers().Get(ctx, p.s, id)
	}
	return cached(ctx, p.customers, id, "customer", get, func(id domain.ID) domain.Customer { return domain.Customer{ID: id} })
}

// Account returns an account of the scope.
func (p *Populator) Account(ctx context.Context, id domain.ID) (domain.Account, error) {
	get := func(ctx context.Context, id domain.ID) (domain.Account, error) {
		return p.r.Accounts().Get(ctx, p.s, id)
	}
	return cached(ctx, p.accounts, id, "account", get, func(id domain.ID) domain.Account { return domain.Account{ID: id} })
}

func (p *Populator) auth(ctx context.Context, a domain.Auth) (AuthView, error) {
	v := AuthView{Auth: a}
	var err error
	if v.Bank, err = p.Bank(ctx, a.BankID); err != nil {
		return v, err
	}
	if v.Customer, err = p.Customer(ctx, a.CustomerID); err != nil {
		return v, err
	}
	return v, nil
}

// CheckFilter answers not found when a list is filtered by a customer or
// an account that is not in the scope, so another company's ids get the
// same 404 as on getById routes instead of a telling empty list.
func CheckFilter(ctx context.Context, r ports.Repos, s domain.Scope, f domain.ListFilter) error {
	if f.CustomerID != "" {
		if _, err := r.Customers().Get(ctx, s, f.CustomerID); err != nil {
			return fmt.Errorf("filter by customer %s: %w", f.CustomerID, err)
		}
	}
	if f.AccountID != "" {
		if _, err := r.Accounts().Get(ctx, s, f.AccountID); err != nil {
			return fmt.Errorf("filter by account %s: %w", f.AccountID, err)
		}
	}
	return nil
}

// Auths lists auths matching f.
func (q *Queries) Auths(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]AuthView, int, error) {
	if err := CheckFilter(ctx, q.store, s, f); err != nil {
		return nil, 0, err
	}
	list, total, err := q.store.Auths().List(ctx, s, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list auths: %w", err)
	}
	p := NewPopulator(q.store, s)
	out := make([]AuthView, 0, len(list))
	for _, a := range list {
		v, err := p.auth(ctx, a)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}

// Auth returns one auth.
func (q *Queries) Auth(ctx context.Context, s domain.Scope, id domain.ID) (AuthView, error) {
	if !domain.ValidID(id) {
		return AuthView{}, domain.NotFound("auth")
	}
	a, err := q.store.Auths().Get(ctx, s, id)
	if err != nil {
		return AuthView{}, fmt.Errorf("get auth %s: %w", id, err)
	}
	return NewPopulator(q.store, s).auth(ctx, a)
}

// AuthByRecord returns the auth of a record (the AUTH callback).
func (q *Queries) AuthByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) (AuthView, error) {
	if !domain.ValidID(recordID) {
		return AuthView{}, domain.NotFound("record")
	}
	a, err := q.store.Auths().GetByRecord(ctx, s, recordID)
	if err != nil {
		return AuthView{}, fmt.Errorf("get auth of record %s: %w", recordID, err)
	}
	return NewPopulator(q.store, s).auth(ctx, a)
}

// Customers lists customers.
func (q *Queries) Customers(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Customer, int, error) {
	list, total, err := q.store.Customers().List(ctx, s, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list customers: %w", err)
	}
	return list, total, nil
}

// Customer returns one customer.
func (q *Queries) Customer(ctx context.Context, s domain.Scope, id domain.ID) (domain.Customer, error) {
	if !domain.ValidID(id) {
		return domain.Customer{}, domain.NotFound("customer")
	}
	c, err := q.store.Customers().Get(ctx, s, id)
	if err != nil {
		return c, fmt.Errorf("get customer %s: %w", id, err)
	}
	return c, nil
}

func (q *Queries) recordView(ctx context.Context, p *Populator, r domain.Record) (RecordView, error) {
	v := RecordView{Record: r}
	var err error
	if v.Bank, err = p.Bank(ctx, r.BankID); err != nil {
		return v, err
	}
	if v.Customer, err = p.Customer(ctx, r.CustomerID); err != nil {
		return v, err
	}
	if v.Accounts, err = p.r.Accounts().ListByRecord(ctx, p.s, r.ID); err != nil {
		return v, fmt.Errorf("list accounts of record %s: %w", r.ID, err)
	}
	a, err := p.r.Auths().GetByRecord(ctx, p.s, r.ID)
	switch {
	case err == nil:
		v.Auth = &a
	case !errors.Is(err, domain.ErrNotFound):
		return v, fmt.Errorf("get auth of record %s: %w", r.ID, err)
	}
	return v, nil
}

// Records lists records.
func (q *Queries) Records(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]RecordView, int, error) {
	list, total, err := q.store.Records().List(ctx, s, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list records: %w", err)
	}
	p := NewPopulator(q.store, s)
	out := make([]RecordView, 0, len(list))
	for _, r := range list {
		v, err := q.recordView(ctx, p, r)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}

// Record returns one record.
func (q *Queries) Record(ctx context.Context, s domain.Scope, id domain.ID) (RecordView, error) {
	if !domain.ValidID(id) {
		return RecordView{}, domain.NotFound("record")
	}
	r, err := q.store.Records().Get(ctx, s, id)
	if err != nil {
		return RecordView{}, fmt.Errorf("get record %s: %w", id, err)
	}
	return q.recordView(ctx, NewPopulator(q.store, s), r)
}

// Accounts lists accounts.
func (q *Queries) Accounts(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]AccountView, int, error) {
	if err := CheckFilter(ctx, q.store, s, f); err != nil {
		return nil, 0, err
	}
	list, total, err := q.store.Accounts().List(ctx, s, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list accounts: %w", err)
	}
	p := NewPopulator(q.store, s)
	out := make([]AccountView, 0, len(list))
	for _, a := range list {
		v := AccountView{Account: a}
		if v.Bank, err = p.Bank(ctx, a.BankID); err != nil {
			return nil, 0, err
		}
		if v.Customer, err = p.Customer(ctx, a.CustomerID); err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}

// Account returns one account.
func (q *Queries) Account(ctx context.Context, s domain.Scope, id domain.ID) (AccountView, error) {
	if !domain.ValidID(id) {
		return AccountView{}, domain.NotFound("account")
	}
	a, err := q.store.Accounts().Get(ctx, s, id)
	if err != nil {
		return AccountView{}, fmt.Errorf("get account %s: %w", id, err)
	}
	p := NewPopulator(q.store, s)
	v := AccountView{Account: a}
	if v.Bank, err = p.Bank(ctx, a.BankID); err != nil {
		return v, err
	}
	if v.Customer, err = p.Customer(ctx, a.CustomerID); err != nil {
		return v, err
	}
	return v, nil
}
