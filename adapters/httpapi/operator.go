package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// operatorRoutes are the endpoints for operators: no company key.
func (s *Server) operatorRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Path: "/healthz", Handler: s.healthz, Tag: "operator", Summary: "The process is alive.", Response: "Health"},
		{Method: http.MethodGet, Path: "/readyz", Handler: s.readyz, Tag: "operator", Summary: "This instance can serve: the database answers, migrations are applied and at least one connector is serving (a bank in trouble is a bank status, not unreadiness).", Response: "Health"},
		{Method: http.MethodGet, Path: "/metrics", Handler: promhttp.HandlerFor(s.deps.Registry, promhttp.HandlerOpts{}).ServeHTTP, Tag: "operator", Summary: "Prometheus metrics."},
		{Method: http.MethodGet, Path: "/openapi.json", Handler: s.openapi, Tag: "operator", Summary: "This document."},
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// readyz runs every readiness check; any failure answers 503 naming it.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	if s.deps.Store != nil {
		checks["database"] = "ok"
		if err := s.deps.Store.Ping(ctx); err != nil {
			checks["database"] = "unreachable"
			status = http.StatusServiceUnavailable
			s.log.WarnContext(ctx, "readiness: database", "error", err.Error())
		}
	}
	for _, c := range s.deps.Readiness {
		checks[c.Name] = "ok"
		if err := c.Check(ctx); err != nil {
			checks[c.Name] = err.Error()
			if checks[c.Name] == "" {
				checks[c.Name] = "not ready" // never an empty reason
			}
			status = http.StatusServiceUnavailable
		}
	}
	word := "ok"
	if status != http.StatusOK {
		word = "unavailable"
	}
	writeJSON(w, status, map[string]any{"status": word, "checks": checks})
}
