package storage_test

import (
	"context"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/core/ports"
)

func TestModule(t *testing.T) {
	var store ports.Store
	app := fxtest.New(t,
		fx.Supply(storage.Config{DataDir: t.TempDir()}),
		storage.Module,
		fx.Populate(&store),
	)
	app.RequireStart()
	ok, err := store.(*storage.Store).MigrationsApplied(context.Background())
	if err != nil || !ok {
		t.Fatalf("the module's start hook did not migrate: %v, %v", ok, err)
	}
	app.RequireStop()
	if err := store.Ping(context.Background()); err == nil {
		t.Fatal("the store answers after stop")
	}
}
