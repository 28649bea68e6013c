package main

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestTuneCollector: with GOGC unset the collector's target becomes
// defaultGCPercent; an operator's GOGC is left as Go applied it. Both are
// logged.
func TestTuneCollector(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	t.Setenv("GOGC", "")
	tuneCollector(logger)
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("GOGC unset: the collector's target is %d, want %d", got, defaultGCPercent)
	}
	if !strings.Contains(logs.String(), `"gogc":400,"source":"default"`) {
		t.Errorf("GOGC unset: the log says %s", logs.String())
	}

	logs.Reset()
	t.Setenv("GOGC", "250")
	tuneCollector(logger)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: tuneCollector changed the target to %d", got)
	}
	if !strings.Contains(logs.String(), `"gogc":"250","source":"GOGC"`) {
		t.Errorf("GOGC set: the log says %s", logs.String())
	}
}

// TestServeLogsCollectorTarget: `bankauth serve` applies the collector
// default before it starts, and says so in its log.
func TestServeLogsCollectorTarget(t *testing.T) {
	t.Setenv("GOGC", "")
	p := startProcess(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	p.terminate(t)
	if !strings.Contains(p.errs.String(), `"msg":"garbage collector","gogc":400,"source":"default"`) {
		t.Fatalf("no collector line in the log:\n%s", p.errs.String())
	}
}
