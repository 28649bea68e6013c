package connector

import (
	"os"
	"path/filepath"
	"time"
)

// BuiltinName is the catalog name of the built-in sandbox connector (the fake
// banks). It is reserved: no external connector may be registered under it.
const BuiltinName = "fakebank"

// Config configures the connector host. Zero fields take the defaults noted
// beside them.
type Config struct {
	// PluginDir is the only directory external connectors may be run from.
	// Empty disables external connectors.
	PluginDir string
	// SelfExecutable is the binary re-executed for the built-in fake bank;
	// default os.Executable().
	SelfExecutable string
	// SelfArgs are the arguments that make SelfExecutable serve the fake
	// bank; default ["__connector", "fakebank"].
	SelfArgs []string
	// DisableBuiltin leaves the built-in fake bank out of the catalog.
	DisableBuiltin bool
	// BuiltinEnv is added to the built-in connector's environment, and
	// BuiltinReadPaths to what its confinement lets it read (the composition
	// root knows what the built-in connector needs: the host knows no
	// particular connector).
	BuiltinEnv       []string
	BuiltinReadPaths []string
	// Confine says how every connector process is confined.
	Confine Confinement

	// CallTimeout bounds every call, including the wait for a free slot and
	// for a (re)start; default 30s. BankTimeouts overrides it per bank slug.
	CallTimeout  time.Duration
	BankTimeouts map[string]time.Duration
	// StartTimeout bounds exec to handshake, and the metadata read after it;
	// default 10s.
	StartTimeout time.Duration
	// MaxConcurrent is the number of calls in flight per connector process,
	// all its banks together; default 64.
	MaxConcurrent int
	// BankConcurrent is the number of calls in flight per bank: a bank's
	// calls share its own budget, so a slow bank cannot use up its
	// connector's; default 16.
	BankConcurrent int
	// SlotWait is how long a call waits for a free slot (its bank's, then
	// its connector's) before it is refused as busy; default 100ms.
	SlotWait time.Duration

	// BankBreakerAfter consecutive timeouts or connector failures of one
	// bank open that bank's breaker: its calls are then refused at once for
	// BankBreakerCooldown, after which one call probes the bank and closes
	// the breaker if it is answered. Other banks are not affected. Defaults
	// 5 and 10s.
	BankBreakerAfter    int
	BankBreakerCooldown time.Duration

	// RestartBackoff is the delay before the second consecutive restart; it
	// doubles per further failure up to MaxRestartBackoff. The first restart
	// after a crash is immediate. Defaults 250ms and 10s.
	RestartBackoff    time.Duration
	MaxRestartBackoff time.Duration
	// CrashLoopThreshold crashes or failed starts within CrashLoopWindow open
	// the connector's breaker for BreakerCooldown: calls then fail fast with
	// kind unavailable. A crash is a process that exited or stopped
	// answering its health check; a call that times out is not one.
	// Defaults 5, 1m and 30s.
	CrashLoopThreshold int
	CrashLoopWindow    time.Duration
	BreakerCooldown    time.Duration

	// HealthWindow is the number of recent calls per bank the status is
	// computed from; default 50.
	HealthWindow int
	// DownAfter consecutive failed calls mark a bank down; default 5.
	DownAfter int
	// DegradedBelow is the success rate under which a bank is degraded;
	// default 0.8.
	DegradedBelow float64
	// SlowCall is the p95 latency over which a bank is degraded; default 5s.
	SlowCall time.Duration
}

func (c Config) withDefaults() (Config, error) {
	var err error
	if c.SelfExecutable == "" && !c.DisableBuiltin {
		exe, err := os.Executable()
		if err != nil {
			return c, err
		}
		c.SelfExecutable = exe
	}
	for i, p := range c.BuiltinReadPaths {
		if c.BuiltinReadPaths[i], err = filepath.Abs(p); err != nil {
			return c, err
		}
	}
	if c.Confine, err = c.Confine.withDefaults(); err != nil {
		return c, err
	}
	if c.SelfArgs == nil {
		c.SelfArgs = []string{"__connector", "fakebank"}
	}
	setDur(&c.CallTimeout, 30*time.Second)
	setDur(&c.StartTimeout, 10*time.Second)
	setInt(&c.MaxConcurrent, 64)
	setInt(&c.BankConcurrent, 16)
	setDur(&c.SlotWait, 100*time.Millisecond)
	setInt(&c.BankBreakerAfter, 5)
	setDur(&c.BankBreakerCooldown, 10*time.Second)
	setDur(&c.RestartBackoff, 250*time.Millisecond)
	setDur(&c.MaxRestartBackoff, 10*time.Second)
	setInt(&c.CrashLoopThreshold, 5)
	setDur(&c.CrashLoopWindow, time.Minute)
	setDur(&c.BreakerCooldown, 30*time.Second)
	setInt(&c.HealthWindow, 50)
	setInt(&c.DownAfter, 5)
	if c.DegradedBelow <= 0 {
		c.DegradedBelow = 0.8
	}
	setDur(&c.SlowCall, 5*time.Second)
	return c, nil
}

// callTimeout is the deadline of a call to bank.
func (c Config) callTimeout(bank string) time.Duration {
	if d, ok := c.BankTimeouts[bank]; ok && d > 0 {
		return d
	}
	return c.CallTimeout
}

func setDur(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func setInt(n *int, def int) {
	if *n <= 0 {
		*n = def
	}
}

// hostEnvAllowList are the only variables of the host's environment a
// connector process sees.
var hostEnvAllowList = []string{"PATH", "HOME", "TMPDIR", "LANG", "TZ"}

func connectorEnv(extra ...string) []string {
	env := make([]string, 0, len(hostEnvAllowList)+len(extra))
	for _, k := range hostEnvAllowList {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}
