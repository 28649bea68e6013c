// Package httpapi is the inbound HTTP adapter: the Okra v2 API, the link
// API, the widget's assets and the operator endpoints, with the middleware
// they share (request ids, keys, limits, idempotency, metrics).
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// Config holds the server's limits. Zero values take the defaults.
type Config struct {
	Addr              string
	MaxBodyBytes      int64
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// RateLimit is requests per second per API key; RateBurst how many may
	// come at once. A negative RateLimit turns limiting off.
	RateLimit float64
	RateBurst int
	// IdempotencyTTL is how long a stored response is replayed.
	IdempotencyTTL time.Duration
	// IdempotencyLease is how long an in-flight key is held before a retry
	// may take it over (default: WriteTimeout + IdempotencySettle + 5 s);
	// IdempotencySettle how long storing an answer is retried (default
	// 10 s).
	IdempotencyLease  time.Duration
	IdempotencySettle time.Duration
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout == 0 {
		// Longer than the 30 s bank deadline, so a slow bank still gets a
		// clear 504 rather than a cut connection.
		c.WriteTimeout = 45 * time.Second
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 120 * time.Second
	}
	if c.RateLimit == 0 {
		c.RateLimit = 50
	}
	if c.RateBurst == 0 {
		c.RateBurst = 100
	}
	if c.IdempotencyTTL == 0 {
		c.IdempotencyTTL = 24 * time.Hour
	}
	return c
}

// KeyAuthenticator tells which company presents a key.
type KeyAuthenticator interface {
	Authenticate(ctx context.Context, key string, kind domain.KeyKind, env domain.Env) (domain.Company, error)
}

// ReadinessCheck is one condition of /readyz.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Deps are what the server needs from the rest of the program.
type Deps struct {
	Keys     KeyAuthenticator
	Store    ports.Store
	Clock    ports.Clock
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// Clients tells who a request comes from, for limits by address.
	Clients   ClientAddresses
	Routes    []Route
	Readiness []ReadinessCheck
	// Partners tells which payment partner presents a key (PartnerKey
	// routes); without it those routes refuse every key.
	Partners PartnerAuthenticator
}

// Server is the HTTP server.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	metrics *httpMetrics
	limiter *rateLimiter
	routes  []Route
	handler http.Handler
	srv     *http.Server
	ln      net.Listener
	done    chan error
}

// NewServer builds the server and its handler; Start listens.
func NewServer(cfg Config, deps Deps) (*Server, error) {
	cfg = cfg.withDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Clock == nil {
		deps.Clock = ports.SystemClock{}
	}
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger, limiter: newRateLimiter(cfg.RateLimit, cfg.RateBurst)}
	m, err := newHTTPMetrics(deps.Registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.routes = append(s.operatorRoutes(), deps.Routes...)
	s.routes = append(s.routes, notOfferedRoutes(s.routes)...)
	mux := http.NewServeMux()
	for path, methods := range byPath(s.routes) {
		mux.Handle(path, s.dispatch(path, methods))
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &domain.Error{Kind: domain.KindNotFound, Code: "ROUTE_NOT_FOUND",
			Message: fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)})
	}))
	s.handler = s.edge(mux)
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(deps.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// dispatch picks the route by method, answering 405 with Allow otherwise,
// and wraps it in the middleware its access level needs.
func (s *Server) dispatch(path string, methods map[string]Route) http.Handler {
	wrapped := map[string]http.Handler{}
	for m, rt := range methods {
		var h http.Handler = rt.Handler
		env := domain.EnvProduction
		if strings.HasPrefix(path, SandboxBase) {
			env = domain.EnvSandbox
		}
		switch rt.Access {
		case SecretKey:
			if m == http.MethodPost {
				h = s.idempotent(h, rt)
			}
			h = s.secretKey(env, s.rateLimited(h))
		case OptionalKey:
			h = s.optionalKey(env, s.rateLimited(h))
		case PartnerKey:
			h = s.partnerKey(env, s.rateLimited(h))
		}
		wrapped[m] = h
	}
	allow := allowed(methods)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, found := wrapped[r.Method]
		if !found && r.Method == http.MethodHead {
			h, found = wrapped[http.MethodGet]
		}
		if !found {
			w.Header().Set("Allow", allow)
			writeError(w, r, &domain.Error{Kind: kindMethodNotAllowed,
				Message: fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, path, allow)})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Handler is the whole server as an http.Handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.handler }

// Routes lists every route the server answers.
func (s *Server) Routes() []Route { return s.routes }

// Start listens on the configured address and serves in the background.
func (s *Server) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	s.done = make(chan error, 1)
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	s.log.Info("listening", "addr", ln.Addr().String())
	return nil
}

// Addr is the address the server listens on, once started.
func (s *Server) Addr() string {
	if s.ln == nil {
		return s.cfg.Addr
	}
	return s.ln.Addr().String()
}

// Stop refuses new connections and waits for requests in flight to finish
// (or for ctx to end).
func (s *Server) Stop(ctx context.Context) error {
	if s.ln == nil {
		return nil
	}
	s.log.Info("shutting down: finishing requests in flight")
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down http server: %w", err)
	}
	return <-s.done
}
