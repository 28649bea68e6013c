package connector

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

func TestModule(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	store := storagetest.OpenSQLite(t)
	deps := fx.Options(
		fx.Supply(cfg),
		fx.Provide(func() ports.Store { return store }),
		fx.Provide(func() prometheus.Registerer { return prometheus.NewRegistry() }),
		fx.Provide(func() *slog.Logger { return testLogger(t) }),
	)
	if err := fx.ValidateApp(deps, Module, fx.Invoke(func(ports.BankConnector) {})); err != nil {
		t.Fatal(err)
	}

	var (
		bc   ports.BankConnector
		host *Host
	)
	app := fxtest.New(t, deps, Module, fx.Populate(&bc, &host))
	app.RequireStart()
	deadline := time.Now().Add(10 * time.Second)
	for host.Ready(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v", host.Ready(context.Background()))
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	st, err := bc.BeginLogin(context.Background(), "sandbox-bank", domain.MethodInternetBanking,
		map[string]string{"username": "user_good", "password": pwGood})
	if err != nil || st.Authenticated == nil {
		t.Fatalf("login through the module: %+v, %v", st, err)
	}
	var pids []int
	for _, s := range host.List(context.Background()) {
		pids = append(pids, s.PID)
	}
	app.RequireStop()
	for _, pid := range pids {
		assertGone(t, pid)
	}
}
