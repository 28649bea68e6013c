package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

func TestErrorTable(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		typ, code  string
		retryable  bool
		retryAfter string
	}{
		{"database gone", fmt.Errorf("look up key: %w", &domain.Error{Kind: domain.KindStoreUnavailable, Code: "DATABASE_UNAVAILABLE",
			Message: "the database is unavailable right now; try again shortly", Retryable: true, Err: errors.New("dial tcp: connection refused")}),
			503, "DATABASE_UNAVAILABLE", "DATABASE_UNAVAILABLE", true, "2"},
		{"database gone, retryable from the table alone", &domain.Error{Kind: domain.KindStoreUnavailable, Message: "down"},
			503, "DATABASE_UNAVAILABLE", "DATABASE_UNAVAILABLE", true, "2"},
		{"disk full", &domain.Error{Kind: domain.KindStoreFull, Code: "STORAGE_FULL", Message: "full"}, 507, "STORAGE_FULL", "STORAGE_FULL", false, ""},
		{"rate limited", &domain.Error{Kind: domain.KindRateLimited, Message: "slow down"}, 429, "RATE_LIMIT", "RATE_LIMIT", true, "1"},
		{"bank down for now", &domain.Error{Kind: domain.KindUnavailable, Message: "down", Retryable: true}, 503, "BANK_UNAVAILABLE", "BANK_UNAVAILABLE", true, "2"},
		{"bank down, not retryable", &domain.Error{Kind: domain.KindUnavailable, Message: "closed"}, 503, "BANK_UNAVAILABLE", "BANK_UNAVAILABLE", false, ""},
		{"bad field", domain.Invalid("page", "must be between 1 and 1000000"), 400, "INVALID_REQUEST", "INVALID_REQUEST", false, ""},
		{"a bug", errors.New("nil map"), 500, "API", "API", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeError(rec, httptest.NewRequest(http.MethodPost, "/v2/x", nil), tc.err)
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("not JSON: %q", rec.Body.String())
			}
			retryable, _ := body["retryable"].(bool)
			if rec.Code != tc.status || body["type"] != tc.typ || body["code"] != tc.code || retryable != tc.retryable ||
				rec.Header().Get("Retry-After") != tc.retryAfter || body["status"] != "error" {
				t.Fatalf("want %d %s/%s retryable=%v Retry-After=%q, got %d %s Retry-After=%q",
					tc.status, tc.typ, tc.code, tc.retryable, tc.retryAfter, rec.Code, rec.Body, rec.Header().Get("Retry-After"))
			}
			if strings.Contains(rec.Body.String(), "connection refused") || strings.Contains(rec.Body.String(), "nil map") {
				t.Fatalf("the cause reached the client: %s", rec.Body)
			}
		})
	}
}

