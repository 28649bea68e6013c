package httpapi

import (
	"context"

	"github.com/bankauth/bankauth/core/balance"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/reads"
)

// A company that hides account numbers gets every NUBAN masked. The read
// side and the balance service answer full numbers (partners need them);
// these wrappers, put around them where the company routes are wired, ask
// the calling company (domain.Company.ShowNUBAN) before an account leaves.

// shown is an account as the calling company may see it.
func shown(ctx context.Context, a domain.Account) domain.Account {
	c, _ := callerFrom(ctx)
	a.NUBAN = c.Company.ShowNUBAN(a.NUBAN)
	return a
}

func shownObject(ctx context.Context, o *okra.Balance) {
	if o != nil {
		c, _ := callerFrom(ctx)
		o.Account.NUBAN = c.Company.ShowNUBAN(o.Account.NUBAN)
	}
}

// HidingReader masks the account numbers Reader answers.
func HidingReader(r Reader) Reader { return hidingReader{r} }

type hidingReader struct{ Reader }

func (h hidingReader) Accounts(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]reads.Account, int, error) {
	list, total, err := h.Reader.Accounts(ctx, s, f)
	for i := range list {
		list[i].Account = shown(ctx, list[i].Account)
	}
	return list, total, err
}

func (h hidingReader) Account(ctx context.Context, s domain.Scope, id domain.ID) (reads.Account, error) {
	v, err := h.Reader.Account(ctx, s, id)
	v.Account = shown(ctx, v.Account)
	return v, err
}

func (h hidingReader) Records(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]reads.Record, int, error) {
	list, total, err := h.Reader.Records(ctx, s, f)
	for i := range list {
		for j := range list[i].Accounts {
			list[i].Accounts[j] = shown(ctx, list[i].Accounts[j])
		}
	}
	return list, total, err
}

func (h hidingReader) Record(ctx context.Context, s domain.Scope, id domain.ID) (reads.Record, error) {
	v, err := h.Reader.Record(ctx, s, id)
	for j := range v.Accounts {
		v.Accounts[j] = shown(ctx, v.Accounts[j])
	}
	return v, err
}

// HidingBalances masks the account numbers BalanceService answers.
func HidingBalances(b BalanceService) BalanceService { return hidingBalances{b} }

type hidingBalances struct{ BalanceService }

func (h hidingBalances) Check(ctx context.Context, s domain.Scope, req balance.CheckRequest) (balance.CheckResult, error) {
	res, err := h.BalanceService.Check(ctx, s, req)
	res.View.Account = shown(ctx, res.View.Account)
	return res, err
}

func (h hidingBalances) Balances(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]reads.Balance, int, error) {
	list, total, err := h.BalanceService.Balances(ctx, s, f)
	for i := range list {
		list[i].Account = shown(ctx, list[i].Account)
	}
	return list, total, err
}

func (h hidingBalances) Balance(ctx context.Context, s domain.Scope, id domain.ID) (reads.Balance, error) {
	v, err := h.BalanceService.Balance(ctx, s, id)
	v.Account = shown(ctx, v.Account)
	return v, err
}

func (h hidingBalances) RefreshResult(ctx context.Context, s domain.Scope, recordID domain.ID) (balance.Callback, error) {
	cb, err := h.BalanceService.RefreshResult(ctx, s, recordID)
	shownObject(ctx, cb.Balance)
	for i := range cb.Balances {
		shownObject(ctx, &cb.Balances[i])
	}
	return cb, err
}
