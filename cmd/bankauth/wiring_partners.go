package main

import (
	"go.uber.org/fx"

	httpapi "github.com/bankauth/bankauth/adapters/httpapi"
	"github.com/bankauth/bankauth/core/balance"
	"github.com/bankauth/bankauth/core/identity"
	"github.com/bankauth/bankauth/core/partners"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/webhooks"
)

// partnersWiring composes payment partners (core/partners): the service,
// the partner key check the server runs on PartnerKey routes, and the
// processor routes.
var partnersWiring = fx.Options(
	fx.Provide(
		newPartnersService,
		func(s *partners.Service) httpapi.PartnerAuthenticator { return s },
		func(s *partners.Service) httpapi.Processor { return s },
		fx.Annotate(httpapi.ProcessorRoutes, fx.ResultTags(`group:"routes"`)),
	),
)

type partnersDeps struct {
	fx.In
	Store      ports.Store
	Clock      ports.Clock
	IDs        ports.IDs
	Balance    *balance.Service
	Webhooks   *webhooks.Service
	Identities *identity.Service
	Notify     ports.Notifier `optional:"true"`
}

func newPartnersService(d partnersDeps) *partners.Service {
	deps := partners.Deps{Store: d.Store, Clock: d.Clock, IDs: d.IDs, Balance: d.Balance, Webhooks: d.Webhooks,
		Identities: d.Identities}
	if d.Notify != nil {
		deps.Notify = d.Notify
	}
	return partners.NewService(deps)
}
