package httpapi

import (
	"context"
	"net/http"

	"github.com/bankauth/bankauth/core/domain"
)

// PartnerAuthenticator tells which payment partner presents a key
// (core/partners.Service).
type PartnerAuthenticator interface {
	AuthenticatePartner(ctx context.Context, key string, env domain.Env) (domain.Partner, error)
}

// PartnerCaller is the partner and environment a PartnerKey request acts
// for. It is never a Caller: no company route can serve a partner.
type PartnerCaller struct {
	Partner domain.Partner
	Env     domain.Env
}

type ctxPartnerKey struct{}

func partnerFrom(ctx context.Context) (PartnerCaller, bool) {
	p, ok := ctx.Value(ctxPartnerKey{}).(PartnerCaller)
	return p, ok
}

// partnerKey admits requests that carry a partner's secret key of env and
// puts the partner in the context.
func (s *Server) partnerKey(env domain.Env, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := bearer(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if s.deps.Partners == nil {
			writeError(w, r, &domain.Error{Kind: domain.KindUnauthorized, Code: domain.CodeInvalidKey, Message: "the key is not valid"})
			return
		}
		p, err := s.deps.Partners.AuthenticatePartner(r.Context(), key, env)
		if err != nil {
			writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxPartnerKey{}, PartnerCaller{Partner: p, Env: env})))
	})
}
