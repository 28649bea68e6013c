package balance

import (
	"context"
	"errors"
	"fmt"

	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// populator loads accounts, banks and customers once per answer.
type populator struct {
	r         ports.Repos
	s         domain.Scope
	accounts  map[domain.ID]domain.Account
	banks     map[domain.ID]domain.Bank
	customers map[domain.ID]domain.Customer
}

func newPopulator(r ports.Repos, s domain.Scope) *populator {
	return &populator{r: r, s: s, accounts: map[domain.ID]domain.Account{},
		banks: map[domain.ID]domain.Bank{}, customers: map[domain.ID]domain.Customer{}}
}

func (p *populator) view(ctx context.Context, b domain.Balance) (View, error) {
	v := View{Balance: b, Source: domain.SourceCached}
	var ok bool
	if v.Account, ok = p.accounts[b.AccountID]; !ok {
		a, err := p.r.Accounts().Get(ctx, p.s, b.AccountID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			a = domain.Account{ID: b.AccountID}
		case err != nil:
			return v, fmt.Errorf("load account %s: %w", b.AccountID, err)
		}
		p.accounts[b.AccountID], v.Account = a, a
	}
	if v.Bank, ok = p.banks[v.Account.BankID]; !ok && v.Account.BankID != "" {
		bk, err := p.r.Banks().Get(ctx, v.Account.BankID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			bk = domain.Bank{ID: v.Account.BankID}
		case err != nil:
			return v, fmt.Errorf("load bank %s: %w", v.Account.BankID, err)
		}
		p.banks[bk.ID], v.Bank = bk, bk
	}
	if v.Customer, ok = p.customers[b.CustomerID]; !ok {
		c, err := p.r.Customers().Get(ctx, p.s, b.CustomerID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			c = domain.Customer{ID: b.CustomerID}
		case err != nil:
			return v, fmt.Errorf("load customer %s: %w", b.CustomerID, err)
		}
		p.customers[b.CustomerID], v.Customer = c, c
	}
	return v, nil
}

// Balances lists stored snapshots matching f, newest first as the store
// orders them; every one is source "cached".
func (s *Service) Balances(ctx context.Context, scope domain.Scope, f domain.ListFilter) ([]View, int, error) {
	if err := auth.CheckFilter(ctx, s.store, scope, f); err != nil {
		return nil, 0, err
	}
	list, total, err := s.store.Balances().List(ctx, scope, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list balances: %w", err)
	}
	p := newPopulator(s.store, scope)
	out := make([]View, 0, len(list))
	for _, b := range list {
		v, err := p.view(ctx, b)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}

// Balance returns one stored snapshot.
func (s *Service) Balance(ctx context.Context, scope domain.Scope, id domain.ID) (View, error) {
	if !domain.ValidID(id) {
		return View{}, domain.NotFound("balance")
	}
	b, err := s.store.Balances().Get(ctx, scope, id)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return View{}, domain.NotFound("balance")
		}
		return View{}, fmt.Errorf("get balance %s: %w", id, err)
	}
	return newPopulator(s.store, scope).view(ctx, b)
}
