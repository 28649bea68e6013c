package balance

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
	"github.com/bankauth/bankauth/core/ports"
)

// pulled is the answer of a shared pull: a live balance, or a stored one
// that had become fresh meanwhile.
type pulled struct {
	balance domain.Balance
	live    bool
}

// CodeTokenRequired is the error code of a check whose bank session has
// expired: the customer must log in again through the widget.
const CodeTokenRequired = "TOKEN_REQUIRED"

func tokenRequired() *domain.Error {
	return &domain.Error{Kind: domain.KindTokenRequired, Code: CodeTokenRequired,
		Message: "the bank needs the customer to log in again: reopen the widget for this record (reauthentication) and check again"}
}

// pull asks the bank for the account's balance through the record's
// sealed session and stores the snapshot (and a rotated session). A
// session the bank refuses makes the record token_required.
func (s *Service) pull(ctx context.Context, t target) (domain.Balance, error) {
	switch t.record.Status {
	case domain.RecordTokenRequired, domain.RecordInvalid:
		// Known already; the company was told when it happened.
		return domain.Balance{}, tokenRequired()
	}
	if len(t.record.SealedSession) == 0 {
		return domain.Balance{}, tokenRequired()
	}
	session, err := s.sealer.Open(t.record.SealedSession, domain.RecordSessionAD(t.record.ID))
	if err != nil {
		return domain.Balance{}, fmt.Errorf("open the bank session of record %s: %w", t.record.ID, err)
	}
	res, err := s.bank.GetBalance(ctx, t.bank.Slug, session, []string{t.account.ConnectorRef})
	if err != nil {
		if _, isDomain := domain.AsError(err); isDomain {
			return domain.Balance{}, err
		}
		return domain.Balance{}, &domain.Error{Kind: domain.KindConnectorFailed, Message: "the bank's connector failed", Retryable: true, Err: err}
	}
	if res.Rejected != nil {
		if res.Rejected.Reason == domain.RejectSessionExpired {
			if err := s.markTokenRequired(ctx, t, res.Rejected); err != nil {
				return domain.Balance{}, err
			}
			return domain.Balance{}, tokenRequired()
		}
		return domain.Balance{}, rejection(res.Rejected)
	}
	var got *domain.BankBalance
	for i := range res.Balances {
		if res.Balances[i].Ref == t.account.ConnectorRef {
			got = &res.Balances[i]
		}
	}
	if got == nil {
		return domain.Balance{}, &domain.Error{Kind: domain.KindConnectorFailed, Code: "BALANCE_MISSING",
			Message: "the bank's connector did not return this account's balance", Retryable: true}
	}
	now := s.clock.Now()
	b := domain.Balance{
		ID: s.ids.NewID(), CompanyID: t.scope.CompanyID, Env: t.scope.Env, AccountID: t.account.ID,
		RecordID: t.record.ID, CustomerID: t.account.CustomerID, Available: got.Available, Ledger: got.Ledger,
		Currency: got.Currency, AsOf: got.AsOf.UTC(), CreatedAt: now,
	}
	if b.Currency == "" {
		b.Currency = t.account.Currency
	}
	if b.AsOf.IsZero() || b.AsOf.After(now) {
		b.AsOf = now
	}
	err = s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		if err := tx.Balances().Add(ctx, b); err != nil {
			return fmt.Errorf("store the balance of %s: %w", t.account.ID, err)
		}
		if len(res.RotatedSession) == 0 {
			return nil
		}
		r, err := tx.Records().Get(ctx, t.scope, t.record.ID)
		if err != nil {
			return fmt.Errorf("load record %s: %w", t.record.ID, err)
		}
		if r.SealedSession, err = s.sealer.Seal(res.RotatedSession, domain.RecordSessionAD(r.ID)); err != nil {
			return fmt.Errorf("seal the rotated bank session: %w", err)
		}
		r.UpdatedAt = now
		if err := tx.Records().Update(ctx, r); err != nil {
			return fmt.Errorf("store the rotated bank session of record %s: %w", r.ID, err)
		}
		return nil
	})
	if err != nil {
		return domain.Balance{}, err
	}
	return b, nil
}

// markTokenRequired records, in one transaction, that the bank needs the
// customer again (events.MarkTokenRequired) with an audit line, once per
// expiry.
func (s *Service) markTokenRequired(ctx context.Context, t target, rej *domain.BankRejection) error {
	now := s.clock.Now()
	marked := false
	err := s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		r, ok, err := events.MarkTokenRequired(ctx, tx, s.ids, now, t.scope, t.record.ID, t.bank)
		if err != nil || !ok {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"record": r.ID, "account": t.account.ID, "bank": t.bank.Slug, "reason": rej.Reason})
		if err := tx.Audit().Add(ctx, domain.AuditEvent{
			ID: s.ids.NewID(), CompanyID: t.scope.CompanyID, Env: t.scope.Env, Actor: "system",
			Action: "record.token_required", Subject: r.ID, Detail: detail, CreatedAt: now,
		}); err != nil {
			return fmt.Errorf("write audit event: %w", err)
		}
		marked = true
		return nil
	})
	if err != nil {
		return err
	}
	if marked && s.notify != nil {
		s.notify.Notify()
	}
	return nil
}

// rejection maps a bank's refusal of a balance pull to a domain error.
func rejection(r *domain.BankRejection) *domain.Error {
	msg := r.Message
	if msg == "" {
		msg = "the bank refused the balance request (" + r.Reason + ")"
	}
	e := &domain.Error{Code: r.Reason, Message: msg, Retryable: r.Retryable}
	switch r.Reason {
	case domain.RejectBankUnavailable:
		e.Kind, e.Retryable = domain.KindUnavailable, true
	case domain.RejectRateLimited:
		e.Kind, e.Retryable = domain.KindRateLimited, true
	case domain.RejectUnsupported:
		e.Kind = domain.KindUnavailable
	case domain.RejectExpired:
		e.Kind = domain.KindTokenRequired
	default:
		e.Kind = domain.KindRejected
	}
	return e
}
