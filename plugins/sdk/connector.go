package sdk

import "context"

// Connector is what a connector author implements. Every method receives a
// context carrying the host's deadline; a connector must return promptly once
// it is done (returning ctx.Err() is fine: the host sees a timeout).
//
// Implementations keep no state between calls. Embed [Unimplemented] to leave
// optional methods (ResumeSession, GetBalance) out; they then answer
// [ErrUnimplemented] and must not be claimed in [Capabilities].
type Connector interface {
	GetMetadata(ctx context.Context) (Metadata, error)
	BeginLogin(ctx context.Context, req BeginLoginRequest) (Step, error)
	ContinueLogin(ctx context.Context, req ContinueLoginRequest) (Step, error)
	ResumeSession(ctx context.Context, req ResumeSessionRequest) (Step, error)
	GetBalance(ctx context.Context, req GetBalanceRequest) (BalanceResult, error)
}

// BeginLoginRequest starts a login at Bank with Method.
type BeginLoginRequest struct {
	Bank        string
	Method      Method
	Credentials Credentials
}

// ContinueLoginRequest answers the last challenge. An empty Answer polls a
// pending confirmation (USSD).
type ContinueLoginRequest struct {
	FlowState []byte
	Answer    string
}

// ResumeSessionRequest logs a returning customer in with a stored session
// (quick login). The connector may step up with a challenge.
type ResumeSessionRequest struct {
	Bank    string
	Session []byte
}

// GetBalanceRequest asks for balances; empty AccountIDs means every account
// of the session.
type GetBalanceRequest struct {
	Bank       string
	Session    []byte
	AccountIDs []string
}

// Unimplemented answers every method with ErrUnimplemented. Embed it in a
// connector so that methods it does not support are absent, not missing.
type Unimplemented struct{}

// GetMetadata implements Connector.
func (Unimplemented) GetMetadata(context.Context) (Metadata, error) {
	return Metadata{}, ErrUnimplemented
}

// BeginLogin implements Connector.
func (Unimplemented) BeginLogin(context.Context, BeginLoginRequest) (Step, error) {
	return Step{}, ErrUnimplemented
}

// ContinueLogin implements Connector.
func (Unimplemented) ContinueLogin(context.Context, ContinueLoginRequest) (Step, error) {
	return Step{}, ErrUnimplemented
}

// ResumeSession implements Connector.
func (Unimplemented) ResumeSession(context.Context, ResumeSessionRequest) (Step, error) {
	return Step{}, ErrUnimplemented
}

// GetBalance implements Connector.
func (Unimplemented) GetBalance(context.Context, GetBalanceRequest) (BalanceResult, error) {
	return BalanceResult{}, ErrUnimplemented
}
