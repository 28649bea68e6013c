package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/adapters/connector"
)

// requireNode returns the Node example's directory, or skips when there is
// no node or no node_modules (run npm ci there); BANKAUTH_REQUIRE_NODE=1,
// as CI sets it, makes that a failure instead.
func requireNode(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "plugins", "example", "node")
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	} else if _, err := os.Stat(filepath.Join(dir, "node_modules", "@grpc", "grpc-js")); err != nil {
		missing = "run npm ci in " + dir
	}
	if missing != "" {
		if os.Getenv("BANKAUTH_REQUIRE_NODE") == "1" {
			t.Fatalf("the Node connector tests are required here: %s", missing)
		}
		t.Skipf("no Node connector: %s", missing)
	}
	return dir
}

// copyTree copies the regular files and directories under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil // node_modules/.bin links: not needed to run
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fi.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// installNodeConnector lays the Node example out in a fresh plugin
// directory as in the repository (example/node beside sdk/proto, which it
// loads at run time) and returns the directory and the entry point.
func installNodeConnector(t *testing.T) (pluginDir, entry string) {
	t.Helper()
	src := requireNode(t)
	pluginDir = t.TempDir()
	dst := filepath.Join(pluginDir, "example", "node")
	copyTree(t, src, dst)
	copyTree(t, filepath.Join(repoRoot(t), "plugins", "sdk", "proto", "connector"), filepath.Join(pluginDir, "sdk", "proto", "connector"))
	return pluginDir, filepath.Join(dst, "connector")
}

// The Node connector, registered with its checksum, serves a real link
// through the link API; it runs confined like every connector; once its
// script is altered it is refused.
func TestNodeConnectorEndToEnd(t *testing.T) {
	pluginDir, entry := installNodeConnector(t)
	db := sqliteConfig(t)
	sum, err := connector.FileSHA256(entry)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := run([]string{"connector", "register", "node-example", entry, "--sha256", sum,
		"--plugin-dir", pluginDir, "--data-dir", db.DataDir}, &out, &out); code != 0 {
		t.Fatalf("connector register: %d %s", code, out.String())
	}
	withPlugins := func(c *config) { c.PluginDir = pluginDir }

	ts, stop := startStoppable(t, db, withPlugins)
	keys := ts.newCompany("Lagos Lending")
	c := ts.openSession(keys, nil)
	if !strings.Contains(string(c.open.Body), `"node-example-bank"`) {
		t.Fatalf("the session does not offer the Node connector's bank: %s\nlogs:\n%s", c.open.Body, ts.Logs.String())
	}
	r := c.login("node-example-bank", "internet_banking", map[string]string{"username": "ada", "password": "pass_otp"})
	if field(r.JSON, "status") != "challenge" || field(r.JSON, "challenge.type") != "otp" {
		t.Fatalf("login: want an OTP challenge, got %d %s\nlogs:\n%s", r.Status, r.Body, ts.Logs.String())
	}
	if r = c.answer("000000"); field(r.JSON, "status") != "challenge" || field(r.JSON, "challenge.attempts_left") != 2.0 {
		t.Fatalf("a wrong OTP: want the challenge again with 2 attempts left, got %d %s", r.Status, r.Body)
	}
	ids := stepAccounts(t, c.answer("123456"))
	if len(ids) != 2 {
		t.Fatalf("the Node bank shows %d accounts, want 2", len(ids))
	}
	r = c.choose(ids...)
	if r.Status != 200 || field(r.JSON, "success") != true || field(r.JSON, "auth.bank_details.slug") != "node-example-bank" {
		t.Fatalf("choose: %d %s", r.Status, r.Body)
	}
	r = ts.call("POST", "/v2/sandbox/products/accounts", keys.Sandbox.SecretKey, map[string]any{})
	if accs, _ := field(r.JSON, "data.accounts").([]any); len(accs) != 2 {
		t.Fatalf("products/accounts after the link: %s", r.Body)
	}

	// The Node process (and the built-in fake bank) run confined.
	confined := 0
	for _, pid := range childPIDs(t, os.Getpid()) {
		cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(entry)) {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(status, []byte("NoNewPrivs:\t1")) {
			t.Errorf("the Node connector (pid %d) runs without no_new_privs", pid)
		}
		confined++
	}
	if confined != 1 {
		t.Errorf("found %d Node connector processes among this test's children, want 1", confined)
	}
	stop()

	// An altered script is refused at the next start, naming the connector.
	f, err := os.OpenFile(entry, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\n// one more line\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ts = startServer(t, db, withPlugins)
	c = ts.openSession(ts.newCompany("Abuja Lending"), nil)
	r = c.login("node-example-bank", "internet_banking", map[string]string{"username": "ada", "password": "pass_good"})
	if r.Status == 200 && field(r.JSON, "status") == "accounts" {
		t.Fatalf("the altered connector still served a login: %s", r.Body)
	}
	if logs := ts.Logs.String(); !strings.Contains(logs, `connector \"node-example\": checksum mismatch`) {
		t.Fatalf("no checksum refusal naming the connector in the logs:\n%s", logs)
	}
}
