package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.uber.org/fx"

	httpapi "github.com/bankauth/bankauth/adapters/httpapi"
	"github.com/bankauth/bankauth/adapters/storage"
)

func TestKeys(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		acme := ts.newCompany("Acme")
		const path = "products/auths"

		if r := ts.call("POST", "/v2/sandbox/"+path, acme.Sandbox.SecretKey, "{}"); r.Status != 200 || field(r.JSON, "status") != "success" {
			t.Fatalf("sandbox key on sandbox path: %d %s", r.Status, r.Body)
		}
		if r := ts.call("POST", "/v2/"+path, acme.Production.SecretKey, "{}"); r.Status != 200 {
			t.Fatalf("live key on production path: %d %s", r.Status, r.Body)
		}
		r := ts.call("POST", "/v2/"+path, acme.Sandbox.SecretKey, "{}")
		if r.Status != 401 || field(r.JSON, "type") != "ENV" {
			t.Fatalf("sandbox key on production path: want 401 ENV, got %d %s", r.Status, r.Body)
		}

		// Rotate; the old key must stop working.
		old := acme.Sandbox.SecretKey
		rotated, err := ts.Companies.RotateKeys(context.Background(), acme.Company.ID)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, header string
		}{
			{"missing", ""},
			{"not bearer", "Basic abc"},
			{"malformed", "Bearer sk_test_nothex"},
			{"rotated away", "Bearer " + old},
			{"unknown", "Bearer " + otherValidKey(t, ts)},
			{"public key", "Bearer " + rotated.Sandbox.PublicKey},
		}
		for _, c := range cases {
			r := ts.call("POST", "/v2/sandbox/"+path, "", "{}", "Authorization", c.header)
			if r.Status != 401 || field(r.JSON, "status") != "error" || field(r.JSON, "request_id") == "" {
				t.Errorf("%s key: want 401 JSON error, got %d %s", c.name, r.Status, r.Body)
			}
		}
		if r := ts.call("POST", "/v2/sandbox/"+path, rotated.Sandbox.SecretKey, "{}"); r.Status != 200 {
			t.Fatalf("new key after rotation: %d %s", r.Status, r.Body)
		}

		// The database keeps no secret key in plain text.
		dump := dumpTables(t, ts.Store)
		for _, k := range []string{old, rotated.Sandbox.SecretKey, rotated.Production.SecretKey, acme.Production.SecretKey} {
			if bytes.Contains(dump, []byte(k)) || bytes.Contains(dump, []byte(k[8:])) {
				t.Fatalf("secret key %s… found in plain text in the database", k[:12])
			}
		}
	})
}

// otherValidKey is a well-formed key (right checksum) that was never issued.
func otherValidKey(t *testing.T, ts *testServer) string {
	t.Helper()
	// A real key whose stored row is then deleted.
	c := ts.newCompany("Ghost")
	if _, err := ts.Store.DB().Exec(ts.Store.DB().Rebind("DELETE FROM api_keys WHERE company_id = ?"), c.Company.ID); err != nil {
		t.Fatal(err)
	}
	return c.Sandbox.SecretKey
}

func TestBadInputNeverGets500(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	key := ts.newCompany("Acme").Sandbox.SecretKey
	big := `{"page":1,"pad":"` + strings.Repeat("x", 2<<20) + `"}`
	cases := []struct {
		name        string
		method      string
		path        string
		body        string
		contentType string
		status      int
		mention     string
	}{
		{"malformed JSON", "POST", "/v2/sandbox/products/auths", `{"page":`, "application/json", 400, "malformed JSON"},
		{"not an object", "POST", "/v2/sandbox/products/auths", `[1,2]`, "application/json", 400, "JSON object"},
		{"wrong field type", "POST", "/v2/sandbox/products/auths", `{"page":"two"}`, "application/json", 400, "page"},
		{"limit too large", "POST", "/v2/sandbox/products/auths", `{"limit":1000}`, "application/json", 400, "limit"},
		{"id of wrong type", "POST", "/v2/sandbox/auth/getById", `{"id":12}`, "application/json", 400, "id"},
		{"missing id", "POST", "/v2/sandbox/auth/getById", `{}`, "application/json", 400, "id"},
		{"bad date", "POST", "/v2/sandbox/auth/getByDate", `{"from":"2026-13-01","to":"2026-01-01"}`, "application/json", 400, "from"},
		{"unknown id", "POST", "/v2/sandbox/auth/getById", `{"id":"5d6fe57a4099cc4b210bbeb3"}`, "application/json", 404, "not found"},
		{"garbage id", "POST", "/v2/sandbox/auth/getById", `{"id":"nope"}`, "application/json", 404, "not found"},
		{"unknown route", "POST", "/v2/sandbox/no/such/route", `{}`, "application/json", 404, "no route"},
		{"unknown top route", "GET", "/nothing-here", ``, "", 404, "no route"},
		{"wrong method", "GET", "/v2/sandbox/products/auths", ``, "", 405, "POST"},
		{"too large", "POST", "/v2/sandbox/products/auths", big, "application/json", 413, "limit"},
		{"not JSON", "POST", "/v2/sandbox/products/auths", `page=1`, "application/x-www-form-urlencoded", 415, "application/json"},
		{"no content type", "POST", "/v2/sandbox/products/auths", `{"page":1}`, "", 415, "application/json"},
		{"unknown fields ignored", "POST", "/v2/sandbox/products/auths", `{"page":1,"record_id":"x","extra":{"a":1}}`, "application/json", 200, "success"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.call(c.method, c.path, key, c.body, "Content-Type", c.contentType)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %.300s", r.Status, c.status, r.Body)
			}
			if !strings.Contains(string(r.Body), c.mention) {
				t.Fatalf("answer does not mention %q: %.300s", c.mention, r.Body)
			}
			if r.Header.Get("X-Request-Id") == "" {
				t.Fatal("no X-Request-Id")
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("content type %q, want JSON", r.Header.Get("Content-Type"))
			}
			if c.status == 405 && r.Header.Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
}

func TestEmptyListsUseOkraPagination(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		key := ts.newCompany("Acme").Sandbox.SecretKey
		for path, coll := range map[string]string{
			"products/auths": "auths", "customers/list": "customers", "records/list": "records",
		} {
			r := ts.call("POST", "/v2/sandbox/"+path, key, `{"page":1,"limit":5}`)
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", path, r.Status, r.Body)
			}
			items, isList := field(r.JSON, "data."+coll).([]any)
			if !isList || len(items) != 0 {
				t.Fatalf("%s: data.%s = %v, want an empty list", path, coll, field(r.JSON, "data."+coll))
			}
			p := field(r.JSON, "data.pagination").(map[string]any)
			for k, want := range map[string]any{"totalDocs": 0.0, "limit": 5.0, "page": 1.0, "totalPages": 1.0, "hasNextPage": false, "hasPrevPage": false, "prevPage": nil, "nextPage": nil, "pagingCounter": 1.0} {
				if got, present := p[k]; !present || got != want {
					t.Errorf("%s pagination.%s = %v, want %v", path, k, got, want)
				}
			}
		}
	})
}

