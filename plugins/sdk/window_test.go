package sdk_test

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/bankauth/bankauth/plugins/sdk"
)

// pingCounter parses the HTTP/2 frames a client writes and counts the PINGs
// it starts (not the ACKs it sends back).
type pingCounter struct {
	net.Conn
	mu      sync.Mutex
	buf     []byte
	preface bool
	pings   int
}

func (c *pingCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.buf = append(c.buf, p...)
	if !c.preface && len(c.buf) >= 24 {
		c.buf, c.preface = c.buf[24:], true
	}
	for c.preface && len(c.buf) >= 9 {
		n := int(c.buf[0])<<16 | int(binary.BigEndian.Uint16(c.buf[1:3]))
		if len(c.buf) < 9+n {
			break
		}
		const framePing, flagAck = 0x6, 0x1
		if c.buf[3] == framePing && c.buf[4]&flagAck == 0 {
			c.pings++
		}
		c.buf = c.buf[9+n:]
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *pingCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pings
}

// clientPings makes calls GetMetadata calls over a loopback connection and
// returns how many PINGs the client sent.
func clientPings(t *testing.T, srv *grpc.Server, dial []grpc.DialOption, calls int) int {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := (&sdk.GRPCPlugin{Impl: metaOnly{}}).GRPCServer(nil, srv); err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	var counter atomic.Pointer[pingCounter]
	dial = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			pc := &pingCounter{Conn: conn}
			counter.Store(pc)
			return pc, nil
		}),
	}, dial...)
	conn, err := grpc.NewClient(lis.Addr().String(), dial...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c, err := (&sdk.GRPCPlugin{}).GRPCClient(context.Background(), nil, conn)
	if err != nil {
		t.Fatal(err)
	}
	for range calls {
		if _, err := c.(sdk.Connector).GetMetadata(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return counter.Load().count()
}

// Each PING costs both processes a write and a wake-up; on a connector
// connection they measure nothing useful, since the messages are small.
func TestFixedWindowsSendNoPings(t *testing.T) {
	const calls = 50
	t.Run("sdk options", func(t *testing.T) {
		n := clientPings(t, sdk.NewGRPCServer(nil), sdk.DialOptions(), calls)
		t.Logf("%d PINGs in %d calls", n, calls)
		if n != 0 {
			t.Errorf("the host sent %d PINGs in %d calls with the SDK's options, want 0", n, calls)
		}
	})
	// The control: gRPC's defaults probe the bandwidth with a PING after
	// received data. If this ever stops failing, the options above may no
	// longer be needed.
	t.Run("grpc defaults", func(t *testing.T) {
		n := clientPings(t, grpc.NewServer(), nil, calls)
		t.Logf("%d PINGs in %d calls", n, calls)
		if n < calls/2 {
			t.Errorf("the default client sent %d PINGs in %d calls; expected about one per call", n, calls)
		}
	})
}
