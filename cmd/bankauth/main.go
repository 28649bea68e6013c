// Command bankauth is the one binary: the server, its operator commands,
// and (re-executed with a hidden sub-command) the built-in fake bank
// connector.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/bankauth/bankauth/adapters/connector"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `bankauth — bank account authentication, returning users and balance checks.

Usage:
  bankauth serve     [flags]   run the server (creates a demo company on an empty database)
  bankauth migrate   [flags]   apply database migrations and exit
  bankauth company create --name NAME [--json]
  bankauth company keys rotate --id COMPANY_ID [--json]
  bankauth company set --id COMPANY_ID [--duplicate-policy merge|reject|allow] [--frame-ancestors SOURCES] [--allowed-origins ORIGINS] [--hide-account-numbers[=false]]
  bankauth company list
  bankauth partner create|list|keys rotate|set   payment partners and their keys (bankauth partner -h)
  bankauth keys status|add|generate|rotate|retire   the master key ring: add a key, re-seal under it, retire old ones
  bankauth connector register NAME PATH --sha256 HEX [--production] [--plugin-dir DIR]
  bankauth connector list
  bankauth connector test PATH --plan FILE   certify a connector binary with the conformance kit
  bankauth connector init NAME [--lang go|node] [--dir DIR] [--replace PATH]   start a new connector project
  bankauth version

Every flag can also be set with a BANKAUTH_* variable; run a command with -h to see them.
`

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout, stderr)
	case "company":
		err = cmdCompany(ctx, args[1:], stdout, stderr)
	case "partner":
		err = cmdPartner(ctx, args[1:], stdout, stderr)
	case "connector":
		err = cmdConnector(ctx, args[1:], stdout, stderr)
	case "keys":
		err = cmdKeys(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "bankauth", version)
	case hiddenConnectorCommand:
		err = cmdConnectorServe(args[1:])
	case connector.ConfineCommand:
		return cmdConfine(args[1:], stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "bankauth: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		var ue usageError
		fmt.Fprintln(stderr, "bankauth:", err)
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError is a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }
