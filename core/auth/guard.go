package auth

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/ports"
)

// customerKeys names the per-customer buckets a session's logins and
// answers spend from: the identifiers given (vouched for or hinted), the
// customer and record it targets, and the bank login being tried.
func (s *Service) customerKeys(l domain.LinkSession, st linkState) []string {
	keys := append(identKeys(identKinds(st.Identifiers)), identKeys(identKinds(st.Hints))...)
	if l.CustomerID != "" {
		keys = append(keys, "customer:"+l.CustomerID)
	}
	if l.RecordID != "" {
		keys = append(keys, "record:"+l.RecordID)
	}
	if len(st.LoginKey) > 0 {
		keys = append(keys, "login:"+hex.EncodeToString(st.LoginKey))
	}
	return keys
}

// quickLoginOpen refuses quick login of a locked record.
func (s *Service) quickLoginOpen(r domain.Record) error {
	now := s.clock.Now()
	if !r.QuickLoginLocked(now) {
		return nil
	}
	e := limited("QUICK_LOGIN_LOCKED", "failed quick logins", r.QuickLoginLockedUntil.Sub(now))
	e.Cause.Message = fmt.Sprintf("quick login is locked after too many failures; log in in full, or retry quick login after %ds", int(e.RetryAfter.Seconds()))
	return e
}

// quickLoginFailed counts a failed quick login of a record, across
// sessions; past the budget it locks the record's quick login, tells the
// company (a RECORD webhook), and turns step into the failure that says
// so.
func (s *Service) quickLoginFailed(ctx context.Context, l domain.LinkSession, recordID domain.ID, bank domain.Bank, step *Step) error {
	scope := domain.Scope{CompanyID: l.CompanyID, Env: l.Env}
	n, err := s.store.Records().AddQuickLoginFailure(ctx, scope, recordID)
	if err != nil {
		return fmt.Errorf("count quick login failure of %s: %w", recordID, err)
	}
	if n < s.cfg.QuickLoginFailures {
		return nil
	}
	now := s.clock.Now()
	until := now.Add(s.cfg.QuickLoginLock)
	err = s.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		if err := tx.Records().SetQuickLoginLock(ctx, scope, recordID, &until); err != nil {
			return fmt.Errorf("lock quick login of %s: %w", recordID, err)
		}
		if n != s.cfg.QuickLoginFailures {
			// A concurrent failure crossed the line first and told the
			// company.
			return nil
		}
		rec, err := tx.Records().Get(ctx, scope, recordID)
		if err != nil {
			return fmt.Errorf("load record %s: %w", recordID, err)
		}
		_, err = events.Emit(ctx, tx, s.ids, now, events.Event{
			Scope: scope, Method: domain.MethodRecord, Code: domain.CodeQuickLoginLocked, Record: rec, Bank: bank,
			Message: fmt.Sprintf("%d quick logins failed; quick login is locked until %s", n, okra.Time(until)),
		})
		return err
	})
	if err != nil {
		return err
	}
	if s.notify != nil {
		s.notify.Notify()
	}
	*step = Step{SessionID: l.ID, Status: domain.StepFailed, Bank: bank.Slug, Error: &StepError{
		Type: domain.CodeQuickLoginLocked, Code: domain.CodeQuickLoginLocked, Kind: domain.KindRateLimited, Retryable: true, Fallback: "full_login",
		Message: "too many failed quick logins: quick login is locked for a while; log in in full instead",
	}}
	return nil
}

// reauthRefusal says why a login may not repair the record a session
// reauthenticates, or "" when it may: the same bank login, or a login that
// reaches the account being reauthenticated and whose holder is the
// record's customer.
func (s *Service) reauthRefusal(ctx context.Context, l domain.LinkSession, st linkState, login domain.BankLogin) (string, error) {
	opts := options(l)
	if opts.ReauthRecord == "" {
		return "", nil
	}
	scope := domain.Scope{CompanyID: l.CompanyID, Env: l.Env}
	rec, err := s.store.Records().Get(ctx, scope, opts.ReauthRecord)
	if errors.Is(err, domain.ErrNotFound) {
		return "the record no longer exists", nil
	}
	if err != nil {
		return "", fmt.Errorf("load record %s: %w", opts.ReauthRecord, err)
	}
	if len(rec.LoginKey) > 0 && bytes.Equal(rec.LoginKey, st.LoginKey) {
		return "", nil
	}
	reaches := false
	for _, a := range login.Accounts {
		reaches = reaches || (opts.ReauthAccount != "" && a.NUBAN == opts.ReauthAccount)
	}
	if !reaches {
		return "the bank shows other accounts", nil
	}
	same, err := s.sameHolder(ctx, scope, rec.CustomerID, login.Owner)
	if err != nil || same {
		return "", err
	}
	return "the bank reports another account holder", nil
}

// sameHolder compares the owner the bank reports with a customer: by BVN
// when the bank reports one, else by name.
func (s *Service) sameHolder(ctx context.Context, scope domain.Scope, customerID domain.ID, owner domain.BankOwner) (bool, error) {
	if owner.BVN != "" {
		bvn, err := domain.NormalizeIdentifier(domain.IdentBVN, owner.BVN, "bvn")
		if err != nil {
			return false, nil
		}
		c, found, err := s.known.Recognize(ctx, scope, map[domain.IdentifierKind]string{domain.IdentBVN: bvn})
		return found && c.ID == customerID, err
	}
	if owner.Name == "" {
		return false, nil
	}
	c, err := s.store.Customers().Get(ctx, scope, customerID)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load customer %s: %w", customerID, err)
	}
	return namesMatch(c.Name, owner.Name), nil
}

// namesMatch compares person names word by word, ignoring case, order and
// punctuation.
func namesMatch(a, b string) bool {
	words := func(s string) map[string]bool {
		out := map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
			out[w] = true
		}
		return out
	}
	wa, wb := words(a), words(b)
	if len(wa) == 0 || len(wa) != len(wb) {
		return false
	}
	for w := range wa {
		if !wb[w] {
			return false
		}
	}
	return true
}
