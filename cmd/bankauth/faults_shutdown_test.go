package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/company"
	"github.com/bankauth/bankauth/plugins/sdk"
)

// TestFaultShutdownOrder: stopping the program stops the HTTP server first
// (it closes its listener at once, then drains), then the workers, then the
// connectors, then the database.
func TestFaultShutdownOrder(t *testing.T) {
	ts, stop := startStoppable(t, sqliteConfig(t), nil)
	stop()
	want := []struct{ name, callee string }{
		{"http server", "adapters/httpapi.(*Server).Stop"},
		{"balance worker", "core/balance.(*Worker).Stop"},
		{"webhook worker", "adapters/delivery.(*Worker).Stop"},
		{"connectors", "adapters/connector.(*Host).Stop"},
		{"database", "adapters/storage.NewLifecycle"},
	}
	var order []string
	sc := bufio.NewScanner(strings.NewReader(ts.Logs.String()))
	for sc.Scan() {
		var line struct{ Msg, Callee string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "stop hook" {
			order = append(order, line.Callee)
		}
	}
	at := func(callee string) int {
		for i, c := range order {
			if strings.Contains(c, callee) {
				return i
			}
		}
		return -1
	}
	prev, prevName := -1, ""
	for _, w := range want {
		i := at(w.callee)
		if i < 0 {
			t.Fatalf("no stop hook of the %s (%s) among %q", w.name, w.callee, order)
		}
		if i < prev {
			t.Errorf("the %s stops before the %s; stop hooks ran in this order: %q", w.name, prevName, order)
		}
		prev, prevName = i, w.name
	}
}

// demo credentials printed by serve on an empty database.
var (
	demoToken     = regexp.MustCompile(`client token \(company id\):\s+(\S+)`)
	demoPublicKey = regexp.MustCompile(`sandbox public key:\s+(\S+)`)
)

// childPIDs lists the processes whose parent is pid (Linux /proc).
func childPIDs(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// processGone reports whether pid has exited; a zombie nobody reaps (the
// container's init may not) counts as gone.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

func requireGone(t *testing.T, pids []int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, pid := range pids {
		for !processGone(pid) {
			if time.Now().After(deadline) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("connector %d still alive %s later", pid, within)
			}
			time.Sleep(10 * time.Millisecond) // polling with a deadline
		}
	}
}

// connectorPIDs waits for the server's connector processes.
func connectorPIDs(t *testing.T, p *process) []int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(p.origin + "/readyz")
		if err == nil {
			res.Body.Close()
		}
		if pids := childPIDs(t, p.cmd.Process.Pid); err == nil && res.StatusCode == 200 && len(pids) > 0 {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never had a connector running\nstderr:\n%s", p.errs.String())
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
}

var inFlightMetric = regexp.MustCompile(`(?m)^bankauth_connector_calls_in_flight\{bank="sandbox-bank",connector="fakebank"\} (\d+)$`)

// TestFaultSIGTERMDrainsConnectorCalls: with 10 connector calls in flight,
// SIGTERM lets every one finish with its normal answer, a new connection
// 0.3 s later is refused, the process exits 0 and no connector is left.
func TestFaultSIGTERMDrainsConnectorCalls(t *testing.T) {
	const calls = 10
	dir := t.TempDir()
	scenario := filepath.Join(dir, "slow.json")
	if err := os.WriteFile(scenario, []byte(`{"banks":{"sandbox-bank":{"latency_ms":2000}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, "--data-dir", filepath.Join(dir, "data"), "--fakebank-scenario", scenario)
	keys := company.Created{}
	keys.Company.ID = p.waitLine(t, demoToken)
	keys.Sandbox.PublicKey = p.waitLine(t, demoPublicKey)
	conns := connectorPIDs(t, p)
	fc := newFaultClient(p.origin)

	// Open the sessions first, so that only the logins are in flight.
	type session struct{ id, token string }
	sessions := make([]session, calls)
	for i := range sessions {
		r, m := fc.do("POST", "/widget/v1/sessions", "", map[string]any{"key": keys.Sandbox.PublicKey,
			"token": keys.Company.ID, "env": "production-sandbox", "products": []string{"auth"}})
		if r.err != nil || r.status != http.StatusCreated {
			t.Fatalf("open session: %d %v", r.status, r.err)
		}
		sessions[i] = session{field(m, "session_id").(string), field(m, "session_token").(string)}
	}
	type answer struct {
		r    faultResult
		step any
	}
	answers := make([]answer, calls)
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, m := fc.do("POST", "/widget/v1/sessions/"+s.id+"/login", s.token, map[string]any{"bank": "sandbox-bank",
				"method": "internet_banking", "credentials": map[string]string{"username": "user_good", "password": "pass_good"}})
			answers[i] = answer{r, field(m, "status")}
		}()
	}
	// Wait until all ten hold a slot of the bank.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := http.Get(p.origin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(r.Body)
		r.Body.Close()
		if m := inFlightMetric.FindStringSubmatch(body.String()); m != nil && m[1] == strconv.Itoa(calls) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %d logins never were all in flight", calls)
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	time.Sleep(300 * time.Millisecond) // the scenario's "0.3 s later", not a wait for anything
	host := strings.TrimPrefix(p.origin, "http://")
	if c, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		c.Close()
		t.Errorf("a new connection %s after SIGTERM was accepted", time.Since(signalled).Round(time.Millisecond))
	}
	wg.Wait()
	for i, a := range answers {
		if a.r.err != nil || a.r.status != 200 || a.step != "accounts" {
			t.Errorf("login %d in flight at SIGTERM: %d %s %v (status %v), want 200 accounts", i, a.r.status, a.r.typ, a.r.err, a.step)
		}
	}
	p.waitExit(t)
	requireGone(t, conns, 2*time.Second)
}

// TestFaultSIGKILLLeavesNoConnector: a killed server takes its connectors
// with it.
func TestFaultSIGKILLLeavesNoConnector(t *testing.T) {
	p := startProcess(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	conns := connectorPIDs(t, p)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	requireGone(t, conns, 2*time.Second)
}

// TestFaultConnectorSubcommandHonoursSIGTERM: the hidden sub-command that
// serves the built-in connector exits 0 on SIGTERM.
func TestFaultConnectorSubcommandHonoursSIGTERM(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, hiddenConnectorCommand, "fakebank")
	cmd.Env = append(os.Environ(), sdk.Handshake.MagicCookieKey+"="+sdk.Handshake.MagicCookieValue,
		"PLUGIN_PROTOCOL_VERSIONS="+strconv.Itoa(sdk.ProtocolMajor))
	cmd.Stderr = &syncBuffer{}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || strings.Count(line, "|") < 4 {
		t.Fatalf("no handshake: %q %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("after SIGTERM: %v, want exit 0\nstderr:\n%s", err, cmd.Stderr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the connector sub-command ignored SIGTERM")
	}
}
