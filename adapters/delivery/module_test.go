package delivery

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/webhooks"
)

func TestModuleDeliversThroughFx(t *testing.T) {
	s := storagetest.OpenSQLite(t)
	ring, err := seal.NewRing(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	var (
		svc      *webhooks.Service
		notifier webhooks.Notifier
	)
	app := fxtest.New(t,
		fx.Supply(Config{AllowPrivate: true, PollInterval: time.Hour}),
		fx.Provide(
			func() ports.Store { return s },
			func() ports.Sealer { return ring },
			func() ports.Clock { return ports.SystemClock{} },
			func() ports.IDs { return ports.RandomIDs{} },
			func() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) },
		),
		Module,
		fx.Populate(&svc, &notifier),
	)
	app.RequireStart()
	defer app.RequireStop()

	rcv := newReceiver(t, always(http.StatusOK))
	f := &fixture{store: s, ring: ring, clock: ports.SystemClock{}, svc: svc}
	f.scope.CompanyID, f.scope.Env = "0123456789abcdef01234567", "production"
	res := f.set(t, rcv.URL, "")
	ev := f.emit(t, f.scope)
	notifier.Notify() // the poll interval is an hour: only the nudge can send it
	d := rcv.next(t)
	if d.EventID != ev.ID {
		t.Fatalf("got event %q, want %q", d.EventID, ev.ID)
	}
	if err := Verify(res.SigningSecret, d.Signature, d.Body, time.Now(), time.Minute); err != nil {
		t.Errorf("verify: %v", err)
	}
	// Replay nudges the worker too.
	if err := svc.Replay(context.Background(), f.scope, ev.ID); err != nil {
		t.Fatal(err)
	}
	if d := rcv.next(t); d.EventID != ev.ID {
		t.Errorf("replay sent %q", d.EventID)
	}
}

func TestModuleRefusesPrivateURLsByDefault(t *testing.T) {
	var guard webhooks.URLGuard
	app := fxtest.New(t,
		fx.Supply(Config{}),
		fx.Provide(
			func() ports.Store { return nil }, // never used: the app is not started
			func() ports.Sealer { return nil },
			func() ports.Clock { return ports.SystemClock{} },
			func() ports.IDs { return ports.RandomIDs{} },
		),
		Module,
		fx.Populate(&guard),
	)
	_ = app // built, not started: the worker would need a real store
	if err := guard.Check(context.Background(), "http://127.0.0.1:8080/"); err == nil {
		t.Error("the default guard accepts a loopback URL")
	}
}
