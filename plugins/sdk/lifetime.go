package sdk

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
)

// Limits of a connector's own shutdown.
const (
	// stopGrace is how long calls in flight may finish once the connector
	// is asked to stop; then it stops hard.
	stopGrace = 10 * time.Second
	// parentPoll is how often the connector checks that its host lives.
	parentPoll = 250 * time.Millisecond
)

// lifetime ends a connector's server when the connector should stop: its
// context ends, it gets SIGTERM, or its host is gone. The host normally
// ends a connector through go-plugin; these cover a host that was killed
// (its connectors are re-parented, so the parent pid changes) and an
// operator's or a supervisor's SIGTERM. SIGINT stays go-plugin's: it
// ignores it, since a terminal's Ctrl-C reaches the host too, and the host
// stops its connectors in order.
type lifetime struct {
	log hclog.Logger

	mu     sync.Mutex
	srv    *grpc.Server
	ending bool
}

// newServer is the plugin.ServeConfig.GRPCServer that remembers the server.
func (l *lifetime) newServer(opts []grpc.ServerOption) *grpc.Server {
	srv := NewGRPCServer(opts)
	l.mu.Lock()
	l.srv = srv
	ending := l.ending
	l.mu.Unlock()
	if ending {
		srv.Stop() // asked to stop before serving: Serve returns at once
	}
	return srv
}

// watch starts watching for a reason to stop; then it stops the server,
// letting calls in flight finish within stopGrace. The watch ends with the
// server, or when done ends (Serve returned for another reason). SIGTERM is
// caught before watch returns, so none is missed once the handshake is out.
func (l *lifetime) watch(ctx context.Context, done <-chan struct{}) {
	ppid := os.Getppid()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go l.wait(ctx, ppid, sig, done)
}

func (l *lifetime) wait(ctx context.Context, ppid int, sig chan os.Signal, done <-chan struct{}) {
	defer signal.Stop(sig)
	tick := time.NewTicker(parentPoll)
	defer tick.Stop()
	for {
		var why string
		select {
		case <-done:
			return
		case <-ctx.Done():
			why = "asked to stop"
		case <-sig:
			why = "SIGTERM"
		case <-tick.C:
			if os.Getppid() == ppid {
				continue
			}
			why = "the host is gone"
		}
		l.stop(why)
		return
	}
}

func (l *lifetime) stop(why string) {
	l.mu.Lock()
	l.ending = true
	srv := l.srv
	l.mu.Unlock()
	l.log.Info("connector stopping", "reason", why)
	if srv == nil {
		return // newServer stops it
	}
	stopped := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(stopped)
	}()
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
		l.log.Warn("calls still running after the grace period; stopping anyway", "grace", stopGrace)
		srv.Stop()
	}
}
