package connector

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsyscall "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// landlockABI is the kernel's Landlock ABI version, 0 without Landlock.
func landlockABI() int {
	v, err := llsyscall.LandlockGetABIVersion()
	if err != nil {
		return 0
	}
	return v
}

// confinedCommand runs the connector at path through the launcher, which
// applies pol and execs it.
func confinedCommand(c Confinement, path string, args []string, checksum []byte, pol policy) *exec.Cmd {
	argv := append([]string(nil), c.LauncherArgs...)
	if checksum != nil {
		argv = append(argv, "--sha256", hex.EncodeToString(checksum))
	}
	for _, p := range pol.readOnly {
		argv = append(argv, "--ro", p)
	}
	for _, p := range pol.readWrite {
		argv = append(argv, "--rw", p)
	}
	argv = append(argv, "--deny-tcp-bind", "--", path)
	return exec.Command(c.Launcher, append(argv, args...)...)
}

type pathList []string

func (p *pathList) String() string     { return strings.Join(*p, ",") }
func (p *pathList) Set(v string) error { *p = append(*p, v); return nil }

// RunConfined is the launcher, the host binary's hidden sub-command
//
//	__confine [--sha256 HEX] [--ro PATH]... [--rw PATH]... [--deny-tcp-bind] -- PROGRAM [ARG]...
//
// It checks PROGRAM's SHA-256 (when given), sets no_new_privs, restricts
// itself with Landlock to the listed paths (read and execute; read and
// write) and, with --deny-tcp-bind, forbids listening on TCP ports, then
// execs PROGRAM in its place: the connector starts confined and cannot undo
// it. Without Landlock in the kernel only no_new_privs applies. It returns
// only on failure.
func RunConfined(args []string) error {
	fs := flag.NewFlagSet(ConfineCommand, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	var ro, rw pathList
	sum := fs.String("sha256", "", "the SHA-256 PROGRAM must have")
	denyBind := fs.Bool("deny-tcp-bind", false, "forbid binding TCP ports (Landlock ABI 4 and later)")
	fs.Var(&ro, "ro", "a file or directory PROGRAM may read and execute (repeatable)")
	fs.Var(&rw, "rw", "a file or directory PROGRAM may read and write (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	argv := fs.Args()
	if len(argv) == 0 {
		return errors.New("confine: no program to run")
	}
	prog := argv[0]
	if *sum != "" {
		want, err := parseSHA256(*sum)
		if err != nil {
			return fmt.Errorf("confine: --sha256: %w", err)
		}
		got, err := fileSHA256(prog)
		if err != nil {
			return fmt.Errorf("confine: %w", err)
		}
		if subtle.ConstantTimeCompare(got, want) != 1 {
			return fmt.Errorf("confine: %s: %w", prog, errChecksum)
		}
	}
	var rules []landlock.Rule
	for _, list := range []struct {
		paths     []string
		dir, file func(...string) landlock.FSRule
	}{{ro, landlock.RODirs, landlock.ROFiles}, {rw, landlock.RWDirs, landlock.RWFiles}} {
		for _, p := range list.paths {
			fi, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("confine: %w", err)
			}
			if fi.IsDir() {
				rules = append(rules, list.dir(p))
			} else {
				rules = append(rules, list.file(p))
			}
		}
	}
	// ABI 7 is what this was written and tested against: later ABIs
	// restrict more (UDP, Unix socket connects) and need their own review.
	cfg := landlock.V7.BestEffort().EnableLoggingForSubprocesses()
	cfg.HandledAccessNet = 0
	if *denyBind {
		cfg.HandledAccessNet = landlock.AccessNetSet(llsyscall.AccessNetBindTCP)
	}
	fd, flags, err := cfg.NewRulesetFD(rules...)
	if err != nil {
		return fmt.Errorf("confine: landlock ruleset: %w", err)
	}
	// no_new_privs and the Landlock domain are per thread and survive
	// execve: set both on this thread, then exec from it. It is never
	// unlocked, so no other goroutine runs on it restricted.
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("confine: set no_new_privs: %w", err)
	}
	if fd >= 0 {
		err := llsyscall.LandlockRestrictSelf(fd, flags)
		_ = unix.Close(fd)
		if err != nil {
			return fmt.Errorf("confine: landlock: %w", err)
		}
	}
	if err := syscall.Exec(prog, argv, os.Environ()); err != nil {
		return fmt.Errorf("confine: exec %s: %w", prog, err)
	}
	return nil
}
