package connector

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
)

// ConfineCommand is the hidden sub-command of the host binary that confines
// a connector and then execs it (see RunConfined).
const ConfineCommand = "__confine"

// Confinement says how connector processes are confined. Every connector,
// the built-in fake bank included, runs with no_new_privs, in a private empty
// working directory (also its TMPDIR and HOME) that is removed when it stops,
// and, where the kernel has Landlock, sees only what it needs of the
// filesystem and may not listen on TCP ports.
type Confinement struct {
	// Launcher confines a connector and execs it; it is run as
	// "Launcher LauncherArgs... [policy] -- PATH ARGS...". The default is
	// /proc/self/exe (the running host binary itself, which no one can swap
	// on disk) with ["__confine"]. Not used where there is no Landlock
	// (other systems than Linux).
	Launcher     string
	LauncherArgs []string
	// Protected are paths no connector may ever see: the data directory,
	// the master key file, the database file. A connector whose allowed
	// paths would contain one is not started.
	Protected []string
	// User runs connector processes as this user (a name or a numeric uid)
	// instead of the server's; only when the server runs as root.
	User string
	// ReadPaths are more paths connectors may read and execute, e.g. an
	// interpreter installed outside /usr.
	ReadPaths []string

	uid, gid int // of User; -1 when unset
	extraRW  []string
}

func (c Confinement) withDefaults() (Confinement, error) {
	if c.Launcher == "" {
		c.Launcher = "/proc/self/exe"
	}
	if c.LauncherArgs == nil {
		c.LauncherArgs = []string{ConfineCommand}
	}
	for i, p := range c.Protected {
		abs, err := filepath.Abs(p)
		if err != nil {
			return c, fmt.Errorf("protected path %s: %w", p, err)
		}
		c.Protected[i] = abs
	}
	c.uid, c.gid = -1, -1
	if c.User == "" {
		return c, nil
	}
	if runtime.GOOS != "linux" {
		return c, fmt.Errorf("connector user %q: running connectors as another user needs Linux", c.User)
	}
	if os.Geteuid() != 0 {
		return c, fmt.Errorf("connector user %q: the server must run as root to run connectors as another user", c.User)
	}
	u, err := user.Lookup(c.User)
	if err != nil {
		u, err = user.LookupId(c.User)
	}
	if err != nil {
		n, nerr := strconv.Atoi(c.User)
		if nerr != nil || n < 0 {
			return c, fmt.Errorf("connector user %q: %w", c.User, err)
		}
		c.uid, c.gid = n, n // a bare uid without an account: its own group
		return c, nil
	}
	if c.uid, err = strconv.Atoi(u.Uid); err == nil {
		c.gid, err = strconv.Atoi(u.Gid)
	}
	if err != nil {
		return c, fmt.Errorf("connector user %q: %w", c.User, err)
	}
	return c, nil
}

// systemReadPaths are what programs need of the system: libraries, the
// dynamic loader's cache, CA certificates, time zones, name resolution.
// Missing ones are left out.
var systemReadPaths = []string{
	"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin",
	"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
	"/etc/ssl", "/etc/ca-certificates", "/etc/pki", "/etc/crypto-policies",
	"/etc/localtime", "/etc/timezone",
	"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf",
	"/etc/services", "/etc/protocols",
	"/dev/urandom", "/dev/random", "/proc/self",
}

// policy is what one connector process may touch once confined.
type policy struct {
	readOnly  []string // read and execute
	readWrite []string
}

// policyFor is the policy of the connector at path (already resolved)
// running in its private directory dir.
func (s *Supervisor) policyFor(path, dir string) (policy, error) {
	c := s.cfg.Confine
	// A Go connector needs nothing of its directory; other languages load
	// their code and libraries beside the entry point, so an external
	// connector may read the plugin directory (which holds only connectors).
	p := policy{readOnly: []string{path}, readWrite: []string{dir, "/dev/null"}}
	if !s.spec.builtin {
		pd, err := filepath.Abs(s.catalog.pluginDir)
		if err == nil {
			pd, err = filepath.EvalSymlinks(pd)
		}
		if err != nil {
			return p, fmt.Errorf("plugin directory: %w", err)
		}
		p.readOnly = append(p.readOnly, pd)
	} else {
		p.readOnly = append(p.readOnly, s.cfg.BuiltinReadPaths...)
	}
	p.readOnly = append(p.readOnly, c.ReadPaths...)
	for _, sys := range systemReadPaths {
		if _, err := os.Stat(sys); err == nil {
			p.readOnly = append(p.readOnly, sys)
		}
	}
	p.readWrite = append(p.readWrite, c.extraRW...)
	for _, allowed := range append(append([]string(nil), p.readOnly...), p.readWrite...) {
		for _, prot := range c.Protected {
			if contains(allowed, prot) {
				return p, fmt.Errorf("the connector would be allowed to read %s, which contains %s; keep connectors, "+
					"interpreters and their libraries apart from the server's data", allowed, prot)
			}
		}
	}
	return p, nil
}

