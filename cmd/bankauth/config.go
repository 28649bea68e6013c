package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is everything an operator can set, by flag or BANKAUTH_* variable
// (a flag wins over a variable).
type config struct {
	Addr                 string
	DataDir              string
	DatabaseURL          string
	PluginDir            string
	MasterKey            string
	RateLimit            float64
	RateBurst            int
	LogLevel             string
	ShutdownTimeout      time.Duration
	BankTimeout          time.Duration
	AllowPrivateWebhooks bool
	PublicURL            string
	FakebankScenario     string
	ConnectorUser        string
	ConnectorReadPaths   string
	WebhookBackoff       time.Duration
	TrustedProxies       string
}

// envOr reads a BANKAUTH_* variable with a default.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// storageFlags are the flags every command that opens the database takes.
func storageFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.DataDir, "data-dir", envOr("BANKAUTH_DATA_DIR", "data"), "directory for the SQLite database and the key file (BANKAUTH_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", envOr("BANKAUTH_DATABASE_URL", ""), "postgres://… to use PostgreSQL; empty for SQLite in the data directory (BANKAUTH_DATABASE_URL)")
	c.MasterKey = os.Getenv("BANKAUTH_MASTER_KEY")
	fs.StringVar(&c.LogLevel, "log-level", envOr("BANKAUTH_LOG_LEVEL", "info"), "debug, info, warn or error (BANKAUTH_LOG_LEVEL)")
}

// serveFlags adds the server's flags.
func serveFlags(fs *flag.FlagSet, c *config) {
	storageFlags(fs, c)
	fs.StringVar(&c.Addr, "addr", envOr("BANKAUTH_ADDR", "127.0.0.1:8080"), "address to listen on (BANKAUTH_ADDR)")
	fs.StringVar(&c.PluginDir, "plugin-dir", envOr("BANKAUTH_PLUGIN_DIR", ""), "directory of registered external connectors (BANKAUTH_PLUGIN_DIR)")
	fs.StringVar(&c.PublicURL, "public-url", envOr("BANKAUTH_PUBLIC_URL", ""), "the server's origin as customers reach it, e.g. https://link.example.com (BANKAUTH_PUBLIC_URL; default http://<addr>)")
	fs.StringVar(&c.FakebankScenario, "fakebank-scenario", envOr("BANKAUTH_FAKEBANK_SCENARIO", ""), "scenario file for the sandbox fake banks (latency, failure rate); default: built in (BANKAUTH_FAKEBANK_SCENARIO)")
	fs.Float64Var(&c.RateLimit, "rate-limit", envFloat("BANKAUTH_RATE_LIMIT", 50), "API requests per second per key; -1 turns limiting off (BANKAUTH_RATE_LIMIT)")
	fs.IntVar(&c.RateBurst, "rate-burst", envInt("BANKAUTH_RATE_BURST", 100), "API requests a key may make at once (BANKAUTH_RATE_BURST)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration("BANKAUTH_SHUTDOWN_TIMEOUT", 30*time.Second), "how long SIGTERM waits for requests in flight (BANKAUTH_SHUTDOWN_TIMEOUT)")
	fs.DurationVar(&c.BankTimeout, "bank-timeout", envDuration("BANKAUTH_BANK_TIMEOUT", 30*time.Second), "deadline of every call to a bank connector (BANKAUTH_BANK_TIMEOUT)")
	fs.DurationVar(&c.WebhookBackoff, "webhook-backoff", envDuration("BANKAUTH_WEBHOOK_BACKOFF", 2*time.Second), "first retry delay of a failed webhook delivery; doubles up to 1h, with jitter, for 24h (BANKAUTH_WEBHOOK_BACKOFF)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", envOr("BANKAUTH_TRUSTED_PROXIES", ""), "reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For names the client for the link API's per-address budgets (BANKAUTH_TRUSTED_PROXIES)")
	fs.StringVar(&c.ConnectorUser, "connector-user", envOr("BANKAUTH_CONNECTOR_USER", ""), "run connector processes as this user (name or uid); the server must run as root (BANKAUTH_CONNECTOR_USER)")
	fs.StringVar(&c.ConnectorReadPaths, "connector-read-paths", envOr("BANKAUTH_CONNECTOR_READ_PATHS", ""), "comma-separated paths connectors may also read and execute, e.g. an interpreter outside /usr (BANKAUTH_CONNECTOR_READ_PATHS)")
	fs.BoolVar(&c.AllowPrivateWebhooks, "allow-private-webhooks", envOr("BANKAUTH_ALLOW_PRIVATE_WEBHOOKS", "") == "1", "allow webhook URLs on loopback and private ranges, for development (BANKAUTH_ALLOW_PRIVATE_WEBHOOKS=1)")
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// parse parses a command's flags; a stray argument is a usage error.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// newLogger logs JSON to w at the configured level.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, usageError{fmt.Sprintf("log level %q: use debug, info, warn or error", level)}
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}
