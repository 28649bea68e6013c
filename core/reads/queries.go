package reads

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// Queries answers the read side of the API, always within a scope.
type Queries struct {
	store ports.Store
}

// NewQueries builds the read side.
func NewQueries(store ports.Store) *Queries { return &Queries{store: store} }

// Populator loads the banks, customers and accounts an answer refers to,
// each once per answer; a missing one is shown by its id alone. Prefetch
// loads a whole page's references in one query per kind.
type Populator struct {
	r         ports.Repos
	s         domain.Scope
	banks     map[domain.ID]*domain.Bank
	customers map[domain.ID]*domain.Customer
	accounts  map[domain.ID]*domain.Account
}

// NewPopulator starts an answer's cache within a scope.
func NewPopulator(r ports.Repos, s domain.Scope) *Populator {
	return &Populator{r: r, s: s, banks: map[domain.ID]*domain.Bank{},
		customers: map[domain.ID]*domain.Customer{}, accounts: map[domain.ID]*domain.Account{}}
}

// Refs names the objects an answer refers to.
type Refs struct {
	Banks, Customers, Accounts []domain.ID
	// AccountRefsOnly loads the accounts as a balance references them
	// (AccountRepo.RefsMany): an answer that shows no more of them need
	// not read the rest.
	AccountRefsOnly bool
}

// Prefetch fills the cache with what refs names and the cache lacks (and
// the banks of those accounts), one query per kind, so the Bank, Customer
// and Account calls that follow cost nothing. Ids that do not exist are
// cached as stubs, as those calls would show them.
func (p *Populator) Prefetch(ctx context.Context, refs Refs) error {
	if ids := missing(p.accounts, refs.Accounts); len(ids) > 0 {
		get := p.r.Accounts().GetMany
		if refs.AccountRefsOnly {
			get = p.r.Accounts().RefsMany
		}
		found, err := get(ctx, p.s, ids)
		if err != nil {
			return fmt.Errorf("load %d accounts: %w", len(ids), err)
		}
		fill(p.accounts, ids, found, func(a *domain.Account) domain.ID { return a.ID }, func(id domain.ID) *domain.Account { return &domain.Account{ID: id} })
		for _, a := range found {
			if a.BankID != "" {
				refs.Banks = append(refs.Banks, a.BankID)
			}
		}
	}
	if ids := missing(p.banks, refs.Banks); len(ids) > 0 {
		found, err := p.r.Banks().GetMany(ctx, ids)
		if err != nil {
			return fmt.Errorf("load %d banks: %w", len(ids), err)
		}
		fill(p.banks, ids, found, func(b *domain.Bank) domain.ID { return b.ID }, func(id domain.ID) *domain.Bank { return &domain.Bank{ID: id} })
	}
	if ids := missing(p.customers, refs.Customers); len(ids) > 0 {
		found, err := p.r.Customers().GetMany(ctx, p.s, ids)
		if err != nil {
			return fmt.Errorf("load %d customers: %w", len(ids), err)
		}
		fill(p.customers, ids, found, func(c *domain.Customer) domain.ID { return c.ID }, func(id domain.ID) *domain.Customer { return &domain.Customer{ID: id} })
	}
	return nil
}

// Known caches customers a page brought with it (references: an id and a
// name may be all they carry), so they are not loaded again; one already
// cached is kept.
func (p *Populator) Known(customers []domain.Customer) {
	if len(customers) > len(p.customers) {
		// Sized once: growing a page's worth entry by entry costs more.
		m := make(map[domain.ID]*domain.Customer, len(customers)+len(p.customers))
		maps.Copy(m, p.customers)
		p.customers = m
	}
	for i := range customers {
		if _, ok := p.customers[customers[i].ID]; !ok {
			p.customers[customers[i].ID] = &customers[i]
		}
	}
}

