package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/adapters/connector"
)

// buildFakebank builds the standalone fake bank plugin binary into dir.
func buildFakebank(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "bankauth-fakebank")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/bankauth-fakebank")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the fake bank: %v\n%s", err, out)
	}
	return bin
}

func TestConnectorCLI(t *testing.T) {
	pluginDir, dataDir := t.TempDir(), t.TempDir()
	bin := buildFakebank(t, pluginDir)
	sum, err := connector.FileSHA256(bin)
	if err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(append(args, "--data-dir", dataDir), &out, &out)
		return code, out.String()
	}
	if code, out := cli("connector", "register", "acme", bin, "--sha256", strings.Repeat("0", 64), "--plugin-dir", pluginDir); code == 0 || !strings.Contains(out, "sha256") && !strings.Contains(out, "SHA-256") && !strings.Contains(out, "checksum") {
		t.Fatalf("a wrong checksum was accepted (%d): %s", code, out)
	}
	outside := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Link(bin, outside); err != nil {
		t.Fatal(err)
	}
	if code, out := cli("connector", "register", "acme", outside, "--sha256", sum, "--plugin-dir", pluginDir); code == 0 {
		t.Fatalf("a binary outside the plugin directory was registered: %s", out)
	}
	if code, out := cli("connector", "register", "acme", bin, "--sha256", sum, "--plugin-dir", pluginDir); code != 0 {
		t.Fatalf("register: %d %s", code, out)
	}
	code, out := cli("connector", "list")
	if code != 0 || !strings.Contains(out, "acme") || !strings.Contains(out, sum[:12]) || !strings.Contains(out, "fakebank") {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out := cli("connector", "register", "acme"); code != 2 {
		t.Fatalf("a short command line must be a usage error: %d %s", code, out)
	}

	// connector test certifies the binary with the conformance kit.
	plan := filepath.Join(repoRoot(t), "testdata", "fakebank", "plan.json")
	var buf bytes.Buffer
	code = run([]string{"connector", "test", bin, "--plan", plan}, &buf, &buf)
	if code != 0 || !strings.Contains(buf.String(), "conforms") {
		t.Fatalf("connector test: %d\n%s", code, buf.String())
	}
	t.Logf("connector test output:\n%s", lastLines(buf.String(), 3))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func TestBanksAPI(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme")
	r := ts.call("GET", "/v2/sandbox/banks/list", keys.Sandbox.SecretKey, nil)
	if r.Status != 200 || field(r.JSON, "status") != "success" {
		t.Fatalf("banks/list: %d %s", r.Status, r.Body)
	}
	want := map[string][]string{
		"sandbox-bank":       {"internet_banking", "mobile_banking", "ussd"},
		"sandbox-ussd-bank":  {"ussd"},
		"sandbox-flaky-bank": {"internet_banking"},
	}
	banks := field(r.JSON, "data.banks").([]any)
	if len(banks) != len(want) {
		t.Fatalf("want the three fake banks, got %s", r.Body)
	}
	var flakyID string
	for _, b := range banks {
		m := b.(map[string]any)
		methods, found := want[m["slug"].(string)]
		if !found {
			t.Fatalf("unexpected bank %v", m["slug"])
		}
		got := map[string]bool{}
		for _, x := range m["methods"].([]any) {
			got[x.(string)] = true
		}
		for _, x := range methods {
			if !got[x] {
				t.Errorf("%s lacks method %s: %v", m["slug"], x, m["methods"])
			}
		}
		if m["status"] != "operational" || m["id"] != m["_id"] || len(m["id"].(string)) != 24 {
			t.Errorf("bank %v: %v", m["slug"], m)
		}
		if m["slug"] == "sandbox-flaky-bank" {
			flakyID = m["id"].(string)
		}
	}
	// Production offers only connectors the operator enabled: none here.
	r = ts.call("GET", "/v2/banks/list", keys.Production.SecretKey, nil)
	if n := len(field(r.JSON, "data.banks").([]any)); n != 0 {
		t.Fatalf("production lists %d banks, want none", n)
	}
	r = ts.call("GET", "/v2/sandbox/banks/getById?id="+flakyID, keys.Sandbox.SecretKey, nil)
	if field(r.JSON, "data.banks").([]any)[0].(map[string]any)["slug"] != "sandbox-flaky-bank" {
		t.Fatalf("getById: %s", r.Body)
	}
	if r := ts.call("GET", "/v2/banks/getById?id="+flakyID, keys.Production.SecretKey, nil); r.Status != 404 {
		t.Fatalf("a sandbox bank is visible in production: %d", r.Status)
	}
	// Repeated failures turn the flaky bank's status down or degraded.
	for i := 0; i < 8; i++ {
		c := ts.openSession(keys, nil)
		c.login("sandbox-flaky-bank", "internet_banking", map[string]string{"username": "user_good", "password": "error_BANK_UNAVAILABLE"})
	}
	r = ts.call("GET", "/v2/sandbox/banks/getById?id="+flakyID, keys.Sandbox.SecretKey, nil)
	if st := field(r.JSON, "data.banks").([]any)[0].(map[string]any)["status"]; st != "down" && st != "degraded" {
		t.Fatalf("after repeated failures the flaky bank is %v", st)
	}
	r = ts.call("GET", "/v2/sandbox/banks/list", keys.Sandbox.SecretKey, nil)
	for _, b := range field(r.JSON, "data.banks").([]any) {
		m := b.(map[string]any)
		if m["slug"] == "sandbox-bank" && m["status"] != "operational" {
			t.Fatalf("sandbox-bank suffered for the flaky bank's failures: %v", m["status"])
		}
	}
}
