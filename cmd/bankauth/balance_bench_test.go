package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage/storagetest"
)

// BenchmarkBalanceCheck measures balance/check served from the store
// (cached) and pulled live through the fake-bank plugin process, beside
// auth/getById as the baseline of a plain authenticated read, on each
// database:
//
//	go test -run '^$' -bench BenchmarkBalanceCheck -benchtime 2000x ./cmd/bankauth/
//
// Each reports req/s and the 99th percentile latency in milliseconds.
func BenchmarkBalanceCheck(b *testing.B) {
	for _, d := range storagetest.Configs() {
		b.Run(d.Name, func(b *testing.B) {
			ts := startServer(b, d.Config(b), nil)
			keys := ts.newCompany("Bench Lending")
			sk := keys.Sandbox.SecretKey
			l := balLink(b, ts, keys, "sandbox-bank", "user_good", "pass_good", []string{"auth", "balance"}, "current")
			current := l.Accounts["current"]
			for _, bc := range []struct {
				name, path string
				body       map[string]any
			}{
				{"auth-getById", "/v2/sandbox/auth/getById", map[string]any{"id": l.Auth}},
				{"check-cached", "/v2/sandbox/balance/check", map[string]any{"account_id": current, "amount": 1000}},
				{"check-live", "/v2/sandbox/balance/check", map[string]any{"account_id": current, "amount": 1000, "max_age": 0}},
			} {
				b.Run(bc.name, func(b *testing.B) { benchPost(b, ts.URL+bc.path, sk, bc.body) })
			}
		})
	}
}

// benchPost sends the same request b.N times, one after another, and
// reports throughput and p99 latency.
func benchPost(b *testing.B, url, key string, body map[string]any) {
	raw, err := json.Marshal(body)
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	send := func() time.Duration {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		began := time.Now()
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		took := time.Since(began)
		if res.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d %s", url, res.StatusCode, out)
		}
		return took
	}
	send() // warm the connection and the caches
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	began := time.Now()
	for b.Loop() {
		lat = append(lat, send())
	}
	elapsed := time.Since(began)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[(len(lat)*99+99)/100-1]
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}
