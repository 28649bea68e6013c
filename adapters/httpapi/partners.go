package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/partners"
	"github.com/bankauth/bankauth/core/ports"
)

// Processor is what the processor routes need (core/partners.Service): a
// company issues, lists and revokes processor tokens; its payment partner
// redeems them.
type Processor interface {
	CreateToken(ctx context.Context, s domain.Scope, req partners.CreateRequest) (partners.Issued, error)
	ListTokens(ctx context.Context, s domain.Scope, p domain.Page) ([]domain.ProcessorToken, int, error)
	RevokeToken(ctx context.Context, s domain.Scope, req partners.RevokeRequest) (domain.ProcessorToken, error)
	Auth(ctx context.Context, p domain.Partner, env domain.Env, token string) (partners.AuthResult, error)
	Balance(ctx context.Context, p domain.Partner, env domain.Env, token string, req partners.BalanceRequest) (partners.BalanceResult, error)
	Identity(ctx context.Context, p domain.Partner, env domain.Env, token string) (partners.IdentityResult, error)
}

// tokenObject is a processor token on the wire: never the token itself.
type tokenObject struct {
	ID          string     `json:"id"`
	MongoID     string     `json:"_id"`
	PartnerID   string     `json:"partner_id"`
	AccountID   string     `json:"account_id"`
	Scopes      []string   `json:"scopes"`
	Env         domain.Env `json:"env"`
	CreatedAt   string     `json:"created_at"`
	LastUsedAt  *string    `json:"last_used_at"`
	Redemptions int        `json:"redemptions"`
	Revoked     bool       `json:"revoked"`
	RevokedAt   *string    `json:"revoked_at"`
}

func presentToken(t domain.ProcessorToken) tokenObject {
	out := tokenObject{ID: t.ID, MongoID: t.ID, PartnerID: t.PartnerID, AccountID: t.AccountID, Scopes: t.Scopes,
		Env: t.Env, CreatedAt: okra.Time(t.CreatedAt), Redemptions: t.Redemptions, Revoked: t.Revoked()}
	if t.LastUsedAt != nil {
		v := okra.Time(*t.LastUsedAt)
		out.LastUsedAt = &v
	}
	if t.RevokedAt != nil {
		v := okra.Time(*t.RevokedAt)
		out.RevokedAt = &v
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	return out
}

// ProcessorRoutes are the company's processor/tokens/* routes (secret key)
// and the partner's processor/*/get routes (partner key). The answer of
// processor/tokens/create carries the token, shown once: for
// Idempotency-Key replays it is stored sealed with sealer.
func ProcessorRoutes(p Processor, sealer ports.Sealer) Routes {
	return Routes{
		{Method: http.MethodPost, Path: "processor/tokens/create", Access: SecretKey, Sensitive: true, ReplaySealer: sealer, Tag: "processor",
			Summary: "Hand one of your connected accounts to a payment partner: returns a processor token, shown once, that the partner redeems with its own key for the products in scopes (a retry with the same Idempotency-Key and body replays that answer for 24 hours).",
			Request: "ProcessorTokenCreateRequest", Response: "ProcessorTokenCreated", Handler: createToken(p)},
		{Method: http.MethodPost, Path: "processor/tokens/list", Access: SecretKey, Tag: "processor",
			Summary: "Your processor tokens, newest first, with their redemption counts (never the tokens themselves).",
			Request: "PageRequest", Response: "ProcessorTokenList",
			Handler: listHandler("tokens", "Processor tokens retrieved successfully", nil,
				func(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.ProcessorToken, int, error) {
					return p.ListTokens(ctx, s, f.Page)
				}, presentToken)},
		{Method: http.MethodPost, Path: "processor/tokens/revoke", Access: SecretKey, Tag: "processor",
			Summary: "Revoke a processor token (by processor_token, or by its id), at once on every instance; its partner gets a PROCESSOR_TOKEN REVOKED webhook.",
			Request: "ProcessorTokenRevokeRequest", Response: "ProcessorToken", Handler: revokeToken(p)},
		{Method: http.MethodPost, Path: "processor/auth/get", Access: PartnerKey, Tag: "processor",
			Summary: "For a payment partner: the account a processor token grants (auth scope), with its full NUBAN, bank (with CBN code), owner and validation.",
			Request: "ProcessorTokenRequest", Response: "ProcessorAuth", Handler: partnerAuth(p)},
		{Method: http.MethodPost, Path: "processor/balance/get", Access: PartnerKey, Tag: "processor",
			Summary: "For a payment partner: the balance check of the token's account (balance scope), as balance/check answers it.",
			Request: "ProcessorBalanceRequest", Response: "ProcessorBalance", Handler: partnerBalance(p)},
		{Method: http.MethodPost, Path: "processor/identity/get", Access: PartnerKey, Tag: "processor",
			Summary: "For a payment partner: the account owner's identity (identity scope); today the name the bank reported at login (complete is false).",
			Request: "ProcessorTokenRequest", Response: "ProcessorIdentity", Handler: partnerIdentity(p)},
	}
}

func createToken(p Processor) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			AccountID string   `json:"account_id"`
			PartnerID string   `json:"partner_id"`
			Scopes    []string `json:"scopes"`
		}
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		c, _ := callerFrom(r.Context())
		issued, err := p.CreateToken(r.Context(), c.Scope(), partners.CreateRequest{
			AccountID: body.AccountID, PartnerID: body.PartnerID, Scopes: body.Scopes})
		if err != nil {
			writeError(w, r, err)
			return
		}
		t := presentToken(issued.Token)
		ok(w, "Processor token created; hand it to the partner now, it is not shown again", struct {
			ProcessorToken string `json:"processor_token"`
			tokenObject
		}{issued.Secret, t})
	}
}

