package httpapi

import (
	"context"
	"net/http"

	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/domain"
)

// LinkTokens issues link tokens (core/auth.Service).
type LinkTokens interface {
	CreateLinkToken(ctx context.Context, scope domain.Scope, req auth.TokenRequest) (auth.TokenCreated, error)
}

// LinkTokenRoutes is POST widget/tokens/create: the company's server
// vouches, with its secret key, for what a session may trust.
func LinkTokenRoutes(t LinkTokens) Routes {
	create := func(w http.ResponseWriter, r *http.Request) {
		var req auth.TokenRequest
		if err := decodeBody(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
		c, _ := callerFrom(r.Context())
		out, err := t.CreateLinkToken(r.Context(), c.Scope(), req)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, "Link token created successfully", out)
	}
	return Routes{
		// Sensitive: the token is a secret shown once, never kept for
		// idempotent replay.
		{Method: http.MethodPost, Path: "widget/tokens/create", Access: SecretKey, Tag: "link", Sensitive: true,
			Request: "LinkTokenCreate", Response: "LinkToken", Handler: create,
			Summary: "Create a single-use link token (30 minutes) carrying the customer, a record to reauthenticate, products and display options; pass it to the widget as link_token."},
	}
}

// linkTokenSchemas are the OpenAPI component schemas of the link-token
// route.
func linkTokenSchemas() map[string]any {
	customer := obj(map[string]any{"id": str(), "bvn": str(), "nin": str(), "phone": str(), "email": str(), "name": str(),
		"dob": map[string]any{"type": "string", "format": "date"}})
	return map[string]any{
		"LinkTokenCreate": obj(map[string]any{
			"customer": customer, "reauth_account": str(), "reauth_bank": str(),
			"products": array(map[string]any{"enum": []any{"auth", "balance", "identity"}}),
			"filter":   obj(map[string]any{"banks": array(str())}), "name": str(), "color": str(), "logo": str(),
			"meta": map[string]any{"type": "object"}, "callback_url": str(), "redirect_url": str(),
		}),
		"LinkToken": obj(map[string]any{"link_token": str(), "expires_at": stamp()}, "link_token", "expires_at"),
	}
}
