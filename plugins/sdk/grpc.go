package sdk

import (
	"context"
	"sort"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/bankauth/bankauth/plugins/sdk/internal/connectorv1"
)

// GRPCPlugin is the go-plugin shim. On the connector side (Impl set) it
// registers the gRPC service; on the host side it returns a [Connector]
// backed by the gRPC client. Hosts normally use [PluginSets] instead of
// building one.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl   Connector
	Logger hclog.Logger
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterConnectorServer(s, newServer(p.Impl, p.Logger))
	return nil
}

// GRPCClient implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &grpcClient{c: pb.NewConnectorClient(c)}, nil
}

// grpcServer adapts a Connector to the generated service. It logs every call
// by name and outcome only: credential values, answers, flow state and
// sessions never reach the log.
type grpcServer struct {
	pb.UnimplementedConnectorServer
	impl Connector
	log  hclog.Logger
}

func newServer(impl Connector, log hclog.Logger) *grpcServer {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &grpcServer{impl: impl, log: log}
}

func (s *grpcServer) done(rpc string, start time.Time, outcome string, err error, fields ...any) {
	fields = append([]any{"rpc", rpc, "duration_ms", time.Since(start).Milliseconds(), "outcome", outcome}, fields...)
	if err != nil {
		fields = append(fields, "error", err.Error())
		s.log.Warn("call failed", fields...)
		return
	}
	// Successful calls log at debug: a host forwards every stderr line, and
	// one line per call is costly on the hot path.
	s.log.Debug("call", fields...)
}

func stepOutcome(st Step) string {
	switch {
	case st.Challenge != nil:
		return "challenge:" + string(st.Challenge.Kind)
	case st.Rejected != nil:
		return "rejected:" + string(st.Rejected.Reason)
	}
	return st.Kind()
}

func (s *grpcServer) step(ctx context.Context, rpc string, start time.Time, st Step, err error, fields ...any) (*pb.Step, error) {
	if err == nil {
		if verr := st.Validate(); verr != nil {
			err = protocolError("connector returned an invalid step: " + verr.Error())
		}
	}
	if err != nil {
		s.done(rpc, start, "error", err, fields...)
		return nil, toStatus(ctx, err)
	}
	s.done(rpc, start, stepOutcome(st), nil, fields...)
	return stepToPB(st), nil
}

func (s *grpcServer) GetMetadata(ctx context.Context, _ *pb.GetMetadataRequest) (*pb.Metadata, error) {
	start := time.Now()
	md, err := s.impl.GetMetadata(ctx)
	if err != nil {
		s.done("GetMetadata", start, "error", err)
		return nil, toStatus(ctx, err)
	}
	s.done("GetMetadata", start, "ok", nil, "banks", len(md.Banks))
	return metadataToPB(md), nil
}