func revokeToken(p Processor) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Token string `json:"processor_token"`
			ID    string `json:"id"`
		}
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		c, _ := callerFrom(r.Context())
		t, err := p.RevokeToken(r.Context(), c.Scope(), partners.RevokeRequest{Token: body.Token, ID: body.ID})
		if err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, "Processor token revoked", presentToken(t))
	}
}

// tokenBody is the processor_token every partner route takes, decoded raw
// so a wrong type is refused naming the field.
type tokenBody struct {
	Token json.RawMessage `json:"processor_token"`
}

func (b tokenBody) token() (string, error) {
	t, err := rawString("processor_token", b.Token)
	if err == nil && t == "" {
		err = domain.Invalid("processor_token", "is required")
	}
	return t, err
}

// partnerRequest decodes a partner route's body into dst and returns the
// partner and its token.
func partnerRequest(r *http.Request, dst interface{ token() (string, error) }) (PartnerCaller, string, error) {
	if err := decodeBody(r, dst); err != nil {
		return PartnerCaller{}, "", err
	}
	token, err := dst.token()
	if err != nil {
		return PartnerCaller{}, "", err
	}
	pc, _ := partnerFrom(r.Context())
	return pc, token, nil
}

// processorAccount is the granted account, with its full NUBAN.
type processorAccount struct {
	ID       string `json:"id"`
	NUBAN    string `json:"nuban"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Currency string `json:"currency"`
}

type processorBank struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Code string `json:"code"`
}

func partnerAuth(p Processor) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body tokenBody
		pc, token, err := partnerRequest(r, &body)
		if err != nil {
			writeError(w, r, err)
			return
		}
		res, err := p.Auth(r.Context(), pc.Partner, pc.Env, token)
		if err != nil {
			writeError(w, r, err)
			return
		}
		a, b := res.Account, res.Bank
		ok(w, "Auth retrieved successfully", map[string]any{
			"processor_token_id": res.Token.ID,
			"account":            processorAccount{ID: a.ID, NUBAN: a.NUBAN, Name: a.Name, Type: a.Type, Currency: a.Currency},
			"bank":               processorBank{ID: b.ID, Name: b.Name, Slug: b.Slug, Code: b.Code},
			"owner":              map[string]string{"name": res.OwnerName()},
			"validated":          res.Validated,
			"env":                res.Token.Env,
		})
	}
}

type balanceBody struct {
	tokenBody
	Amount   json.RawMessage `json:"amount"`
	Currency json.RawMessage `json:"currency"`
	MaxAge   json.RawMessage `json:"max_age"`
}

func partnerBalance(p Processor) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body balanceBody
		pc, token, err := partnerRequest(r, &body)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var req partners.BalanceRequest
		if req.Amount, err = parseAmount(body.Amount); err == nil {
			if req.Currency, err = rawString("currency", body.Currency); err == nil {
				req.MaxAge, err = parseMaxAge(body.MaxAge)
			}
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		res, err := p.Balance(r.Context(), pc.Partner, pc.Env, token, req)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, "Balance retrieved successfully", struct {
			ProcessorTokenID string `json:"processor_token_id"`
			checkAnswer
		}{res.Token.ID, checkAnswer{Balance: okra.PresentBalance(res.Check.View), Sufficient: res.Check.Sufficient,
			Shortfall: res.Check.Shortfall, Amount: req.Amount}})
	}
}

func partnerIdentity(p Processor) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body tokenBody
		pc, token, err := partnerRequest(r, &body)
		if err != nil {
			writeError(w, r, err)
			return
		}
		res, err := p.Identity(r.Context(), pc.Partner, pc.Env, token)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var id any = map[string]any{"fullname": res.FullName, "customer": res.Customer.ID, "env": res.Token.Env}
		if res.Identity != nil {
			id = res.Identity
		}
		ok(w, "Identity retrieved successfully", map[string]any{
			"processor_token_id": res.Token.ID, "identity": id, "complete": res.Complete,
		})
	}
}

// partnerSchemas are the OpenAPI component schemas of the processor routes.
func partnerSchemas() map[string]any {
	tokenRe := map[string]any{"type": "string", "pattern": "^ptok_(test|live)_[0-9a-f]{72}$"}
	scopes := array(map[string]any{"enum": []any{domain.ProductAuth, domain.ProductBalance, domain.ProductIdentity}})
	token := obj(map[string]any{
		"id": objectID(), "_id": objectID(), "partner_id": objectID(), "account_id": objectID(), "scopes": scopes,
		"env": str(), "created_at": stamp(), "last_used_at": nullable("string"), "redemptions": integer(),
		"revoked": boolean(), "revoked_at": nullable("string"),
	}, "id", "partner_id", "account_id", "scopes", "created_at", "last_used_at", "redemptions", "revoked")
	created := obj(map[string]any{
		"processor_token": tokenRe, "id": objectID(), "partner_id": objectID(), "account_id": objectID(), "scopes": scopes,
		"env": str(), "created_at": stamp(), "redemptions": integer(), "revoked": boolean(),
	}, "processor_token", "id", "partner_id", "account_id", "scopes")
	return map[string]any{
		"ProcessorToken":        token,
		"ProcessorTokenCreated": created,
		"ProcessorTokenList":    list("tokens", "ProcessorToken"),
		"ProcessorTokenCreateRequest": obj(map[string]any{
			"account_id": objectID(), "partner_id": objectID(), "scopes": scopes,
		}, "account_id", "partner_id", "scopes"),
		"ProcessorTokenRevokeRequest": obj(map[string]any{"processor_token": tokenRe, "id": objectID()}),
		"ProcessorTokenRequest":       obj(map[string]any{"processor_token": tokenRe}, "processor_token"),
		"ProcessorBalanceRequest": obj(map[string]any{
			"processor_token": tokenRe, "amount": map[string]any{"type": "number", "minimum": 0, "multipleOf": 0.01},
			"currency": map[string]any{"type": "string", "pattern": "^[A-Za-z]{3}$"},
			"max_age":  map[string]any{"type": "integer", "minimum": 0},
		}, "processor_token"),
		"ProcessorAuth": obj(map[string]any{
			"processor_token_id": objectID(),
			"account": obj(map[string]any{"id": objectID(), "nuban": map[string]any{"type": "string", "pattern": "^[0-9]{10}$"},
				"name": str(), "type": str(), "currency": str()}, "id", "nuban", "name", "type", "currency"),
			"bank":      obj(map[string]any{"id": objectID(), "name": str(), "slug": str(), "code": str()}, "name", "slug", "code"),
			"owner":     obj(map[string]any{"name": str()}, "name"),
			"validated": boolean(), "env": str(),
		}, "processor_token_id", "account", "bank", "owner", "validated"),
		"ProcessorBalance": obj(map[string]any{
			"processor_token_id": objectID(), "balance": ref("Balance"),
			"sufficient": boolean(), "shortfall": number(), "amount": number(),
		}, "processor_token_id", "balance"),
		"ProcessorIdentity": obj(map[string]any{
			"processor_token_id": objectID(),
			// The stored identity (complete) or, before one is stored, the
			// owner's name from the login.
			"identity": map[string]any{"oneOf": []any{ref("Identity"),
				obj(map[string]any{"fullname": str(), "customer": objectID(), "env": str()}, "fullname")}},
			"complete": boolean(),
		}, "processor_token_id", "identity", "complete"),
	}
}
