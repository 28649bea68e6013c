package connector

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// Lines go-plugin forwards from a connector's stderr reach slog with their
// level, message and fields.
func TestPluginLogger(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})).With("connector", "acme")
	l := newPluginLogger(log)
	l.Named("fixture").Warn("call failed", "rpc", "BeginLogin", "outcome", "error")
	l.Debug("dropped at info")
	l.Info("started", "pid", 42)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines:\n%s", len(lines), buf.String())
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["level"] != "WARN" || first["msg"] != "call failed" || first["rpc"] != "BeginLogin" ||
		first["connector"] != "acme" || first["module"] != "connector.fixture" {
		t.Errorf("first line: %v", first)
	}
	if !strings.Contains(lines[1], `"pid":42`) {
		t.Errorf("second line: %s", lines[1])
	}
	// Not JSON: passed on as a message.
	w := &slogWriter{log: log}
	_, _ = w.Write([]byte("plain text line\npartial"))
	_, _ = w.Write([]byte(" end\n"))
	if !strings.Contains(buf.String(), "plain text line") || !strings.Contains(buf.String(), "partial end") {
		t.Errorf("plain lines lost:\n%s", buf.String())
	}
}
