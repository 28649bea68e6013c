package conformance

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/bankauth/bankauth/plugins/sdk"
)

// Target starts instances of the connector under test. Every Open is a
// fresh instance (a fresh process for a binary); the returned function
// stops it.
type Target interface {
	Name() string
	Open(t T) (sdk.Connector, func())
}

// InProcess tests a connector built by factory, served through the real
// gRPC shims in this process.
func InProcess(factory func() sdk.Connector) Target { return inProcess{factory: factory} }

type inProcess struct{ factory func() sdk.Connector }

func (inProcess) Name() string { return "in-process" }

func (p inProcess) Open(t T) (sdk.Connector, func()) {
	t.Helper()
	if tb, ok := t.(testing.TB); ok {
		return sdk.TestConn(tb, p.factory())
	}
	c, closeFn, err := sdk.NewInProcess(p.factory())
	if err != nil {
		t.Fatalf("start in-process connector: %v", err)
	}
	return c, closeFn
}

// BinaryTarget launches a connector binary with go-plugin, as bankauth does
// (AutoMTLS, gRPC only). Env is added to the environment of the process.
type BinaryTarget struct {
	Path         string
	Args         []string
	Env          []string
	StartTimeout time.Duration
}

// Binary tests the connector binary at path.
func Binary(path string, args ...string) *BinaryTarget {
	return &BinaryTarget{Path: path, Args: args, StartTimeout: 30 * time.Second}
}

// WithEnv adds KEY=VALUE pairs to the connector's environment.
func (b *BinaryTarget) WithEnv(kv ...string) *BinaryTarget {
	b.Env = append(b.Env, kv...)
	return b
}

// Name implements Target.
func (b *BinaryTarget) Name() string { return "binary " + b.Path }

// Open implements Target: one process per call.
func (b *BinaryTarget) Open(t T) (sdk.Connector, func()) {
	t.Helper()
	cmd := exec.Command(b.Path, b.Args...)
	// The connector under test sees only a short allow-list of the
	// environment, like under the real host: no database settings or keys.
	cmd.Env = append(allowedEnv(), b.Env...)
	client := plugin.NewClient(&plugin.ClientConfig{
		SkipHostEnv:      true,
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.PluginSets(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     b.StartTimeout,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "conformance",
			Level:  hclog.Error,
			Output: os.Stderr,
		}),
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		t.Fatalf("start connector %s: %v", b.Path, err)
	}
	if v := client.NegotiatedVersion(); v != sdk.ProtocolMajor {
		client.Kill()
		t.Fatalf("connector %s negotiated protocol %d, want %d", b.Path, v, sdk.ProtocolMajor)
	}
	c, err := sdk.Dispense(rpc)
	if err != nil {
		client.Kill()
		t.Fatalf("connector %s: %v", b.Path, err)
	}
	return c, client.Kill
}

// allowedEnv is the part of this process's environment a connector may see.
func allowedEnv() []string {
	var out []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}