func (s *grpcServer) BeginLogin(ctx context.Context, req *pb.BeginLoginRequest) (*pb.Step, error) {
	start := time.Now()
	r := beginLoginFromPB(req)
	keys := make([]string, 0, len(r.Credentials))
	for k := range r.Credentials {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	st, err := s.impl.BeginLogin(ctx, r)
	return s.step(ctx, "BeginLogin", start, st, err, "bank", r.Bank, "method", string(r.Method), "credential_fields", keys)
}

func (s *grpcServer) ContinueLogin(ctx context.Context, req *pb.ContinueLoginRequest) (*pb.Step, error) {
	start := time.Now()
	r := continueLoginFromPB(req)
	st, err := s.impl.ContinueLogin(ctx, r)
	return s.step(ctx, "ContinueLogin", start, st, err, "answered", r.Answer != "")
}

func (s *grpcServer) ResumeSession(ctx context.Context, req *pb.ResumeSessionRequest) (*pb.Step, error) {
	start := time.Now()
	r := resumeFromPB(req)
	st, err := s.impl.ResumeSession(ctx, r)
	return s.step(ctx, "ResumeSession", start, st, err, "bank", r.Bank)
}

func (s *grpcServer) GetBalance(ctx context.Context, req *pb.GetBalanceRequest) (*pb.GetBalanceResponse, error) {
	start := time.Now()
	r := balanceReqFromPB(req)
	res, err := s.impl.GetBalance(ctx, r)
	if err == nil {
		if verr := res.Validate(); verr != nil {
			err = protocolError("connector returned an invalid balance result: " + verr.Error())
		}
	}
	if err != nil {
		s.done("GetBalance", start, "error", err, "bank", r.Bank)
		return nil, toStatus(ctx, err)
	}
	outcome := "balances"
	if res.Rejected != nil {
		outcome = "rejected:" + string(res.Rejected.Reason)
	}
	s.done("GetBalance", start, outcome, nil, "bank", r.Bank, "accounts", len(res.Balances))
	return balanceResultToPB(res), nil
}

// GetIdentity answers Unimplemented for a connector that does not
// implement IdentityConnector, as a connector of protocol 1.0 does.
func (s *grpcServer) GetIdentity(ctx context.Context, req *pb.GetIdentityRequest) (*pb.GetIdentityResponse, error) {
	start := time.Now()
	r := identityReqFromPB(req)
	res, err := GetIdentity(ctx, s.impl, r)
	if err == nil {
		if verr := res.Validate(); verr != nil {
			err = protocolError("connector returned an invalid identity: " + verr.Error())
		}
	}
	if err != nil {
		s.done("GetIdentity", start, "error", err, "bank", r.Bank)
		return nil, toStatus(ctx, err)
	}
	outcome := "owner"
	if res.Rejected != nil {
		outcome = "rejected:" + string(res.Rejected.Reason)
	}
	s.done("GetIdentity", start, outcome, nil, "bank", r.Bank)
	return identityResultToPB(res), nil
}

// grpcClient is the host side: a Connector backed by the gRPC client.
type grpcClient struct {
	c pb.ConnectorClient
}

var _ Connector = (*grpcClient)(nil)

func (c *grpcClient) GetMetadata(ctx context.Context) (Metadata, error) {
	resp, err := c.c.GetMetadata(ctx, &pb.GetMetadataRequest{})
	if err != nil {
		return Metadata{}, fromStatus(err)
	}
	return metadataFromPB(resp), nil
}

func checkStep(resp *pb.Step, err error) (Step, error) {
	if err != nil {
		return Step{}, fromStatus(err)
	}
	st := stepFromPB(resp)
	if verr := st.Validate(); verr != nil {
		return Step{}, protocolError("invalid step from connector: " + verr.Error())
	}
	return st, nil
}

func (c *grpcClient) BeginLogin(ctx context.Context, req BeginLoginRequest) (Step, error) {
	return checkStep(c.c.BeginLogin(ctx, beginLoginToPB(req)))
}

func (c *grpcClient) ContinueLogin(ctx context.Context, req ContinueLoginRequest) (Step, error) {
	return checkStep(c.c.ContinueLogin(ctx, continueLoginToPB(req)))
}

func (c *grpcClient) ResumeSession(ctx context.Context, req ResumeSessionRequest) (Step, error) {
	return checkStep(c.c.ResumeSession(ctx, resumeToPB(req)))
}

func (c *grpcClient) GetBalance(ctx context.Context, req GetBalanceRequest) (BalanceResult, error) {
	resp, err := c.c.GetBalance(ctx, balanceReqToPB(req))
	if err != nil {
		return BalanceResult{}, fromStatus(err)
	}
	res, ok := balanceResultFromPB(resp)
	if !ok {
		return BalanceResult{}, protocolError("balance response has neither balances nor a rejection")
	}
	if verr := res.Validate(); verr != nil {
		return BalanceResult{}, protocolError("invalid balance result from connector: " + verr.Error())
	}
	return res, nil
}

var _ IdentityConnector = (*grpcClient)(nil)

// GetIdentity implements IdentityConnector; a connector of protocol 1.0
// answers an error matching ErrUnimplemented.
func (c *grpcClient) GetIdentity(ctx context.Context, req GetIdentityRequest) (IdentityResult, error) {
	resp, err := c.c.GetIdentity(ctx, identityReqToPB(req))
	if err != nil {
		return IdentityResult{}, fromStatus(err)
	}
	res := identityResultFromPB(resp)
	if verr := res.Validate(); verr != nil {
		return IdentityResult{}, protocolError("invalid identity from connector: " + verr.Error())
	}
	return res, nil
}
