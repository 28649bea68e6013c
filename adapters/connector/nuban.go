package connector

import (
	"log/slog"

	"github.com/bankauth/bankauth/core/domain"
)

// bankCode is the CBN code a bank's last metadata declares, "" when it
// declares none or the connector never started.
func (s *Supervisor) bankCode(slug string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.md == nil {
		return ""
	}
	for _, b := range s.md.Banks {
		if b.ID == slug {
			return b.Code
		}
	}
	return ""
}

// checked refuses a login step whose accounts carry a NUBAN that fails the
// check digit of the bank's declared code: the connector reported an
// account number that cannot be the bank's, and storing it would hand a
// wrong number to the company and its partners. A bank without a code is
// not checked.
func (h *Host) checked(bank string, step domain.BankStep) (domain.BankStep, error) {
	if step.Authenticated == nil {
		return step, nil
	}
	h.mu.RLock()
	s := h.routes[bank]
	h.mu.RUnlock()
	if s == nil {
		return step, nil
	}
	code := s.bankCode(bank)
	if code == "" {
		return step, nil
	}
	for _, a := range step.Authenticated.Accounts {
		if !domain.ValidNUBAN(code, a.NUBAN) {
			// The number itself stays out of the log: it is personal data.
			h.log.Warn("connector returned an account number that fails its bank's check digit",
				slog.String("connector", s.Name()), slog.String("bank", bank), slog.String("bank_code", code),
				slog.String("account_ref", a.Ref))
			return domain.BankStep{}, &domain.Error{Kind: domain.KindConnectorFailed, Code: "INVALID_NUBAN",
				Message: "the bank's connector returned an account number that fails the bank's check digit (bank code " + code + ")"}
		}
	}
	return step, nil
}
