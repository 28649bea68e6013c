package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// newPluginLogger returns the hclog logger go-plugin uses for one connector,
// at the level log is enabled for; log already names the connector.
// go-plugin writes through it both its own messages and the connector's
// stderr (the SDK's JSON log lines, already free of secrets); every line
// ends up in slog with the connector's name.
func newPluginLogger(log *slog.Logger) hclog.Logger {
	level := hclog.Error
	for _, l := range []struct {
		s slog.Level
		h hclog.Level
	}{{slog.LevelDebug, hclog.Debug}, {slog.LevelInfo, hclog.Info}, {slog.LevelWarn, hclog.Warn}} {
		if log.Enabled(context.Background(), l.s) {
			level = l.h
			break
		}
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:       "connector",
		Level:      level,
		JSONFormat: true,
		Output:     &slogWriter{log: log},
	})
}

// slogWriter turns hclog's JSON lines into slog records.
type slogWriter struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

func (w *slogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 { // a line that never ends
		w.emit(w.buf)
		w.buf = nil
	}
	return len(p), nil
}

func (w *slogWriter) emit(line []byte) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		w.log.Info(string(line))
		return
	}
	level := slog.LevelInfo
	switch m["@level"] {
	case "trace", "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	msg, _ := m["@message"].(string)
	keys := make([]string, 0, len(m))
	for k := range m {
		switch k {
		case "@level", "@message", "@timestamp", "@caller", "timestamp":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		name := k
		if k == "@module" {
			name = "module"
		}
		attrs = append(attrs, slog.Any(name, m[k]))
	}
	w.log.LogAttrs(context.Background(), level, msg, attrs...)
}
