package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
)

// okraNode installs the unmodified okra-node package (and its
// dependencies) from the npm registry into a temporary directory and
// returns that directory. The version is pinned (override with
// BANKAUTH_OKRANODE_VERSION); nothing of it is kept in the repository.
func okraNode(t *testing.T) (node, dir string) {
	t.Helper()
	npm, errNpm := exec.LookPath("npm")
	node, errNode := exec.LookPath("node")
	if errNpm != nil || errNode != nil {
		if os.Getenv("BANKAUTH_REQUIRE_NODE") == "1" {
			t.Fatal("node and npm are needed to run okra-node and BANKAUTH_REQUIRE_NODE=1")
		}
		t.Skip("node or npm not found: cannot run okra-node")
	}
	version := os.Getenv("BANKAUTH_OKRANODE_VERSION")
	if version == "" {
		version = "0.2.0"
	}
	dir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "--silent", "okra-node@"+version)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install okra-node@%s: %v\n%s", version, err, out)
	}
	return node, dir
}

// okraNodeScript calls Identity.get the five ways okra-node knows (by id,
// by customer, by date, by customer and date, and the list) and prints
// what each returned. okra-node builds every URL from the client's
// apiBaseUrl (https://api.okra.ng/v2/sandbox/ for env "sandbox"), so the
// script points that property at the test server; the package itself is
// not touched.
const okraNodeScript = `
import { Identity } from "okra-node";
const [base, key, id, customer, day] = process.argv.slice(2);
const client = new Identity(key, "sandbox");
client.apiBaseUrl = base + "/v2/sandbox/";
const out = {};
try {
  out.byId = await client.get({ id });
  out.byCustomer = await client.get({ customer, page: 1, limit: 10 });
  out.byDate = await client.get({ from: day, to: day });
  out.byCustomerDate = await client.get({ customer, from: day, to: day });
  out.list = await client.get({});
} catch (e) {
  out.error = e;
}
console.log(JSON.stringify(out));
`

// Acceptance 1: okra-node's Identity.get reads the identity a link made.
func TestOkraNodeReadsIdentities(t *testing.T) {
	node, dir := okraNode(t)
	script := filepath.Join(dir, "identity.mjs")
	if err := os.WriteFile(script, []byte(okraNodeScript), 0o600); err != nil {
		t.Fatal(err)
	}
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme")
		p := identityLink(t, ts, keys, "user_good", "pass_good", nil)
		ident := p["identity"]
		id := field(ident, "id").(string)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, script, ts.URL, keys.Sandbox.SecretKey, id, p["customer_id"].(string), time.Now().UTC().Format(time.DateOnly))
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("okra-node printed %s: %v", out, err)
		}
		if got["error"] != nil {
			t.Fatalf("okra-node failed: %v", got["error"])
		}
		for _, call := range []string{"byId", "byCustomer", "byDate", "byCustomerDate", "list"} {
			list, _ := field(got[call], "identity").([]any)
			if len(list) != 1 || field(got[call], "pagination.totalDocs") != 1.0 {
				t.Errorf("Identity.get %s: %v", call, got[call])
				continue
			}
			sameObject(t, "okra-node Identity.get "+call, list[0], ident)
		}
	})
}
