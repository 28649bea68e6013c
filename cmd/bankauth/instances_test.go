package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/company"
)

// TestTwoInstancesShareOnePostgres runs two server processes on one
// PostgreSQL database: a link session hops between them, and each webhook
// event is delivered once.
func TestTwoInstancesShareOnePostgres(t *testing.T) {
	db := storagetest.PostgresConfig(t)
	// The company and its keys, made with the CLI against the same database.
	var out bytes.Buffer
	if code := run([]string{"company", "create", "--name", "Acme", "--json", "--database-url", db.DatabaseURL}, &out, &out); code != 0 {
		t.Fatalf("company create: %s", out.String())
	}
	var created struct {
		ID      string          `json:"id"`
		Sandbox company.KeyPair `json:"sandbox"`
	}
	if err := json.Unmarshal(out.Bytes(), &created); err != nil {
		t.Fatalf("company create --json: %v\n%s", err, out.String())
	}
	keys := company.Created{Sandbox: created.Sandbox}
	keys.Company.ID = created.ID

	args := []string{"--database-url", db.DatabaseURL, "--allow-private-webhooks", "--webhook-backoff", "20ms", "--data-dir", t.TempDir()}
	a := &testServer{t: t, URL: startProcess(t, args...).origin}
	b := &testServer{t: t, URL: startProcess(t, args...).origin}
	a.waitReady()
	b.waitReady()

	rc := newReceiver(t, 0)
	if r := a.call("POST", "/v2/sandbox/webhooks/set", keys.Sandbox.SecretKey, map[string]any{"url": rc.srv.URL}); r.Status != 200 {
		t.Fatalf("webhooks/set: %d %s", r.Status, r.Body)
	}

	const links = 6
	var records []string
	for i := 0; i < links; i++ {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		c := first.openSession(keys, nil)
		c.ts = second
		if r := c.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_otp"}); field(r.JSON, "status") != "challenge" {
			t.Fatalf("login on the other instance: %d %s", r.Status, r.Body)
		}
		c.ts = first
		ids := stepAccounts(t, c.answer("123456"))
		c.ts = second
		r := c.choose(ids...)
		if r.Status != 200 || field(r.JSON, "success") != true {
			t.Fatalf("finish on the other instance: %d %s", r.Status, r.Body)
		}
		records = append(records, field(r.JSON, "record_id").(string))
	}
	// Each link wrote one AUTH_SUCCESS event; each must arrive exactly once
	// although both instances run a delivery worker.
	seen := map[string]int{}
	for i := 0; i < links; i++ {
		seen[rc.next(t).eventID]++
	}
	// Let any duplicate show up: wait until both workers have had several
	// polls, observed through the delivery log staying at one attempt each.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case d := <-rc.arrived:
			seen[d.eventID]++
		case <-time.After(100 * time.Millisecond):
		}
	}
	if len(seen) != links {
		t.Fatalf("want %d distinct events, got %d: %v", links, len(seen), seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	// The same login re-links the same record, whichever instance served it.
	for _, r := range records[1:] {
		if r != records[0] {
			t.Fatalf("the same login made different records across instances: %v", records)
		}
	}
}
