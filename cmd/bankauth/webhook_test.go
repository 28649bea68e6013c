package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/delivery"
	"github.com/bankauth/bankauth/adapters/storage"
)

// receiver is a company's webhook endpoint that fails the first failures
// calls and records every delivery.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	failures int
	got      []received
	arrived  chan received
}

type received struct {
	status    int
	eventID   string
	signature string
	auth      string
	body      []byte
}

func newReceiver(t *testing.T, failures int) *receiver {
	rc := &receiver{failures: failures, arrived: make(chan received, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		d := received{status: 200, eventID: r.Header.Get("Bankauth-Event-Id"), signature: r.Header.Get("Bankauth-Signature"), auth: r.Header.Get("Authorization"), body: body}
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
func (rc *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case d := <-rc.arrived:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook arrived")
		return received{}
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
	var first received
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
		if err := delivery.Verify(secret, d.signature, d.body, time.Now(), 5*time.Minute); err != nil {
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
	if err := delivery.Verify(secret, first.signature, append(first.body, ' '), time.Now(), 5*time.Minute); err == nil {
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

// TestWebhookURLMustNotBePrivate probes webhooks/set the way an attacker
// would: every spelling of an address on or next to the server (none of
// them needs DNS) is a 400 naming url, and nothing is stored.
func TestWebhookURLMustNotBePrivate(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	sk := ts.newCompany("Acme").Sandbox.SecretKey
	for _, u := range []string{
		"http://[::1%25lo]:9/hook",             // zoned loopback
		"http://[fe80::1%25eth0]/hook",         // zoned link-local
		"http://[fd00:ec2::254%25eth0]/latest", // zoned EC2 metadata
		"http://[::127.0.0.1]:9/hook",          // IPv4-compatible (::/96)
		"http://[::ffff:127.0.0.1]:9/hook",     // IPv4-mapped
		"http://[::ffff:169.254.169.254]/latest",
		"http://[64:ff9b::7f00:1]:9/hook",                // NAT64 of loopback
		"http://[64:ff9b::a9fe:a9fe]/",                   // NAT64 of the metadata service
		"http://[2002:7f00:1::1]:9/hook",                 // 6to4 of loopback
		"http://[2002:c0a8:101::1]/hook",                 // 6to4 of 192.168.1.1
		"http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", // Teredo
		"http://localhost:9/hook",
		"http://LocalHost./hook",
		"http://foo.localhost/hook",
		"http://metadata.google.internal/computeMetadata/v1/",
		"http://2130706433:9/hook", // 127.0.0.1 in decimal
		"http://0x7f.1:9/hook",
		"http://0177.0.0.1:9/hook",
		"http://127.1:9/hook",
		"http://0.0.0.0:9/hook",
		"http://0:9/hook",
		"http://127.0.0.1:9/hook",
		"http://127.0.0.1.:9/hook", // trailing dot
		"http://[::1]:9/hook",
		"http://[::]:9/hook",
		"http://10.0.0.1/hook",
		"http://172.16.5.4/hook",
		"http://192.168.1.1/hook",
		"http://100.64.0.1/hook", // CGNAT
		"http://169.254.169.254/latest",
		"http://[fd00:ec2::254]/latest",
		"http://[fc00::1]/hook",
		"http://[fe80::1]/hook",
		"http://224.0.0.251/hook",
		"http://[ff02::1]/hook",
		"http://255.255.255.255/hook",
		"http://198.18.0.1/hook",    // benchmarking
		"http://192.0.2.10/hook",    // documentation
		"http://[2001:db8::1]/hook", // documentation
		"ftp://example.com/x",
		"not a url",
	} {
		r := ts.call("POST", "/v2/sandbox/webhooks/set", sk, map[string]any{"url": u})
		if r.Status != 400 || field(r.JSON, "field") != "url" {
			t.Errorf("%s: want 400 naming url, got %d %s", u, r.Status, r.Body)
		}
	}
	if r := ts.call("POST", "/v2/sandbox/webhooks/deliveries", sk, map[string]any{}); r.Status != 200 {
		t.Fatalf("deliveries: %d %s", r.Status, r.Body)
	}
	var endpoints int
	if err := ts.Store.DB().Get(&endpoints, "SELECT COUNT(*) FROM webhook_endpoints"); err != nil || endpoints != 0 {
		t.Fatalf("%d endpoints stored (%v), want none", endpoints, err)
	}
}

// TestWebhookDeliveryLogHidesDialErrors points a webhook at a port where
// nothing listens: the delivery log says "connection failed" and nothing
// of the dial error (address, port, errno) a company could scan with.
func TestWebhookDeliveryLogHidesDialErrors(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, func(c *config) { c.AllowPrivateWebhooks = true })
		keys := ts.newCompany("Acme")
		sk := keys.Sandbox.SecretKey
		closed := httptest.NewServer(http.NotFoundHandler())
		closed.Close()
		port := closed.URL[strings.LastIndex(closed.URL, ":")+1:]
		if r := ts.call("POST", "/v2/sandbox/webhooks/set", sk, map[string]any{"url": closed.URL + "/hook"}); r.Status != 200 {
			t.Fatalf("webhooks/set: %d %s", r.Status, r.Body)
		}
		linkOnce(t, ts, keys, "user_good") // emits an AUTH_SUCCESS event

		deadline := time.Now().Add(20 * time.Second)
		var entry any
		for {
			r := ts.call("POST", "/v2/sandbox/webhooks/deliveries", sk, map[string]any{})
			if list, _ := field(r.JSON, "data.deliveries").([]any); len(list) == 1 && field(list[0], "attempts") != 0.0 {
				entry = list[0]
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no attempt logged: %s", r.Body)
			}
			time.Sleep(20 * time.Millisecond) // polling the log, not synchronising
		}
		if field(entry, "last_error") != "connection failed" || field(entry, "last_status") != nil || field(entry, "status") != "pending" {
			t.Fatalf("delivery log entry %v, want pending with last_error \"connection failed\" and no status", entry)
		}
		var texts []string
		if err := ts.Store.DB().Select(&texts, "SELECT error_text FROM delivery_attempts"); err != nil || len(texts) == 0 {
			t.Fatalf("attempts: %v %v", texts, err)
		}
		for _, text := range texts {
			for _, leak := range []string{"dial", "tcp", "connect:", "refused", "127.0.0.1", port} {
				if strings.Contains(text, leak) {
					t.Errorf("attempt logged %q: it leaks %q", text, leak)
				}
			}
		}
	})
}

// TestWebhookSetIsIdempotent: webhooks/set honours Idempotency-Key like
// every mutating route. Thirty concurrent identical requests set the
// endpoint once: every 200 carries the same signing secret, the others are
// 409 in flight; a later retry replays that secret; another body is a 409;
// the stored answer keeps the secret sealed; and deliveries are signed
// with that one secret alone (a second set would have rotated it).
func TestWebhookSetIsIdempotent(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, func(c *config) { c.AllowPrivateWebhooks = true })
		keys := ts.newCompany("Acme")
		sk := keys.Sandbox.SecretKey
		rc := newReceiver(t, 0)
		body := map[string]any{"url": rc.srv.URL + "/hook", "token": "receiver-bearer-token"}

		const n = 30
		answers := make(chan response, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers <- ts.call("POST", "/v2/sandbox/webhooks/set", sk, body, "Idempotency-Key", "set-once")
			}()
		}
		wg.Wait()
		close(answers)
		secrets := map[string]int{}
		var inFlight int
		for r := range answers {
			switch {
			case r.Status == 200:
				secrets[field(r.JSON, "data.signing_secret").(string)]++
			case r.Status == 409 && field(r.JSON, "code") == "IDEMPOTENCY_IN_FLIGHT":
				inFlight++
			default:
				t.Errorf("concurrent webhooks/set: %d %s", r.Status, r.Body)
			}
		}
		t.Logf("%d concurrent identical requests: %d answered 200 with %d distinct secrets, %d answered 409 in flight",
			n, n-inFlight, len(secrets), inFlight)
		if len(secrets) != 1 {
			t.Fatalf("%d concurrent requests with one Idempotency-Key handed out %d signing secrets, want 1", n, len(secrets))
		}
		var secret string
		for s := range secrets {
			secret = s
		}

		replay := ts.call("POST", "/v2/sandbox/webhooks/set", sk, body, "Idempotency-Key", "set-once")
		if replay.Status != 200 || field(replay.JSON, "data.signing_secret") != secret || replay.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry with the same key and body: %d %s, want the first answer replayed", replay.Status, replay.Body)
		}
		other := map[string]any{"url": rc.srv.URL + "/other"}
		if r := ts.call("POST", "/v2/sandbox/webhooks/set", sk, other, "Idempotency-Key", "set-once"); r.Status != 409 || field(r.JSON, "code") != "IDEMPOTENCY_KEY_REUSED" {
			t.Fatalf("same key, other body: %d %s, want 409", r.Status, r.Body)
		}
		if bytes.Contains(dumpTables(t, ts.Store), []byte(strings.TrimPrefix(secret, "whsec_"))) {
			t.Fatal("the signing secret is stored in plain text")
		}

		linkOnce(t, ts, keys, "user_good") // emits an AUTH_SUCCESS event
		d := rc.next(t)
		if got := strings.Count(d.signature, "v1="); got != 1 {
			t.Errorf("the delivery carries %d signatures, want 1: the endpoint was set more than once", got)
		}
		if err := delivery.Verify(secret, d.signature, d.body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("the replayed secret does not verify the delivery: %v", err)
		}
		if d.auth != "Bearer receiver-bearer-token" {
			t.Errorf("Authorization %q", d.auth)
		}
	})
}
