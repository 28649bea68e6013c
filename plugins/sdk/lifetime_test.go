package sdk_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bankauth/bankauth/plugins/sdk"
)

// roleEnv makes the test binary play a part in the lifetime tests: a
// connector built with sdk.Serve (as a third party's would be), or a host
// that starts one and then waits to be killed.
const roleEnv = "SDK_TEST_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "connector":
		sdk.Serve(scripted{})
		os.Exit(0)
	case "host":
		// Starts a connector without any help from the kernel (no
		// parent-death signal), prints its pid, then waits to be killed.
		cmd, line, err := startConnector()
		if err != nil {
			fmt.Println("error:", err, line)
			os.Exit(1)
		}
		fmt.Println("connector", cmd.Process.Pid)
		select {}
	}
	os.Exit(m.Run())
}

// startConnector runs the test binary as a connector with the handshake
// environment go-plugin's host would give it, and waits for the handshake
// line on its stdout. Its stderr is this process's, so that a dead reader
// never ends it by SIGPIPE.
func startConnector() (*exec.Cmd, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), roleEnv+"=connector",
		sdk.Handshake.MagicCookieKey+"="+sdk.Handshake.MagicCookieValue,
		"PLUGIN_PROTOCOL_VERSIONS="+strconv.Itoa(sdk.ProtocolMajor))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.Count(line, "|") < 4 {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, line, fmt.Errorf("no handshake line: %v", err)
	}
	return cmd, line, nil
}

// gone reports whether pid has exited (a zombie nobody reaps counts).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// pid (comm) STATE ...: comm may hold spaces, so look after the ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !gone(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("connector %d still running %s later", pid, within)
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
}

// A connector built with sdk.Serve exits 0 on SIGTERM.
func TestServeStopsOnSIGTERM(t *testing.T) {
	cmd, _, err := startConnector()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("after SIGTERM the connector exited with %v, want 0", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the connector ignored SIGTERM")
	}
}

// A connector built with sdk.Serve exits when its host is killed, without
// the kernel's parent-death signal: it notices its parent changed.
func TestServeStopsWhenTheHostDies(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	host := exec.Command(exe)
	host.Env = append(os.Environ(), roleEnv+"=host")
	host.Stderr = os.Stderr
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Process.Kill() })
	line, err := bufio.NewReader(out).ReadString('\n')
	var pid int
	if _, serr := fmt.Sscanf(line, "connector %d", &pid); err != nil || serr != nil {
		t.Fatalf("the host did not start its connector: %q %v", line, err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if err := host.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()
	waitGone(t, pid, 2*time.Second)
}
