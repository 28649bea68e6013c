package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/plugins/sdk"
)

// modeSnoop is a fixture that tries to reach what a confined connector must
// not (and what it must) and reports what happened as its owner's name.
const modeSnoop = "snoop"

// snoopReport is what the snoop fixture found; "ok" or the error.
type snoopReport struct {
	Reads      map[string]string `json:"reads"` // by target name
	Cwd        string            `json:"cwd"`
	TempDir    string            `json:"tmpdir"`
	WriteTemp  string            `json:"write_tmp"`
	TCPListen  string            `json:"tcp_listen"`
	NoNewPrivs string            `json:"no_new_privs"`
	UID        int               `json:"uid"`
}

type snoopConnector struct{ sdk.Unimplemented }

func (snoopConnector) GetMetadata(context.Context) (sdk.Metadata, error) {
	return sdk.Metadata{Name: "fixture-snoop", Version: "0.0.1", Banks: []sdk.Bank{{
		ID: fixtureBank(modeSnoop), Name: "Fixture snoop", Country: "NG",
		Methods: []sdk.Method{sdk.MethodInternetBanking}, Products: []string{sdk.ProductAuth},
		Fields: fixtureFields,
	}}}, nil
}

func result(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// BeginLogin reads the targets listed in EXE.targets (a JSON object of
// name to path, beside the binary), then the rest.
func (snoopConnector) BeginLogin(context.Context, sdk.BeginLoginRequest) (sdk.Step, error) {
	rep := snoopReport{Reads: map[string]string{}, TempDir: os.TempDir(), UID: os.Getuid()}
	exe, err := os.Executable()
	if err != nil {
		return sdk.Step{}, err
	}
	raw, err := os.ReadFile(exe + ".targets")
	if err != nil {
		return sdk.Step{}, err
	}
	var targets map[string]string
	if err := json.Unmarshal(raw, &targets); err != nil {
		return sdk.Step{}, err
	}
	for name, p := range targets {
		fi, err := os.Stat(p)
		if err == nil && fi.IsDir() {
			_, err = os.ReadDir(p)
		} else if err == nil {
			_, err = os.ReadFile(p)
		}
		rep.Reads[name] = result(err)
	}
	rep.Cwd, _ = os.Getwd()
	rep.WriteTemp = result(os.WriteFile(filepath.Join(os.TempDir(), "scratch"), []byte("x"), 0o600))
	// Classic TCP: Landlock cannot restrict Multipath TCP, Go's default.
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err == nil {
		l.Close()
	}
	rep.TCPListen = result(err)
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		rep.NoNewPrivs = noNewPrivs(status)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		return sdk.Step{}, err
	}
	return sdk.Step{Authenticated: &sdk.Authenticated{Session: []byte("s"), Owner: sdk.Owner{Name: string(js)},
		Accounts: []sdk.Account{{ID: "acc-1", NUBAN: "0123456789", Name: "Main", Type: "current", Currency: "NGN"}}}}, nil
}

// noNewPrivs is the value of the NoNewPrivs line of a /proc/PID/status.
func noNewPrivs(status []byte) string {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "NoNewPrivs:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "(no NoNewPrivs line)"
}

