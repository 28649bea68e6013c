package balance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
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
	Error   *JobError     `json:"error,omitempty"`
}

// JobError is why a refresh failed.
type JobError struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Started is the answer to a refresh: where to find its result.
type Started struct {
	CallbackURL string `json:"callback_url"`
	Record      string `json:"record"`
	Method      string `json:"method"`
}

// Refresh queues a live pull of an account's balance as a durable job and
// answers at once with the callback URL. A refresh of the same account
// that is still queued is answered with the same callback.
func (s *Service) Refresh(ctx context.Context, scope domain.Scope, accountID domain.ID) (Started, error) {
	t, err := s.target(ctx, scope, accountID)
	if err != nil {
		return Started{}, err
	}
	started := Started{CallbackURL: s.CallbackURL(scope.Env, t.record.ID), Record: t.record.ID, Method: domain.MethodBalance}
	prev, err := s.store.Jobs().LatestBySubject(ctx, scope, domain.JobBalanceRefresh, t.record.ID)
	switch {
	case err == nil:
		var p jobPayload
		if prev.Status == domain.JobPending && json.Unmarshal(prev.Payload, &p) == nil && p.AccountID == t.account.ID {
			s.Notify()
			return started, nil
		}
	case !errors.Is(err, domain.ErrNotFound):
		return Started{}, fmt.Errorf("look for a queued refresh: %w", err)
	}
	payload, _ := json.Marshal(jobPayload{AccountID: t.account.ID})
	now := s.clock.Now()
	if err := s.store.Jobs().Add(ctx, domain.Job{
		ID: s.ids.NewID(), CompanyID: scope.CompanyID, Env: scope.Env, Kind: domain.JobBalanceRefresh,
		Subject: t.record.ID, RecordID: t.record.ID, Payload: payload, Status: domain.JobPending,
		RunAfter: now, CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		return Started{}, fmt.Errorf("queue the balance refresh: %w", err)
	}
	s.Notify()
	return started, nil
}

// Notify nudges the refresh worker to look for due jobs now. It never
// blocks.
func (s *Service) Notify() {
	select {
	case s.jobs <- struct{}{}:
	default:
	}
}

// CallbackURL is where the BALANCE result of a record is served.
func (s *Service) CallbackURL(env domain.Env, recordID domain.ID) string {
	origin := s.cfg.PublicURL
	if s.cfg.Origin != nil {
		if o := s.cfg.Origin(); o != "" {
			origin = o
		}
	}
	base := "/v2/"
	if env == domain.EnvSandbox {
		base = "/v2/sandbox/"
	}
	return strings.TrimRight(origin, "/") + base + "callback?record=" + url.QueryEscape(recordID) + "&method=" + domain.MethodBalance
}

// Callback is the BALANCE callback in Okra's shape.
type Callback struct {
	Balance  *okra.Balance     `json:"balance"`
	Balances []okra.Balance    `json:"balances"`
	Product  string            `json:"product"`
	Record   string            `json:"record"`
	Products okra.ProductFlags `json:"products"`
	Status   CBStatus          `json:"status"`
	Error    *JobError         `json:"error,omitempty"`
}

// CBStatus says where the record and its latest refresh stand.
type CBStatus struct {
	Record  domain.RecordStatus `json:"record"`
	Refresh string              `json:"refresh"` // none, pending, running, done, failed
	Process CBProcess           `json:"process"`
	// RequestedAt is when the latest refresh was asked for.
	RequestedAt string `json:"requested_at,omitempty"`
	// FinishedAt is when it finished.
	FinishedAt string `json:"finished_at,omitempty"`
}

// CBProcess is Okra's running/completed pair.
type CBProcess struct {
	Running   bool `json:"running"`
	Completed bool `json:"completed"`
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
	cb := Callback{Product: "balance", Record: r.ID, Products: okra.Flags(r.Products), Balances: []okra.Balance{},
		Status: CBStatus{Record: r.Status, Refresh: "none", Process: CBProcess{Completed: true}}}
	job, err := s.store.Jobs().LatestBySubject(ctx, scope, domain.JobBalanceRefresh, r.ID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
	case err != nil:
		return Callback{}, fmt.Errorf("load the latest refresh of record %s: %w", r.ID, err)
	default:
		cb.Status.Refresh = job.Status
		cb.Status.RequestedAt = okra.Time(job.CreatedAt)
		switch job.Status {
		case domain.JobPending, domain.JobRunning:
			cb.Status.Process = CBProcess{Running: true}
		default:
			cb.Status.FinishedAt = okra.Time(job.UpdatedAt)
			var res JobResult
			if err := json.Unmarshal(job.Result, &res); err == nil {
				cb.Balance, cb.Error = res.Balance, res.Error
			}
		}
	}
	accounts, err := s.store.Accounts().ListByRecord(ctx, scope, r.ID)
	if err != nil {
		return Callback{}, fmt.Errorf("list the accounts of record %s: %w", r.ID, err)
	}
	q := reads.NewPopulator(s.store, scope)
	for _, a := range accounts {
		if !a.Connected {
			continue
		}
		b, err := s.store.Balances().Latest(ctx, scope, a.ID)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return Callback{}, fmt.Errorf("load the balance of %s: %w", a.ID, err)
		}
		v, err := view(ctx, q, b)
		if err != nil {
			return Callback{}, err
		}
		cb.Balances = append(cb.Balances, okra.PresentBalance(v))
	}
	return cb, nil
}

