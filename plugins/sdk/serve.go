package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/bankauth/bankauth/plugins/sdk/internal/connectorv1"
)

// Protocol versions. The major version is negotiated by go-plugin; the minor
// version is reported in Metadata.
const (
	ProtocolMajor = 1
	ProtocolMinor = 1
)

// PluginName is the name under which the connector is dispensed.
const PluginName = "connector"

// Handshake is the go-plugin handshake shared by bankauth and every
// connector. It is not a security measure, only a guard against running a
// connector by hand or running something that is not a connector.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolMajor,
	MagicCookieKey:   "BANKAUTH_CONNECTOR_PLUGIN",
	MagicCookieValue: "b4c7e1a2-connector-v1-5f0d9e83",
}

// PluginSets is the host's view of the protocol versions it speaks, for
// plugin.ClientConfig.VersionedPlugins.
func PluginSets() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolMajor: {PluginName: &GRPCPlugin{}},
	}
}

// Dispense returns the Connector from a started go-plugin client.
func Dispense(rpc plugin.ClientProtocol) (Connector, error) {
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		return nil, fmt.Errorf("dispense %s: %w", PluginName, err)
	}
	c, ok := raw.(Connector)
	if !ok {
		return nil, fmt.Errorf("dispense %s: got %T, not a connector", PluginName, raw)
	}
	return c, nil
}

// NewLogger returns the logger Serve uses: JSON lines on stderr, which the
// host's go-plugin client parses. Never log credentials, answers, flow state
// or sessions; Credentials redact themselves if logged by mistake.
func NewLogger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.Info,
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// Serve runs impl as a connector plugin and returns when the host ends it,
// when the process gets SIGTERM (calls in flight may finish first), or when
// the host is gone (the connector's parent process changed: the host was
// killed). It must be called from main; it speaks the handshake on stdout,
// so a connector must never write to stdout itself. Options change how it
// serves, e.g. [WithDebug] to run under a debugger.
func Serve(impl Connector, opts ...ServeOpt) { ServeContext(context.Background(), impl, opts...) }

// ServeContext is Serve that also stops, as on SIGTERM, when ctx ends.
func ServeContext(ctx context.Context, impl Connector, opts ...ServeOpt) {
	var cfg serveConfig
	for _, o := range opts {
		o(&cfg)
	}
	logger := NewLogger("connector")
	life := &lifetime{log: logger}
	served := make(chan struct{})
	defer close(served)
	sc := &plugin.ServeConfig{
		HandshakeConfig: Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			ProtocolMajor: {PluginName: &GRPCPlugin{Impl: impl, Logger: logger}},
		},
		GRPCServer: life.newServer,
		Logger:     logger,
	}
	if cfg.reattach != nil {
		// No host started this process, so Ctrl-C is the author's way to
		// stop it (go-plugin ignores SIGINT outside test mode).
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
		sc.Test = reattachServeConfig(ctx, cfg.reattach, logger)
	}
	life.watch(ctx, served)
	plugin.Serve(sc)
}

// A ServeOpt changes how [Serve] serves a connector.
type ServeOpt func(*serveConfig)

type serveConfig struct {
	reattach func(Reattach)
}

// ReattachEnv is the variable [WithDebug] prints the connector's address
// in, for a host or tool to attach to instead of starting the binary.
const ReattachEnv = "BANKAUTH_CONNECTOR_REATTACH"

// Reattach is where a connector served with [WithReattach] listens: what a
// go-plugin client needs to attach to a process it did not start. It
// encodes as JSON (plugin.ReattachConfig does not: its address is a
// net.Addr).
type Reattach struct {
	Protocol        string `json:"protocol"`
	ProtocolVersion int    `json:"protocol_version"`
	Network         string `json:"network"`
	Addr            string `json:"addr"`
	Pid             int    `json:"pid"`
}

// Config returns r as go-plugin's ClientConfig.Reattach. The client does
// not kill the process when it closes (Test mode): the author stops it.
// Such a client names its plugins in ClientConfig.Plugins
// (PluginSets()[ProtocolMajor]): go-plugin negotiates no version on
// reattach, so it does not look in VersionedPlugins.
func (r Reattach) Config() (*plugin.ReattachConfig, error) {
	var addr net.Addr
	var err error
	switch r.Network {
	case "unix":
		addr, err = net.ResolveUnixAddr("unix", r.Addr)
	case "tcp":
		addr, err = net.ResolveTCPAddr("tcp", r.Addr)
	default:
		return nil, fmt.Errorf("reattach: unknown network %q", r.Network)
	}
	if err != nil {
		return nil, fmt.Errorf("reattach: resolve %s address %q: %w", r.Network, r.Addr, err)
	}
	return &plugin.ReattachConfig{
		Protocol:        plugin.Protocol(r.Protocol),
		ProtocolVersion: r.ProtocolVersion,
		Addr:            addr,
		Pid:             r.Pid,
		Test:            true,
	}, nil
}

