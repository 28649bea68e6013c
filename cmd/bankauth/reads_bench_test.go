package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
)

// The read-side benchmarks compare within one run, interleaved, so a busy
// machine slows both sides alike:
//
//	go test -run '^$' -bench 'BenchmarkReads' -benchtime 300x ./cmd/bankauth/
//
// With BANKAUTH_TEST_DATABASE_URL set they run on PostgreSQL too.
// BenchmarkReadsListPagesProcess serves from a child `bankauth serve`.

// readsClient posts JSON bodies with a key and times each answer.
type readsClient struct {
	tb     testing.TB
	client *http.Client
	base   string
	key    string
}

func newReadsClient(tb testing.TB, base, key string) *readsClient {
	return &readsClient{tb: tb, base: base, key: key,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
}

// post sends one request and returns its status and how long it took.
func (c *readsClient) post(path string, body []byte) (int, time.Duration) {
	req, err := http.NewRequest(http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	began := time.Now()
	res, err := c.client.Do(req)
	if err != nil {
		c.tb.Errorf("%s: %v", path, err)
		return 0, 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, time.Since(began)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkReadsListPages: one list route at limits 1, 20 and 100 on the
// same dataset (206 auths, 311 accounts, 106 customers), the limits taking
// turns request by request. It reports each limit's median latency and the
// ratio of the 100-row page to the 1-row page.
func BenchmarkReadsListPages(b *testing.B) {
	for _, target := range storagetest.Configs() {
		b.Run(target.Name, func(b *testing.B) {
			ts, key, d := readsServer(b, target.Config, readsSingles)
			benchListPages(b, ts.URL, key, d)
		})
	}
}

// BenchmarkReadsListPagesProcess is BenchmarkReadsListPages against
// `bankauth serve` in its own process on the same seeded database, so the
// server does not share its heap and collector with the client reading
// 100-row bodies: the figure an outside caller sees.
func BenchmarkReadsListPagesProcess(b *testing.B) {
	for _, target := range storagetest.Configs() {
		b.Run(target.Name, func(b *testing.B) {
			p, key, d := readsProcess(b, target.Config)
			benchListPages(b, p.origin, key, d)
		})
	}
}

// readsProcess seeds the read dataset on a new database and serves it
// from `bankauth serve` in its own process, unthrottled.
func readsProcess(b *testing.B, dbConfig func(testing.TB) storage.Config) (*process, string, readsData) {
	db := dbConfig(b)
	if db.DataDir == "" {
		// The process must find the same key file.
		db.DataDir = b.TempDir()
	}
	_, key, d := readsServer(b, func(testing.TB) storage.Config { return db }, readsSingles)
	p := startProcess(b, "--data-dir", db.DataDir, "--database-url", db.DatabaseURL, "--rate-limit", "-1", "--log-level", "warn")
	return p, key, d
}

// benchListPages runs BenchmarkReadsListPages' routes against the server
// at base.
func benchListPages(b *testing.B, base, key string, d readsData) {
	limits := []int{1, 20, 100}
	routes := []struct {
		name, path string
		extra      map[string]any
	}{
		{"products-auths", "products/auths", nil},
		{"products-accounts", "products/accounts", nil},
		{"products-balances", "products/balances", nil},
		{"customers-list", "customers/list", nil},
		{"auth-getByCustomer", "auth/getByCustomer", map[string]any{"customer": d.many}},
		{"records-list", "records/list", nil},
	}
	for _, rt := range routes {
		b.Run(rt.name, func(b *testing.B) {
			c := newReadsClient(b, base+"/v2/sandbox/", key)
			bodies := make([][]byte, len(limits))
			for i, l := range limits {
				m := map[string]any{"page": 1, "limit": l}
				for k, v := range rt.extra {
					m[k] = v
				}
				bodies[i], _ = json.Marshal(m)
				if status, _ := c.post(rt.path, bodies[i]); status != 200 {
					b.Fatalf("%s limit %d: status %d", rt.path, l, status)
				}
			}
			lat := make([][]time.Duration, len(limits))
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				for k := range limits {
					j := (i + k) % len(limits)
					status, took := c.post(rt.path, bodies[j])
					if status != 200 {
						b.Fatalf("%s: status %d", rt.path, status)
					}
					lat[j] = append(lat[j], took)
				}
			}
			b.StopTimer()
			m1, m20, m100 := median(lat[0]), median(lat[1]), median(lat[2])
			b.ReportMetric(ms(m1), "ms-limit1")
			b.ReportMetric(ms(m20), "ms-limit20")
			b.ReportMetric(ms(m100), "ms-limit100")
			if m1 > 0 {
				b.ReportMetric(float64(m100)/float64(m1), "x100/1")
			}
		})
	}
}

// BenchmarkReadsPageThroughput: products/auths pages of 1 and 100 rows
// under 8 concurrent callers against `bankauth serve` in its own process,
// in alternating rounds; it reports the median throughput of each, their
// ratio, and the server's CPU per 100-row page (from /proc, where there is
// one). The issue measured 65 against 1,366 req/s.
func BenchmarkReadsPageThroughput(b *testing.B) {
	const rounds, workers = 5, 8
	for _, target := range storagetest.Configs() {
		b.Run(target.Name, func(b *testing.B) {
			p, key, _ := readsProcess(b, target.Config)
			c := newReadsClient(b, p.origin+"/v2/sandbox/", key)
			page := func(limit int) func() int {
				body := []byte(fmt.Sprintf(`{"page":1,"limit":%d}`, limit))
				return func() int {
					status, _ := c.post("products/auths", body)
					if status != 200 {
						b.Errorf("products/auths limit %d: status %d", limit, status)
					}
					return status
				}
			}
			one, hundred := page(1), page(100)
			per := max(b.N/rounds, 200)
			load(b, 50, workers, one)
			load(b, 50, workers, hundred)
			var oneRates, hundredRates, cpu []float64
			b.ResetTimer()
			for r := 0; r < rounds; r++ {
				oneRates = append(oneRates, load(b, per, workers, one).perSec)
				before, measured := processCPU(p.cmd.Process.Pid)
				hundredRates = append(hundredRates, load(b, per, workers, hundred).perSec)
				if after, ok := processCPU(p.cmd.Process.Pid); ok && measured {
					cpu = append(cpu, float64((after-before).Microseconds())/float64(per))
				}
			}
			b.StopTimer()
			o, h := median(oneRates), median(hundredRates)
			b.ReportMetric(o, "req/s-limit1")
			b.ReportMetric(h, "req/s-limit100")
			b.ReportMetric(o/h, "x1/100")
			if len(cpu) > 0 {
				b.ReportMetric(median(cpu), "server-us/page100")
			}
		})
	}
}

// processCPU is the user and system time a process has used so far, read
// from /proc (false where there is none).
func processCPU(pid int) (time.Duration, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name may hold spaces; the fields after it do not.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, true
}

// BenchmarkReadsGetByID: auth/getById under 8 concurrent callers against
// the bare net/http handler of bench_test.go (the same single query on the
// same database), in alternating rounds; it reports the median throughput
// of each and their ratio.
func BenchmarkReadsGetByID(b *testing.B) {
	const rounds, workers = 6, 8
	for _, target := range storagetest.Configs() {
		b.Run(target.Name, func(b *testing.B) {
			ts, key, d := readsServer(b, target.Config, 5)
			body := []byte(`{"id":"` + d.auth + `"}`)
			sqlDB := ts.Store.DB()
			query := sqlDB.Rebind(`SELECT id, company_id, env, record_id, customer_id, bank_id, validated FROM auths WHERE company_id = ? AND env = ? AND id = ?`)
			bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var in struct{ ID string }
				_ = json.NewDecoder(r.Body).Decode(&in)
				row := map[string]any{}
				if err := sqlDB.QueryRowx(query, d.scope.CompanyID, string(domain.EnvSandbox), in.ID).MapScan(row); err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"auths": []any{row}}})
			}))
			defer bare.Close()
			api := newReadsClient(b, ts.URL, key)
			base := newReadsClient(b, bare.URL, "")
			do := func(c *readsClient, path string) func() int {
				return func() int { status, _ := c.post(path, body); return status }
			}
			per := max(b.N/rounds, 500)
			var apiRates, baseRates []float64
			var apiP99, baseP99 []float64
			load(b, 100, workers, do(api, "/v2/sandbox/auth/getById"))
			load(b, 100, workers, do(base, "/"))
			b.ResetTimer()
			for r := 0; r < rounds; r++ {
				a := load(b, per, workers, do(api, "/v2/sandbox/auth/getById"))
				o := load(b, per, workers, do(base, "/"))
				apiRates, baseRates = append(apiRates, a.perSec), append(baseRates, o.perSec)
				apiP99, baseP99 = append(apiP99, ms(a.p99)), append(baseP99, ms(o.p99))
			}
			b.StopTimer()
			a, o := median(apiRates), median(baseRates)
			b.ReportMetric(a, "req/s")
			b.ReportMetric(o, "bare-req/s")
			b.ReportMetric(100*a/o, "%-of-bare")
			b.ReportMetric(median(apiP99), "p99-ms")
			b.ReportMetric(median(baseP99), "bare-p99-ms")
			b.Logf("%s auth/getById: %.0f req/s, bare handler %.0f req/s (%.0f%%), rounds %v vs %v",
				target.Name, a, o, 100*a/o, apiRates, baseRates)
		})
	}
}

// BenchmarkReadsLinkConcurrent: complete pass_good links through the link
// API and the fake-bank plugin, 8 at a time, on PostgreSQL (the writes'
// side of the read-side changes: the statement cache and the bank cache).
func BenchmarkReadsLinkConcurrent(b *testing.B) {
	const workers = 8
	ts := startServer(b, storagetest.PostgresConfig(b), nil)
	keys := ts.newCompany("Bench")
	linkOnce(b, ts, keys, "warmup")
	n := max(b.N, 4*workers)
	var next atomic.Int64
	b.ResetTimer()
	res := load(b, n, workers, func() int {
		linkOnce(b, ts, keys, fmt.Sprintf("user_%d", next.Add(1)))
		return 200
	})
	b.StopTimer()
	b.ReportMetric(res.perSec, "links/s")
	b.ReportMetric(ms(res.p50), "p50-ms")
	b.ReportMetric(ms(res.p99), "p99-ms")
}
