package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/ports"
)

// JobResult is what a finished refresh stores: its outcome, never the
// identity itself (the job table is not sealed; the identity is read from
// its sealed row).
type JobResult struct {
	Status  string    `json:"status"` // "success" or "failed"
	Changed []string  `json:"changed,omitempty"`
	Error   *JobError `json:"error,omitempty"`
}

// JobError is why a refresh failed.
type JobError struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Started is the answer to identity/process: where to find its result.
type Started struct {
	CallbackURL string `json:"callback_url"`
	Record      string `json:"record"`
	Method      string `json:"method"`
}

// Process queues a pull of a record's identity as a durable job and
// answers at once with the callback URL. A refresh of the record that is
// still queued is answered with the same callback.
func (s *Service) Process(ctx context.Context, scope domain.Scope, recordID domain.ID) (Started, error) {
	rec, err := s.record(ctx, scope, recordID)
	if err != nil {
		return Started{}, err
	}
	started := Started{CallbackURL: s.CallbackURL(scope.Env, rec.ID), Record: rec.ID, Method: domain.MethodIdentity}
	prev, err := s.store.Jobs().LatestBySubject(ctx, scope, domain.JobIdentityRefresh, rec.ID)
	switch {
	case err == nil && prev.Status == domain.JobPending:
		s.Notify()
		return started, nil
	case err != nil && !errors.Is(err, domain.ErrNotFound):
		return Started{}, fmt.Errorf("look for a queued identity refresh: %w", err)
	}
	now := s.clock.Now()
	if err := s.store.Jobs().Add(ctx, domain.Job{
		ID: s.ids.NewID(), CompanyID: scope.CompanyID, Env: scope.Env, Kind: domain.JobIdentityRefresh,
		Subject: rec.ID, RecordID: rec.ID, Payload: []byte(`{}`), Status: domain.JobPending,
		RunAfter: now, CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		return Started{}, fmt.Errorf("queue the identity refresh: %w", err)
	}
	s.Notify()
	return started, nil
}

func (s *Service) record(ctx context.Context, scope domain.Scope, recordID domain.ID) (domain.Record, error) {
	if recordID == "" {
		return domain.Record{}, domain.Invalid("record_id", "is required")
	}
	if !domain.ValidID(recordID) {
		return domain.Record{}, domain.Invalid("record_id", "must be a 24-character hex id")
	}
	rec, err := s.store.Records().Get(ctx, scope, recordID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && rec.Status == domain.RecordRemoved) {
		return domain.Record{}, domain.NotFound("record")
	}
	if err != nil {
		return domain.Record{}, fmt.Errorf("load record %s: %w", recordID, err)
	}
	return rec, nil
}

// Notify nudges the refresh worker. It never blocks.
func (s *Service) Notify() {
	select {
	case s.jobs <- struct{}{}:
	default:
	}
}

// CallbackURL is where the IDENTITY result of a record is served.
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
	return strings.TrimRight(origin, "/") + base + "callback?record=" + url.QueryEscape(recordID) + "&method=" + domain.MethodIdentity
}

// Callback is the IDENTITY callback in Okra's shape.
type Callback struct {
	Identity *okra.Identity `json:"identity"`
	Product  string         `json:"product"`
	Record   string         `json:"record"`
	Products []string       `json:"products"`
	Status   CBStatus       `json:"status"`
	History  []Change       `json:"history"`
	Error    *JobError      `json:"error,omitempty"`
}

// CBStatus says where the record and its latest refresh stand.
type CBStatus struct {
	Record      domain.RecordStatus `json:"record"`
	Refresh     string              `json:"refresh"` // none, pending, running, done, failed
	Process     CBProcess           `json:"process"`
	RequestedAt string              `json:"requested_at,omitempty"`
	FinishedAt  string              `json:"finished_at,omitempty"`
}

// CBProcess is Okra's running/completed pair.
type CBProcess struct {
	Running   bool `json:"running"`
	Completed bool `json:"completed"`
}

// Change is when the identity changed, and which fields.
type Change struct {
	Fields []string `json:"fields"`
	At     string   `json:"at"`
}

