package connector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/plugins/fakebank"
	"github.com/bankauth/bankauth/plugins/sdk"
)

// The test binary is also every connector the tests need: run with the
// arguments "__connector fakebank" it is the built-in fake bank (as the
// main binary is); run under a name "fixture-MODE" (a link or copy in a
// plugin directory) it is a misbehaving fixture connector; with
// "__bare-grpc SOCKET" it serves the fake bank over plain gRPC without
// go-plugin, for the benchmark floor.
func TestMain(m *testing.M) {
	if len(os.Args) >= 2 && os.Args[1] == ConfineCommand {
		err := RunConfined(os.Args[2:])
		fmt.Fprintf(os.Stderr, "{\"@level\":\"error\",\"@message\":%q}\n", err.Error())
		os.Exit(126)
	}
	if len(os.Args) >= 3 && os.Args[1] == "__connector" && os.Args[2] == "fakebank" {
		fakebank.Main()
		os.Exit(0)
	}
	if len(os.Args) >= 3 && os.Args[1] == bareGRPCArg {
		if err := serveBareGRPC(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if mode, ok := strings.CutPrefix(filepath.Base(os.Args[0]), "fixture-"); ok {
		runFixture(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Fixture modes.
const (
	modeGood        = "good"        // behaves
	modeNoHandshake = "nohandshake" // never prints the handshake line
	modeJunk        = "junk"        // prints junk instead of the handshake
	modePanic       = "panic"       // panics inside BeginLogin on the trigger
	modeExit        = "exit"        // exits in the middle of BeginLogin on the trigger
	modeHang        = "hang"        // blocks in BeginLogin on the trigger, ignoring ctx
	modeGarbage     = "garbage"     // answers an invalid step on the trigger
	modeEnv         = "env"         // reports its environment as the owner's name
	modeMarker      = "marker"      // behaves; every start leaves a pid line (as all do)
)

// Passwords understood by the fixtures.
const (
	pwGood    = "pass_good"
	pwTrigger = "trigger"
)

func fixtureBank(mode string) string { return mode + "-bank" }

// calmBank is the second bank of the hang fixture: the trigger does not
// hang there, so it shows what a hanging bank costs its neighbour.
const calmBank = "calm-bank"

// runFixture is main() of a fixture connector. Every fixture first appends
// its pid to EXE.pids beside its binary, so tests can tell that it ran and
// that it is gone.
func runFixture(mode string) {
	if exe, err := os.Executable(); err == nil {
		if f, err := os.OpenFile(exe+".pids", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintln(f, os.Getpid())
			f.Close()
		}
	}
	switch mode {
	case modeNoHandshake:
		time.Sleep(time.Hour)
		return
	case modeJunk:
		fmt.Println("hello, this is not a go-plugin handshake")
		time.Sleep(time.Hour)
		return
	}
	if mode == modeSnoop {
		sdk.Serve(snoopConnector{})
		return
	}
	sdk.Serve(fixtureConnector{mode: mode})
}

// fixtureFields makes the fixtures' metadata pass sdk.Metadata.Validate,
// which the host refuses a connector by.
var fixtureFields = map[sdk.Method][]sdk.CredentialField{
	sdk.MethodInternetBanking: {{Name: "username", Label: "Username"}, {Name: "password", Label: "Password", Secret: true}},
}

type fixtureConnector struct {
	sdk.Unimplemented
	mode string
}

func (f fixtureConnector) GetMetadata(context.Context) (sdk.Metadata, error) {
	md := sdk.Metadata{
		Name: "fixture-" + f.mode, Version: "0.0.1",
		Capabilities: sdk.Capabilities{Balance: true},
		Banks: []sdk.Bank{{
			ID: fixtureBank(f.mode), Name: "Fixture " + f.mode, Country: "NG",
			Methods:  []sdk.Method{sdk.MethodInternetBanking},
			Products: []string{sdk.ProductAuth, sdk.ProductBalance},
			Fields:   fixtureFields,
		}},
	}
	if f.mode == modeHang {
		md.Banks = append(md.Banks, sdk.Bank{ID: calmBank, Name: "Fixture calm", Country: "NG",
			Methods: []sdk.Method{sdk.MethodInternetBanking}, Products: []string{sdk.ProductAuth}, Fields: fixtureFields})
	}
	return md, nil
}

func (f fixtureConnector) BeginLogin(ctx context.Context, req sdk.BeginLoginRequest) (sdk.Step, error) {
	switch req.Credentials["password"] {
	case pwGood:
		owner := "Fixture Owner"
		if f.mode == modeEnv {
			owner = strings.Join(os.Environ(), "\n")
		}
		avail := int64(150050)
		return sdk.Step{Authenticated: &sdk.Authenticated{
			Session: []byte("session-" + f.mode),
			Accounts: []sdk.Account{{ID: "acc-1", NUBAN: "0123456789", Name: "Main", Type: "current",
				Currency: "NGN", AvailableMinor: &avail}},
			Owner: sdk.Owner{Name: owner},
		}}, nil
	case pwTrigger:
		switch f.mode {
		case modePanic:
			panic("fixture: panic inside a call")
		case modeExit:
			os.Exit(3)
		case modeHang:
			if req.Bank == fixtureBank(f.mode) {
				time.Sleep(time.Hour)
			}
		case modeGarbage:
			return sdk.Step{}, nil // no outcome: breaks the protocol
		}
	}
	return sdk.Reject(sdk.RejectInvalidCredentials, "wrong", false), nil
}

func (f fixtureConnector) GetBalance(context.Context, sdk.GetBalanceRequest) (sdk.BalanceResult, error) {
	return sdk.BalanceResult{Balances: []sdk.Balance{{AccountID: "acc-1", AvailableMinor: 150050,
		LedgerMinor: 150050, Currency: "NGN", AsOf: time.Now()}}}, nil
}

// --- helpers

func selfExe(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// testConfig is a fast configuration: short deadlines, quick restarts.
func testConfig(t testing.TB) Config {
	pluginDir := t.TempDir()
	return Config{
		PluginDir: pluginDir,
		// Fixtures record their pids beside their binaries.
		Confine:            Confinement{extraRW: []string{pluginDir}},
		SelfExecutable:     selfExe(t),
		CallTimeout:        2 * time.Second,
		StartTimeout:       10 * time.Second, // a -race build on a busy machine can take seconds
		RestartBackoff:     20 * time.Millisecond,
		MaxRestartBackoff:  200 * time.Millisecond,
		CrashLoopThreshold: 5,
		BreakerCooldown:    time.Minute,
	}
}

type testHost struct {
	*Host
	store ports.Store
	reg   *prometheus.Registry
}

// newTestHost returns a host on a fresh SQLite store; it is stopped when
// the test ends and every process it started is checked to be gone.
func newTestHost(t testing.TB, cfg Config) *testHost {
	t.Helper()
	store := storagetest.OpenSQLite(t)
	return newTestHostOn(t, cfg, store)
}

func newTestHostOn(t testing.TB, cfg Config, store ports.Store) *testHost {
	t.Helper()
	reg := prometheus.NewRegistry()
	h, err := New(cfg, store, reg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	th := &testHost{Host: h, store: store, reg: reg}
	t.Cleanup(func() {
		pids := th.pids()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		for _, pid := range pids {
			assertGone(t, pid)
		}
	})
	return th
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// pids returns the pids of the running connector processes.
func (th *testHost) pids() []int {
	var out []int
	for _, st := range th.List(context.Background()) {
		if st.PID > 0 {
			out = append(out, st.PID)
		}
	}
	return out
}

func (th *testHost) pidOf(t testing.TB, name string) int {
	t.Helper()
	for _, st := range th.List(context.Background()) {
		if st.Name == name {
			return st.PID
		}
	}
	t.Fatalf("connector %q not in the catalog", name)
	return 0
}

func (th *testHost) state(t testing.TB, name string) ConnectorState {
	t.Helper()
	for _, st := range th.List(context.Background()) {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("connector %q not in the catalog", name)
	return ConnectorState{}
}

// assertGone waits (bounded) until no process has pid: killed and reaped.
func assertGone(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("process %d is still there (kill 0: %v)", pid, err)
			return
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline, not synchronisation
	}
}

// installFixture puts the test binary into dir as fixture-MODE: a hard link
// when possible (fast), else a copy. Returns the path.
func installFixture(t testing.TB, dir, mode string) string {
	t.Helper()
	dst := filepath.Join(dir, "fixture-"+mode)
	if err := os.Link(selfExe(t), dst); err == nil {
		return dst
	}
	return copyFixture(t, dir, mode)
}

// copyFixture puts a private copy of the test binary into dir (one that may
// be altered).
func copyFixture(t testing.TB, dir, mode string) string {
	t.Helper()
	dst := filepath.Join(dir, "fixture-"+mode)
	src, err := os.Open(selfExe(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// registerBinary registers the binary at path as connector name.
func registerBinary(t testing.TB, store ports.Store, pluginDir, name, path string, production bool) {
	t.Helper()
	sum, err := FileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := NewCatalog(pluginDir, store.Connectors()).Register(context.Background(), name, path, sum, production); err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
}

// readPIDs returns the pids a fixture binary recorded.
func readPIDs(t testing.TB, binary string) []int {
	t.Helper()
	data, err := os.ReadFile(binary + ".pids")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, f := range strings.Fields(string(data)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

func requireKind(t testing.TB, err error, kind domain.Kind) *domain.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want kind %s", kind)
	}
	de, ok := domain.AsError(err)
	if !ok {
		t.Fatalf("got %T %v, want a *domain.Error of kind %s", err, err, kind)
	}
	if de.Kind != kind {
		t.Fatalf("got kind %s (%v), want %s", de.Kind, err, kind)
	}
	return de
}

func goodLogin(t testing.TB, h *Host, bank string) domain.BankStep {
	t.Helper()
	st, err := h.BeginLogin(context.Background(), bank, domain.MethodInternetBanking,
		map[string]string{"username": "user_good", "password": pwGood})
	if err != nil {
		t.Fatalf("login at %s: %v", bank, err)
	}
	if st.Authenticated == nil {
		t.Fatalf("login at %s: got %+v, want authenticated", bank, st)
	}
	return st
}

func start(t testing.TB, h *Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
}
