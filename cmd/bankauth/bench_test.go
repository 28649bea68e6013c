package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/company"
)

// benchDialects runs fn per dialect as a sub-benchmark.
func benchDialects(b *testing.B, fn func(b *testing.B, db storage.Config)) {
	for _, d := range storagetest.Configs() {
		b.Run(d.Name, func(b *testing.B) { fn(b, d.Config(b)) })
	}
}

// linkOnce runs one complete pass_good link through the link API.
func linkOnce(tb testing.TB, ts *testServer, keys company.Created, user string) string {
	c := ts.openSession(keys, nil)
	ids := stepAccounts(tb, c.login("sandbox-bank", "internet_banking", map[string]string{"username": user, "password": "pass_good"}))
	r := c.choose(ids...)
	if r.Status != 200 {
		tb.Fatalf("link: %d %s", r.Status, r.Body)
	}
	return field(r.JSON, "auth.id").(string)
}

// BenchmarkLinkPassGood: complete pass_good links per second through the
// link API and the real fake-bank plugin process.
func BenchmarkLinkPassGood(b *testing.B) {
	benchDialects(b, func(b *testing.B, db storage.Config) {
		ts := startServer(b, db, nil)
		keys := ts.newCompany("Bench")
		linkOnce(b, ts, keys, "warmup")
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			linkOnce(b, ts, keys, fmt.Sprintf("user_%d", i))
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "links/s")
	})
}

// loadResult is what a fixed-concurrency load loop measured.
type loadResult struct {
	perSec float64
	p50    time.Duration
	p99    time.Duration
}

// load sends n requests from workers goroutines and measures each.
func load(b *testing.B, n, workers int, do func() int) loadResult {
	lat := make([]time.Duration, n)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				t0 := time.Now()
				if status := do(); status != 200 {
					b.Errorf("status %d", status)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return loadResult{perSec: float64(n) / elapsed.Seconds(), p50: lat[n/2], p99: lat[n*99/100]}
}

// BenchmarkAuthGetByID: auth/getById under 8 concurrent callers, beside a
// bare net/http handler that runs the same single query on the same
// database in the same run (the baseline).
func BenchmarkAuthGetByID(b *testing.B) {
	benchDialects(b, func(b *testing.B, db storage.Config) {
		ts := startServer(b, db, nil)
		keys := ts.newCompany("Bench")
		authID := linkOnce(b, ts, keys, "user_good")
		body := []byte(`{"id":"` + authID + `"}`)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
		post := func(url, key string) int {
			req, _ := http.NewRequest("POST", url, bytesReader(body))
			req.Header.Set("Content-Type", "application/json")
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			res, err := client.Do(req)
			if err != nil {
				return 0
			}
			defer res.Body.Close()
			var sink map[string]any
			_ = json.NewDecoder(res.Body).Decode(&sink)
			return res.StatusCode
		}
		sqlDB := ts.Store.DB()
		query := sqlDB.Rebind(`SELECT id, company_id, env, record_id, customer_id, bank_id, validated FROM auths WHERE company_id = ? AND env = ? AND id = ?`)
		bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var in struct{ ID string }
			_ = json.NewDecoder(r.Body).Decode(&in)
			row := map[string]any{}
			if err := sqlDB.QueryRowx(query, keys.Company.ID, "production-sandbox", in.ID).MapScan(row); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"auths": []any{row}}})
		}))
		defer bare.Close()

		n := b.N
		if n < 200 {
			n = 200
		}
		b.ResetTimer()
		api := load(b, n, 8, func() int { return post(ts.URL+"/v2/sandbox/auth/getById", keys.Sandbox.SecretKey) })
		base := load(b, n, 8, func() int { return post(bare.URL, "") })
		b.StopTimer()
		b.ReportMetric(api.perSec, "req/s")
		b.ReportMetric(float64(api.p99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(base.perSec, "bare-req/s")
		b.ReportMetric(float64(base.p99.Microseconds())/1000, "bare-p99-ms")
		b.Logf("%s auth/getById: %.0f req/s p50 %v p99 %v | bare handler, same query: %.0f req/s p50 %v p99 %v",
			ts.Store.Dialect(), api.perSec, api.p50, api.p99, base.perSec, base.p50, base.p99)
	})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
