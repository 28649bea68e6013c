package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"

	httpapi "github.com/bankauth/bankauth/adapters/httpapi"
	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/company"
)

// TestMain lets the test binary stand in for the bankauth binary: the
// process tests and the connector host re-execute it with a command as
// the first argument.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-test.") {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// syncBuffer is a log sink tests can read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is the real program, started in-process on a free port.
type testServer struct {
	t         testing.TB
	URL       string
	Store     *storage.Store
	Companies *company.Service
	Server    *httpapi.Server
	Logs      *syncBuffer
	Out       *syncBuffer
}

// startServer assembles appOptions exactly as serve does, on the given
// database, with config tweaks and extra options for test-only routes.
func startServer(t testing.TB, db storage.Config, tweak func(*config), extra ...fx.Option) *testServer {
	t.Helper()
	ts, _ := startStoppable(t, db, tweak, extra...)
	return ts
}

// startStoppable is startServer that also returns a function stopping the
// program (idempotent; the test's cleanup stops it too).
func startStoppable(t testing.TB, db storage.Config, tweak func(*config), extra ...fx.Option) (*testServer, func()) {
	t.Helper()
	c := config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), DatabaseURL: db.DatabaseURL,
		RateLimit: -1, RateBurst: 100, LogLevel: "info",
		ShutdownTimeout: 10 * time.Second, BankTimeout: 5 * time.Second,
	}
	if db.DataDir != "" {
		c.DataDir = db.DataDir
	}
	if tweak != nil {
		tweak(&c)
	}
	ts := &testServer{t: t, Logs: &syncBuffer{}, Out: &syncBuffer{}}
	logger := slog.New(slog.NewJSONHandler(ts.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app := fx.New(appOptions(c, logger, ts.Out), fx.Options(extra...),
		fx.Populate(&ts.Store, &ts.Companies, &ts.Server))
	if err := app.Err(); err != nil {
		t.Fatalf("assemble app: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatalf("start app: %v\nlogs:\n%s", err, ts.Logs.String())
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := app.Stop(ctx); err != nil {
				t.Errorf("stop app: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	ts.URL = "http://" + ts.Server.Addr()
	ts.waitReady()
	return ts, stop
}

// waitReady polls /readyz (connectors start in the background) with a
// bounded deadline.
func (ts *testServer) waitReady() {
	ts.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := ts.call("GET", "/readyz", "", nil)
		if r.Status == 200 {
			return
		}
		if time.Now().After(deadline) {
			ts.t.Fatalf("server not ready: %s\nlogs:\n%s", r.Body, ts.Logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// newCompany creates a company and returns its keys.
func (ts *testServer) newCompany(name string) company.Created {
	ts.t.Helper()
	c, err := ts.Companies.Create(context.Background(), name)
	if err != nil {
		ts.t.Fatalf("create company: %v", err)
	}
	return c
}

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// call sends a request; body may be a string (sent as is) or a value
// (sent as JSON).
func (ts *testServer) call(method, path, key string, body any, headers ...string) response {
	ts.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	out := response{Status: res.StatusCode, Header: res.Header, Body: raw}
	_ = json.Unmarshal(raw, &out.JSON)
	return out
}

// field digs a value out of decoded JSON by dotted path ("data.auths").
func field(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}
