package ports

import (
	"context"

	"github.com/bankauth/bankauth/core/domain"
)

// BankConnector reaches banks through their connectors. Transport failures
// come back as domain errors: kind unavailable (connector down or crash
// looping), timeout (the call passed its deadline), connector_failed (the
// process crashed mid-call or answered garbage). A bank's own refusal is a
// BankStep with Rejected set, not an error.
type BankConnector interface {
	// Banks lists the banks every loaded connector serves, with live status.
	Banks(ctx context.Context) ([]domain.Bank, error)
	BeginLogin(ctx context.Context, bank string, method domain.LoginMethod, credentials map[string]string) (domain.BankStep, error)
	ContinueLogin(ctx context.Context, bank string, flowState []byte, answer string) (domain.BankStep, error)
	ResumeSession(ctx context.Context, bank string, session []byte) (domain.BankStep, error)
	GetBalance(ctx context.Context, bank string, session []byte, accountRefs []string) (domain.BankBalances, error)
	// GetIdentity asks for the owner of a session. A connector that does
	// not implement it (protocol 1.0) fails with kind unavailable and code
	// domain.RejectUnsupported; the caller keeps the owner the login
	// reported.
	GetIdentity(ctx context.Context, bank string, session []byte) (domain.BankIdentity, error)
}