// blockingRoute is a test-only mutating route that waits until released,
// so a concurrent duplicate can arrive while it runs.
func blockingRoute(started chan<- struct{}, release <-chan struct{}, calls *int, mu *sync.Mutex) fx.Option {
	return fx.Provide(fx.Annotate(func() httpapi.Routes {
		return httpapi.Routes{{Method: "POST", Path: "test/slow", Access: httpapi.SecretKey, Hidden: true,
			Handler: func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				*calls++
				n := *calls
				mu.Unlock()
				if n == 1 {
					started <- struct{}{}
					<-release
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(201)
				_, _ = w.Write([]byte(`{"status":"success","message":"done","data":{"call":` + string(rune('0'+n)) + `}}`))
			}}}
	}, fx.ResultTags(`group:"routes"`)))
}

func TestIdempotency(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		var calls int
		var mu sync.Mutex
		started, release := make(chan struct{}), make(chan struct{})
		ts := startServer(t, db, nil, blockingRoute(started, release, &calls, &mu))
		key := ts.newCompany("Acme").Sandbox.SecretKey
		path := "/v2/sandbox/test/slow"

		// First request runs (and blocks); a duplicate meanwhile gets 409.
		first := make(chan response, 1)
		go func() { first <- ts.call("POST", path, key, `{"a":1}`, "Idempotency-Key", "k1") }()
		<-started
		if r := ts.call("POST", path, key, `{"a":1}`, "Idempotency-Key", "k1"); r.Status != 409 || field(r.JSON, "code") != "IDEMPOTENCY_IN_FLIGHT" {
			t.Fatalf("concurrent duplicate: %d %s", r.Status, r.Body)
		}
		close(release)
		r1 := <-first
		if r1.Status != 201 {
			t.Fatalf("first: %d %s", r1.Status, r1.Body)
		}
		// Same key, same body: the stored answer, without running again.
		r2 := ts.call("POST", path, key, `{"a":1}`, "Idempotency-Key", "k1")
		if r2.Status != 201 || !bytes.Equal(r2.Body, r1.Body) || r2.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %s (first %s)", r2.Status, r2.Body, r1.Body)
		}
		// Same key, other body: 409.
		if r := ts.call("POST", path, key, `{"a":2}`, "Idempotency-Key", "k1"); r.Status != 409 || field(r.JSON, "code") != "IDEMPOTENCY_KEY_REUSED" {
			t.Fatalf("other body: %d %s", r.Status, r.Body)
		}
		mu.Lock()
		n := calls
		mu.Unlock()
		if n != 1 {
			t.Fatalf("handler ran %d times, want 1", n)
		}
		// Keys are per company: another company may use the same key.
		other := ts.newCompany("Other").Sandbox.SecretKey
		if r := ts.call("POST", path, other, `{"a":1}`, "Idempotency-Key", "k1"); r.Status == 409 {
			t.Fatalf("idempotency keys leak across companies: %s", r.Body)
		}
	})
}

func TestRateLimit(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), func(c *config) { c.RateLimit, c.RateBurst = 0.5, 3 })
	key := ts.newCompany("Acme").Sandbox.SecretKey
	for i := 0; i < 3; i++ {
		if r := ts.call("POST", "/v2/sandbox/products/auths", key, "{}"); r.Status != 200 {
			t.Fatalf("request %d within the burst: %d %s", i, r.Status, r.Body)
		}
	}
	r := ts.call("POST", "/v2/sandbox/products/auths", key, "{}")
	if r.Status != 429 || field(r.JSON, "type") != "RATE_LIMIT" {
		t.Fatalf("over budget: %d %s", r.Status, r.Body)
	}
	if ra := r.Header.Get("Retry-After"); ra != "2" {
		t.Fatalf("Retry-After = %q, want 2 (one token at 0.5/s)", ra)
	}
	// Another key has its own budget.
	if r := ts.call("POST", "/v2/sandbox/products/auths", ts.newCompany("Other").Sandbox.SecretKey, "{}"); r.Status != 200 {
		t.Fatalf("another key was limited: %d", r.Status)
	}
}