// missing lists the distinct ids of want that m lacks.
func missing[T any](m map[domain.ID]T, want []domain.ID) []domain.ID {
	var out []domain.ID
	seen := map[domain.ID]bool{}
	for _, id := range want {
		if _, ok := m[id]; !ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// fill caches found and a stub for every id of asked not among them.
func fill[T any](m map[domain.ID]*T, asked []domain.ID, found []T, id func(*T) domain.ID, stub func(domain.ID) *T) {
	for i := range found {
		m[id(&found[i])] = &found[i]
	}
	for _, a := range asked {
		if _, ok := m[a]; !ok {
			m[a] = stub(a)
		}
	}
}

// cached returns m[id], loading it with get on a miss. What it returns is
// the answer's shared copy: views point at it, nobody writes through it.
func cached[T any](ctx context.Context, m map[domain.ID]*T, id domain.ID, what string, get func(context.Context, domain.ID) (T, error), stub func(domain.ID) *T) (*T, error) {
	if v, ok := m[id]; ok {
		return v, nil
	}
	v, err := get(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		m[id] = stub(id)
		return m[id], nil
	}
	if err != nil {
		return nil, fmt.Errorf("load %s %s: %w", what, id, err)
	}
	m[id] = &v
	return &v, nil
}

// Bank returns a bank, shared by every view of the answer that names it
// (a page of 100 auths of three banks holds three banks, not 100).
func (p *Populator) Bank(ctx context.Context, id domain.ID) (*domain.Bank, error) {
	return cached(ctx, p.banks, id, "bank", p.r.Banks().Get, func(id domain.ID) *domain.Bank { return &domain.Bank{ID: id} })
}

// Customer returns a customer of the scope, shared as Bank is.
func (p *Populator) Customer(ctx context.Context, id domain.ID) (*domain.Customer, error) {
	get := func(ctx context.Context, id domain.ID) (domain.Customer, error) {
		return p.r.Customers().Get(ctx, p.s, id)
	}
	return cached(ctx, p.customers, id, "customer", get, func(id domain.ID) *domain.Customer { return &domain.Customer{ID: id} })
}

// Account returns an account of the scope: a copy, which the caller may
// change (the account number is masked on its way out).
func (p *Populator) Account(ctx context.Context, id domain.ID) (domain.Account, error) {
	get := func(ctx context.Context, id domain.ID) (domain.Account, error) {
		return p.r.Accounts().Get(ctx, p.s, id)
	}
	a, err := cached(ctx, p.accounts, id, "account", get, func(id domain.ID) *domain.Account { return &domain.Account{ID: id} })
	if err != nil {
		return domain.Account{}, err
	}
	return *a, nil
}

// CheckFilter is CheckFilter that keeps what it loaded for the answer.
func (p *Populator) CheckFilter(ctx context.Context, f domain.ListFilter) error {
	if f.CustomerID != "" {
		c, err := p.r.Customers().Get(ctx, p.s, f.CustomerID)
		if err != nil {
			return fmt.Errorf("filter by customer %s: %w", f.CustomerID, err)
		}
		p.customers[c.ID] = &c
	}
	if f.AccountID != "" {
		a, err := p.r.Accounts().Get(ctx, p.s, f.AccountID)
		if err != nil {
			return fmt.Errorf("filter by account %s: %w", f.AccountID, err)
		}
		p.accounts[a.ID] = &a
	}
	return nil
}

func (p *Populator) auth(ctx context.Context, a domain.Auth) (Auth, error) {
	v := Auth{Auth: a}
	var err error
	v.Bank, v.Customer, err = p.bankAndCustomer(ctx, a.BankID, a.CustomerID)
	return v, err
}

// bankAndCustomer are the bank and customer an object belongs to.
func (p *Populator) bankAndCustomer(ctx context.Context, bankID, customerID domain.ID) (*domain.Bank, *domain.Customer, error) {
	b, err := p.Bank(ctx, bankID)
	if err != nil {
		return nil, nil, err
	}
	c, err := p.Customer(ctx, customerID)
	if err != nil {
		return b, nil, err
	}
	return b, c, nil
}

// CheckFilter answers not found when a list is filtered by a customer or
// an account that is not in the scope, so another company's ids get the
// same 404 as on getById routes instead of a telling empty list.
func CheckFilter(ctx context.Context, r ports.Repos, s domain.Scope, f domain.ListFilter) error {
	return NewPopulator(r, s).CheckFilter(ctx, f)
}

// Auths lists auths matching f.
func (q *Queries) Auths(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]Auth, int, error) {
	return ListPage(ctx, q.store, s, f, "auths", q.store.Auths().ListWithCustomers,
		func(a domain.Auth, r *Refs) { r.Banks = append(r.Banks, a.BankID) },
		func(ctx context.Context, p *Populator, a domain.Auth) (Auth, error) { return p.auth(ctx, a) })
}

// ListPage answers a list the way every populated list is answered: the
// filter checked against the scope, the page with its customers in one
// query, what refs names of each row prefetched in one query per kind,
// then each row viewed from the cache.
func ListPage[T, V any](ctx context.Context, r ports.Repos, s domain.Scope, f domain.ListFilter, what string,
	list func(context.Context, domain.Scope, domain.ListFilter) ([]T, []domain.Customer, int, error),
	refs func(T, *Refs), view func(context.Context, *Populator, T) (V, error)) ([]V, int, error) {
	p := NewPopulator(r, s)
	if err := p.CheckFilter(ctx, f); err != nil {
		return nil, 0, err
	}
	rows, customers, total, err := list(ctx, s, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", what, err)
	}
	p.Known(customers)
	var rf Refs
	for _, row := range rows {
		refs(row, &rf)
	}
	if err := p.Prefetch(ctx, rf); err != nil {
		return nil, 0, err
	}
	out := make([]V, 0, len(rows))
	for _, row := range rows {
		v, err := view(ctx, p, row)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}

// Auth returns one auth.
func (q *Queries) Auth(ctx context.Context, s domain.Scope, id domain.ID) (Auth, error) {
	if !domain.ValidID(id) {
		return Auth{}, domain.NotFound("auth")
	}
	a, err := q.store.Auths().Get(ctx, s, id)
	if err != nil {
		return Auth{}, fmt.Errorf("get auth %s: %w", id, err)
	}
	return NewPopulator(q.store, s).auth(ctx, a)
}

// AuthByRecord returns the auth of a record (the AUTH callback).
func (q *Queries) AuthByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) (Auth, error) {
	if !domain.ValidID(recordID) {
		return Auth{}, domain.NotFound("record")
	}
	a, err := q.store.Auths().GetByRecord(ctx, s, recordID)
	if err != nil {
		return Auth{}, fmt.Errorf("get auth of record %s: %w", recordID, err)
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

// recordViews populates records: their banks and customers (customers
// the page brought are not loaded again), and their accounts and auths,
// one query per kind; in full, or only their ids, all a list shows.
func (q *Queries) recordViews(ctx context.Context, s domain.Scope, list []domain.Record, customers []domain.Customer, full bool) ([]Record, error) {
	if len(list) == 0 {
		return []Record{}, nil
	}
	p := NewPopulator(q.store, s)
	p.Known(customers)
	var refs Refs
	ids := make([]domain.ID, len(list))
	for i, r := range list {
		refs.Banks, refs.Customers = append(refs.Banks, r.BankID), append(refs.Customers, r.CustomerID)
		ids[i] = r.ID
	}
	if err := p.Prefetch(ctx, refs); err != nil {
		return nil, err
	}
	accountsOf, authsOf := q.store.Accounts().IDsByRecords, q.store.Auths().IDsByRecords
	if full {
		accountsOf, authsOf = q.store.Accounts().ListByRecords, q.store.Auths().ListByRecords
	}
	accounts, err := accountsOf(ctx, s, ids)
	if err != nil {
		return nil, fmt.Errorf("list accounts of %d records: %w", len(ids), err)
	}
	byRecord := map[domain.ID][]domain.Account{}
	for _, a := range accounts {
		byRecord[a.RecordID] = append(byRecord[a.RecordID], a)
	}
	auths, err := authsOf(ctx, s, ids)
	if err != nil {
		return nil, fmt.Errorf("list auths of %d records: %w", len(ids), err)
	}
	authOf := make(map[domain.ID]*domain.Auth, len(auths))
	for i := range auths {
		authOf[auths[i].RecordID] = &auths[i]
	}
	out := make([]Record, 0, len(list))
	for _, r := range list {
		v := Record{Record: r, Accounts: byRecord[r.ID], Auth: authOf[r.ID]}
		if v.Bank, v.Customer, err = p.bankAndCustomer(ctx, r.BankID, r.CustomerID); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Records lists records.
func (q *Queries) Records(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]Record, int, error) {
	list, customers, total, err := q.store.Records().ListWithCustomers(ctx, s, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list records: %w", err)
	}
	out, err := q.recordViews(ctx, s, list, customers, false)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Record returns one record.
func (q *Queries) Record(ctx context.Context, s domain.Scope, id domain.ID) (Record, error) {
	if !domain.ValidID(id) {
		return Record{}, domain.NotFound("record")
	}
	r, err := q.store.Records().Get(ctx, s, id)
	if err != nil {
		return Record{}, fmt.Errorf("get record %s: %w", id, err)
	}
	out, err := q.recordViews(ctx, s, []domain.Record{r}, nil, true)
	if err != nil {
		return Record{}, err
	}
	return out[0], nil
}

// Accounts lists accounts.
func (q *Queries) Accounts(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]Account, int, error) {
	return ListPage(ctx, q.store, s, f, "accounts", q.store.Accounts().ListWithCustomers,
		func(a domain.Account, r *Refs) { r.Banks = append(r.Banks, a.BankID) },
		func(ctx context.Context, p *Populator, a domain.Account) (Account, error) { return p.account(ctx, a) })
}

// account is a's view: its bank and customer.
func (p *Populator) account(ctx context.Context, a domain.Account) (Account, error) {
	v := Account{Account: a}
	var err error
	v.Bank, v.Customer, err = p.bankAndCustomer(ctx, a.BankID, a.CustomerID)
	return v, err
}

// Account returns one account.
func (q *Queries) Account(ctx context.Context, s domain.Scope, id domain.ID) (Account, error) {
	if !domain.ValidID(id) {
		return Account{}, domain.NotFound("account")
	}
	a, err := q.store.Accounts().Get(ctx, s, id)
	if err != nil {
		return Account{}, fmt.Errorf("get account %s: %w", id, err)
	}
	return NewPopulator(q.store, s).account(ctx, a)
}
