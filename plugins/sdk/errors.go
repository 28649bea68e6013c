package sdk

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Errors a connector may return and a host may test with errors.Is. Context
// errors cross the process boundary too: a call whose deadline passed fails
// with an error that matches context.DeadlineExceeded on the host side.
var (
	// ErrUnimplemented: the connector does not implement the method.
	ErrUnimplemented = errors.New("not implemented by this connector")
	// ErrInvalidRequest: the request is malformed (unknown bank, undecodable
	// flow state, unknown account id).
	ErrInvalidRequest = errors.New("invalid request")
	// ErrUnavailable: the connector process cannot be reached (crashed,
	// exited, or not started).
	ErrUnavailable = errors.New("connector unavailable")
	// ErrConnectorFailed: the connector failed or answered something that
	// breaks the protocol.
	ErrConnectorFailed = errors.New("connector failed")
)

// toStatus maps a connector's error to a gRPC status error (server side).
func toStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && !isSentinel(err) {
		return err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, ErrUnimplemented):
		return status.Error(codes.Unimplemented, err.Error())
	case errors.Is(err, ErrInvalidRequest):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrUnavailable):
		return status.Error(codes.Unavailable, err.Error())
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return toStatus(ctx, ctxErr)
	}
	return status.Error(codes.Internal, err.Error())
}

func isSentinel(err error) bool {
	for _, s := range []error{context.DeadlineExceeded, context.Canceled, ErrUnimplemented,
		ErrInvalidRequest, ErrUnavailable, ErrConnectorFailed} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// RPCError is what a gRPC-backed Connector returns when a call fails. It
// matches the SDK's sentinel errors (and context.DeadlineExceeded /
// context.Canceled) with errors.Is, and carries the gRPC status.
type RPCError struct {
	Code    codes.Code
	Message string
	kind    error
}

func (e *RPCError) Error() string {
	if strings.Contains(e.Message, e.kind.Error()) {
		return "connector: " + e.Message
	}
	return "connector: " + e.kind.Error() + ": " + e.Message
}

// Unwrap returns the sentinel error the status code maps to.
func (e *RPCError) Unwrap() error { return e.kind }

// GRPCStatus lets status.Code and status.FromError see the original code.
func (e *RPCError) GRPCStatus() *status.Status { return status.New(e.Code, e.Message) }

// fromStatus maps a gRPC error to an SDK error (client side).
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			st = status.New(codes.DeadlineExceeded, err.Error())
		case errors.Is(err, context.Canceled):
			st = status.New(codes.Canceled, err.Error())
		default:
			st = status.New(codes.Unknown, err.Error())
		}
	}
	e := &RPCError{Code: st.Code(), Message: st.Message()}
	switch st.Code() {
	case codes.DeadlineExceeded:
		e.kind = context.DeadlineExceeded
	case codes.Canceled:
		e.kind = context.Canceled
	case codes.Unimplemented:
		e.kind = ErrUnimplemented
	case codes.InvalidArgument:
		e.kind = ErrInvalidRequest
	case codes.Unavailable:
		e.kind = ErrUnavailable
	default:
		e.kind = ErrConnectorFailed
	}
	return e
}

// protocolError reports a response that breaks the protocol.
func protocolError(msg string) error {
	return &RPCError{Code: codes.Internal, Message: msg, kind: ErrConnectorFailed}
}