// runJob performs one claimed refresh and stores its outcome, with the
// BALANCE webhook event in the same transaction. A retryable failure puts
// the job back with a backoff; a job interrupted by a stop goes back at
// once, so the next start runs it.
func (s *Service) runJob(ctx context.Context, j domain.Job, maxAttempts int) error {
	scope := domain.Scope{CompanyID: j.CompanyID, Env: j.Env}
	var p jobPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		p = jobPayload{}
	}
	t, err := s.target(ctx, scope, p.AccountID)
	var b domain.Balance
	if err == nil {
		b, _, err = s.current(ctx, t, 0)
	}
	now := s.clock.Now()
	if err != nil && ctx.Err() != nil {
		// Stopping: give the job back so the next start runs it.
		j.Status, j.Attempts, j.RunAfter, j.UpdatedAt = domain.JobPending, max(j.Attempts-1, 0), now, now
		return s.store.Jobs().Finish(context.WithoutCancel(ctx), j)
	}
	if err != nil && retryable(err) && j.Attempts < maxAttempts {
		j.Status, j.RunAfter, j.UpdatedAt = domain.JobPending, now.Add(backoff(j.Attempts)), now
		s.log.Warn("balance refresh failed; will retry", "job", j.ID, "attempt", j.Attempts, "error", err.Error())
		return s.store.Jobs().Finish(ctx, j)
	}
	var res JobResult
	ev := events.Event{Scope: scope, Method: domain.MethodBalance, Record: t.record, Bank: t.bank}
	if err == nil {
		obj := okra.PresentBalance(reads.Balance{Balance: b, Account: t.account, Bank: t.bank, Customer: t.customer, Source: domain.SourceLive})
		res = JobResult{Status: "success", Balance: &obj}
		j.Status, ev.Code, ev.Balance = domain.JobDone, domain.CodeBalanceSuccess, obj
	} else {
		res = JobResult{Status: "failed", Error: jobError(err)}
		j.Status, ev.Code, ev.Message = domain.JobFailed, domain.CodeBalanceFailed, res.Error.Message
		s.log.Warn("balance refresh failed", "job", j.ID, "attempts", j.Attempts, "error", err.Error())
	}
	if j.Result, err = json.Marshal(res); err != nil {
		return fmt.Errorf("encode the refresh result: %w", err)
	}
	j.UpdatedAt = now
	if ev.Record.ID == "" {
		// The account or its record is gone: nothing to tell about.
		return s.store.Jobs().Finish(ctx, j)
	}
	err = s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		if err := tx.Jobs().Finish(ctx, j); err != nil {
			return fmt.Errorf("finish refresh job %s: %w", j.ID, err)
		}
		_, err := events.Emit(ctx, tx, s.ids, now, ev)
		return err
	})
	if err == nil && s.notify != nil {
		s.notify.Notify()
	}
	return err
}

func jobError(err error) *JobError {
	de, ok := domain.AsError(err)
	if !ok || de.Kind == domain.KindInternal {
		return &JobError{Type: "API", Code: "API", Message: "the refresh failed on our side"}
	}
	typ := de.Kind.OkraType()
	code := de.Code
	if code == "" {
		code = typ
	}
	return &JobError{Type: typ, Code: code, Message: de.Message}
}