// Result answers GET callback?record=…&method=IDENTITY: the record's
// identity, the latest refresh's outcome and the identity's history.
func (s *Service) Result(ctx context.Context, scope domain.Scope, recordID domain.ID) (Callback, error) {
	if !domain.ValidID(recordID) {
		return Callback{}, domain.NotFound("record")
	}
	rec, err := s.store.Records().Get(ctx, scope, recordID)
	if errors.Is(err, domain.ErrNotFound) {
		return Callback{}, domain.NotFound("record")
	}
	if err != nil {
		return Callback{}, fmt.Errorf("load record %s: %w", recordID, err)
	}
	products := rec.Products
	if products == nil {
		products = []string{}
	}
	cb := Callback{Product: "identity", Record: rec.ID, Products: products, History: []Change{},
		Status: CBStatus{Record: rec.Status, Refresh: "none", Process: CBProcess{Completed: true}}}
	job, err := s.store.Jobs().LatestBySubject(ctx, scope, domain.JobIdentityRefresh, rec.ID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
	case err != nil:
		return Callback{}, fmt.Errorf("load the latest identity refresh of record %s: %w", rec.ID, err)
	default:
		cb.Status.Refresh, cb.Status.RequestedAt = job.Status, okra.Time(job.CreatedAt)
		switch job.Status {
		case domain.JobPending, domain.JobRunning:
			cb.Status.Process = CBProcess{Running: true}
		default:
			cb.Status.FinishedAt = okra.Time(job.UpdatedAt)
			var res JobResult
			if json.Unmarshal(job.Result, &res) == nil {
				cb.Error = res.Error
			}
		}
	}
	v, err := s.ByRecord(ctx, scope, rec.ID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return cb, nil
	case err != nil:
		return Callback{}, err
	}
	obj := okra.PresentIdentity(v)
	cb.Identity = &obj
	changes, err := s.store.Identities().Changes(ctx, scope, v.Identity.ID)
	if err != nil {
		return Callback{}, fmt.Errorf("load the history of identity %s: %w", v.Identity.ID, err)
	}
	for _, c := range changes {
		cb.History = append(cb.History, Change{Fields: c.Fields, At: okra.Time(c.CreatedAt)})
	}
	return cb, nil
}

// runJob performs one claimed refresh and stores its outcome with the
// IDENTITY webhook event in one transaction. A retryable failure puts the
// job back with a backoff; a job interrupted by a stop goes back at once.
func (s *Service) runJob(ctx context.Context, j domain.Job, maxAttempts int) error {
	scope := domain.Scope{CompanyID: j.CompanyID, Env: j.Env}
	rec, err := s.record(ctx, scope, j.Subject)
	var bank domain.Bank
	var got Pulled
	if err == nil {
		if bank, err = s.store.Banks().Get(ctx, rec.BankID); err != nil {
			err = fmt.Errorf("load bank %s: %w", rec.BankID, err)
		}
	}
	if err == nil {
		got, err = s.pull(ctx, scope, rec, bank)
	}
	now := s.clock.Now()
	if err != nil && ctx.Err() != nil {
		j.Status, j.Attempts, j.RunAfter, j.UpdatedAt = domain.JobPending, max(j.Attempts-1, 0), now, now
		return s.store.Jobs().Finish(context.WithoutCancel(ctx), j)
	}
	if err != nil && retryable(err) && j.Attempts < maxAttempts {
		j.Status, j.RunAfter, j.UpdatedAt = domain.JobPending, now.Add(backoff(j.Attempts)), now
		s.log.Warn("identity refresh failed; will retry", "job", j.ID, "attempt", j.Attempts, "error", err.Error())
		return s.store.Jobs().Finish(ctx, j)
	}
	j.UpdatedAt = now
	if rec.ID == "" {
		// The record is gone: nothing to tell about.
		j.Status = domain.JobFailed
		j.Result, _ = json.Marshal(JobResult{Status: "failed", Error: jobError(err)})
		return s.store.Jobs().Finish(ctx, j)
	}
	ev := events.Event{Scope: scope, Method: domain.MethodIdentity, Record: rec, Bank: bank}
	err = s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		res := JobResult{Status: "success"}
		switch {
		case err != nil:
			res = JobResult{Status: "failed", Error: jobError(err)}
			j.Status, ev.Code, ev.Message = domain.JobFailed, domain.CodeIdentityFailed, res.Error.Message
			s.log.Warn("identity refresh failed", "job", j.ID, "attempts", j.Attempts, "error", err.Error())
		default:
			saved, serr := s.save(ctx, tx, rec, got, now)
			if serr != nil {
				return serr
			}
			res.Changed = saved.Changed
			j.Status, ev.Code, ev.Identity = domain.JobDone, domain.CodeIdentitySuccess, okra.PresentIdentityRef(saved.Identity)
		}
		var merr error
		if j.Result, merr = json.Marshal(res); merr != nil {
			return fmt.Errorf("encode the refresh result: %w", merr)
		}
		if ferr := tx.Jobs().Finish(ctx, j); ferr != nil {
			return fmt.Errorf("finish identity refresh job %s: %w", j.ID, ferr)
		}
		_, eerr := events.Emit(ctx, tx, s.ids, now, ev)
		return eerr
	})
	if err == nil && s.notify != nil {
		s.notify.Notify()
	}
	return err
}

