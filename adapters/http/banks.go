package httpapi

import (
	"context"
	"net/http"

	"github.com/bankauth/bankauth/core/domain"
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
		if b.Production == (env == domain.EnvProduction) {
			out = append(out, b)
		}
	}
	return out, nil
}

type okraBank struct {
	ID        string   `json:"id"`
	MongoID   string   `json:"_id"`
	Name      string   `json:"name"`
	Slug      string   `json:"slug"`
	Icon      string   `json:"icon"`
	Logo      string   `json:"logo"`
	V2Icon    string   `json:"v2_icon"`
	V2Logo    string   `json:"v2_logo"`
	Status    string   `json:"status"`
	Country   string   `json:"country"`
	Countries []string `json:"countries"`
	Methods   []string `json:"methods"`
	MFAKinds  []string `json:"mfa_kinds"`
	Products  []string `json:"products"`
	// Okra's auth-method flags, derived from methods and MFA kinds.
	SecretQuestionOrOTP       bool   `json:"secret_question_or_otp"`
	SecretQuestionOrOTPMobile bool   `json:"secret_question_or_otp_mobile"`
	USSD                      bool   `json:"ussd"`
	Individual                bool   `json:"individual"`
	Corporate                 bool   `json:"corporate"`
	CreatedAt                 string `json:"created_at"`
	LastUpdated               string `json:"last_updated"`
}

func presentBank(b domain.Bank) okraBank {
	ref := presentBankRef(b)
	mfa := len(b.MFAKinds) > 0
	nz := func(xs []string) []string {
		if xs == nil {
			return []string{}
		}
		return xs
	}
	return okraBank{
		ID: b.ID, MongoID: b.ID, Name: b.Name, Slug: b.Slug, Icon: ref.Icon, Logo: ref.Logo,
		V2Icon: ref.Icon, V2Logo: ref.Logo, Status: ref.Status, Country: b.Country,
		Countries: []string{b.Country}, Methods: nz(b.Methods), MFAKinds: nz(b.MFAKinds), Products: nz(b.Products),
		SecretQuestionOrOTP:       mfa && b.HasMethod(domain.MethodInternetBanking),
		SecretQuestionOrOTPMobile: mfa && b.HasMethod(domain.MethodMobileBanking),
		USSD:                      b.HasMethod(domain.MethodUSSD),
		Individual:                true,
		CreatedAt:                 ts(b.CreatedAt), LastUpdated: ts(b.UpdatedAt),
	}
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
		out := make([]okraBank, 0, len(banks))
		for _, b := range banks {
			out = append(out, presentBank(b))
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
				one(w, "banks", "Bank retrieved successfully", presentBank(b))
				return
			}
		}
		writeError(w, r, domain.NotFound("bank"))
	}
	return Routes{
		{Method: http.MethodGet, Path: "banks/list", Access: SecretKey, Tag: "banks", Summary: "Banks available to this environment, with methods and live status.", Response: "BankList", Handler: list},
		{Method: http.MethodGet, Path: "banks/getById", Access: SecretKey, Tag: "banks", Summary: "One bank by id or slug.", Query: []string{"id"}, Response: "BankList", Handler: get},
	}
}
