package main

import (
	"context"

	"go.uber.org/fx"

	httpapi "github.com/bankauth/bankauth/adapters/httpapi"
	"github.com/bankauth/bankauth/core/company"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/shortlink"
)

// widgetWiring composes the widget (pages, loader, demo, hosted links).
var widgetWiring = fx.Options(
	fx.Provide(
		func(st ports.Store, clock ports.Clock, companies *company.Service) *shortlink.Service {
			return shortlink.New(st.ShortLinks(), clock, companies)
		},
		func(s *shortlink.Service) httpapi.ShortLinks { return s },
		func(st ports.Store, companies *company.Service) httpapi.WidgetCompanies {
			return widgetCompanies{companies: companies, store: st}
		},
		// The loader and links/create build URLs from --public-url; empty
		// means each request's own origin.
		func(c config) httpapi.WidgetConfig { return httpapi.WidgetConfig{PublicURL: c.PublicURL} },
		fx.Annotate(httpapi.WidgetRoutes, fx.ResultTags(`group:"routes"`)),
	),
)

// widgetCompanies adapts the company service and store to what the widget
// pages need.
type widgetCompanies struct {
	companies *company.Service
	store     ports.Store
}

func (w widgetCompanies) Demo(ctx context.Context) (domain.Company, string, error) {
	return w.companies.Demo(ctx)
}

func (w widgetCompanies) Company(ctx context.Context, id domain.ID) (domain.Company, error) {
	return w.store.Companies().Get(ctx, id)
}