// WithReattach serves without a host: go-plugin's test mode, where the
// connector listens without the handshake on stdout or the magic cookie,
// and hands fn the address to attach to. It is for debuggers and tools; a
// connector the host starts must not use it. Serve then ends on Ctrl-C,
// SIGTERM or the context, not when a client detaches.
func WithReattach(fn func(Reattach)) ServeOpt {
	return func(c *serveConfig) { c.reattach = fn }
}

// WithDebug is [WithReattach] that prints the address to stderr as
// BANKAUTH_CONNECTOR_REATTACH='{...}', for running the connector under a
// debugger (dlv debug ./cmd/acme-connector) and attaching to it.
func WithDebug() ServeOpt {
	return WithReattach(func(r Reattach) {
		b, err := json.Marshal(r)
		if err != nil {
			fmt.Fprintf(os.Stderr, "connector: encode reattach config: %v\n", err)
			return
		}
		fmt.Fprintf(os.Stderr, "%s='%s'\n", ReattachEnv, b)
	})
}

// reattachServeConfig turns go-plugin's reattach channel into a call of fn.
func reattachServeConfig(ctx context.Context, fn func(Reattach), logger hclog.Logger) *plugin.ServeTestConfig {
	ch := make(chan *plugin.ReattachConfig, 1)
	go func() {
		select {
		case rc := <-ch:
			fn(Reattach{
				Protocol:        string(rc.Protocol),
				ProtocolVersion: rc.ProtocolVersion,
				Network:         rc.Addr.Network(),
				Addr:            rc.Addr.String(),
				Pid:             rc.Pid,
			})
		case <-ctx.Done():
			logger.Debug("stopped before listening")
		}
	}()
	return &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: ch}
}

// TestConn serves impl in-process through the real go-plugin gRPC shims
// (plugin.TestPluginGRPCConn) and returns the host-side Connector and a
// function that closes both ends. It is also closed when t ends.
func TestConn(t testing.TB, impl Connector) (Connector, func()) {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
		PluginName: &GRPCPlugin{Impl: impl},
	})
	var once sync.Once
	closeFn := func() {
		// Closing the client shuts the server down through go-plugin's
		// controller; stopping it here as well would race with that.
		once.Do(func() { _ = client.Close() })
	}
	t.Cleanup(closeFn)
	c, err := Dispense(client)
	if err != nil {
		closeFn()
		t.Fatalf("sdk.TestConn: %v", err)
	}
	return c, closeFn
}

// NewInProcess serves impl on a loopback gRPC server and returns the
// host-side Connector and a function that closes both ends. It is TestConn
// without a testing.TB, for tools, recorders and benchmarks, and it uses the
// same gRPC options as a plugin connection.
func NewInProcess(impl Connector) (Connector, func(), error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := NewGRPCServer(nil)
	pb.RegisterConnectorServer(srv, newServer(impl, nil))
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(),
		append(DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		srv.Stop()
		return nil, nil, err
	}
	closeFn := func() {
		_ = conn.Close()
		srv.Stop()
	}
	return &grpcClient{c: pb.NewConnectorClient(conn)}, closeFn, nil
}

// windowSize is the fixed HTTP/2 flow-control window on both ends. Connector
// messages are small, so a fixed window never stalls a call, and it turns off
// gRPC's bandwidth-delay probing, which otherwise answers nearly every
// message with a PING the peer must acknowledge: an extra write and wake-up
// of each process per call (TestFixedWindowsSendNoPings).
const windowSize = 1 << 20

// NewGRPCServer builds the connector's gRPC server with go-plugin's options
// (plugin.ServeConfig.GRPCServer); [Serve] uses it.
func NewGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts, grpc.StaticStreamWindowSize(windowSize), grpc.StaticConnWindowSize(windowSize))
	return grpc.NewServer(opts...)
}

// DialOptions are the host's gRPC options for a connection to a connector
// (plugin.ClientConfig.GRPCDialOptions), matching [NewGRPCServer].
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithStaticStreamWindowSize(windowSize), grpc.WithStaticConnWindowSize(windowSize)}
}