// contains reports whether path is dir or lies beneath it, symlinks
// resolved as far as they exist.
func contains(dir, path string) bool {
	dir, path = realPath(dir), realPath(path)
	rel, err := filepath.Rel(dir, path)
	return err == nil && !filepath.IsAbs(rel) && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func realPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

// launch is one start of a connector process.
type launch struct {
	s        *Supervisor
	path     string
	args     []string
	checksum []byte // external connectors: the registered SHA-256
	run      atomic.Pointer[procRunner]
}

// pid is the process id, 0 before it started.
func (l *launch) pid() int {
	if r := l.run.Load(); r != nil {
		return int(r.pid.Load())
	}
	return 0
}

// runner is go-plugin's RunnerFunc: spec carries the environment go-plugin
// prepared (the handshake cookie, the client certificate), dir is the
// private directory it made for this process and removes when it is
// killed. go-plugin's own runner would exec spec.Path directly; this one
// execs the launcher, which confines the process before it becomes the
// connector.
func (l *launch) runner(_ hclog.Logger, spec *exec.Cmd, dir string) (runner.Runner, error) {
	r, err := l.newRunner(spec, dir)
	if err != nil {
		_ = os.RemoveAll(dir) // go-plugin removes it only for a process that started
		return nil, err
	}
	l.run.Store(r)
	return r, nil
}

func (l *launch) newRunner(spec *exec.Cmd, dir string) (*procRunner, error) {
	c := l.s.cfg.Confine
	if l.checksum != nil {
		// The check go-plugin's SecureConfig makes of the command it runs,
		// made here of the connector itself (the command is the launcher).
		// The launcher checks again just before it execs.
		ok, err := (&plugin.SecureConfig{Checksum: l.checksum, Hash: sha256.New()}).Check(l.path)
		if err != nil {
			return nil, fmt.Errorf("verify the connector's checksum: %w", err)
		}
		if !ok {
			return nil, plugin.ErrChecksumsDoNotMatch
		}
	}
	pol, err := l.s.policyFor(l.path, dir)
	if err != nil {
		return nil, err
	}
	cmd := confinedCommand(c, l.path, l.args, l.checksum, pol)
	// The allow-listed host variables, go-plugin's (the handshake cookie,
	// the client certificate), then the private directory as the
	// connector's temp dir, home and socket directory (later entries win).
	cmd.Env = append(append(connectorEnv(l.s.spec.env...), spec.Env...),
		"TMPDIR="+dir, "HOME="+dir, plugin.EnvUnixSocketDir+"="+dir)
	cmd.Dir = dir
	dieWithHost(cmd)
	if c.uid >= 0 {
		if err := os.Chown(dir, c.uid, c.gid); err != nil {
			return nil, fmt.Errorf("hand the connector's directory to uid %d: %w", c.uid, err)
		}
		runAs(cmd, c.uid, c.gid)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	return &procRunner{cmd: cmd, name: l.path, dir: dir, stdout: stdout, stderr: stderr}, nil
}

// procRunner runs one confined connector process for go-plugin.
type procRunner struct {
	cmd            *exec.Cmd
	name, dir      string
	stdout, stderr io.ReadCloser
	pid            atomic.Int64
}

var _ runner.Runner = (*procRunner)(nil)

func (r *procRunner) Start(context.Context) error {
	if err := r.cmd.Start(); err != nil {
		_ = os.RemoveAll(r.dir)
		return fmt.Errorf("start %s: %w", r.name, err)
	}
	r.pid.Store(int64(r.cmd.Process.Pid))
	return nil
}

// Wait waits for the process to end and removes its private directory.
func (r *procRunner) Wait(context.Context) error {
	err := r.cmd.Wait()
	_ = os.RemoveAll(r.dir)
	return err
}

func (r *procRunner) Kill(context.Context) error {
	if r.cmd.Process == nil {
		return nil
	}
	if err := r.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func (r *procRunner) Stdout() io.ReadCloser { return r.stdout }
func (r *procRunner) Stderr() io.ReadCloser { return r.stderr }
func (r *procRunner) Name() string          { return r.name }

func (r *procRunner) ID() string {
	if pid := r.pid.Load(); pid > 0 {
		return strconv.FormatInt(pid, 10)
	}
	return ""
}

func (r *procRunner) Diagnose(context.Context) string {
	return "the connector exited or printed no go-plugin handshake line on stdout; its stderr is in the log"
}

func (r *procRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *procRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

var confineNote sync.Once

// noteConfinement logs once per process what confinement this system gives
// connectors.
func noteConfinement(log *slog.Logger) {
	confineNote.Do(func() {
		switch abi := landlockABI(); {
		case runtime.GOOS != "linux":
			log.Warn("connectors are not confined on " + runtime.GOOS + " beyond a private working directory; " +
				"they can read whatever the server's user can")
		case abi > 0:
			log.Info("connectors are confined: no_new_privs, a private working directory, Landlock "+
				"(the filesystem limited to what they need; no TCP listening)", "landlock_abi", abi)
		default:
			log.Warn("Landlock is not available on this kernel: connectors run with no_new_privs and a " +
				"private working directory, but can read whatever the server's user can")
		}
	})
}
