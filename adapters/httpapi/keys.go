package httpapi

import (
	"net/http"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
)

// secretKey admits requests that carry a secret key of env and puts the
// caller in the context.
func (s *Server) secretKey(env domain.Env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := bearer(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		company, err := s.deps.Keys.Authenticate(r.Context(), key, domain.KeySecret, env)
		if err != nil {
			writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withCaller(r.Context(), Caller{Company: company, Env: env})))
	})
}

// optionalKey is secretKey for routes of public data: without an
// Authorization header the caller is anonymous (no company) in env and is
// rate limited by address.
func (s *Server) optionalKey(env domain.Env, next http.Handler) http.Handler {
	keyed := s.secretKey(env, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			keyed.ServeHTTP(w, r)
			return
		}
		anon := Caller{Company: domain.Company{ID: "anonymous:" + s.deps.Clients.Of(r)}, Env: env}
		next.ServeHTTP(w, r.WithContext(withCaller(r.Context(), anon)))
	})
}

// bearer extracts the token of an Authorization: Bearer header.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", &domain.Error{Kind: domain.KindUnauthorized, Code: "MISSING_KEY", Message: "Authorization: Bearer <key> is required"}
	}
	scheme, token, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", &domain.Error{Kind: domain.KindUnauthorized, Code: "MALFORMED_KEY", Message: "the Authorization header must be Bearer <key>"}
	}
	return strings.TrimSpace(token), nil
}
