package connector

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankauth/bankauth/plugins/fakebank"
	"github.com/bankauth/bankauth/plugins/sdk"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Run with, e.g.:
//
//	go test -run '^$' -bench 'GetBalance' -benchtime 5000x ./adapters/connector/
//	go test -run '^$' -bench 'ColdStart' -benchtime 40x ./adapters/connector/

var inprocessP50 atomic.Int64 // ns, for the ratios

func BenchmarkGetBalance(b *testing.B) {
	ctx := context.Background()
	req := sdk.GetBalanceRequest{Bank: "sandbox-bank", Session: benchSession}
	b.Run("inprocess", func(b *testing.B) {
		c, _ := sdk.TestConn(b, fakebank.New(fakebank.DefaultScenario()))
		cpu := processCPU(0)
		lat := timeCalls(b, func() error { _, err := c.GetBalance(ctx, req); return err })
		p50 := reportLatency(b, lat)
		inprocessP50.Store(int64(p50))
		if cpu >= 0 {
			// Both ends of the connection are in this process.
			b.ReportMetric(float64((processCPU(0)-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
		}
	})
	b.Run("plugin", func(b *testing.B) {
		h := benchHost(b)
		inst, err := h.conns[BuiltinName].acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		hostCPU, connCPU := processCPU(0), processCPU(inst.pid)
		lat := timeCalls(b, func() error { _, err := h.GetBalance(ctx, req.Bank, req.Session, nil); return err })
		p50 := reportLatency(b, lat)
		// CPU time per call in each process: on a small machine the two
		// processes compete for the same cores, so it bounds the latency.
		if hostCPU >= 0 && connCPU >= 0 {
			b.ReportMetric(float64((processCPU(0)-hostCPU).Microseconds())/float64(b.N), "host-cpu-µs/op")
			b.ReportMetric(float64((processCPU(inst.pid)-connCPU).Microseconds())/float64(b.N), "connector-cpu-µs/op")
		}
		if in := reportRatio(b, p50); in > 0 && b.N > 1 { // not the probing run
			b.Logf("GetBalance p50: plugin %s, in-process %s, ratio %.2f", p50, in, float64(p50)/float64(in))
		}
	})
}

// timeCalls makes b.N calls of fn and returns how long each took; the
// benchmark's timer runs only while they do.
func timeCalls(b *testing.B, fn func() error) []time.Duration {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	return lat
}

// reportLatency reports the p50 and p90 of lat and returns the p50.
func reportLatency(b *testing.B, lat []time.Duration) time.Duration {
	p50 := percentile(lat, 50)
	b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(lat, 90).Microseconds()), "p90-µs")
	return p50
}

// reportRatio reports p50 over the in-process lane's p50 when that lane ran
// first in this run, and returns the latter (0 when it did not).
func reportRatio(b *testing.B, p50 time.Duration) time.Duration {
	in := time.Duration(inprocessP50.Load())
	if in > 0 {
		b.ReportMetric(float64(p50)/float64(in), "x-inprocess")
	}
	return in
}

// processCPU is the user+system CPU time a process has used so far (pid 0:
// this one), read from /proc; -1 where that cannot be read.
func processCPU(pid int) time.Duration {
	path := "/proc/self/stat"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/stat", pid)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	// Fields after the command name, which may contain spaces: utime and
	// stime are the 12th and 13th, in clock ticks (100 per second on Linux).
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// BenchmarkGetBalanceBareProcess is the machine's floor for any connector
// process: the same fake bank in a child process (one scheduler thread, as
// the built-in one) behind a plain gRPC server on a Unix socket, called by a
// plain gRPC client, without go-plugin, TLS or the host. What it costs over
// the in-process lane is the process boundary alone.
func BenchmarkGetBalanceBareProcess(b *testing.B) {
	dir, err := os.MkdirTemp("", "bankauth-bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	cmd := exec.Command(selfExe(b), bareGRPCArg, sock)
	cmd.Env = []string{"GOMAXPROCS=1"}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// The child says when it listens.
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		b.Fatalf("bare gRPC child: %q, %v", line, err)
	}
	conn, err := grpc.NewClient("unix://"+sock,
		append(sdk.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	rpc, err := (&sdk.GRPCPlugin{}).GRPCClient(context.Background(), nil, conn)
	if err != nil {
		b.Fatal(err)
	}
	c := rpc.(sdk.Connector)
	req := sdk.GetBalanceRequest{Bank: "sandbox-bank", Session: benchSession}
	lat := timeCalls(b, func() error { _, err := c.GetBalance(context.Background(), req); return err })
	reportRatio(b, reportLatency(b, lat))
}

// bareGRPCArg makes the test binary serve the fake bank over plain gRPC.
const bareGRPCArg = "__bare-grpc"

func serveBareGRPC(sock string) error {
	lis, err := net.Listen("unix", sock)
	if err != nil {
		return err
	}
	srv := sdk.NewGRPCServer(nil)
	if err := (&sdk.GRPCPlugin{Impl: fakebank.New(fakebank.DefaultScenario())}).GRPCServer(nil, srv); err != nil {
		return err
	}
	fmt.Println("ready")
	return srv.Serve(lis)
}

// benchSession is a fake-bank session for user_good at sandbox-bank.
var benchSession = []byte(`{"v":1,"bank":"sandbox-bank","person":"user_good","issued_at":"2026-01-01T00:00:00Z"}`)

// BenchmarkGetBalanceClient is the floor under the host: the same process
// called through the go-plugin gRPC client alone, without the host's
// routing, deadline, semaphore, health and metrics.
func BenchmarkGetBalanceClient(b *testing.B) {
	h := benchHost(b)
	inst, err := h.conns[BuiltinName].acquire(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	req := sdk.GetBalanceRequest{Bank: "sandbox-bank", Session: benchSession}
	lat := timeCalls(b, func() error { _, err := inst.conn.GetBalance(context.Background(), req); return err })
	reportRatio(b, reportLatency(b, lat))
}

// BenchmarkColdStart measures exec to the first answer: start the process,
// handshake, read metadata, answer one GetBalance.
func BenchmarkColdStart(b *testing.B) {
	cfg, err := testConfig(b).withDefaults()
	if err != nil {
		b.Fatal(err)
	}
	m, err := newMetrics(nil)
	if err != nil {
		b.Fatal(err)
	}
	spec := launchSpec{name: BuiltinName, builtin: true, path: cfg.SelfExecutable, args: cfg.SelfArgs}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		s := newSupervisor(spec, cfg, nil, testLogger(b), m, nil)
		t0 := time.Now()
		err := s.do(context.Background(), func(ctx context.Context, c sdk.Connector) error {
			res, err := c.GetBalance(ctx, sdk.GetBalanceRequest{Bank: "sandbox-bank", Session: benchSession})
			if err == nil && len(res.Balances) == 0 {
				b.Errorf("no balances: %+v", res)
			}
			return err
		})
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = s.Stop(context.Background())
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 95).Microseconds())/1000, "p95-ms")
}

// BenchmarkGetBalanceParallel: 8 concurrent callers through the plugin.
func BenchmarkGetBalanceParallel(b *testing.B) {
	const callers = 8
	h := benchHost(b)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	t0 := time.Now()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := h.GetBalance(context.Background(), "sandbox-bank", benchSession, nil); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "calls/s")
}

func benchHost(b *testing.B) *testHost {
	cfg := testConfig(b)
	cfg.CallTimeout = 10 * time.Second
	cfg.StartTimeout = 10 * time.Second
	h := newTestHost(b, cfg)
	start(b, h.Host)
	if _, err := h.store.Banks().GetBySlug(context.Background(), "sandbox-bank"); err != nil {
		b.Fatal(err)
	}
	return h
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(i, 0)]
}
