package ports

import (
	"context"

	"github.com/bankauth/bankauth/core/domain"
)

// KeyChecker tells which company an API key belongs to (core/company.Service
// implements it).
type KeyChecker interface {
	Authenticate(ctx context.Context, key string, kind domain.KeyKind, env domain.Env) (domain.Company, error)
}
