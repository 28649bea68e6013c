package balance

import (
	"context"
	"errors"
	"fmt"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/reads"
)

// view populates a snapshot with its account, bank and customer.
func view(ctx context.Context, p *reads.Populator, b domain.Balance) (reads.Balance, error) {
	v := reads.Balance{Balance: b, Source: domain.SourceCached}
	var err error
	if v.Account, err = p.Account(ctx, b.AccountID); err != nil {
		return v, err
	}
	if v.Account.BankID != "" {
		if v.Bank, err = p.Bank(ctx, v.Account.BankID); err != nil {
			return v, err
		}
	}
	if v.Customer, err = p.Customer(ctx, b.CustomerID); err != nil {
		return v, err
	}
	return v, nil
}

// Balances lists stored snapshots matching f, newest first as the store
// orders them; every one is source "cached".
func (s *Service) Balances(ctx context.Context, scope domain.Scope, f domain.ListFilter) ([]reads.Balance, int, error) {
	return reads.ListPage(ctx, s.store, scope, f, "balances", s.store.Balances().ListWithCustomers,
		func(b domain.Balance, r *reads.Refs) {
			r.Accounts, r.AccountRefsOnly = append(r.Accounts, b.AccountID), true
		}, view)
}

// Balance returns one stored snapshot.
func (s *Service) Balance(ctx context.Context, scope domain.Scope, id domain.ID) (reads.Balance, error) {
	if !domain.ValidID(id) {
		return reads.Balance{}, domain.NotFound("balance")
	}
	b, err := s.store.Balances().Get(ctx, scope, id)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return reads.Balance{}, domain.NotFound("balance")
		}
		return reads.Balance{}, fmt.Errorf("get balance %s: %w", id, err)
	}
	return view(ctx, reads.NewPopulator(s.store, scope), b)
}
