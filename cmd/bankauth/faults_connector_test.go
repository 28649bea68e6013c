package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/bankauth/bankauth/adapters/connector"
	"github.com/bankauth/bankauth/core/company"
)

// Fault tests: each puts one bank of the built-in connector in trouble and
// checks that the trouble stays with that bank. They run the real program
// in-process with real connector processes.

// faultClient is an HTTP client for load generators: unlike testServer.call
// it never fails the test from a goroutine, and it keeps enough idle
// connections that the load does not churn sockets.
type faultClient struct {
	base string
	c    *http.Client
}

func newFaultClient(base string) *faultClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 128
	return &faultClient{base: base, c: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// faultResult is one request's answer as the load generators see it.
type faultResult struct {
	status int
	typ    string // error.type or type, when the answer is an error
	took   time.Duration
	err    error
}

func (f *faultClient) do(method, path, bearer string, body any) (faultResult, map[string]any) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return faultResult{err: err}, nil
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.base+path, rd)
	if err != nil {
		return faultResult{err: err}, nil
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	began := time.Now()
	res, err := f.c.Do(req)
	if err != nil {
		return faultResult{err: err, took: time.Since(began)}, nil
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	out := faultResult{status: res.StatusCode, took: time.Since(began), err: err}
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	if t, ok := field(m, "error.type").(string); ok {
		out.typ = t
	} else if t, ok := field(m, "type").(string); ok {
		out.typ = t
	}
	return out, m
}

// login opens a widget session for the company and logs in once.
func (f *faultClient) login(keys company.Created, bank, method string, creds map[string]string) faultResult {
	open, m := f.do("POST", "/widget/v1/sessions", "", map[string]any{"key": keys.Sandbox.PublicKey,
		"token": keys.Company.ID, "env": "production-sandbox", "products": []string{"auth"}})
	if open.err != nil || open.status != http.StatusCreated {
		if open.err == nil {
			open.err = fmt.Errorf("open session: %d", open.status)
		}
		return open
	}
	id, _ := field(m, "session_id").(string)
	token, _ := field(m, "session_token").(string)
	r, _ := f.do("POST", "/widget/v1/sessions/"+id+"/login", token,
		map[string]any{"bank": bank, "method": method, "credentials": creds})
	return r
}

// liveCheck asks for a live balance (max_age 0): every call reaches the bank.
func (f *faultClient) liveCheck(key, account string) faultResult {
	r, _ := f.do("POST", "/v2/sandbox/balance/check", key, map[string]any{"account_id": account, "amount": 100, "max_age": 0})
	return r
}

// raceBuild reports a -race build: the detector slows every goroutine
// several times over, so the load generators alone saturate a small machine
// and timings say nothing about isolation.
func raceBuild() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// median of xs (the upper one of an even count); zero for none.
func median[T cmp.Ordered](xs []T) T {
	var zero T
	if len(xs) == 0 {
		return zero
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestFaultHangingBankLeavesOthersServed: behind one connector, a bank that
// hangs past the deadline (6 callers) and a bank that answers in 3 s (40
// callers) cost another company's live balance checks on a healthy bank of
// the same connector nothing: at least 99% succeed, with a median within 2x
// of the baseline measured first. The hanging bank's calls end as 504 at the
// deadline (or, once its breaker opens, as quick retryable 503s), the slow
// bank's answer or are refused quickly, /readyz stays 200 and banks/list
// shows only the hanging bank down.
func TestFaultHangingBankLeavesOthersServed(t *testing.T) {
	const (
		deadline   = 2 * time.Second
		slowMS     = 3000 // sandbox-ussd-bank's latency in slow-ussd.json
		hangers    = 6
		slowOnes   = 40
		loadFor    = 10 * time.Second
		quick      = 500 * time.Millisecond // a refusal counts as quick under this
		slack      = 1500 * time.Millisecond
		baselineN  = 40
		refusedGap = 250 * time.Millisecond // how often a refused load caller tries again
	)
	scenario := filepath.Join(repoRoot(t), "testdata", "fakebank", "slow-ussd.json")
	// The hanging bank has a deadline of its own, shorter than the slow
	// bank's answers, which must not time out.
	ts := startServer(t, sqliteConfig(t), func(c *config) {
		c.FakebankScenario = scenario
		c.BankTimeout = 2 * slowMS * time.Millisecond
	}, fx.Decorate(func(c connector.Config) connector.Config {
		c.BankTimeouts = map[string]time.Duration{"sandbox-flaky-bank": deadline}
		return c
	}))
	fc := newFaultClient(ts.URL)

	healthy := ts.newCompany("Healthy Lending")
	l := balLink(t, ts, healthy, "sandbox-bank", "user_good", "pass_good", []string{"auth", "balance"}, "current")
	account := l.Accounts["current"]
	var base []time.Duration
	for range baselineN {
		r := fc.liveCheck(healthy.Sandbox.SecretKey, account)
		if r.err != nil || r.status != 200 {
			t.Fatalf("baseline live check: %d %v", r.status, r.err)
		}
		base = append(base, r.took)
	}

	load := ts.newCompany("Load Co")
	stop := make(chan struct{})
	var (
		mu      sync.Mutex
		hangRes []faultResult
		slowRes []faultResult
		wg      sync.WaitGroup
	)
	caller := func(into *[]faultResult, bank, method string, creds map[string]string) {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			r := fc.login(load, bank, method, creds)
			mu.Lock()
			*into = append(*into, r)
			mu.Unlock()
			if r.took < quick {
				// Load shape, not synchronisation: a refused caller comes
				// back a little later, as a client that backs off would.
				select {
				case <-stop:
					return
				case <-time.After(refusedGap):
				}
			}
		}
	}
	for range hangers {
		wg.Add(1)
		go caller(&hangRes, "sandbox-flaky-bank", "internet_banking",
			map[string]string{"username": "user_good", "password": "error_TIMEOUT"})
	}
	for range slowOnes {
		wg.Add(1)
		go caller(&slowRes, "sandbox-ussd-bank", "ussd", map[string]string{"phone": "08000000001"})
	}

	var during []time.Duration
	failed := map[string]int{}
	end := time.Now().Add(loadFor)
	for time.Now().Before(end) {
		r := fc.liveCheck(healthy.Sandbox.SecretKey, account)
		if r.err != nil || r.status != 200 {
			failed[fmt.Sprintf("%d %s %v", r.status, r.typ, r.err)]++
			continue
		}
		during = append(during, r.took)
	}
	warnings := strings.Count(ts.Logs.String(), `"msg":"connector call failed"`)
	// /readyz answers while the hanging bank is in trouble.
	ready, _ := fc.do("GET", "/readyz", "", nil)
	banks, bl := fc.do("GET", "/v2/sandbox/banks/list", healthy.Sandbox.SecretKey, nil)
	close(stop)
	wg.Wait()

	nFailed := 0
	for _, n := range failed {
		nFailed += n
	}
	total := len(during) + nFailed
	ratio := float64(len(during)) / float64(max(total, 1))
	baseMed, loadMed := median(base), median(during)
	t.Logf("healthy bank: baseline median %s over %d; under load %d/%d ok (%.2f%%), median %s; failures %v",
		baseMed, len(base), len(during), total, 100*ratio, loadMed, failed)
	if ratio < 0.99 {
		t.Errorf("healthy bank's live checks succeeded %.2f%% under load, want >= 99%% (failures: %v)", 100*ratio, failed)
	}
	// Timing checks fail the test except under -race, where they are only
	// reported.
	timing := t.Errorf
	if raceBuild() {
		timing = t.Logf
	}
	if loadMed > 2*baseMed {
		timing("healthy bank's median under load %s, over 2x its baseline %s", loadMed, baseMed)
	}

	// The hanging bank: a 504 at the deadline, or a quick retryable refusal.
	// Each kind of answer is checked once, on its extremes.
	type spread struct {
		n        int
		min, max time.Duration
	}
	tally := func(into map[string]*spread, k string, d time.Duration) {
		sp := into[k]
		if sp == nil {
			sp = &spread{min: d, max: d}
			into[k] = sp
		}
		sp.n++
		sp.min, sp.max = min(sp.min, d), max(sp.max, d)
	}
	hang := map[string]*spread{}
	for _, r := range hangRes {
		switch {
		case r.err != nil:
			t.Errorf("hanging bank: %v", r.err)
		case r.status == 504 && r.typ == "BANK_TIMEOUT":
			tally(hang, "504", r.took)
		case r.status == 503 && r.typ == "BANK_UNAVAILABLE":
			tally(hang, "503", r.took)
		default:
			t.Errorf("hanging bank: %d %s after %s", r.status, r.typ, r.took)
		}
	}
	if sp := hang["504"]; sp == nil || sp.n < hangers {
		t.Errorf("hanging bank: fewer timeouts than callers (%d)", hangers)
	} else if sp.min < deadline || sp.max > deadline+slack {
		timing("hanging bank: 504s after %s to %s; the deadline is %s", sp.min, sp.max, deadline)
	}
	if sp := hang["503"]; sp != nil && sp.max > quick {
		timing("hanging bank: refusals took up to %s, want under %s", sp.max, quick)
	}
	// The slow bank: answered in its time, or refused quickly when its
	// budget is full.
	slow := map[string]*spread{}
	for _, r := range slowRes {
		switch {
		case r.err != nil:
			t.Errorf("slow bank: %v", r.err)
		case r.status == 200:
			tally(slow, "200", r.took)
		case r.status == 503 && r.typ == "BANK_UNAVAILABLE":
			tally(slow, "503", r.took)
		default:
			t.Errorf("slow bank: %d %s after %s", r.status, r.typ, r.took)
		}
	}
	if sp := slow["503"]; sp != nil && sp.max > quick {
		timing("slow bank: refusals took up to %s, want under %s", sp.max, quick)
	}
	count := map[string]int{}
	for k, sp := range hang {
		count[k] = sp.n
	}
	slowCount := map[string]int{}
	for k, sp := range slow {
		slowCount[k] = sp.n
	}
	if slowCount["200"] == 0 {
		t.Errorf("slow bank never answered: %v", slowCount)
	}
	t.Logf("hanging bank: %v; slow bank: %v", count, slowCount)
	// Hundreds of identical failures make a few log lines, with counts.
	failures := count["503"] + count["504"] + slowCount["503"]
	t.Logf("%d failed calls wrote %d warnings", failures, warnings)
	if warnings > 20 {
		t.Errorf("%d failed calls wrote %d warnings; identical ones should be rate-limited", failures, warnings)
	}

	if ready.status != 200 {
		t.Errorf("/readyz during the fault: %d", ready.status)
	}
	if banks.status != 200 {
		t.Fatalf("banks/list: %d", banks.status)
	}
	status := map[string]string{}
	for _, b := range asList(field(bl, "data.banks")) {
		m, _ := b.(map[string]any)
		slug, _ := m["slug"].(string)
		st, _ := m["status"].(string)
		status[slug] = st
	}
	if status["sandbox-bank"] != "operational" || status["sandbox-flaky-bank"] != "down" {
		t.Errorf("banks/list during the fault: %v, want sandbox-bank operational and sandbox-flaky-bank down", status)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
