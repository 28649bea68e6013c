package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/bankauth/bankauth/adapters/delivery"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/partners"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/webhooks"
)

const partnerUsage = `bankauth partner — payment partners a company can hand accounts to with processor tokens

  bankauth partner create --name NAME [--json]          register a partner; prints its secret keys (shown once)
  bankauth partner list [--json]
  bankauth partner keys rotate --id PARTNER_ID [--json]  new keys for both environments; the old ones stop at once
  bankauth partner set --id PARTNER_ID --webhook-url URL [--allow-private-webhooks] [--json]
                                                         where its PROCESSOR_TOKEN webhooks go; prints the signing secrets
`

func cmdPartner(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"partner needs a sub-command: create, list, keys rotate or set\n\n" + partnerUsage}
	}
	var c config
	var name, id, hookURL string
	var asJSON bool
	sub, rest := args[0], args[1:]
	if sub == "keys" {
		if len(rest) == 0 || rest[0] != "rotate" {
			return usageError{"partner keys needs the sub-command rotate"}
		}
		sub, rest = "keys rotate", rest[1:]
	}
	fs := flag.NewFlagSet("partner "+sub, flag.ContinueOnError)
	storageFlags(fs, &c)
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	switch sub {
	case "create":
		fs.StringVar(&name, "name", "", "the partner's name (required)")
	case "keys rotate":
		fs.StringVar(&id, "id", "", "the partner id (required)")
	case "set":
		fs.StringVar(&id, "id", "", "the partner id (required)")
		fs.StringVar(&hookURL, "webhook-url", "", "where the partner's PROCESSOR_TOKEN webhooks go, in both environments (required)")
		fs.BoolVar(&c.AllowPrivateWebhooks, "allow-private-webhooks", envOr("BANKAUTH_ALLOW_PRIVATE_WEBHOOKS", "") == "1",
			"allow a URL on loopback and private ranges, for development (BANKAUTH_ALLOW_PRIVATE_WEBHOOKS=1)")
	case "list":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, partnerUsage)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown partner sub-command %q\n\n%s", sub, partnerUsage)}
	}
	if err := parse(fs, rest, stderr); err != nil {
		return err
	}
	switch {
	case sub == "create" && name == "":
		return usageError{"partner create needs --name"}
	case (sub == "keys rotate" || sub == "set") && !domain.ValidID(id):
		return usageError{"--id must be a partner id (24 hex characters)"}
	case sub == "set" && hookURL == "":
		return usageError{"partner set needs --webhook-url"}
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	deps := partners.Deps{Store: st, Clock: ports.SystemClock{}, IDs: ports.RandomIDs{}}
	switch sub {
	case "create", "keys rotate":
		svc := partners.NewService(deps)
		var created partners.Created
		if sub == "create" {
			created, err = svc.Create(ctx, name)
		} else {
			created, err = svc.RotateKeys(ctx, id)
		}
		if err != nil {
			return err
		}
		return printPartnerKeys(stdout, created, asJSON)
	case "set":
		ring, err := existingRing(c)
		if err != nil {
			return err
		}
		deps.Webhooks = webhooks.NewService(st, ring, deps.Clock, deps.IDs, delivery.NewURLGuard(c.AllowPrivateWebhooks))
		set, err := partners.NewService(deps).SetWebhook(ctx, id, hookURL)
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(stdout, map[string]any{"id": id,
				"sandbox":    map[string]string{"webhook_url": set.Sandbox.URL, "signing_secret": set.Sandbox.SigningSecret},
				"production": map[string]string{"webhook_url": set.Production.URL, "signing_secret": set.Production.SigningSecret}})
		}
		fmt.Fprintf(stdout, `webhooks of partner %s now go to %s
  sandbox signing secret:    %s
  production signing secret: %s
Signing secrets are shown once; setting the URL again rotates them (the old ones stay valid 24 h).
`, id, set.Sandbox.URL, set.Sandbox.SigningSecret, set.Production.SigningSecret)
		return nil
	default:
		list, err := partners.NewService(deps).List(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			out := make([]map[string]any, 0, len(list))
			for _, p := range list {
				out = append(out, map[string]any{"id": p.ID, "name": p.Name, "created_at": p.CreatedAt})
			}
			return printJSON(stdout, out)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED")
		for _, p := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.ID, p.Name, p.CreatedAt.Format("2006-01-02"))
		}
		return tw.Flush()
	}
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printPartnerKeys shows a partner's new keys; they are never shown again.
func printPartnerKeys(w io.Writer, c partners.Created, asJSON bool) error {
	if asJSON {
		return printJSON(w, map[string]any{"id": c.Partner.ID, "name": c.Partner.Name, "sandbox": c.Sandbox, "production": c.Production})
	}
	fmt.Fprintf(w, `partner %s (%s)
  partner id:           %s
  sandbox secret key:   %s
  live secret key:      %s
Secret keys are stored only as hashes: hand them to the partner now, they cannot be shown again.
`, c.Partner.Name, c.Partner.ID, c.Partner.ID, c.Sandbox.SecretKey, c.Production.SecretKey)
	return nil
}
