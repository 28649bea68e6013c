package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/company"
)

// keysCLI runs bankauth keys … against one database and data directory and
// returns stdout; a non-zero exit fails the test.
func keysCLI(t *testing.T, db storage.Config, dataDir string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"keys"}, args...)
	full = append(full, "--data-dir", dataDir, "--database-url", db.DatabaseURL)
	if code := run(full, &out, &errb); code != 0 {
		t.Fatalf("bankauth %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String()
}

// keyFile reads the ring's keys, newest first.
func keyFile(t *testing.T, dataDir string) []seal.Key {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, seal.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	var keys []seal.Key
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := seal.ParseKey(line)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// legacyIndex is a blind index as the first release wrote it: keyed from
// the oldest key, without the company id.
func legacyIndex(oldest seal.Key, purpose, value string) []byte {
	sub := hmac.New(sha256.New, oldest[:])
	sub.Write([]byte("bankauth blind index v1"))
	mac := hmac.New(sha256.New, sub.Sum(nil))
	mac.Write([]byte(purpose + "\x00" + value))
	return mac.Sum(nil)
}

// openEverySealed opens every sealed value in the database with ring and
// counts them per column; one that does not open fails the test.
func openEverySealed(t *testing.T, st *storage.Store, ring *seal.Ring) map[string]int {
	t.Helper()
	got := map[string]int{}
	check := func(column string, query string, ad func(id, a, b string) []byte) {
		t.Helper()
		rows, err := st.DB().Queryx(query)
		if err != nil {
			t.Fatalf("%s: %v", column, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, a, b string
			var ct []byte
			if err := rows.Scan(&id, &a, &b, &ct); err != nil {
				t.Fatal(err)
			}
			if len(ct) == 0 {
				continue
			}
			if _, err := ring.Open(ct, ad(id, a, b)); err != nil {
				t.Errorf("%s of %s does not open with the new ring alone: %v", column, id, err)
			}
			got[column]++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	webhook := func(purpose string) func(id, env, _ string) []byte {
		return func(company, env, _ string) []byte {
			return []byte("webhook\x00" + company + "\x00" + env + "\x00" + purpose)
		}
	}
	check("identifiers", "SELECT id, '', '', sealed FROM customer_identifiers", func(id, _, _ string) []byte { return auth.IdentifierAD(id) })
	check("sessions", "SELECT id, '', '', sealed_session FROM records", func(id, _, _ string) []byte { return auth.RecordSessionAD(id) })
	check("usernames", "SELECT id, '', '', sealed_username FROM records", func(id, _, _ string) []byte { return auth.RecordUsernameAD(id) })
	check("link states", "SELECT id, '', '', sealed_state FROM link_sessions", func(id, _, _ string) []byte { return []byte("link-session:" + id) })
	check("webhook secrets", "SELECT company_id, env, '', sealed_secret FROM webhook_endpoints", webhook("webhook-signing-secret"))
	check("webhook previous secrets", "SELECT company_id, env, '', sealed_previous FROM webhook_endpoints", webhook("webhook-signing-secret"))
	check("webhook tokens", "SELECT company_id, env, '', sealed_token FROM webhook_endpoints", webhook("webhook-token"))
	return got
}

// TestKeysRotate is the whole operator procedure: add a key, rotate on a
// live server, retire the old key, and everything still opens and is
// still found — with indexes per company, including rows indexed the
// first release's way.
func TestKeysRotate(t *testing.T) {
	t.Setenv("BANKAUTH_MASTER_KEY", "")
	forEachDB(t, func(t *testing.T, db storage.Config) {
		dataDir := db.DataDir
		if dataDir == "" {
			dataDir = t.TempDir()
		}
		tweak := func(c *config) {
			c.DataDir = dataDir
			c.AllowPrivateWebhooks = true
		}
		const bvn = "22222222222"
		// Before: two companies with the same customer, a webhook with a
		// token and a rotated secret, a link session left half-way.
		ts, stop := startStoppable(t, db, tweak)
		acme, beta := ts.newCompany("Acme"), ts.newCompany("Beta")
		linkedA := linkGood(t, ts, ts.openSession(acme, map[string]any{"customer": map[string]any{"bvn": bvn}}), "user_good")
		linkedB := linkGood(t, ts, ts.openSession(beta, map[string]any{"customer": map[string]any{"bvn": bvn}}), "user_good")
		for range 2 {
			if r := ts.call("POST", "/v2/sandbox/webhooks/set", acme.Sandbox.SecretKey, map[string]any{"url": "http://127.0.0.1:1/hook", "token": "hook-token"}); r.Status != 200 {
				t.Fatalf("webhooks/set: %d %s", r.Status, r.Body)
			}
		}
		halfway := ts.openSession(acme, nil)
		stepAccounts(t, halfway.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"}))

		// Rows the first release wrote: an identifier and a login key
		// without the company id.
		oldKey := keyFile(t, dataDir)[0]
		if _, err := ts.Store.DB().Exec(ts.Store.DB().Rebind("UPDATE customer_identifiers SET blind_index = ? WHERE company_id = ? AND kind = 'bvn'"),
			legacyIndex(oldKey, "bvn", bvn), acme.Company.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Store.DB().Exec(ts.Store.DB().Rebind("UPDATE records SET login_key = ? WHERE id = ?"),
			legacyIndex(oldKey, "login", "sandbox-bank\x00user:user_good"), linkedA["record_id"]); err != nil {
			t.Fatal(err)
		}
		expectReturning(t, ts, acme, bvn, linkedA["customer_id"])
		stop()

		// Add a key; the server restarts with both and rotation runs while
		// it serves.
		added := keysCLI(t, db, dataDir, "add")
		if !strings.Contains(added, "added key") {
			t.Fatalf("keys add: %s", added)
		}
		if n := len(keyFile(t, dataDir)); n != 2 {
			t.Fatalf("key file holds %d keys after add, want 2", n)
		}
		ts, stop = startStoppable(t, db, tweak)
		expectReturning(t, ts, acme, bvn, linkedA["customer_id"])

		var first rotateResult
		if err := json.Unmarshal([]byte(keysCLI(t, db, dataDir, "rotate", "--json", "--batch", "2")), &first); err != nil {
			t.Fatal(err)
		}
		if first.Rows == 0 || first.Stale != 0 || first.Unreadable != 0 || first.Concurrent != 0 || first.KeptLogins != 0 {
			t.Fatalf("first rotation: %+v; want rows rewritten and nothing left, unreadable, concurrent or kept", first)
		}
		var second rotateResult
		if err := json.Unmarshal([]byte(keysCLI(t, db, dataDir, "rotate", "--json")), &second); err != nil {
			t.Fatal(err)
		}
		if second.Rows != 0 || second.Batches != 0 || second.Stale != 0 {
			t.Fatalf("second rotation is not a no-op: %+v", second)
		}
		expectReturning(t, ts, acme, bvn, linkedA["customer_id"])
		stop()

		var status struct {
			Ring  []string    `json:"ring"`
			Usage []statusRow `json:"usage"`
		}
		if err := json.Unmarshal([]byte(keysCLI(t, db, dataDir, "status", "--json")), &status); err != nil {
			t.Fatal(err)
		}
		newID, oldID := status.Ring[0], status.Ring[1]
		for _, u := range status.Usage {
			if u.KeyID != newID {
				t.Errorf("after rotation %d values of %s are under key %s, not the new key %s", u.Rows, u.Column, u.KeyID, newID)
			}
		}

		// Retire the old key; the ring is the new key alone.
		keysCLI(t, db, dataDir, "retire", "--id", oldID)
		ring, err := seal.Load(seal.Source{DataDir: dataDir})
		if err != nil {
			t.Fatal(err)
		}
		if ids := ring.KeyIDs(); len(ids) != 1 || fmt.Sprintf("%08x", ids[0]) != newID {
			t.Fatalf("ring after retire: %x, want only %s", ids, newID)
		}
		st, err := storage.Open(context.Background(), storage.Config{DatabaseURL: db.DatabaseURL, DataDir: dataDir})
		if err != nil {
			t.Fatal(err)
		}
		opened := openEverySealed(t, st, ring)
		for _, column := range []string{"identifiers", "sessions", "usernames", "link states", "webhook secrets", "webhook previous secrets", "webhook tokens"} {
			if opened[column] == 0 {
				t.Errorf("no %s in the database: the test would not notice them failing", column)
			}
		}
		var indexes [][]byte
		if err := st.DB().Select(&indexes, "SELECT blind_index FROM customer_identifiers WHERE kind = 'bvn' ORDER BY company_id"); err != nil {
			t.Fatal(err)
		}
		if len(indexes) != 2 || bytes.Equal(indexes[0], indexes[1]) {
			t.Fatalf("the same BVN at two companies: %d indexes, equal=%v; want two that differ", len(indexes), len(indexes) == 2 && bytes.Equal(indexes[0], indexes[1]))
		}
		st.Close()

		// The server with the new key alone still recognises both
		// customers, finds them, and the re-keyed login finds its record.
		ts = startServer(t, db, tweak)
		expectReturning(t, ts, acme, bvn, linkedA["customer_id"])
		expectReturning(t, ts, beta, bvn, linkedB["customer_id"])
		r := ts.call("POST", "/v2/sandbox/customers/find-customers-by", acme.Sandbox.SecretKey, map[string]any{"key": "bvn", "value": bvn})
		if found, _ := field(r.JSON, "data.customers").([]any); len(found) != 1 || field(found[0], "id") != linkedA["customer_id"] {
			t.Fatalf("find-customers-by bvn after rotation: %s", r.Body)
		}
		c := ts.openSession(acme, map[string]any{"customer": map[string]any{"bvn": bvn}})
		ids := stepAccounts(t, c.login("sandbox-bank", "returning", map[string]string{"password": "pass_good"}))
		if p := c.choose(ids...).JSON; p["record_id"] != linkedA["record_id"] {
			t.Fatalf("quick login after rotation wrote record %v, want %v", p["record_id"], linkedA["record_id"])
		}
		if p := linkGood(t, ts, ts.openSession(acme, nil), "user_good"); p["record_id"] != linkedA["record_id"] {
			t.Fatalf("a full login after rotation made record %v; the re-keyed login key should find %v", p["record_id"], linkedA["record_id"])
		}
	})
}

// expectReturning opens a session for bvn at a company and wants the
// customer recognised.
func expectReturning(t *testing.T, ts *testServer, keys company.Created, bvn string, customer any) {
	t.Helper()
	c := ts.openSession(keys, map[string]any{"customer": map[string]any{"bvn": bvn}})
	if field(c.open.JSON, "returning") != true || field(c.open.JSON, "customer_id") != customer {
		t.Fatalf("bvn not recognised as %v: %s", customer, c.open.Body)
	}
}
