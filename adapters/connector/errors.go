package connector

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/go-plugin"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/plugins/sdk"
)

// Codes carried by the domain errors of this package.
const (
	CodeTimeout         = "CONNECTOR_TIMEOUT"
	CodeConnectorFailed = "CONNECTOR_FAILED"
	CodeUnavailable     = "CONNECTOR_UNAVAILABLE"
	CodeCrashLoop       = "CONNECTOR_CRASH_LOOP"
	CodeBusy            = "BANK_BUSY"         // the bank's or the connector's call slots are all in use
	CodeBreakerOpen     = "BANK_BREAKER_OPEN" // the bank kept timing out; its calls are refused for a while
	CodeChecksum        = "CONNECTOR_CHECKSUM_MISMATCH"
	CodeUnsupported     = domain.RejectUnsupported
	CodeInvalidRequest  = "CONNECTOR_INVALID_REQUEST"
)

// outcome labels a call in metrics and health.
type outcome string

const (
	outcomeOK              outcome = "ok"
	outcomeRejected        outcome = "rejected"
	outcomeBankUnavailable outcome = "bank_unavailable"
	outcomeTimeout         outcome = "timeout"
	outcomeConnectorFailed outcome = "connector_failed"
	outcomeUnavailable     outcome = "unavailable"
	outcomeInvalid         outcome = "invalid"
	outcomeUnsupported     outcome = "unsupported"
	outcomeCanceled        outcome = "canceled"
	outcomeRefused         outcome = "refused" // busy or breaker open: never reached the connector
)

// counts reports whether the outcome says something about the bank's
// health, and whether it was a failure.
func (o outcome) counts() (counted, failed bool) {
	switch o {
	case outcomeOK, outcomeRejected, outcomeInvalid:
		return true, false
	case outcomeBankUnavailable, outcomeTimeout, outcomeConnectorFailed, outcomeUnavailable:
		return true, true
	}
	return false, false
}

// callError maps the error of a call to a connector to a domain error.
// ctx is the caller's context, to tell its cancellation from a connector's
// failure.
func callError(ctx context.Context, name string, err error) (*domain.Error, outcome) {
	var de *domain.Error
	if errors.As(err, &de) {
		switch {
		case de.Kind == domain.KindTimeout:
			return de, outcomeTimeout
		case de.Code == CodeBusy || de.Code == CodeBreakerOpen:
			// Our own refusal; counting it would let a full budget
			// open the breaker.
			return de, outcomeRefused
		}
		return de, outcomeUnavailable
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &domain.Error{Kind: domain.KindTimeout, Code: CodeTimeout, Retryable: true,
			Message: "the bank's connector did not answer in time", Err: named(name, err)}, outcomeTimeout
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return &domain.Error{Kind: domain.KindUnavailable, Code: CodeUnavailable, Retryable: true,
			Message: "the request was cancelled", Err: named(name, err)}, outcomeCanceled
	case errors.Is(err, sdk.ErrUnimplemented):
		return &domain.Error{Kind: domain.KindUnavailable, Code: CodeUnsupported,
			Message: "the bank's connector does not support this operation", Err: named(name, err)}, outcomeUnsupported
	case errors.Is(err, sdk.ErrInvalidRequest):
		return &domain.Error{Kind: domain.KindInvalid, Code: CodeInvalidRequest,
			Message: "the bank's connector refused the request as invalid", Err: named(name, err)}, outcomeInvalid
	}
	// Process died mid-call, connection broken, protocol violation, or an
	// internal error of the connector.
	return &domain.Error{Kind: domain.KindConnectorFailed, Code: CodeConnectorFailed, Retryable: true,
		Message: "the bank's connector failed", Err: named(name, err)}, outcomeConnectorFailed
}

func named(name string, err error) error { return fmt.Errorf("connector %q: %w", name, err) }

// startError maps a failure to start a connector to kind unavailable.
func startError(name string, err error) *domain.Error {
	if errors.Is(err, plugin.ErrChecksumsDoNotMatch) || errors.Is(err, errChecksum) {
		return &domain.Error{Kind: domain.KindUnavailable, Code: CodeChecksum,
			Message: "the bank's connector is unavailable",
			Err:     fmt.Errorf("connector %q: checksum mismatch: the binary changed since it was registered", name)}
	}
	return &domain.Error{Kind: domain.KindUnavailable, Code: CodeUnavailable, Retryable: true,
		Message: "the bank's connector is unavailable", Err: fmt.Errorf("connector %q: cannot start: %w", name, err)}
}

var errChecksum = errors.New("checksum mismatch")
