package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/webhook"
)

// receiver is a company's webhook endpoint that fails the first failures
// calls and records every delivery.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	failures int
	got      []delivery
	arrived  chan delivery
}

type delivery struct {
	status    int
	eventID   string
	signature string
	auth      string
	body      []byte
}

func newReceiver(t *testing.T, failures int) *receiver {
	rc := &receiver{failures: failures, arrived: make(chan delivery, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		d := delivery{status: 200, eventID: r.Header.Get("Bankauth-Event-Id"), signature: r.Header.Get("Bankauth-Signature"), auth: r.Header.Get("Authorization"), body: body}
		if rc.failures > 0 {
			rc.failures--
			d.status = 500
		}
		rc.got = append(rc.got, d)
		rc.mu.Unlock()
		w.WriteHeader(d.status)
		rc.arrived <- d
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// next waits for the next delivery.
func (rc *receiver) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-rc.arrived:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook arrived")
		return delivery{}
	}
}

func TestWebhooks(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), func(c *config) {
		c.AllowPrivateWebhooks = true
		c.WebhookBackoff = 20 * time.Millisecond
	})
	keys := ts.newCompany("Acme")
	sk := keys.Sandbox.SecretKey
	rc := newReceiver(t, 2)
	r := ts.call("POST", "/v2/sandbox/webhooks/set", sk, map[string]any{"url": rc.srv.URL, "token": "receiver-bearer-token"})
	secret, _ := field(r.JSON, "data.signing_secret").(string)
	if r.Status != 200 || secret == "" {
		t.Fatalf("webhooks/set: %d %s", r.Status, r.Body)
	}

	c := ts.openSession(keys, nil)
	ids := stepAccounts(t, c.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"}))
	payload := c.choose(ids...).JSON

	// Two failures, then success: the same event id three times.
	var first delivery
	for i := 0; i < 3; i++ {
		d := rc.next(t)
		if i == 0 {
			first = d
		}
		if d.eventID != first.eventID {
			t.Fatalf("retry %d carries event id %s, first was %s", i, d.eventID, first.eventID)
		}
		if d.auth != "Bearer receiver-bearer-token" {
			t.Fatalf("bearer token missing: %q", d.auth)
		}
		if err := webhook.Verify(secret, d.signature, d.body, time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("signature does not verify: %v", err)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(first.body, &body); err != nil {
		t.Fatal(err)
	}
	if body["code"] != "AUTH_SUCCESS" || body["method"] != "AUTH" || body["event_id"] != first.eventID ||
		body["record"] != field(payload, "record_id") || field(body, "auth.id") != field(payload, "auth.id") ||
		body["bankId"] != field(payload, "bank_id") || body["bankName"] == "" || body["env"] != "production-sandbox" {
		t.Fatalf("event body: %s", first.body)
	}
	// A tampered body does not verify.
	if err := webhook.Verify(secret, first.signature, append(first.body, ' '), time.Now(), 5*time.Minute); err == nil {
		t.Fatal("a tampered body verified")
	}

	// The delivery log shows it delivered after three attempts.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r = ts.call("POST", "/v2/sandbox/webhooks/deliveries", sk, map[string]any{})
		list, _ := field(r.JSON, "data.deliveries").([]any)
		if len(list) == 1 && field(list[0], "status") == "delivered" {
			if field(list[0], "attempts") != 3.0 || field(list[0], "event_id") != first.eventID {
				t.Fatalf("delivery log: %s", r.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery log never showed the event delivered: %s", r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Replay re-sends it.
	if r := ts.call("POST", "/v2/sandbox/webhooks/replay", sk, map[string]any{"event_id": first.eventID}); r.Status != 200 {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	if d := rc.next(t); d.eventID != first.eventID || d.status != 200 {
		t.Fatalf("replay delivered %s (%d)", d.eventID, d.status)
	}
	// Another company cannot replay it.
	if r := ts.call("POST", "/v2/sandbox/webhooks/replay", ts.newCompany("Other").Sandbox.SecretKey, map[string]any{"event_id": first.eventID}); r.Status != 404 {
		t.Fatalf("another company replayed the event: %d", r.Status)
	}
}

func TestWebhookURLMustNotBePrivate(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	sk := ts.newCompany("Acme").Sandbox.SecretKey
	for _, u := range []string{"http://127.0.0.1:9/hook", "http://10.0.0.1/hook", "http://169.254.169.254/latest", "ftp://example.com/x", "not a url"} {
		r := ts.call("POST", "/v2/sandbox/webhooks/set", sk, map[string]any{"url": u})
		if r.Status != 400 || field(r.JSON, "field") != "url" {
			t.Errorf("%s: want 400 naming url, got %d %s", u, r.Status, r.Body)
		}
	}
}
