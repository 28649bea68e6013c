package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"go.uber.org/fx"

	httpapi "github.com/bankauth/bankauth/adapters/httpapi"
	"github.com/bankauth/bankauth/adapters/storage"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	serveFlags(fs, &c)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	logger, err := newLogger(stderr, c.LogLevel)
	if err != nil {
		return err
	}
	if _, err := httpapi.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return usageError{"--trusted-proxies: " + err.Error()}
	}
	// Anything that still logs through slog's default or the log package
	// (libraries, a stray call) comes out as JSON through the same handler.
	slog.SetDefault(logger)
	tuneCollector(logger)
	app := fx.New(appOptions(c, logger, stdout))
	if err := app.Err(); err != nil {
		return fmt.Errorf("assemble the server: %w", err)
	}
	startCtx, cancel := context.WithTimeout(context.Background(), app.StartTimeout())
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	// ctx ends on SIGINT or SIGTERM (run registers for them before
	// anything starts); then finish requests in flight, stop workers and
	// connectors, and exit 0.
	<-ctx.Done()
	logger.Info("signal received; shutting down")
	stopCtx, cancelStop := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancelStop()
	if err := app.Stop(stopCtx); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	logger.Info("stopped")
	return nil
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	storageFlags(fs, &c)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	st, err := storage.Open(ctx, storage.Config{DatabaseURL: c.DatabaseURL, DataDir: c.DataDir})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrations applied (%s)\n", st.Dialect())
	return nil
}
