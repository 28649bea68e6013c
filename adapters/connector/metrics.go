package connector

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	restarts *prometheus.CounterVec
	breaker  *prometheus.GaugeVec
	up       *prometheus.GaugeVec
	bankOpen *prometheus.GaugeVec
	inFlight *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bankauth_connector_calls_total",
			Help: "Calls to connectors by connector, bank, method and outcome.",
		}, []string{"connector", "bank", "method", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bankauth_connector_call_duration_seconds",
			Help:    "Duration of calls to connectors, including waits for a slot or a restart.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"connector", "bank", "method"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bankauth_connector_restarts_total",
			Help: "Connector processes started again after a crash, a hang or a failed start.",
		}, []string{"connector"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bankauth_connector_breaker_open",
			Help: "1 while a connector's crash-loop breaker is open.",
		}, []string{"connector"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bankauth_bank_up",
			Help: "Bank status from recent traffic: 1 operational, 0.5 degraded, 0 down.",
		}, []string{"bank"}),
		bankOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bankauth_bank_breaker_open",
			Help: "1 while a bank's breaker is open or half-open: its calls are refused at once.",
		}, []string{"bank"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bankauth_connector_calls_in_flight",
			Help: "Calls holding one of their bank's slots, by connector and bank.",
		}, []string{"connector", "bank"}),
	}
	var err error
	m.calls = register(reg, m.calls, &err)
	m.duration = register(reg, m.duration, &err)
	m.restarts = register(reg, m.restarts, &err)
	m.breaker = register(reg, m.breaker, &err)
	m.up = register(reg, m.up, &err)
	m.bankOpen = register(reg, m.bankOpen, &err)
	m.inFlight = register(reg, m.inFlight, &err)
	return m, err
}

// register registers c, or returns the collector already registered under
// the same name (a second Host on one registry shares the series).
func register[C prometheus.Collector](reg prometheus.Registerer, c C, errp *error) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		if *errp == nil {
			*errp = err
		}
	}
	return c
}
