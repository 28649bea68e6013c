package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"

	httpapi "github.com/bankauth/bankauth/adapters/httpapi"
	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
)

// logLines parses every line of a JSON log, failing on any that is not a
// JSON object.
func logLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("a log line is not JSON: %q", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// TestOversizedBodiesRead413: clients that write a whole 3 MiB body before
// they read (as many HTTP libraries do) all read the 413, whether the body
// announces its length or comes chunked.
func TestOversizedBodiesRead413(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Lending")
	addr := strings.TrimPrefix(ts.URL, "http://")
	const size = 3 << 20
	body := []byte(`{"page":1,"pad":"` + strings.Repeat("a", size-len(`{"page":1,"pad":""}`)) + `"}`)

	send := func(chunked bool) error {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		// A small, fixed send buffer, as over a real network: the writes
		// block until the server reads, so a server that answers without
		// reading resets the connection under the writer. (Loopback's
		// autotuned buffers would otherwise swallow the whole body.)
		if err := conn.(*net.TCPConn).SetWriteBuffer(64 << 10); err != nil {
			return err
		}
		if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
			return err
		}
		w := bufio.NewWriterSize(conn, 64<<10)
		fmt.Fprintf(w, "POST /v2/sandbox/products/auths HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n", addr, keys.Sandbox.SecretKey)
		if chunked {
			fmt.Fprint(w, "Transfer-Encoding: chunked\r\n\r\n")
			for rest := body; len(rest) > 0; {
				n := min(len(rest), 32<<10)
				fmt.Fprintf(w, "%x\r\n", n)
				if _, err := w.Write(rest[:n]); err != nil {
					return fmt.Errorf("write the body: %w", err)
				}
				fmt.Fprint(w, "\r\n")
				rest = rest[n:]
			}
			fmt.Fprint(w, "0\r\n\r\n")
		} else {
			fmt.Fprintf(w, "Content-Length: %d\r\n\r\n", len(body))
			if _, err := w.Write(body); err != nil {
				return fmt.Errorf("write the body: %w", err)
			}
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("write the body: %w", err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return fmt.Errorf("read the answer: %w", err)
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		if err != nil {
			return fmt.Errorf("read the answer's body: %w", err)
		}
		var e map[string]any
		if res.StatusCode != http.StatusRequestEntityTooLarge || json.Unmarshal(raw, &e) != nil || e["type"] != "PAYLOAD_TOO_LARGE" {
			return fmt.Errorf("answer %d %s, want 413 PAYLOAD_TOO_LARGE", res.StatusCode, raw)
		}
		return nil
	}

	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			const clients = 20
			errs := make(chan error, clients)
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() { errs <- send(chunked) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestHugePageIs400: paging numbers that would overflow OFFSET, and other
// out-of-range ones, are a 400 naming the field on both engines.
func TestHugePageIs400(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme Lending")
		tests := []struct {
			body  string
			field string
		}{
			{`{"page":9223372036854775807}`, "page"},
			{`{"page":9223372036854775808}`, "page"},
			{`{"page":1000001}`, "page"},
			{`{"page":-1}`, "page"},
			{`{"page":-9223372036854775808}`, "page"},
			{`{"page":1e30}`, "page"},
			{`{"page":2.5}`, "page"},
			{`{"limit":9223372036854775807}`, "limit"},
			{`{"limit":-1}`, "limit"},
			{`{"page":1000000,"limit":9223372036854775807}`, "limit"},
		}
		for _, path := range []string{"/v2/sandbox/products/auths", "/v2/sandbox/records/list", "/v2/sandbox/balance/getByCustomer"} {
			for _, tc := range tests {
				r := ts.call("POST", path, keys.Sandbox.SecretKey, tc.body)
				if r.Status != 400 || field(r.JSON, "field") != tc.field {
					t.Errorf("%s %s: %d %s, want 400 naming %s", path, tc.body, r.Status, r.Body, tc.field)
				}
			}
		}
		// The deepest page allowed is an empty page, not an error.
		r := ts.call("POST", "/v2/sandbox/products/auths", keys.Sandbox.SecretKey, `{"page":1000000,"limit":100}`)
		if r.Status != 200 || field(r.JSON, "data.pagination.page") != float64(1000000) {
			t.Fatalf("page 1000000: %d %s", r.Status, r.Body)
		}
	})
}

// TestShortLinkCodesNotLogged visits a hosted link and its options (and
// paths near them) and finds the code nowhere in the log or the metrics.
func TestShortLinkCodesNotLogged(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Lending")
	link := createLink(t, ts, keys, map[string]any{"name": "Acme Lending"})
	code := link[strings.LastIndex(link, "/")+1:]
	for path, want := range map[string]int{
		"/link/" + code:                  200,
		"/widget/v1/links/" + code:       200,
		"/link/" + code + "/":            404,
		"/LINK/" + code:                  404,
		"/widget/v1/links/" + code + "x": 404,
	} {
		if r := ts.call("GET", path, "", nil); r.Status != want {
			t.Fatalf("GET %s: %d, want %d", path, r.Status, want)
		}
	}
	metrics := ts.call("GET", "/metrics", "", nil)
	logs := ts.Logs.String()
	if strings.Contains(logs, code) {
		t.Errorf("the log carries the short-link code %s:\n%s", code, logs)
	}
	if strings.Contains(string(metrics.Body), code) {
		t.Errorf("the metrics carry the short-link code %s", code)
	}
	var redacted int
	for _, l := range logLines(t, logs) {
		if l["msg"] == "request" && (l["path"] == "/link/:code" || l["path"] == "/widget/v1/links/:code") {
			redacted++
		}
	}
	if redacted < 3 {
		t.Errorf("want the visits logged with the code replaced by :code, found %d:\n%s", redacted, logs)
	}
}

// TestWidgetJSIgnoresHostHeader: a forged Host changes neither the loader's
// origin nor a new link's URL.
func TestWidgetJSIgnoresHostHeader(t *testing.T) {
	for _, public := range []string{"", "https://link.example.com"} {
		t.Run("public-url="+public, func(t *testing.T) {
			ts := startServer(t, sqliteConfig(t), func(c *config) { c.PublicURL = public })
			want := public
			if want == "" {
				want = ts.URL
			}
			keys := ts.newCompany("Acme Lending")
			get := func(method, path, key, body string) (int, string) {
				req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Host = "evil.example"
				if key != "" {
					req.Header.Set("Authorization", "Bearer "+key)
					req.Header.Set("Content-Type", "application/json")
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				raw, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(raw)
			}
			status, js := get("GET", "/widget.js", "", "")
			if status != 200 || !strings.Contains(js, `var ORIGIN = "`+want+`";`) || strings.Contains(js, "evil") {
				t.Fatalf("/widget.js with Host: evil.example (want origin %s): %d %.200s", want, status, js)
			}
			status, created := get("POST", "/v2/sandbox/widget/links/create", keys.Sandbox.SecretKey,
				`{"options":{"key":"`+keys.Sandbox.PublicKey+`"}}`)
			if status != 200 || !strings.Contains(created, `"url":"`+want+`/link/`) || strings.Contains(created, "evil") {
				t.Fatalf("links/create with Host: evil.example (want %s/link/…): %d %s", want, status, created)
			}
		})
	}
}

// TestHostedLinkFramedByAllowedOrigins: a company's allowed origins become
// its hosted pages' frame-ancestors unless it set frame-ancestors itself.
func TestHostedLinkFramedByAllowedOrigins(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Lending")
	ctx := context.Background()
	path := strings.TrimPrefix(createLink(t, ts, keys, nil), ts.URL)
	steps := []struct {
		name string
		set  func() error
		want string
	}{
		{"nothing set", func() error { return nil }, "frame-ancestors *"},
		{"allowed origins", func() error {
			return ts.Companies.SetAllowedOrigins(ctx, keys.Company.ID, "https://app.acme.example http://localhost:3000")
		}, "frame-ancestors https://app.acme.example http://localhost:3000"},
		{"frame-ancestors as well", func() error { return ts.Companies.SetFrameAncestors(ctx, keys.Company.ID, "'none'") }, "frame-ancestors 'none'"},
	}
	for _, s := range steps {
		if err := s.set(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		r := ts.call("GET", path, "", nil)
		if csp := r.Header.Get("Content-Security-Policy"); r.Status != 200 || !strings.HasSuffix(csp, s.want) {
			t.Fatalf("%s: %d CSP %q, want it to end %q", s.name, r.Status, csp, s.want)
		}
	}
}

// TestSQLiteFilesArePrivate: the data directory is 0700 and the database
// file and its WAL 0600.
func TestSQLiteFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ts := startServer(t, storage.Config{DataDir: dir}, nil)
	ts.newCompany("Acme Lending") // a write, so the WAL exists
	for name, want := range map[string]os.FileMode{
		dir: 0o700, filepath.Join(dir, "bankauth.db"): 0o600, filepath.Join(dir, "bankauth.db-wal"): 0o600,
		filepath.Join(dir, "bankauth.db-shm"): 0o600,
	} {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatalf("stat %s: %v", name, err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", name, got, want)
		}
	}
}

// TestPanicsAndFailuresLogJSON: a handler panic and a database failure come
// out in the server's JSON log, with no line that is not JSON.
func TestPanicsAndFailuresLogJSON(t *testing.T) {
	panicky := fx.Provide(fx.Annotate(func() httpapi.Routes {
		return httpapi.Routes{{Method: http.MethodGet, Path: "/test/panic", Access: httpapi.Public, Hidden: true,
			Handler: func(http.ResponseWriter, *http.Request) { panic("panic-plugh") }}}
	}, fx.ResultTags(`group:"routes"`)))
	ts, stop := startStoppable(t, sqliteConfig(t), nil, panicky)
	keys := ts.newCompany("Acme Lending")
	if r := ts.call("GET", "/test/panic", "", nil); r.Status != 500 || field(r.JSON, "type") != "API" || strings.Contains(string(r.Body), "plugh") {
		t.Fatalf("a panic answered %d %s", r.Status, r.Body)
	}
	if err := ts.Store.Close(); err != nil {
		t.Fatal(err)
	}
	if r := ts.call("POST", "/v2/sandbox/products/auths", keys.Sandbox.SecretKey, "{}"); r.Status != 503 {
		t.Fatalf("with the database closed: %d %s", r.Status, r.Body)
	}
	stop()
	found := map[string]bool{}
	for _, l := range logLines(t, ts.Logs.String()) {
		switch {
		case l["msg"] == "handler panicked" && l["level"] == "ERROR" && l["panic"] == "panic-plugh":
			found["panic"] = true
		case l["msg"] == "database failure" && l["level"] == "ERROR" && strings.Contains(fmt.Sprint(l["error"]), "database is closed"):
			found["database failure"] = true
		}
	}
	for _, what := range []string{"panic", "database failure"} {
		if !found[what] {
			t.Errorf("no JSON log line for the %s:\n%s", what, ts.Logs.String())
		}
	}
}

// TestDatabaseLossIs503: once the database stops answering (the pool
// closed underneath on SQLite; the database terminated and dropped on
// PostgreSQL), the API answers 503 DATABASE_UNAVAILABLE, retryable, with
// Retry-After, not a bare 500.
func TestDatabaseLossIs503(t *testing.T) {
	forEachDB(t, func(t *testing.T, db storage.Config) {
		ts := startServer(t, db, nil)
		keys := ts.newCompany("Acme Lending")
		fresh := ts.newCompany("Acme Bank") // its key is never cached
		if r := ts.call("POST", "/v2/sandbox/products/auths", keys.Sandbox.SecretKey, "{}"); r.Status != 200 {
			t.Fatalf("before: %d %s", r.Status, r.Body)
		}
		if ts.Store.Dialect() == "postgres" {
			dropUnderneath(t, db.DatabaseURL)
		} else if err := ts.Store.Close(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ what, key, path, body string }{
			{"a list with a cached key", keys.Sandbox.SecretKey, "/v2/sandbox/products/auths", "{}"},
			{"a key lookup", fresh.Sandbox.SecretKey, "/v2/sandbox/customers/list", "{}"},
			{"a session open", "", "/widget/v1/sessions", `{"key":"` + keys.Sandbox.PublicKey + `","token":"` + keys.Company.ID +
				`","env":"production-sandbox","products":["auth"]}`},
		} {
			r := ts.call("POST", c.path, c.key, c.body)
			if r.Status != 503 || field(r.JSON, "type") != "DATABASE_UNAVAILABLE" || field(r.JSON, "retryable") != true ||
				r.Header.Get("Retry-After") == "" || field(r.JSON, "request_id") == "" {
				t.Errorf("%s: %d %s Retry-After=%q, want 503 DATABASE_UNAVAILABLE retryable", c.what, r.Status, r.Body, r.Header.Get("Retry-After"))
			}
		}
		if r := ts.call("GET", "/readyz", "", nil); r.Status != 503 {
			t.Errorf("/readyz without a database: %d %s", r.Status, r.Body)
		}
	})
}

// dropUnderneath ends every session of a PostgreSQL database and drops it,
// as a failed-over or lost server would look to the pool.
func dropUnderneath(t *testing.T, databaseURL string) {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := sql.Open("postgres", storagetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
		t.Fatalf("terminate sessions: %v", err)
	}
	if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
		t.Fatalf("drop database: %v", err)
	}
}

// TestFullDiskIs507: a SQLite database that may not grow (max_page_count
// at its current size) answers a write with 507 STORAGE_FULL.
func TestFullDiskIs507(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.db")
	first, stop := startStoppable(t, storage.Config{DatabaseURL: "sqlite:" + path}, nil)
	keys := first.newCompany("Acme Lending")
	stop()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var pages int
	err = raw.QueryRow("PRAGMA page_count").Scan(&pages)
	_ = raw.Close()
	if err != nil || pages == 0 {
		t.Fatalf("page count: %d %v", pages, err)
	}
	ts := startServer(t, storage.Config{DatabaseURL: "sqlite:" + path + "?_pragma=max_page_count(" + strconv.Itoa(pages) + ")"}, nil)
	pad := strings.Repeat("x", 12<<10) // three pages of overflow at least
	r := ts.call("POST", "/v2/sandbox/widget/links/create", keys.Sandbox.SecretKey,
		map[string]any{"options": map[string]any{"key": keys.Sandbox.PublicKey, "meta": map[string]any{"pad": pad}}})
	if r.Status != 507 || field(r.JSON, "type") != "STORAGE_FULL" || !strings.Contains(fmt.Sprint(field(r.JSON, "message")), "storage is full") {
		t.Fatalf("a write to a full database: %d %s, want 507 STORAGE_FULL", r.Status, r.Body)
	}
}

// TestServeLogsOnlyJSON runs the binary, uses it (a link visit, a 404, an
// oversized body) and stops it with SIGTERM: every line it wrote to stderr
// is JSON and none carries the short-link code.
func TestServeLogsOnlyJSON(t *testing.T) {
	p := startProcess(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	// serve prints the public key before the secret one.
	publicKey := p.waitLine(t, regexp.MustCompile(`sandbox public key:\s+(pk_test_\S+)`))
	key := p.waitLine(t, demoKey)
	do := func(method, path, key, body string) (int, []byte) {
		req, err := http.NewRequest(method, p.origin+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res.StatusCode, raw
	}
	status, raw := do("POST", "/v2/sandbox/widget/links/create", key, `{"options":{"key":"`+publicKey+`"}}`)
	var created struct {
		Data struct {
			ShortURL string `json:"short_url"`
		} `json:"data"`
	}
	if status != 200 || json.Unmarshal(raw, &created) != nil || created.Data.ShortURL == "" {
		t.Fatalf("links/create: %d %s", status, raw)
	}
	code := created.Data.ShortURL
	for _, path := range []string{"/link/" + code, "/widget/v1/links/" + code, "/nowhere"} {
		do("GET", path, "", "")
	}
	if status, _ := do("POST", "/v2/sandbox/products/auths", key, strings.Repeat(" ", 2<<20)); status != 413 {
		t.Fatalf("an oversized body: %d", status)
	}
	p.terminate(t)
	stderr := p.errs.String()
	lines := logLines(t, stderr)
	if len(lines) < 5 {
		t.Fatalf("only %d log lines:\n%s", len(lines), stderr)
	}
	if strings.Contains(stderr, code) {
		t.Fatalf("stderr carries the short-link code:\n%s", stderr)
	}
}
