package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
	"github.com/bankauth/bankauth/core/jobs"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/ports"
)

// JobResult is what a finished refresh stores: its outcome, never the
// identity itself (the job table is not sealed; the identity is read from
// its sealed row).
type JobResult struct {
	Status  string      `json:"status"` // "success" or "failed"
	Changed []string    `json:"changed,omitempty"`
	Error   *jobs.Error `json:"error,omitempty"`
}

// Process queues a pull of a record's identity as a durable job and
// answers at once with the callback URL. A refresh of the record that is
// still queued is answered with the same callback.
func (s *Service) Process(ctx context.Context, scope domain.Scope, recordID domain.ID) (jobs.Started, error) {
	rec, err := s.record(ctx, scope, recordID)
	if err != nil {
		return jobs.Started{}, err
	}
	if err := s.queue.Add(ctx, scope, rec.ID, []byte(`{}`), nil); err != nil {
		return jobs.Started{}, fmt.Errorf("queue the identity refresh: %w", err)
	}
	return jobs.Started{CallbackURL: s.CallbackURL(scope.Env, rec.ID), Record: rec.ID, Method: domain.MethodIdentity}, nil
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
func (s *Service) Notify() { s.queue.Notify() }

// CallbackURL is where the IDENTITY result of a record is served.
func (s *Service) CallbackURL(env domain.Env, recordID domain.ID) string {
	return jobs.CallbackURL(s.cfg.PublicURL, s.cfg.Origin, env, recordID, domain.MethodIdentity)
}

// Callback is the IDENTITY callback in Okra's shape.
type Callback struct {
	Identity *okra.Identity `json:"identity"`
	Product  string         `json:"product"`
	Record   string         `json:"record"`
	Products []string       `json:"products"`
	Status   jobs.Status    `json:"status"`
	History  []Change       `json:"history"`
	Error    *jobs.Error    `json:"error,omitempty"`
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
	status, result, err := s.queue.Status(ctx, scope, rec)
	if err != nil {
		return Callback{}, err
	}
	cb := Callback{Product: "identity", Record: rec.ID, Products: products, History: []Change{}, Status: status}
	var res JobResult
	if result != nil && json.Unmarshal(result, &res) == nil {
		cb.Error = res.Error
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

// refreshJob is what an identity refresh job does.
func (s *Service) refreshJob() jobs.Handler {
	return jobs.Handler{Name: "identity refresh", FailedCode: domain.CodeIdentityFailed, Run: s.runRefresh, Retryable: retryable}
}

// runRefresh pulls the identity of the job's record; it succeeds by
// saving it (and a rotated session) with the IDENTITY event naming it.
func (s *Service) runRefresh(ctx context.Context, j domain.Job) (events.Event, jobs.Succeeded, error) {
	scope := domain.Scope{CompanyID: j.CompanyID, Env: j.Env}
	ev := events.Event{Scope: scope, Method: domain.MethodIdentity}
	rec, err := s.record(ctx, scope, j.Subject)
	if err != nil {
		return ev, nil, err
	}
	ev.Record = rec
	if ev.Bank, err = s.store.Banks().Get(ctx, rec.BankID); err != nil {
		return ev, nil, fmt.Errorf("load bank %s: %w", rec.BankID, err)
	}
	got, err := s.pull(ctx, scope, rec, ev.Bank)
	if err != nil {
		return ev, nil, err
	}
	return ev, func(ctx context.Context, tx ports.Repos, ev *events.Event) (any, error) {
		saved, err := s.save(ctx, tx, rec, got, s.clock.Now())
		if err != nil {
			return nil, err
		}
		ev.Code, ev.Identity = domain.CodeIdentitySuccess, okra.PresentIdentityRef(saved.Identity)
		return JobResult{Status: "success", Changed: saved.Changed}, nil
	}, nil
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

// markTokenRequired records that the bank needs the customer again
// (events.MarkTokenRequired), once per expiry.
func (s *Service) markTokenRequired(ctx context.Context, scope domain.Scope, rec domain.Record, bank domain.Bank) error {
	marked := false
	err := s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		var err error
		_, marked, err = events.MarkTokenRequired(ctx, tx, s.ids, s.clock.Now(), scope, rec.ID, bank)
		return err
	})
	if marked && err == nil && s.notify != nil {
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

// retryable is jobs.Retryable, except that a connector that cannot
// report identities will not learn to by being asked again.
func retryable(err error) bool {
	if de, ok := domain.AsError(err); ok && de.Code == domain.RejectUnsupported && !errors.Is(err, context.Canceled) {
		return false
	}
	return jobs.Retryable(err)
}
