package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/bankauth/bankauth/adapters/connector"
	"github.com/bankauth/bankauth/cmd/bankauth/scaffold"
	"github.com/bankauth/bankauth/plugins/fakebank"
	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

// hiddenConnectorCommand re-executes this binary as a built-in connector
// process; the host starts it, never a person.
const hiddenConnectorCommand = "__connector"

// cmdConnectorServe serves the built-in connector until the host ends it.
// The SDK's Serve also returns on SIGTERM (calls in flight may finish) and
// when the host is gone; the host has the kernel kill it with SIGKILL on its
// own death as well. SIGINT is left to the host, which stops its
// connectors after draining: a terminal's Ctrl-C reaches both.
func cmdConnectorServe(args []string) error {
	if len(args) != 1 || args[0] != connector.BuiltinName {
		return usageError{"unknown built-in connector"}
	}
	fakebank.Main()
	return nil
}

// cmdConnector is `bankauth connector register|list|test|init`.
func cmdConnector(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"connector needs a sub-command: register, list, test or init"}
	}
	var c config
	fs := flag.NewFlagSet("connector "+args[0], flag.ContinueOnError)
	switch args[0] {
	case "register":
		storageFlags(fs, &c)
		fs.StringVar(&c.PluginDir, "plugin-dir", envOr("BANKAUTH_PLUGIN_DIR", ""), "directory of external connectors (BANKAUTH_PLUGIN_DIR)")
		sum := fs.String("sha256", "", "the binary's SHA-256 in hex (required): the binary must match it now and at every start")
		production := fs.Bool("production", false, "offer this connector's banks in production (default: sandbox only)")
		rest, err := positional(fs, args[1:], stderr, 2, "connector register NAME PATH --sha256 HEX")
		if err != nil {
			return err
		}
		if *sum == "" {
			return usageError{"connector register needs --sha256 (compute it with sha256sum PATH)"}
		}
		st, err := openStore(ctx, c)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := connector.NewCatalog(c.PluginDir, st.Connectors()).Register(ctx, rest[0], rest[1], *sum, *production); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registered connector %q; it is checked against its SHA-256 at every start (restart serve to load it)\n", rest[0])
		return nil
	case "list":
		storageFlags(fs, &c)
		fs.StringVar(&c.PluginDir, "plugin-dir", envOr("BANKAUTH_PLUGIN_DIR", ""), "directory of external connectors (BANKAUTH_PLUGIN_DIR)")
		if _, err := positional(fs, args[1:], stderr, 0, "connector list"); err != nil {
			return err
		}
		st, err := openStore(ctx, c)
		if err != nil {
			return err
		}
		defer st.Close()
		list, err := connector.NewCatalog(c.PluginDir, st.Connectors()).List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tENVIRONMENT\tSHA256\tPATH")
		fmt.Fprintf(tw, "%s\tsandbox\t(built in)\t(this binary)\n", connector.BuiltinName)
		for _, r := range list {
			env := "sandbox"
			if r.Enabled {
				env = "production"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\n", r.Name, env, r.SHA256[:12], r.Path)
		}
		return tw.Flush()
	case "init":
		lang := fs.String("lang", "go", "the project's language: go or node")
		dir := fs.String("dir", "", "where to write it (default ./NAME-connector); it must not exist or be empty")
		replace := fs.String("replace", "", "Go: point go.mod at this bankauth checkout (bankauth is not a published module)")
		rest, err := positional(fs, args[1:], stderr, 1, "connector init NAME [--lang go|node] [--dir DIR] [--replace PATH]")
		if err != nil {
			return err
		}
		if *dir == "" {
			*dir = rest[0] + "-connector"
		}
		written, err := scaffold.Write(scaffold.Options{Name: rest[0], Lang: *lang, Dir: *dir, Replace: *replace})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote a %s connector for %s-bank in %s: %s\n", *lang, rest[0], *dir, strings.Join(written, ", "))
		switch *lang {
		case "go":
			if *replace == "" {
				fmt.Fprintln(stdout, "bankauth is not a published module: add --replace /path/to/bankauth, or a replace line to go.mod")
			}
			fmt.Fprintf(stdout, "next: cd %s && go mod tidy && go test ./...\n", *dir)
		case "node":
			fmt.Fprintf(stdout, "next: cd %s && npm ci --ignore-scripts && bankauth connector test ./connector --plan plan.json\n", *dir)
		}
		return nil
	case "test":
		planPath := fs.String("plan", "", "the test plan (JSON) naming credentials for success, each challenge and each rejection (required)")
		rest, err := positional(fs, args[1:], stderr, 1, "connector test PATH --plan FILE")
		if err != nil {
			return err
		}
		if *planPath == "" {
			return usageError{"connector test needs --plan FILE"}
		}
		plan, err := conformance.LoadPlan(*planPath)
		if err != nil {
			return err
		}
		if !connector.RunConformance(rest[0], nil, nil, plan, 0, stdout) {
			return fmt.Errorf("the connector %s does not conform", rest[0])
		}
		fmt.Fprintln(stdout, "the connector conforms")
		return nil
	}
	return usageError{fmt.Sprintf("unknown connector sub-command %q", args[0])}
}

// positional parses flags that may come before or after n positional
// arguments.
func positional(fs *flag.FlagSet, args []string, stderr io.Writer, n int, use string) ([]string, error) {
	fs.SetOutput(stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != n {
		return nil, usageError{"usage: bankauth " + use}
	}
	return pos, nil
}