// secretDataDir is a data directory with a key file and a database file in
// it, as the server keeps them.
func secretDataDir(t *testing.T) (dir, keys, db string) {
	t.Helper()
	dir = t.TempDir()
	keys, db = filepath.Join(dir, "master.keys"), filepath.Join(dir, "bankauth.db")
	for _, f := range []string{keys, db} {
		if err := os.WriteFile(f, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, keys, db
}

// Every connector process, the built-in fake bank too, runs with
// no_new_privs in a private working directory that is gone when it stops;
// with Landlock, a connector cannot read the key file, the database or
// the data directory, nor anything else outside what it needs, and cannot
// listen on TCP.
func TestConfinement(t *testing.T) {
	t.Parallel()
	dataDir, keys, db := secretDataDir(t)
	cfg := testConfig(t)
	cfg.Confine.Protected = []string{dataDir, keys, db}
	h := newTestHost(t, cfg)
	bin := installFixture(t, cfg.PluginDir, modeSnoop)
	targets := map[string]string{"master_keys": keys, "database": db, "data_dir": dataDir,
		"etc_shadow_dir": "/etc", "plugin_dir": cfg.PluginDir, "own_binary": bin}
	js, _ := json.Marshal(targets)
	if err := os.WriteFile(bin+".targets", js, 0o644); err != nil {
		t.Fatal(err)
	}
	registerBinary(t, h.store, cfg.PluginDir, "snoop", bin, false)
	start(t, h.Host)

	st := goodLogin(t, h.Host, fixtureBank(modeSnoop))
	var rep snoopReport
	if err := json.Unmarshal([]byte(st.Authenticated.Owner.Name), &rep); err != nil {
		t.Fatalf("the fixture's report: %v: %q", err, st.Authenticated.Owner.Name)
	}
	t.Logf("the fixture reports %+v", rep)

	if rep.NoNewPrivs != "1" {
		t.Errorf("the connector reports NoNewPrivs %q, want 1", rep.NoNewPrivs)
	}
	if rep.Cwd == "" || rep.Cwd != rep.TempDir || !strings.HasPrefix(filepath.Base(rep.Cwd), "plugin-dir") {
		t.Errorf("working directory %q, TMPDIR %q: want both the private plugin-dir*", rep.Cwd, rep.TempDir)
	}
	if rep.WriteTemp != "ok" {
		t.Errorf("the connector cannot write its own temp dir: %s", rep.WriteTemp)
	}
	// The host sees the same from outside, for every connector.
	dirs := map[string]string{}
	for _, s := range h.List(context.Background()) {
		if !s.Running {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(s.PID), "status"))
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if v := noNewPrivs(status); v != "1" {
			t.Errorf("connector %s (pid %d): /proc status NoNewPrivs %q, want 1", s.Name, s.PID, v)
		}
		cwd, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(s.PID), "cwd"))
		if err != nil || !strings.HasPrefix(filepath.Base(cwd), "plugin-dir") {
			t.Errorf("connector %s: working directory %q (%v), want a private plugin-dir*", s.Name, cwd, err)
		}
		dirs[s.Name] = cwd
	}
	if len(dirs) != 2 || dirs[BuiltinName] == dirs["snoop"] {
		t.Errorf("want the built-in and the snoop connector each in a directory of its own, got %v", dirs)
	}

	if landlockABI() == 0 {
		t.Logf("no Landlock on this kernel: the filesystem checks do not apply")
	} else {
		for _, tc := range []struct {
			target string
			read   bool
		}{
			{"master_keys", false}, {"database", false}, {"data_dir", false}, {"etc_shadow_dir", false},
			{"plugin_dir", true}, {"own_binary", true},
		} {
			got, ok := rep.Reads[tc.target]
			switch {
			case !ok:
				t.Errorf("%s: not reported", tc.target)
			case tc.read && got != "ok":
				t.Errorf("%s (%s): the connector cannot read it, but needs to: %s", tc.target, targets[tc.target], got)
			case !tc.read && !strings.Contains(got, "permission denied"):
				t.Errorf("%s (%s): want permission denied, got %q", tc.target, targets[tc.target], got)
			}
		}
		if landlockABI() >= 4 && !strings.Contains(rep.TCPListen, "permission denied") {
			t.Errorf("listening on TCP: want permission denied, got %q", rep.TCPListen)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for name, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("connector %s stopped but its directory %s is still there (%v)", name, d, err)
		}
	}
}

