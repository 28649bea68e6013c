package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/fx"
)

func TestOpenAPICoversEveryRoute(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	r := ts.call("GET", "/openapi.json", "", nil)
	if r.Status != 200 {
		t.Fatalf("/openapi.json: %d", r.Status)
	}
	var doc map[string]any
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	for _, k := range []string{"info", "paths", "components"} {
		if doc[k] == nil {
			t.Fatalf("document lacks %s", k)
		}
	}
	info := doc["info"].(map[string]any)
	if info["title"] == "" || info["version"] == "" {
		t.Fatal("info needs title and version")
	}
	paths := doc["paths"].(map[string]any)
	for _, rt := range ts.Server.Routes() {
		if rt.Hidden {
			continue
		}
		full := []string{strings.TrimSuffix(rt.Path, "{$}")}
		if !strings.HasPrefix(rt.Path, "/") {
			full = []string{"/v2/" + rt.Path, "/v2/sandbox/" + rt.Path}
		}
		for _, p := range full {
			item, found := paths[p].(map[string]any)
			if !found {
				t.Errorf("route %s %s is missing from /openapi.json", rt.Method, p)
				continue
			}
			op, found := item[strings.ToLower(rt.Method)].(map[string]any)
			if !found {
				t.Errorf("route %s %s: method missing from /openapi.json", rt.Method, p)
				continue
			}
			responses := op["responses"].(map[string]any)
			_, found200 := responses["200"]
			_, found201 := responses["201"]
			_, found501 := responses["501"]
			if !found200 && !found201 && !found501 {
				t.Errorf("%s %s has no success (or 501) response", rt.Method, p)
			}
		}
	}
	// Every $ref resolves to a component schema.
	schemas := field(doc, "components.schemas").(map[string]any)
	refs := regexp.MustCompile(`"\$ref":"#/components/schemas/([A-Za-z]+)"`).FindAllStringSubmatch(string(r.Body), -1)
	if len(refs) == 0 {
		t.Fatal("no $ref at all")
	}
	for _, m := range refs {
		if schemas[m[1]] == nil {
			t.Errorf("$ref to missing schema %s", m[1])
		}
	}
}

func TestMetricsShowRequests(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	key := ts.newCompany("Acme").Sandbox.SecretKey
	ts.call("POST", "/v2/sandbox/products/auths", key, "{}")
	ts.call("POST", "/v2/sandbox/products/auths", "", "{}")
	r := ts.call("GET", "/metrics", "", nil)
	body := string(r.Body)
	for _, want := range []string{
		`bankauth_http_requests_total{method="POST",route="/v2/sandbox/products/auths",status="200"} 1`,
		`bankauth_http_requests_total{method="POST",route="/v2/sandbox/products/auths",status="401"} 1`,
		`bankauth_http_request_duration_seconds_bucket{method="POST",route="/v2/sandbox/products/auths",status="200"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestAppGraphIsValid(t *testing.T) {
	c := config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), RateLimit: 1, RateBurst: 1}
	if err := fx.ValidateApp(appOptions(c, discardLogger(), io.Discard)); err != nil {
		t.Fatalf("the real module list does not wire: %v", err)
	}
}

// TestCoreImportsOnlyStdlib holds the hexagon's rule: core/ depends on the
// standard library and itself, nothing else.
func TestCoreImportsOnlyStdlib(t *testing.T) {
	root := repoRoot(t)
	list := func(args ...string) []string {
		cmd := exec.Command("go", append([]string{"list", "-deps"}, args...)...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		return strings.Fields(string(out))
	}
	for _, p := range list("-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./core/...") {
		if !strings.HasPrefix(p, "github.com/bankauth/bankauth/core") {
			t.Errorf("core depends on %s", p)
		}
	}
	// net/http and database/sql are standard but belong to adapters.
	for _, p := range list("./core/...") {
		if p == "net/http" || p == "database/sql" {
			t.Errorf("core depends on %s, which belongs in an adapter", p)
		}
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// process is the test binary running as `bankauth serve`.
type process struct {
	cmd    *exec.Cmd
	origin string
	lines  chan string // stdout, line by line
	errs   *syncBuffer
	exited chan error
}

// startProcess runs `bankauth serve` in a child process and waits for it
// to announce its address.
func startProcess(t testing.TB, args ...string) *process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "BANKAUTH_DATABASE_URL=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, lines: make(chan string, 100), errs: &syncBuffer{}, exited: make(chan error, 1)}
	cmd.Stderr = p.errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody reads any more
			}
		}
		p.exited <- cmd.Wait()
	}()
	p.origin = p.waitLine(t, regexp.MustCompile(`serving on (http://\S+)`))
	return p
}

// terminate sends SIGTERM and waits for the process to exit.
func (p *process) terminate(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitExit(t)
}

// waitExit waits for the process to end, and fails t if it ends with an
// error or is still running after 30 s.
func (p *process) waitExit(t testing.TB) {
	t.Helper()
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("exit: %v, want 0\nstderr:\n%s", err, p.errs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the process did not exit within 30 s")
	}
}

// waitLine reads stdout until a line matches re and returns its first group.
func (p *process) waitLine(t testing.TB, re *regexp.Regexp) string {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line := <-p.lines:
			if m := re.FindStringSubmatch(line); m != nil {
				return m[1]
			}
		case err := <-p.exited:
			t.Fatalf("serve exited: %v\nstderr:\n%s", err, p.errs.String())
		case <-timeout:
			t.Fatalf("serve printed no line matching %s\nstderr:\n%s", re, p.errs.String())
		}
	}
}

var demoKey = regexp.MustCompile(`sandbox secret key:\s+(sk_test_[0-9a-f]+)`)

func TestServeOnFreshDataDirPrintsDemoKeys(t *testing.T) {
	p := startProcess(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	// Connectors start in the background; /readyz turns 200 once they are
	// loaded.
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(p.origin + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %s", res.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	key := p.waitLine(t, demoKey)
	req, _ := http.NewRequest("POST", p.origin+"/v2/sandbox/products/auths", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("the printed demo key does not work: %d", res.StatusCode)
	}
}

// TestSIGTERMFinishesRequestsInFlight: a request whose body is still
// arriving when SIGTERM lands completes; new connections are refused; the
// process exits 0.
func TestSIGTERMFinishesRequestsInFlight(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p := startProcess(t, "--data-dir", dir)
	key := p.waitLine(t, demoKey)
	host := strings.TrimPrefix(p.origin, "http://")

	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"page":1,"limit":5}`
	head := "POST /v2/sandbox/products/auths HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + key +
		"\r\nContent-Type: application/json\r\nContent-Length: " + fmt.Sprint(len(body)) +
		"\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
	// Send the headers only. The server answers 100 Continue when the
	// handler starts reading the body: from then on the request is in
	// flight.
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	cont, err := http.ReadResponse(br, nil)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue, got %v %v", cont, err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once the listener closes.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the server kept accepting connections after SIGTERM\nstderr:\n%s", p.errs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Finish the request in flight: it must be answered.
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("in-flight request was cut: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("in-flight request answered %d", res.StatusCode)
	}
	p.waitExit(t)
}
