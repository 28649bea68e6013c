package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// defaultGCPercent is the collector's target when GOGC is unset. The
// server's live heap is small (about ten megabytes), and Go's default of 100
// collects whenever that much garbage has piled up again: every few dozen
// 100-row pages, and marking and sweeping then cost a fifth of the server's
// CPU on a list route. At 400 a collection comes a quarter as often and the
// heap still stays within five times what is live.
const defaultGCPercent = 400

// tuneCollector applies defaultGCPercent unless the operator set GOGC
// (which Go has applied already), and logs the target in force.
func tuneCollector(logger *slog.Logger) {
	if v := os.Getenv("GOGC"); v != "" {
		logger.Info("garbage collector", "gogc", v, "source", "GOGC")
		return
	}
	debug.SetGCPercent(defaultGCPercent)
	logger.Info("garbage collector", "gogc", defaultGCPercent, "source", "default")
}
