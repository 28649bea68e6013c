package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/company"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// openStore opens and migrates the database for an operator command.
func openStore(ctx context.Context, c config) (*storage.Store, error) {
	st, err := storage.Open(ctx, storage.Config{DatabaseURL: c.DatabaseURL, DataDir: c.DataDir})
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func cmdCompany(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"company needs a sub-command: create, keys rotate, set or list"}
	}
	var c config
	var name, id, policy, ancestors, origins string
	var asJSON, hide bool
	sub := args[0]
	rest := args[1:]
	if sub == "keys" {
		if len(rest) == 0 || rest[0] != "rotate" {
			return usageError{"company keys needs the sub-command rotate"}
		}
		sub, rest = "keys rotate", rest[1:]
	}
	fs := flag.NewFlagSet("company "+sub, flag.ContinueOnError)
	storageFlags(fs, &c)
	switch sub {
	case "create":
		fs.StringVar(&name, "name", "", "the company's name (required)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	case "keys rotate":
		fs.StringVar(&id, "id", "", "the company id (client token) (required)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	case "set":
		fs.StringVar(&id, "id", "", "the company id (client token) (required)")
		fs.StringVar(&policy, "duplicate-policy", "", "merge, reject or allow")
		fs.StringVar(&ancestors, "frame-ancestors", "", `origins allowed to frame the company's hosted widget pages, e.g. "https://app.example.com 'self'" (default any)`)
		fs.StringVar(&origins, "allowed-origins", "", `web origins that may embed the widget and receive its results, e.g. "https://app.example.com https://shop.example.com"; "none" clears the list`)
		fs.BoolVar(&hide, "hide-account-numbers", false, "the company sees only masked NUBANs (API, link payload, webhooks); its payment partners get them through processor tokens; =false shows them again")
	case "list":
	default:
		return usageError{fmt.Sprintf("unknown company sub-command %q", sub)}
	}
	if err := parse(fs, rest, stderr); err != nil {
		return err
	}
	if sub == "create" && name == "" {
		return usageError{"company create needs --name"}
	}
	if (sub == "keys rotate" || sub == "set") && !domain.ValidID(id) {
		return usageError{"--id must be a company id (24 hex characters)"}
	}
	hideSet := false
	fs.Visit(func(f *flag.Flag) { hideSet = hideSet || f.Name == "hide-account-numbers" })
	if sub == "set" && policy == "" && ancestors == "" && origins == "" && !hideSet {
		return usageError{"company set needs --duplicate-policy, --frame-ancestors, --allowed-origins or --hide-account-numbers"}
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := company.NewService(st, ports.SystemClock{}, ports.RandomIDs{})
	switch sub {
	case "create":
		created, err := svc.Create(ctx, name)
		if err != nil {
			return err
		}
		return printKeys(stdout, created, asJSON)
	case "keys rotate":
		created, err := svc.RotateKeys(ctx, id)
		if err != nil {
			return err
		}
		return printKeys(stdout, created, asJSON)
	case "set":
		if policy != "" {
			if err := svc.SetDuplicatePolicy(ctx, id, domain.DuplicatePolicy(policy)); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "duplicate policy of %s is now %s\n", id, policy)
		}
		if ancestors != "" {
			if err := svc.SetFrameAncestors(ctx, id, ancestors); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "hosted widget pages of %s may be framed by %s\n", id, ancestors)
		}
		if origins != "" {
			if err := svc.SetAllowedOrigins(ctx, id, origins); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "allowed origins of %s are now %s\n", id, origins)
		}
		if hideSet {
			if err := svc.SetHideAccountNumbers(ctx, id, hide); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "account numbers shown to %s: %s\n", id, map[bool]string{true: "masked", false: "in full"}[hide])
		}
		return nil
	default:
		list, err := st.Companies().List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tDUPLICATE POLICY\tCREATED")
		for _, co := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", co.ID, co.Name, co.DuplicatePolicy, co.CreatedAt.Format("2006-01-02"))
		}
		return tw.Flush()
	}
}

// printKeys shows a company's new keys; secret keys are never shown again.
func printKeys(w io.Writer, c company.Created, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{
			"id": c.Company.ID, "name": c.Company.Name,
			"sandbox": c.Sandbox, "production": c.Production,
		})
	}
	fmt.Fprintf(w, `company %s (%s)
  client token:         %s
  sandbox public key:   %s
  sandbox secret key:   %s
  live public key:      %s
  live secret key:      %s
Secret keys are stored only as hashes: keep them now, they cannot be shown again.
`, c.Company.Name, c.Company.ID, c.Company.ID, c.Sandbox.PublicKey, c.Sandbox.SecretKey, c.Production.PublicKey, c.Production.SecretKey)
	return nil
}
