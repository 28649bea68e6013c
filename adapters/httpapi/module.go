package httpapi

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/fx"

	"github.com/bankauth/bankauth/core/ports"
)

// Module provides the HTTP server, the metrics registry and the Okra read
// routes. The composition root supplies Config, a KeyAuthenticator and a
// Reader; other modules add Routes to the "routes" group and checks to the
// "readiness" group.
var Module = fx.Module("http",
	fx.Provide(
		NewRegistry,
		func(r *prometheus.Registry) prometheus.Registerer { return r },
		fx.Annotate(OkraRoutes, fx.ResultTags(`group:"routes"`)),
		newServerFromGraph,
	),
	fx.Invoke(func(lc fx.Lifecycle, s *Server) {
		lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
	}),
)

// NewRegistry is the process's metrics registry with Go and process
// collectors.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

type serverParams struct {
	fx.In
	Config    Config
	Keys      KeyAuthenticator
	Store     ports.Store
	Clock     ports.Clock
	Registry  *prometheus.Registry
	Logger    *slog.Logger
	Clients   ClientAddresses      `optional:"true"`
	Routes    []Routes             `group:"routes"`
	Readiness []ReadinessCheck     `group:"readiness"`
	Partners  PartnerAuthenticator `optional:"true"`
}

func newServerFromGraph(p serverParams) (*Server, error) {
	var routes []Route
	for _, rs := range p.Routes {
		routes = append(routes, rs...)
	}
	return NewServer(p.Config, Deps{
		Keys: p.Keys, Store: p.Store, Clock: p.Clock, Registry: p.Registry,
		Logger: p.Logger, Clients: p.Clients, Routes: routes, Readiness: p.Readiness, Partners: p.Partners,
	})
}