// A connector whose allowed paths would include a protected one is not
// started; protected paths elsewhere do not matter.
func TestConfinementRefusesExposedSecrets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		protected func(pluginDir string) string
		starts    bool
	}{
		{"data dir elsewhere", func(string) string { return t.TempDir() }, true},
		{"data dir inside the plugin dir", func(pd string) string { return filepath.Join(pd, "data") }, false},
		// The connector sees the plugin dir, not the rest of the data dir.
		{"plugin dir inside the data dir", func(pd string) string { return filepath.Dir(pd) }, true},
		{"protected file inside the plugin dir", func(pd string) string { return filepath.Join(pd, "master.keys") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			cfg.DisableBuiltin = true
			cfg.Confine.Protected = []string{tc.protected(cfg.PluginDir)}
			h := newTestHost(t, cfg)
			bin := installFixture(t, cfg.PluginDir, modeGood)
			registerBinary(t, h.store, cfg.PluginDir, "good", bin, false)
			start(t, h.Host)
			s := h.state(t, "good")
			if s.Running != tc.starts {
				t.Fatalf("running %v, want %v (last error %q)", s.Running, tc.starts, s.LastError)
			}
			if !tc.starts && !strings.Contains(s.LastError, "contains") {
				t.Errorf("the refusal does not say why: %q", s.LastError)
			}
		})
	}
}

// The launcher checks the program's SHA-256 itself before it execs it, and
// reports a failure as a JSON log line.
func TestLauncherChecksum(t *testing.T) {
	t.Parallel()
	prog, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) here")
	}
	prog, _ = filepath.EvalSymlinks(prog)
	sum, err := FileSHA256(prog)
	if err != nil {
		t.Fatal(err)
	}
	type launcherCase struct {
		name    string
		args    []string
		code    int
		message string
	}
	cases := []launcherCase{
		{"right checksum", []string{"--ro", "/", "--sha256", sum, "--", prog}, 0, ""},
		{"no checksum", []string{"--ro", "/", "--", prog}, 0, ""},
		{"wrong checksum", []string{"--sha256", strings.Repeat("ab", 32), "--", prog}, 126, "checksum mismatch"},
		{"no program", []string{"--sha256", sum}, 126, "no program"},
		{"missing path", []string{"--ro", "/nonexistent/bankauth", "--", prog}, 126, "no such file"},
	}
	if landlockABI() > 0 {
		cases = append(cases, launcherCase{"program not allowed", []string{"--ro", "/etc", "--", prog}, 126, "permission denied"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(selfExe(t), append([]string{ConfineCommand}, tc.args...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(stderr.String(), tc.message) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), tc.code, tc.message)
			}
			if tc.code != 0 && !json.Valid(bytes.TrimSpace(stderr.Bytes())) {
				t.Errorf("the failure is not a JSON log line: %q", stderr.String())
			}
		})
	}
}

// With a connector user, a server running as root runs its connectors as
// that user, still confined.
func TestConfinementConnectorUser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root: only a root server can run connectors as another user")
	}
	const nobody = 65534
	cfg := testConfig(t)
	cfg.DisableBuiltin = true
	cfg.Confine.User = strconv.Itoa(nobody)
	// The user must reach the fixture: open the test's directories to it.
	for _, d := range []string{filepath.Dir(cfg.PluginDir), cfg.PluginDir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h := newTestHost(t, cfg)
	bin := installFixture(t, cfg.PluginDir, modeSnoop)
	if err := os.WriteFile(bin+".targets", []byte(`{"own_binary":"`+bin+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	registerBinary(t, h.store, cfg.PluginDir, "snoop", bin, false)
	start(t, h.Host)
	st := goodLogin(t, h.Host, fixtureBank(modeSnoop))
	var rep snoopReport
	if err := json.Unmarshal([]byte(st.Authenticated.Owner.Name), &rep); err != nil {
		t.Fatalf("the fixture's report: %v", err)
	}
	if rep.UID != nobody || rep.NoNewPrivs != "1" || rep.WriteTemp != "ok" || rep.Reads["own_binary"] != "ok" {
		t.Fatalf("want uid %d, no_new_privs, a writable private directory and its own binary readable; got %+v", nobody, rep)
	}
}
