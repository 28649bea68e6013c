package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
)

func TestCompanyCLI(t *testing.T) {
	dir := t.TempDir()
	cli := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(append(args, "--data-dir", dir), &out, &out)
		return code, out.String()
	}
	if code, out := cli("migrate"); code != 0 || !strings.Contains(out, "migrations applied (sqlite)") {
		t.Fatalf("migrate: %d %s", code, out)
	}
	code, out := cli("company", "create", "--name", "Acme Lending", "--json")
	if code != 0 {
		t.Fatalf("create: %d %s", code, out)
	}
	var c struct {
		ID, Name            string
		Sandbox, Production struct {
			PublicKey string `json:"public_key"`
			SecretKey string `json:"secret_key"`
		}
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if len(c.ID) != 24 || c.Name != "Acme Lending" || !strings.HasPrefix(c.Sandbox.SecretKey, "sk_test_") ||
		!strings.HasPrefix(c.Sandbox.PublicKey, "pk_test_") || !strings.HasPrefix(c.Production.SecretKey, "sk_live_") ||
		!strings.HasPrefix(c.Production.PublicKey, "pk_live_") {
		t.Fatalf("create --json: %+v", c)
	}
	code, out = cli("company", "keys", "rotate", "--id", c.ID)
	if code != 0 || !strings.Contains(out, "sk_test_") || strings.Contains(out, c.Sandbox.SecretKey) {
		t.Fatalf("keys rotate: %d %s", code, out)
	}
	if code, out := cli("company", "set", "--id", c.ID, "--duplicate-policy", "reject"); code != 0 || !strings.Contains(out, "reject") {
		t.Fatalf("set: %d %s", code, out)
	}
	if code, out := cli("company", "list"); code != 0 || !strings.Contains(out, "Acme Lending") || !strings.Contains(out, "reject") {
		t.Fatalf("list: %d %s", code, out)
	}
	for _, bad := range [][]string{
		{"company", "create"},
		{"company", "set", "--id", c.ID, "--duplicate-policy", "sometimes"},
		{"company", "keys", "rotate", "--id", "nope"},
		{"company", "frobnicate"},
		{"nonsense"},
	} {
		if code, out := cli(bad...); code == 0 {
			t.Errorf("%v succeeded: %s", bad, out)
		}
	}
	if code, out := cli("company", "keys", "rotate", "--id", "5d6fe57a4099cc4b210bbeb3"); code != 1 || !strings.Contains(out, "not found") {
		t.Errorf("rotating an unknown company: %d %s", code, out)
	}
	var v bytes.Buffer
	if code := run([]string{"version"}, &v, &v); code != 0 || !strings.HasPrefix(v.String(), "bankauth ") {
		t.Errorf("version: %d %s", code, v.String())
	}
}

func TestFrameAncestorsPerCompany(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Lending")
	ctx := context.Background()
	if err := ts.Companies.SetFrameAncestors(ctx, keys.Company.ID, "javascript:alert(1)"); domain.KindOf(err) != domain.KindInvalid {
		t.Fatalf("a bad source was accepted: %v", err)
	}
	link := createLink(t, ts, keys, map[string]any{"name": "Acme Lending"})
	path := strings.TrimPrefix(link, ts.URL)
	if csp := ts.call("GET", path, "", nil).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") {
		t.Fatalf("default must let anyone frame the widget: %s", csp)
	}
	if err := ts.Companies.SetFrameAncestors(ctx, keys.Company.ID, "https://app.acme.example 'self'"); err != nil {
		t.Fatal(err)
	}
	if csp := ts.call("GET", path, "", nil).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://app.acme.example 'self'") {
		t.Fatalf("the company's setting is not applied: %s", csp)
	}
}