// startLogged runs a server with routes on 127.0.0.1, logging to h. stop
// waits for requests in flight; the test's cleanup calls it too.
func startLogged(t *testing.T, h slog.Handler, routes ...Route) (s *Server, stop func()) {
	t.Helper()
	s, err := NewServer(Config{Addr: "127.0.0.1:0", RateLimit: -1}, Deps{Logger: slog.New(h), Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			if err := s.Stop(context.Background()); err != nil {
				t.Errorf("stop: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return s, stop
}

// lockedBuffer is a log sink read after the server wrote to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// jsonLines parses every line of a log as a JSON object, failing on any
// that is not one.
func jsonLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("a log line is not JSON: %q", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// TestEveryLogLineIsJSON makes an internal error, a panic and a misuse of
// the ResponseWriter (which net/http itself reports) and finds each in the
// server's JSON log, with nothing written around it.
func TestEveryLogLineIsJSON(t *testing.T) {
	var logs lockedBuffer
	s, stop := startLogged(t, slog.NewJSONHandler(&logs, nil),
		Route{Method: http.MethodGet, Path: "/test/fail", Handler: func(w http.ResponseWriter, r *http.Request) {
			writeError(w, r, errors.New("cause-xyzzy"))
		}},
		Route{Method: http.MethodGet, Path: "/test/panic", Handler: func(http.ResponseWriter, *http.Request) {
			panic("panic-plugh")
		}},
		Route{Method: http.MethodGet, Path: "/test/twice", Handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
			w.WriteHeader(http.StatusOK)
		}},
	)
	for path, want := range map[string]int{"/test/fail": 500, "/test/panic": 500, "/test/twice": 204} {
		res, err := http.Get("http://" + s.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want || strings.Contains(string(body), "xyzzy") || strings.Contains(string(body), "plugh") {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
	}
	// Stopping waits for the handlers, so every line is written.
	stop()
	found := map[string]bool{}
	for _, l := range jsonLines(t, logs.String()) {
		msg, _ := l["msg"].(string)
		switch {
		case msg == "request failed" && l["level"] == "ERROR" && strings.Contains(fmt.Sprint(l["error"]), "cause-xyzzy"):
			found["internal error"] = true
		case msg == "handler panicked" && l["level"] == "ERROR" && l["panic"] == "panic-plugh":
			found["panic"] = true
		case strings.Contains(msg, "superfluous response.WriteHeader"):
			found["net/http's own complaint"] = true
		}
	}
	for _, what := range []string{"internal error", "panic", "net/http's own complaint"} {
		if !found[what] {
			t.Errorf("no JSON log line for the %s:\n%s", what, logs.String())
		}
	}
}

// recordChan is a slog.Handler that hands every record to a channel.
type recordChan chan slog.Record

func (c recordChan) Enabled(context.Context, slog.Level) bool      { return true }
func (c recordChan) Handle(_ context.Context, r slog.Record) error { c <- r.Clone(); return nil }
func (c recordChan) WithAttrs([]slog.Attr) slog.Handler            { return c }
func (c recordChan) WithGroup(string) slog.Handler                 { return c }

func attrs(r slog.Record) map[string]string {
	m := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	return m
}

// TestClientGoneLogsInfo cancels a request while its handler waits on the
// database (here: on the request's context): the line says INFO, and the
// access log shows 499.
func TestClientGoneLogsInfo(t *testing.T) {
	records := make(recordChan, 64)
	entered := make(chan struct{})
	s, _ := startLogged(t, records, Route{Method: http.MethodGet, Path: "/test/slow", Handler: func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
		writeError(w, r, fmt.Errorf("list auths: %w", r.Context().Err()))
	}})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.Addr()+"/test/slow", nil)
	errc := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	<-entered
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the client's request ended with %v, not its cancellation", err)
	}
	var gone bool
	bound := time.After(10 * time.Second)
	for {
		var r slog.Record
		select {
		case r = <-records:
		case <-bound:
			t.Fatal("no access log line for the cancelled request within 10 s")
		}
		a := attrs(r)
		if r.Level >= slog.LevelWarn {
			t.Fatalf("a hung-up client logged at %s: %s %v", r.Level, r.Message, a)
		}
		if r.Message == "client went away before the answer" && r.Level == slog.LevelInfo {
			gone = true
		}
		if r.Message == "request" && a["path"] == "/test/slow" {
			if !gone || a["status"] != "499" {
				t.Fatalf("access log %v after client-gone line seen=%v; want status 499 after it", a, gone)
			}
			return
		}
	}
}

func TestLogPathRedactsShortLinkCodes(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/link/AbCdEfGh1234", "/link/:code"},
		{"/link/AbCdEfGh1234/", "/link/:code/"},
		{"/LINK/AbCdEfGh1234/extra", "/LINK/:code/extra"},
		{"//link/AbCdEfGh1234", "//link/:code"},
		{"/widget/v1/links/AbCdEfGh1234", "/widget/v1/links/:code"},
		{"/v2/sandbox/widget/links/create", "/v2/sandbox/widget/links/create"},
		{"/widget/v1/sessions/0123456789abcdef01234567/login", "/widget/v1/sessions/0123456789abcdef01234567/login"},
		{"/link/", "/link/"},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodGet, "http://x"+tc.path, nil)
		if got := logPath(r); got != tc.want {
			t.Errorf("logPath(%s) = %s, want %s", tc.path, got, tc.want)
		}
	}
}

func TestWidgetOriginIgnoresHost(t *testing.T) {
	tests := []struct {
		name, publicURL string
		want            func(srv *httptest.Server) string
	}{
		{"public URL", "https://link.example.com/", func(*httptest.Server) string { return "https://link.example.com" }},
		{"listening address", "", func(srv *httptest.Server) string { return srv.URL }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newWidgetHandler(nil, nil, WidgetConfig{PublicURL: tc.publicURL})
			srv := httptest.NewServer(http.HandlerFunc(h.loaderJS))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/widget.js", nil)
			req.Host = "evil.example"
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			want, _ := json.Marshal(tc.want(srv))
			if !bytes.Contains(body, []byte("var ORIGIN = "+string(want)+";")) || bytes.Contains(body, []byte("evil")) {
				t.Fatalf("/widget.js with Host: evil.example does not carry %s:\n%.300s", want, body)
			}
		})
	}
}

func TestHostedFrameAncestors(t *testing.T) {
	tests := []struct {
		name string
		c    domain.Company
		want string
	}{
		{"nothing set", domain.Company{}, "*"},
		{"allowed origins", domain.Company{AllowedOrigins: []string{"https://app.example.com", "http://localhost:3000"}}, "https://app.example.com http://localhost:3000"},
		{"frame-ancestors wins", domain.Company{FrameAncestors: "'none'", AllowedOrigins: []string{"https://app.example.com"}}, "'none'"},
		{"frame-ancestors alone", domain.Company{FrameAncestors: "https://a.example"}, "https://a.example"},
		{"an origin that is no source", domain.Company{AllowedOrigins: []string{"https://a.example;script-src *"}}, "'none'"},
	}
	for _, tc := range tests {
		if got := hostedFrameAncestors(tc.c); got != tc.want {
			t.Errorf("%s: frame-ancestors %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDecodeErrorsNameTheJSONField(t *testing.T) {
	type inner struct {
		ID string `json:"id"`
	}
	var withPage struct {
		pageRequest
		Customer inner   `json:"customer"`
		Items    []inner `json:"items"`
	}
	tests := []struct{ body, field string }{
		{`{"page":1e30}`, "page"},
		{`{"limit":"ten"}`, "limit"},
		{`{"customer":{"id":5}}`, "customer.id"},
		{`{"items":[{"id":true}]}`, "items.id"},
	}
	for _, tc := range tests {
		err := decodeJSON([]byte(tc.body), &withPage)
		de, ok := domain.AsError(err)
		if !ok {
			t.Errorf("%s: %v is no domain error", tc.body, err)
			continue
		}
		if de.Field != tc.field || !strings.HasPrefix(de.Message, tc.field+": ") {
			t.Errorf("%s: %v (field %q), want the field %s named", tc.body, err, de.Field, tc.field)
		}
	}
}
