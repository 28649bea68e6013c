package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/ports"
)

// tcpProxy sits between the server's store and PostgreSQL so a test can
// cut the database off and bring it back.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c, up) {
			continue
		}
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// track registers a connection pair unless the proxy was cut meanwhile.
func (p *tcpProxy) track(a, b net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		_ = a.Close()
		_ = b.Close()
		return false
	}
	p.conns[a], p.conns[b] = struct{}{}, struct{}{}
	return true
}

func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// cut drops every connection and refuses new ones: the database is gone.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
}

func (p *tcpProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// stepClock is a clock that moves only when told.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// attempt is one request and what came back.
type attempt struct {
	key      string
	status   int
	body     []byte
	replayed bool
	err      error
}

func (a attempt) acked() bool { return a.err == nil && a.status >= 200 && a.status < 300 }

// TestIdempotencySurvivesDatabaseOutage cuts PostgreSQL off for 2 s while 8
// workers create links, each request with its own Idempotency-Key. After
// it, every acknowledged key replays its stored answer, every failed key
// works on retry (taking over its lease where the outage left it in
// flight), and every key made exactly one link.
func TestIdempotencySurvivesDatabaseOutage(t *testing.T) {
	base := storagetest.PostgresConfig(t)
	u, err := url.Parse(base.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	clock := &stepClock{now: time.Now().UTC()}
	ts := startServer(t, storage.Config{DatabaseURL: u.String()}, nil,
		fx.Decorate(func(ports.Clock) ports.Clock { return clock }))
	keys := ts.newCompany("Acme")
	secret := keys.Sandbox.SecretKey
	body, _ := json.Marshal(map[string]any{"options": map[string]any{"key": keys.Sandbox.PublicKey}})
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	post := func(key string) attempt {
		req, err := http.NewRequest("POST", ts.URL+"/v2/sandbox/widget/links/create", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		res, err := client.Do(req)
		if err != nil {
			return attempt{key: key, err: err}
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		return attempt{key: key, status: res.StatusCode, body: raw, replayed: res.Header.Get("Idempotent-Replayed") == "true", err: err}
	}

	deadline, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	results := make(chan attempt, 64)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A steady load, not a spin: about 40 requests a second each.
			tick := time.NewTicker(25 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				results <- post(fmt.Sprintf("outage-w%d-%d", w, i))
			}
		}()
	}
	var all []attempt
	collect := func(until func() bool, what string) {
		for !until() {
			select {
			case a := <-results:
				all = append(all, a)
			case <-deadline.Done():
				close(stop)
				t.Fatalf("gave up waiting for %s after %d requests", what, len(all))
			}
		}
	}
	countAcked := func() int {
		n := 0
		for _, a := range all {
			if a.acked() {
				n++
			}
		}
		return n
	}

	collect(func() bool { return countAcked() >= 16 }, "16 answers before the outage")
	proxy.cut()
	outage := time.NewTimer(2 * time.Second)
	for cut := true; cut; {
		select {
		case a := <-results:
			all = append(all, a)
		case <-outage.C:
			cut = false
		}
	}
	proxy.restore()
	ackedBefore := countAcked()
	collect(func() bool { return countAcked() >= ackedBefore+16 }, "16 answers after the outage")
	close(stop)
	go func() { wg.Wait(); close(results) }()
	for a := range results {
		all = append(all, a)
	}

	var acked, failed []attempt
	for _, a := range all {
		if a.acked() {
			acked = append(acked, a)
		} else {
			failed = append(failed, a)
		}
	}
	if len(failed) == 0 {
		t.Fatalf("no request failed during the outage (%d requests): the test shows nothing", len(all))
	}
	t.Logf("%d requests: %d acknowledged, %d failed", len(all), len(acked), len(failed))

	// Check every key from 8 goroutines; a key left in flight waits for
	// the lease, which the test's clock moves past once.
	var mu sync.Mutex
	var problems []string
	var tookOver, replayedFailed int
	var leaseOnce sync.Once
	check := func(a attempt) {
		if a.acked() {
			r := post(a.key)
			if !r.acked() || !r.replayed || !bytes.Equal(r.body, a.body) || r.status != a.status {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("acknowledged %s: replay %d replayed=%v %s (first %d %s) %v", a.key, r.status, r.replayed, r.body, a.status, a.body, r.err))
				mu.Unlock()
			}
			return
		}
		var last attempt
		for try := 0; try < 6; try++ {
			last = post(a.key)
			switch {
			case last.acked():
				mu.Lock()
				if last.replayed {
					replayedFailed++
				}
				mu.Unlock()
				return
			case last.status == http.StatusConflict && strings.Contains(string(last.body), "IDEMPOTENCY_IN_FLIGHT"):
				leaseOnce.Do(func() { clock.Advance(2 * time.Minute) })
				mu.Lock()
				tookOver++
				mu.Unlock()
			case last.status == http.StatusServiceUnavailable || last.status == http.StatusInternalServerError:
				// A connection the pool kept from before the outage: a
				// retryable answer, so the client retries.
			default:
				mu.Lock()
				problems = append(problems, fmt.Sprintf("failed %s: retry %d %s %v", a.key, last.status, last.body, last.err))
				mu.Unlock()
				return
			}
		}
		mu.Lock()
		problems = append(problems, fmt.Sprintf("failed %s (first %d %s %v): still %d %s after 6 retries", a.key, a.status, a.body, a.err, last.status, last.body))
		mu.Unlock()
	}
	work := make(chan attempt)
	var cw sync.WaitGroup
	for range 8 {
		cw.Add(1)
		go func() {
			defer cw.Done()
			for a := range work {
				check(a)
			}
		}()
	}
	for _, a := range all {
		work <- a
	}
	close(work)
	cw.Wait()
	for i, p := range problems {
		if i == 10 {
			t.Errorf("… and %d more", len(problems)-10)
			break
		}
		t.Error(p)
	}
	t.Logf("failed keys on retry: %d answered from a stored answer, %d waited for a lease", replayedFailed, tookOver)

	// Exactly one link per key: no retry made a second one.
	var links int
	if err := ts.Store.DB().Get(&links, "SELECT COUNT(*) FROM short_links WHERE company_id = $1", keys.Company.ID); err != nil {
		t.Fatal(err)
	}
	if links != len(all) {
		t.Fatalf("%d links for %d keys: a key made none or several", links, len(all))
	}
	if errors.Is(deadline.Err(), context.DeadlineExceeded) {
		t.Fatal("the test ran past its deadline")
	}
}
