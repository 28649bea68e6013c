package balance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
	"github.com/bankauth/bankauth/core/jobs"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/reads"
)

// Refresh jobs: the job's subject is the record (the BALANCE callback is
// asked by record), its payload names the account.
type jobPayload struct {
	AccountID domain.ID `json:"account_id"`
}

// JobResult is what a finished refresh stores and the callback serves.
type JobResult struct {
	Status  string        `json:"status"` // "success" or "failed"
	Balance *okra.Balance `json:"balance,omitempty"`
	Error   *jobs.Error   `json:"error,omitempty"`
}

// Refresh queues a live pull of an account's balance as a durable job and
// answers at once with the callback URL. A refresh of the same account
// that is still queued is answered with the same callback.
func (s *Service) Refresh(ctx context.Context, scope domain.Scope, accountID domain.ID) (jobs.Started, error) {
	t, err := s.target(ctx, scope, accountID)
	if err != nil {
		return jobs.Started{}, err
	}
	payload, err := json.Marshal(jobPayload{AccountID: t.account.ID})
	if err != nil {
		return jobs.Started{}, fmt.Errorf("encode the refresh of account %s: %w", t.account.ID, err)
	}
	sameAccount := func(queued domain.Job) bool {
		var p jobPayload
		return json.Unmarshal(queued.Payload, &p) == nil && p.AccountID == t.account.ID
	}
	if err := s.queue.Add(ctx, scope, t.record.ID, payload, sameAccount); err != nil {
		return jobs.Started{}, fmt.Errorf("queue the balance refresh of account %s: %w", t.account.ID, err)
	}
	return jobs.Started{CallbackURL: s.CallbackURL(scope.Env, t.record.ID), Record: t.record.ID, Method: domain.MethodBalance}, nil
}

// Notify nudges the refresh worker to look for due jobs now. It never
// blocks.
func (s *Service) Notify() { s.queue.Notify() }

// CallbackURL is where the BALANCE result of a record is served.
func (s *Service) CallbackURL(env domain.Env, recordID domain.ID) string {
	return jobs.CallbackURL(s.cfg.PublicURL, s.cfg.Origin, env, recordID, domain.MethodBalance)
}

// Callback is the BALANCE callback in Okra's shape.
type Callback struct {
	Balance  *okra.Balance     `json:"balance"`
	Balances []okra.Balance    `json:"balances"`
	Product  string            `json:"product"`
	Record   string            `json:"record"`
	Products okra.ProductFlags `json:"products"`
	Status   jobs.Status       `json:"status"`
	Error    *jobs.Error       `json:"error,omitempty"`
}

// RefreshResult answers GET callback?record=…&method=BALANCE: the latest
// refresh's balance, and the latest stored balance of every connected
// account of the record.
func (s *Service) RefreshResult(ctx context.Context, scope domain.Scope, recordID domain.ID) (Callback, error) {
	if !domain.ValidID(recordID) {
		return Callback{}, domain.NotFound("record")
	}
	r, err := s.store.Records().Get(ctx, scope, recordID)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return Callback{}, domain.NotFound("record")
		}
		return Callback{}, fmt.Errorf("load record %s: %w", recordID, err)
	}
	status, result, err := s.queue.Status(ctx, scope, r)
	if err != nil {
		return Callback{}, err
	}
	cb := Callback{Product: "balance", Record: r.ID, Products: okra.Flags(r.Products), Balances: []okra.Balance{}, Status: status}
	var res JobResult
	if result != nil && json.Unmarshal(result, &res) == nil {
		cb.Balance, cb.Error = res.Balance, res.Error
	}
	accounts, err := s.store.Accounts().ListByRecord(ctx, scope, r.ID)
	if err != nil {
		return Callback{}, fmt.Errorf("list the accounts of record %s: %w", r.ID, err)
	}
	var connected []domain.ID
	for _, a := range accounts {
		if a.Connected {
			connected = append(connected, a.ID)
		}
	}
	latest, err := s.store.Balances().LatestMany(ctx, scope, connected)
	if err != nil {
		return Callback{}, fmt.Errorf("load the balances of record %s: %w", r.ID, err)
	}
	byAccount := make(map[domain.ID]domain.Balance, len(latest))
	for _, b := range latest {
		byAccount[b.AccountID] = b
	}
	q := reads.NewPopulator(s.store, scope)
	for _, id := range connected {
		b, ok := byAccount[id]
		if !ok {
			continue
		}
		v, err := view(ctx, q, b)
		if err != nil {
			return Callback{}, err
		}
		cb.Balances = append(cb.Balances, okra.PresentBalance(v))
	}
	return cb, nil
}

// refreshJob is what a balance refresh job does.
func (s *Service) refreshJob() jobs.Handler {
	return jobs.Handler{Name: "balance refresh", FailedCode: domain.CodeBalanceFailed, Run: s.runRefresh}
}

// runRefresh pulls the balance a refresh asks for, live; it succeeds
// with the BALANCE event carrying that balance.
func (s *Service) runRefresh(ctx context.Context, j domain.Job) (events.Event, jobs.Succeeded, error) {
	scope := domain.Scope{CompanyID: j.CompanyID, Env: j.Env}
	var p jobPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		// No account named: the refresh fails as not found.
		p = jobPayload{}
	}
	t, err := s.target(ctx, scope, p.AccountID)
	ev := events.Event{Scope: scope, Method: domain.MethodBalance, Record: t.record, Bank: t.bank}
	if err != nil {
		return ev, nil, err
	}
	b, _, err := s.current(ctx, t, 0)
	if err != nil {
		return ev, nil, err
	}
	obj := okra.PresentBalance(reads.Balance{Balance: b, Account: t.account, Bank: &t.bank, Customer: &t.customer, Source: domain.SourceLive})
	return ev, func(_ context.Context, _ ports.Repos, ev *events.Event) (any, error) {
		ev.Code, ev.Balance = domain.CodeBalanceSuccess, obj
		return JobResult{Status: "success", Balance: &obj}, nil
	}, nil
}