// pull asks the bank for the identity through the record's sealed
// session. A connector of protocol 1.0 has no GetIdentity: the stored
// identity (from the login's owner) stands as it is. A session the bank
// refuses makes the record token_required.
func (s *Service) pull(ctx context.Context, scope domain.Scope, rec domain.Record, bank domain.Bank) (Pulled, error) {
	switch rec.Status {
	case domain.RecordTokenRequired, domain.RecordInvalid:
		return Pulled{}, tokenRequired()
	}
	if len(rec.SealedSession) == 0 {
		return Pulled{}, tokenRequired()
	}
	session, err := s.sealer.Open(rec.SealedSession, domain.RecordSessionAD(rec.ID))
	if err != nil {
		return Pulled{}, fmt.Errorf("open the bank session of record %s: %w", rec.ID, err)
	}
	res, err := s.bank.GetIdentity(ctx, bank.Slug, session)
	if unsupported(err) {
		v, verr := s.ByRecord(ctx, scope, rec.ID)
		if verr != nil {
			return Pulled{}, &domain.Error{Kind: domain.KindUnavailable, Code: domain.RejectUnsupported,
				Message: "the bank's connector does not report identities, and the login reported none"}
		}
		return Pulled{Person: v.Person, Source: v.Identity.Source}, nil
	}
	if err != nil {
		if _, isDomain := domain.AsError(err); isDomain {
			return Pulled{}, err
		}
		return Pulled{}, &domain.Error{Kind: domain.KindConnectorFailed, Message: "the bank's connector failed", Retryable: true, Err: err}
	}
	if res.Rejected != nil {
		if res.Rejected.Reason == domain.RejectSessionExpired {
			if err := s.markTokenRequired(ctx, scope, rec, bank); err != nil {
				return Pulled{}, err
			}
			return Pulled{}, tokenRequired()
		}
		return Pulled{}, rejection(res.Rejected)
	}
	if res.Person == nil {
		return Pulled{}, &domain.Error{Kind: domain.KindConnectorFailed, Message: "the bank's connector answered no identity", Retryable: true}
	}
	return Pulled{Person: *res.Person, Source: domain.IdentitySourceBank, RotatedSession: res.RotatedSession}, nil
}

// save stores a refreshed identity and a rotated session.
func (s *Service) save(ctx context.Context, tx ports.Repos, rec domain.Record, got Pulled, now time.Time) (Saved, error) {
	sv := Saver{Sealer: s.sealer, Index: s.index, IDs: s.ids}
	saved, err := sv.Save(ctx, tx, rec, got.Person, got.Source, nil, now)
	if err != nil {
		return Saved{}, err
	}
	if len(got.RotatedSession) > 0 {
		r, err := tx.Records().Get(ctx, domain.Scope{CompanyID: rec.CompanyID, Env: rec.Env}, rec.ID)
		if err != nil {
			return Saved{}, fmt.Errorf("load record %s: %w", rec.ID, err)
		}
		if r.SealedSession, err = s.sealer.Seal(got.RotatedSession, domain.RecordSessionAD(r.ID)); err != nil {
			return Saved{}, fmt.Errorf("seal the rotated bank session: %w", err)
		}
		r.UpdatedAt = now
		if err := tx.Records().Update(ctx, r); err != nil {
			return Saved{}, fmt.Errorf("store the rotated bank session of record %s: %w", r.ID, err)
		}
	}
	return saved, nil
}

// markTokenRequired records that the bank needs the customer again: the
// record's status and a RECORD webhook, once per expiry.
func (s *Service) markTokenRequired(ctx context.Context, scope domain.Scope, rec domain.Record, bank domain.Bank) error {
	now := s.clock.Now()
	emitted := false
	err := s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		r, err := tx.Records().Get(ctx, scope, rec.ID)
		if err != nil {
			return fmt.Errorf("load record %s: %w", rec.ID, err)
		}
		if r.Status == domain.RecordTokenRequired {
			return nil
		}
		r.Status, r.UpdatedAt = domain.RecordTokenRequired, now
		if err := tx.Records().Update(ctx, r); err != nil {
			return fmt.Errorf("mark record %s token_required: %w", r.ID, err)
		}
		if _, err := events.Emit(ctx, tx, s.ids, now, events.Event{
			Scope: scope, Method: domain.MethodRecord, Code: domain.CodeTokenRequired, Record: r, Bank: bank,
			Message: "the bank session expired; the customer must log in again (reauthenticate this record)",
		}); err != nil {
			return err
		}
		emitted = true
		return nil
	})
	if emitted && err == nil && s.notify != nil {
		s.notify.Notify()
	}
	return err
}

func tokenRequired() *domain.Error {
	return &domain.Error{Kind: domain.KindTokenRequired, Code: domain.CodeTokenRequired,
		Message: "the bank needs the customer to log in again: reopen the widget for this record (reauthentication) and try again"}
}

func rejection(r *domain.BankRejection) *domain.Error {
	msg := r.Message
	if msg == "" {
		msg = "the bank refused the identity request (" + r.Reason + ")"
	}
	e := &domain.Error{Kind: domain.KindRejected, Code: r.Reason, Message: msg, Retryable: r.Retryable}
	switch r.Reason {
	case domain.RejectBankUnavailable:
		e.Kind, e.Retryable = domain.KindUnavailable, true
	case domain.RejectRateLimited:
		e.Kind, e.Retryable = domain.KindRateLimited, true
	case domain.RejectUnsupported:
		e.Kind = domain.KindUnavailable
	}
	return e
}

func retryable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return true
	}
	de, ok := domain.AsError(err)
	if !ok {
		return true
	}
	if de.Code == domain.RejectUnsupported {
		return false
	}
	switch de.Kind {
	case domain.KindTimeout, domain.KindUnavailable, domain.KindConnectorFailed, domain.KindRateLimited, domain.KindInternal:
		return true
	}
	return de.Retryable && de.Kind != domain.KindTokenRequired
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
