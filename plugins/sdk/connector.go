package sdk

import "context"

// Connector is what a connector author implements. Every method receives a
// context carrying the host's deadline; a connector must return promptly once
// it is done (returning ctx.Err() is fine: the host sees a timeout).
//
// Implementations keep no state between calls. Embed [Unimplemented] to leave
// optional methods (ResumeSession, GetBalance, GetIdentity) out; they then answer
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

// IdentityConnector is the optional part of a connector added in protocol
// 1.1: the account owner of a session. It is its own interface so that a
// connector written against 1.0 still builds and serves; the host then
// keeps the owner the login reported. Declare [Capabilities].Identity when
// you implement it.
type IdentityConnector interface {
	GetIdentity(ctx context.Context, req GetIdentityRequest) (IdentityResult, error)
}

// GetIdentityRequest asks for the owner of a session.
type GetIdentityRequest struct {
	Bank    string
	Session []byte
}

// GetIdentity asks c for the owner of a session; a connector that does not
// implement [IdentityConnector] answers [ErrUnimplemented].
func GetIdentity(ctx context.Context, c Connector, req GetIdentityRequest) (IdentityResult, error) {
	ic, ok := c.(IdentityConnector)
	if !ok {
		return IdentityResult{}, ErrUnimplemented
	}
	return ic.GetIdentity(ctx, req)
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

// GetIdentity implements IdentityConnector.
func (Unimplemented) GetIdentity(context.Context, GetIdentityRequest) (IdentityResult, error) {
	return IdentityResult{}, ErrUnimplemented
}
