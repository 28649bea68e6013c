package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

// BankLister lists banks with live status (the connector host).
type BankLister interface {
	Banks(ctx context.Context) ([]domain.Bank, error)
}

// banksFor keeps the banks an environment may use: sandbox gets the fake
// banks and connectors under test, production only what the operator
// enabled for it.
func banksFor(ctx context.Context, l BankLister, env domain.Env) ([]domain.Bank, error) {
	all, err := l.Banks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Bank, 0, len(all))
	for _, b := range all {
		if b.ServesEnv(env) {
			out = append(out, b)
		}
	}
	return out, nil
}

// BankRoutes are GET banks/list and GET banks/getById?id=.
func BankRoutes(l BankLister) Routes {
	list := func(w http.ResponseWriter, r *http.Request) {
		c, _ := callerFrom(r.Context())
		banks, err := banksFor(r.Context(), l, c.Env)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]okra.Bank, 0, len(banks))
		for _, b := range banks {
			out = append(out, okra.PresentBank(b))
		}
		ok(w, "Banks retrieved successfully", map[string]any{
			"pagination": domain.NewPageInfo(domain.Page{Number: 1, Limit: domain.MaxPageLimit}, len(out)),
			"banks":      out, "credentials": nil,
		})
	}
	get := func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if id == "" {
			writeError(w, r, domain.Invalid("id", "is required"))
			return
		}
		c, _ := callerFrom(r.Context())
		banks, err := banksFor(r.Context(), l, c.Env)
		if err != nil {
			writeError(w, r, err)
			return
		}
		for _, b := range banks {
			if b.ID == id || b.Slug == id {
				one(w, "banks", "Bank retrieved successfully", okra.PresentBank(b))
				return
			}
		}
		writeError(w, r, domain.NotFound("bank"))
	}
	return Routes{
		{Method: http.MethodGet, Path: "banks/list", Access: OptionalKey, Tag: "banks", Summary: "Banks available to this environment, with methods and live status (public data: no key needed, as Okra served it).", Response: "BankList", Handler: list},
		{Method: http.MethodGet, Path: "banks/getById", Access: OptionalKey, Tag: "banks", Summary: "One bank by id or slug (no key needed).", Query: []string{"id"}, Response: "BankList", Handler: get},
		// Okra's sandbox helpers live here because they hand out logins at
		// the sandbox banks.
		{Method: http.MethodPost, Path: "customers/create", Access: SecretKey, Tag: "sandbox", Summary: "Sandbox only: logins for the sandbox banks, one per customer asked for. bankauth's customers are who linked, so the customer appears once the login is used in the widget.",
			Request: "SandboxCreate", Response: "SandboxLogins", Handler: sandboxCreate(l)},
		{Method: http.MethodPost, Path: "customers/generate", Access: SecretKey, Tag: "sandbox", Summary: "Sandbox only: up to 10 generated logins for the sandbox banks.",
			Request: "SandboxGenerate", Response: "SandboxLogins", Handler: sandboxGenerate(l)},
	}
}

// sandboxPasswords are the sandbox banks' passwords; each picks a flow
// (the sandbox table of the README). Any other password would be refused.
var sandboxPasswords = map[string]bool{
	"pass_good": true, "pass_otp": true, "pass_question": true, "pass_otp_question": true, "pass_expired_session": true,
}

// sandboxLogin is a login a sandbox bank accepts.
type sandboxLogin struct {
	Name     string `json:"name,omitempty"`
	Bank     string `json:"bank"`
	BankID   string `json:"bank_id"`
	Username string `json:"username"`
	Password string `json:"password"`
	Note     string `json:"note,omitempty"`
}

type sandboxCreateItem struct {
	Name     string  `json:"name"`
	Bank     string  `json:"bank"`
	Username string  `json:"username"`
	Password string  `json:"password"`
	Accounts flexInt `json:"noOfAccount"`
}

// sandboxBank finds a sandbox bank by id or slug, the first one when
// want is empty.
func sandboxBank(r *http.Request, l BankLister, want string) (domain.Bank, error) {
	banks, err := banksFor(r.Context(), l, domain.EnvSandbox)
	if err != nil {
		return domain.Bank{}, err
	}
	for _, b := range banks {
		if want == "" || b.ID == want || b.Slug == want {
			return b, nil
		}
	}
	if want == "" {
		return domain.Bank{}, &domain.Error{Kind: domain.KindUnavailable, Message: "no sandbox bank is loaded"}
	}
	return domain.Bank{}, domain.Invalid("bank", "must be the id or slug of a sandbox bank (GET banks/list)")
}

func sandboxOnly(r *http.Request) error {
	if c, _ := callerFrom(r.Context()); c.Env != domain.EnvSandbox {
		return &domain.Error{Kind: domain.KindNotFound, Code: "ROUTE_NOT_FOUND", Message: "this is a sandbox route: call it under /v2/sandbox/"}
	}
	return nil
}

func sandboxCreate(l BankLister) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := sandboxOnly(r); err != nil {
			writeError(w, r, err)
			return
		}
		// okra-node sends one object; Okra's docs an array of them.
		var raw json.RawMessage
		if err := decodeBody(r, &raw); err != nil {
			writeError(w, r, err)
			return
		}
		var items []sandboxCreateItem
		trimmed := strings.TrimSpace(string(raw))
		var err error
		switch {
		case trimmed == "":
			err = domain.Invalid("username", "is required")
		case strings.HasPrefix(trimmed, "["):
			err = decodeJSON(raw, &items)
		default:
			var one sandboxCreateItem
			err = decodeJSON(raw, &one)
			items = []sandboxCreateItem{one}
		}
		if err == nil && (len(items) == 0 || len(items) > 10) {
			err = domain.Invalid("customers", "give 1 to 10 customers")
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]sandboxLogin, 0, len(items))
		for _, it := range items {
			if strings.TrimSpace(it.Username) == "" {
				writeError(w, r, domain.Invalid("username", "is required"))
				return
			}
			b, err := sandboxBank(r, l, it.Bank)
			if err != nil {
				writeError(w, r, err)
				return
			}
			login := sandboxLogin{Name: it.Name, Bank: b.Slug, BankID: b.ID, Username: it.Username, Password: it.Password}
			if !sandboxPasswords[it.Password] {
				login.Password = "pass_good"
				login.Note = "the sandbox banks pick the flow by password (pass_good, pass_otp, pass_question, pass_otp_question, pass_expired_session); pass_good logs in without MFA"
			}
			out = append(out, login)
		}
		ok(w, "Sandbox customers created; log in with them in the widget", sandboxLogins{Customers: out})
	}
}

type sandboxLogins struct {
	Customers []sandboxLogin `json:"customers"`
}

func sandboxGenerate(l BankLister) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := sandboxOnly(r); err != nil {
			writeError(w, r, err)
			return
		}
		var body struct {
			Number flexInt `json:"number"`
			Bank   string  `json:"bank"`
		}
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		n := int(body.Number)
		if n == 0 {
			n = 1
		}
		if n < 1 || n > 10 {
			writeError(w, r, domain.Invalid("number", "must be between 1 and 10"))
			return
		}
		b, err := sandboxBank(r, l, body.Bank)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]sandboxLogin, 0, n)
		for range n {
			out = append(out, sandboxLogin{Bank: b.Slug, BankID: b.ID, Username: "sandbox_" + domain.NewID()[12:], Password: "pass_good"})
		}
		ok(w, "Sandbox customers generated; log in with them in the widget", sandboxLogins{Customers: out})
	}
}
