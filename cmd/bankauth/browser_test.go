package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/bankauth/bankauth/core/company"
	"github.com/bankauth/bankauth/core/domain"
)

// createLink stores widget options under a short link with the company's
// secret key and returns the hosted link's URL.
func createLink(t *testing.T, ts *testServer, keys company.Created, opts map[string]any) string {
	t.Helper()
	body := map[string]any{"key": keys.Sandbox.PublicKey}
	for k, v := range opts {
		body[k] = v
	}
	r := ts.call("POST", "/v2/sandbox/widget/links/create", keys.Sandbox.SecretKey, map[string]any{"options": body})
	short, _ := field(r.JSON, "data.short_url").(string)
	link, _ := field(r.JSON, "data.url").(string)
	if r.Status != 200 || field(r.JSON, "status") != "success" || short == "" || link != ts.URL+"/link/"+short {
		t.Fatalf("links/create: %d %s", r.Status, r.Body)
	}
	return link
}

// loginAtSandboxBank goes from consent to the bank's answer to the login.
func loginAtSandboxBank(b *browser, method string, creds map[string]string) {
	b.t.Helper()
	b.click("[data-action=consent]")
	b.click("[data-bank=sandbox-bank]")
	b.click(fmt.Sprintf("[data-method=%s]", method))
	for _, name := range []string{"username", "password", "phone"} {
		if v, found := creds[name]; found {
			b.fill("input[name="+name+"]", v)
		}
	}
	b.click("[data-screen=credentials] [data-action=submit]")
}

// answerOTP answers the OTP, wrongly first when asked, and checks the
// widget says how many attempts are left.
func answerOTP(b *browser, wrongFirst bool) {
	b.t.Helper()
	b.wait("[data-screen=challenge] input[name=answer]")
	if wrongFirst {
		b.fill("input[name=answer]", "000000")
		b.click("[data-screen=challenge] [data-action=submit]")
		b.wait("[data-screen=challenge] .alert.wrong")
		if msg := b.text("[data-screen=challenge] .alert.wrong"); !strings.Contains(msg, "not right") || !strings.Contains(msg, "2 attempts left") {
			b.t.Fatalf("after a wrong code the widget says %q; want it to say so with 2 attempts left", msg)
		}
	}
	b.fill("input[name=answer]", "123456")
	b.click("[data-screen=challenge] [data-action=submit]")
}

// chooseFirstAccount ticks the first account offered and connects it.
func chooseFirstAccount(b *browser) string {
	b.t.Helper()
	b.wait("[data-screen=accounts] [data-account]")
	id := b.attr("[data-account]", "data-account")
	if !domain.ValidID(id) {
		b.t.Fatalf("account checkbox carries %q, not an account id", id)
	}
	b.click(fmt.Sprintf(`[data-account="%s"]`, id))
	b.click("[data-screen=accounts] [data-action=submit]")
	return id
}

// checkPayload holds an onSuccess payload to the facts it must carry: the
// linked account, its record, customer and bank.
func checkPayload(t *testing.T, raw string, accountID string) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		t.Fatalf("onSuccess payload is not JSON: %v\n%s", err, raw)
	}
	accounts, _ := p["accounts"].([]any)
	if p["success"] != true || !domain.ValidID(fmt.Sprint(p["record_id"])) || !domain.ValidID(fmt.Sprint(p["customer_id"])) ||
		len(accounts) != 1 || field(accounts[0], "id") != accountID || field(accounts[0], "connected") != true ||
		!domain.ValidID(fmt.Sprint(field(p, "auth.id"))) || field(p, "auth.bank_details.slug") != "sandbox-bank" {
		t.Fatalf("onSuccess payload lacks the facts: %s", raw)
	}
	return p
}

func TestBrowserDemoLink(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	sk := demoSecretKey(t, ts)
	r := ts.call("GET", "/demo", "", nil)
	if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("/demo: %d %v", r.Status, r.Header)
	}
	b := newBrowser(t)
	b.navigate(ts.URL + "/demo")
	b.click("#open")
	b.enterFrame("[data-screen=consent]")
	if name := b.text("[data-screen=consent] h1"); !strings.Contains(name, company.DemoName) {
		t.Errorf("consent screen does not name the company: %q", name)
	}
	loginAtSandboxBank(b, "internet_banking", map[string]string{"username": "user_good", "password": "pass_otp"})
	answerOTP(b, true)
	accountID := chooseFirstAccount(b)
	b.wait("[data-screen=success]")

	b.leaveFrame()
	b.waitTrue("the host page got onSuccess", `document.querySelector('#result[data-received=true]')`)
	p := checkPayload(t, b.text("#result"), accountID)
	if events := b.text("#events"); !strings.Contains(events, "challenge") || !strings.Contains(events, "accounts") {
		t.Errorf("onEvent did not see the steps: %q", events)
	}

	authID := field(p, "auth.id").(string)
	r = ts.call("POST", "/v2/sandbox/auth/getById", sk, map[string]any{"id": authID})
	auths, _ := field(r.JSON, "data.auths").([]any)
	if r.Status != 200 || len(auths) != 1 || field(auths[0], "id") != authID || field(auths[0], "record") != p["record_id"] ||
		field(auths[0], "customer._id") != p["customer_id"] || field(auths[0], "validated") != true {
		t.Fatalf("auth/getById: %d %s", r.Status, r.Body)
	}
}

// okraBundle fetches the unmodified okra-js package from the npm registry
// and returns its dist/bundle.js. The version is pinned (override with
// BANKAUTH_OKRAJS_VERSION); nothing of it is kept in the repository.
func okraBundle(t *testing.T) []byte {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("BANKAUTH_REQUIRE_BROWSER") == "1" {
			t.Fatal("npm is needed to fetch okra-js from the registry and BANKAUTH_REQUIRE_BROWSER=1")
		}
		t.Skip("npm not found: cannot fetch okra-js from the npm registry")
	}
	version := os.Getenv("BANKAUTH_OKRAJS_VERSION")
	if version == "" {
		version = "2.1.1"
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "pack", "okra-js@"+version, "--pack-destination", dir, "--silent")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm pack okra-js@%s: %v\n%s", version, err, out)
	}
	tarballs, _ := filepath.Glob(filepath.Join(dir, "okra-js-*.tgz"))
	if len(tarballs) != 1 {
		t.Fatalf("npm pack left %v", tarballs)
	}
	f, err := os.Open(tarballs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "package/dist/bundle.js" {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("okra-js@%s has no dist/bundle.js", version)
	return nil
}

// TestBrowserOkraJS drives the widget with the unmodified okra-js bundle on
// a host page of another origin. okra-js builds the iframe URL from its
// baseUrl property (https://app.okra.ng by default) and checks that
// messages come from an origin starting with it; the host page sets
// Okra.baseUrl to the bankauth server before calling buildWithOptions.
func TestBrowserOkraJS(t *testing.T) {
	bundle := okraBundle(t)
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Shop")
	opts, _ := json.Marshal(map[string]any{
		"key": keys.Sandbox.PublicKey, "token": keys.Company.ID, "env": "production-sandbox",
		"products": []string{"auth"}, "name": "Acme Shop", "color": "#5b21b6",
	})
	base, _ := json.Marshal(ts.URL)
	mux := http.NewServeMux()
	mux.HandleFunc("/okra.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(bundle)
	})
	mux.HandleFunc("/host.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprintf(w, `
Okra.baseUrl = %s;
var opts = %s;
function mark(id, key, text) { var e = document.getElementById(id); e.setAttribute(key, 'true'); if (text) e.textContent = text; }
opts.onSuccess = function (d) { mark('result', 'data-received', JSON.stringify(d)); };
opts.onEvent = function (e) { var li = document.createElement('li'); li.textContent = e.type; document.getElementById('events').appendChild(li); };
opts.onClose = function () { mark('closed', 'data-closed', 'closed'); };
opts.onError = function (e) { mark('error', 'data-error', JSON.stringify(e)); };
Okra.buildWithOptions(opts);
`, base, opts)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><html><head><title>Acme Shop</title></head><body>
<h1>Acme Shop checkout</h1><pre id="result"></pre><ol id="events"></ol><p id="closed"></p><p id="error"></p>
<script src="/okra.js"></script><script src="/host.js"></script></body></html>`)
	})
	host := hostServer(t, mux)

	b := newBrowser(t)
	b.navigate(host + "/")
	b.enterFrame("[data-screen=consent]")
	loginAtSandboxBank(b, "internet_banking", map[string]string{"username": "user_good", "password": "pass_otp"})
	answerOTP(b, false)
	accountID := chooseFirstAccount(b)
	b.click("[data-screen=success] [data-action=submit]")

	b.leaveFrame()
	b.waitTrue("okra-js called onClose and removed the iframe", `document.querySelector('#closed[data-closed=true]') && !document.querySelector('iframe')`)
	if b.attr("#result", "data-received") != "true" {
		t.Fatalf("onSuccess did not fire; error: %s", b.text("body"))
	}
	checkPayload(t, b.text("#result"), accountID)
	if events := b.text("#events"); !strings.Contains(events, "consent") || !strings.Contains(events, "success") {
		t.Errorf("onEvent did not fire for the steps: %q", events)
	}
}

func TestBrowserUSSD(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Lending")
	b := newBrowser(t)
	b.navigate(createLink(t, ts, keys, map[string]any{"name": "Acme Lending"}))
	loginAtSandboxBank(b, "ussd", map[string]string{"phone": "08000000001"})
	b.wait("[data-screen=ussd] .waiting")
	shownAt := time.Now()
	if code := b.text("[data-screen=ussd] [data-ussd-code]"); !regexp.MustCompile(`^\*\d+\*\d+#$`).MatchString(code) {
		t.Fatalf("the USSD screen shows %q, not a code to dial", code)
	}
	// The fake bank confirms at the first poll a second or more after the
	// challenge; the page moves on by itself.
	b.wait("[data-screen=accounts]")
	if waited := time.Since(shownAt); waited < 500*time.Millisecond {
		t.Errorf("the page left the USSD screen after %v; the bank confirms only after 1 s", waited)
	}
	chooseFirstAccount(b)
	b.wait("[data-screen=success]")
}

func TestBrowserRetryAfterBankUnavailable(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Lending")
	b := newBrowser(t)
	b.navigate(createLink(t, ts, keys, nil))
	loginAtSandboxBank(b, "internet_banking", map[string]string{"username": "user_good", "password": "error_BANK_UNAVAILABLE"})
	b.wait("[data-screen=error]")
	if msg := b.text("[data-screen=error]"); !strings.Contains(strings.ToLower(msg), "unavailable") {
		t.Errorf("the error screen does not say what happened: %q", msg)
	}
	if label := b.text("[data-screen=error] [data-action=submit]"); !strings.Contains(label, "Try again") {
		t.Fatalf("a retryable failure offers %q, not a retry", label)
	}
	b.click("[data-screen=error] [data-action=submit]")
	b.fill("[data-screen=credentials] input[name=username]", "user_good")
	b.fill("[data-screen=credentials] input[name=password]", "pass_good")
	b.click("[data-screen=credentials] [data-action=submit]")
	chooseFirstAccount(b)
	b.wait("[data-screen=success]")
}

func TestBrowserHostedLinkRedirects(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Lending")
	mux := http.NewServeMux()
	mux.HandleFunc("/done", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><title>Done</title><h1 id="done">Thanks, back at Acme</h1>`)
	})
	host := hostServer(t, mux)
	link := createLink(t, ts, keys, map[string]any{"name": "Acme Lending", "redirect_url": host + "/done?from=bankauth"})

	r := ts.call("GET", strings.TrimPrefix(link, ts.URL), "", nil)
	csp := r.Header.Get("Content-Security-Policy")
	if r.Status != 200 || !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors *") ||
		strings.Contains(csp, "unsafe-inline") || r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") == "" {
		t.Fatalf("hosted link page headers: %d %v", r.Status, r.Header)
	}
	if r := ts.call("GET", "/link/AAAAAAAAAAAA", "", nil); r.Status != 404 {
		t.Fatalf("an unknown link: %d", r.Status)
	}

	b := newBrowser(t)
	b.navigate(link)
	loginAtSandboxBank(b, "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"})
	chooseFirstAccount(b)
	b.waitTrue("the page landed on redirect_url", `location.pathname === '/done' && !!document.getElementById('done')`)
	landed, err := url.Parse(evalIn[string](b, `location.href`))
	if err != nil {
		t.Fatal(err)
	}
	q := landed.Query()
	recordID, customerID := q.Get("record_id"), q.Get("customer_id")
	if !strings.HasPrefix(landed.String(), host+"/done?") || q.Get("from") != "bankauth" || !domain.ValidID(recordID) || !domain.ValidID(customerID) {
		t.Fatalf("landed on %s", landed)
	}
	r = ts.call("POST", "/v2/sandbox/products/records/get", keys.Sandbox.SecretKey, map[string]any{"record_id": recordID})
	if r.Status != 200 || field(r.JSON, "data.records.status") != "success" {
		t.Fatalf("the record of the redirect: %d %s", r.Status, r.Body)
	}
}

func TestBrowserKeyboardOnly(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Lending")
	b := newBrowser(t)
	b.navigate(createLink(t, ts, keys, map[string]any{"name": "Acme Lending"}))
	b.wait("[data-screen=consent]")
	b.tabTo("[data-action=consent]")
	b.press(kb.Enter)
	b.wait("[data-screen=banks]")
	b.tabTo("[data-bank=sandbox-bank]")
	b.press(kb.Enter)
	b.wait("[data-screen=method]")
	b.tabTo("[data-method=internet_banking]")
	b.press(" ") // Space activates a button too
	b.wait("[data-screen=credentials]")
	b.tabTo("input[name=username]")
	b.press("user_good")
	b.tabTo("input[name=password]")
	b.press("pass_otp" + kb.Enter)
	b.wait("[data-screen=challenge]")
	b.tabTo("input[name=answer]")
	b.press("123456" + kb.Enter)
	b.wait("[data-screen=accounts]")
	b.tabTo("[data-account]")
	b.press(" ")
	if !evalIn[bool](b, `document.querySelector('[data-account]').checked`) {
		t.Fatal("Space did not tick the account")
	}
	b.tabTo("[data-screen=accounts] [data-action=submit]")
	b.press(kb.Enter)
	b.wait("[data-screen=success]")
}

// TestBrowserScreenshots writes every screen at phone (390×844) and
// desktop (1280×800) size to BANKAUTH_SCREENSHOT_DIR (or a temporary
// folder) for people to look at.
func TestBrowserScreenshots(t *testing.T) {
	dir := os.Getenv("BANKAUTH_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Lending")
	opts := map[string]any{"name": "Acme Lending", "color": "#6d28d9"}
	b := newBrowser(t)
	var shots []string
	shoot := func(screen string) {
		t.Helper()
		b.wait("[data-screen=" + screen + "]")
		for _, size := range []struct {
			name string
			w, h int64
		}{{"phone", 390, 844}, {"desktop", 1280, 800}} {
			b.viewport(size.w, size.h)
			b.wait("[data-screen=" + screen + "] [data-action], [data-screen=" + screen + "] h1")
			shots = append(shots, b.screenshot(dir, fmt.Sprintf("%s-%s", screen, size.name)))
		}
	}

	b.navigate(createLink(t, ts, keys, opts))
	shoot("consent")
	b.click("[data-action=consent]")
	shoot("banks")
	b.click("[data-bank=sandbox-bank]")
	shoot("method")
	b.click("[data-method=internet_banking]")
	b.fill("input[name=username]", "user_good")
	b.fill("input[name=password]", "pass_otp")
	shoot("credentials")
	b.click("[data-screen=credentials] [data-action=submit]")
	b.wait("[data-screen=challenge] input[name=answer]")
	b.fill("input[name=answer]", "000000")
	b.click("[data-screen=challenge] [data-action=submit]")
	b.wait("[data-screen=challenge] .alert.wrong")
	shoot("challenge")
	b.fill("input[name=answer]", "123456")
	b.click("[data-screen=challenge] [data-action=submit]")
	b.wait("[data-screen=accounts] [data-account]")
	b.click("[data-account]")
	b.tabTo("[data-screen=accounts] [data-action=submit]") // shows the focus ring
	shoot("accounts")
	b.press(kb.Enter)
	shoot("success")

	// USSD: 08000000003 never confirms, so the waiting state stays.
	b.navigate(createLink(t, ts, keys, opts))
	loginAtSandboxBank(b, "ussd", map[string]string{"phone": "08000000003"})
	shoot("ussd")

	b.navigate(createLink(t, ts, keys, opts))
	loginAtSandboxBank(b, "internet_banking", map[string]string{"username": "user_good", "password": "error_BANK_UNAVAILABLE"})
	shoot("error")

	for _, s := range shots {
		if st, err := os.Stat(s); err != nil || st.Size() < 2000 {
			t.Errorf("screenshot %s is missing or empty", s)
		}
	}
	t.Logf("%d screenshots in %s", len(shots), dir)
}

// TestBrowserReturningQuickLogin walks the returning screen: a customer who
// linked before is recognised by BVN, sees their bank with masked accounts,
// logs in with the OTP quick login and, in a second visit, with the
// password-only quick login.
func TestBrowserReturningQuickLogin(t *testing.T) {
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Acme Lending")
	first := ts.openSession(keys, map[string]any{"customer": map[string]any{"bvn": "22222222222"}})
	ids := stepAccounts(t, first.login("sandbox-bank", "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"}))
	linked := first.choose(ids...).JSON

	// Stored options never leave the server with the customer's identifiers.
	link := createLink(t, ts, keys, map[string]any{"name": "Acme Lending", "customer": map[string]any{"bvn": "22222222222"}})
	code := link[strings.LastIndex(link, "/")+1:]
	if r := ts.call("GET", "/widget/v1/links/"+code, "", nil); r.Status != 200 || strings.Contains(string(r.Body), "22222222222") {
		t.Fatalf("the link's options expose the customer: %d %s", r.Status, r.Body)
	}

	for _, quick := range []string{"otp", "password"} {
		b := newBrowser(t)
		b.navigate(createLink(t, ts, keys, map[string]any{"name": "Acme Lending", "customer": map[string]any{"bvn": "22222222222"}}))
		b.click("[data-action=consent]")
		b.wait("[data-screen=returning] [data-returning-bank=sandbox-bank]")
		if dir := os.Getenv("BANKAUTH_SCREENSHOT_DIR"); dir != "" && quick == "otp" {
			for _, size := range []struct {
				name string
				w, h int64
			}{{"phone", 390, 844}, {"desktop", 1280, 800}} {
				b.viewport(size.w, size.h)
				t.Logf("screenshot %s", b.screenshot(dir, "returning-"+size.name))
			}
		}
		if n := evalIn[float64](b, `document.querySelectorAll('[data-returning-bank]').length`); n != 1 {
			t.Fatalf("the returning screen lists %v banks, want only sandbox-bank", n)
		}
		shown := b.text("[data-screen=returning]")
		for _, a := range field(linked, "accounts").([]any) {
			nuban := field(a, "nuban").(string)
			if strings.Contains(shown, nuban) || !strings.Contains(shown, nuban[6:]) {
				t.Fatalf("accounts must show masked (last four %s), screen says: %q", nuban[6:], shown)
			}
		}
		b.click(fmt.Sprintf("[data-returning-bank=sandbox-bank] [data-quick=%s]", quick))
		b.waitTrue("the quick login moved on", `!!document.querySelector('[data-screen=challenge],[data-screen=credentials],[data-screen=error]')`)
		if evalIn[bool](b, `!!document.querySelector('[data-screen=error]')`) {
			t.Fatalf("quick login (%s) failed: %s", quick, b.screenText())
		}
		if quick == "otp" {
			answerOTP(b, false)
		} else {
			b.wait("[data-screen=credentials] input[name=password]")
			if n := evalIn[float64](b, `document.querySelectorAll('[data-screen=credentials] input[name=username]').length`); n != 0 {
				t.Fatal("the password-only quick login asks for the username")
			}
			b.fill("input[name=password]", "pass_good")
			b.click("[data-screen=credentials] [data-action=submit]")
		}
		b.wait("[data-screen=accounts] [data-account]")
		if !strings.Contains(strings.ToLower(b.text("[data-screen=accounts]")), "already connected") {
			t.Fatalf("accounts linked before are not marked: %q", b.text("[data-screen=accounts]"))
		}
		chooseFirstAccount(b)
		b.wait("[data-screen=success]")
	}
	// Still one customer, one record.
	if got := counts(t, ts); got["customers"] != 1 || got["records"] != 1 {
		t.Fatalf("quick logins made new rows: %v", got)
	}
}

// originGate is a reverse proxy to bankauth that notes the parent_origin of
// every session open, so the test can tell what the widget claimed.
type originGate struct {
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	seen  []string
}

func (g *originGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/widget/v1/sessions" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var open struct {
			ParentOrigin *string `json:"parent_origin"`
		}
		_ = json.Unmarshal(body, &open)
		origin := "(none)"
		if open.ParentOrigin != nil {
			origin = *open.ParentOrigin
		}
		g.mu.Lock()
		g.seen = append(g.seen, origin)
		g.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	g.proxy.ServeHTTP(w, r)
}

func (g *originGate) origins() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.seen...)
}

// TestBrowserFramingByForeignOrigin frames the widget from a page whose
// origin the company did not allow, with buildWithShortUrl and with
// buildWithOptions, and collects every message that page receives: only
// the handshake may arrive, never an event, an error or the success
// payload. A page on an allowed origin still gets the whole flow.
func TestBrowserFramingByForeignOrigin(t *testing.T) {
	// Three more origins: bankauth as the browser sees it (through the
	// gate), the company's own site, and a foreign site.
	front := httptest.NewUnstartedServer(nil)
	allowedHost := httptest.NewUnstartedServer(nil)
	foreignHost := httptest.NewUnstartedServer(nil)
	for _, s := range []*httptest.Server{front, allowedHost, foreignHost} {
		t.Cleanup(s.Close)
	}
	frontURL := "http://" + front.Listener.Addr().String()
	allowedURL := "http://" + allowedHost.Listener.Addr().String()
	foreignURL := "http://" + foreignHost.Listener.Addr().String()

	ts := startServer(t, sqliteConfig(t), func(c *config) { c.PublicURL = frontURL })
	keys := ts.newCompany("Acme Lending")
	ctx := context.Background()
	if err := ts.Companies.SetAllowedOrigins(ctx, keys.Company.ID, allowedURL); err != nil {
		t.Fatal(err)
	}
	acme, err := ts.Store.Companies().Get(ctx, keys.Company.ID)
	if err != nil || !acme.AllowsOrigin(allowedURL) || acme.AllowsOrigin(foreignURL) {
		t.Fatalf("allowed origins not stored: %v %v", acme.AllowedOrigins, err)
	}
	r := ts.call("POST", "/v2/sandbox/widget/links/create", keys.Sandbox.SecretKey, map[string]any{"options": map[string]any{
		"key": keys.Sandbox.PublicKey, "token": keys.Company.ID, "env": "production-sandbox", "products": []string{"auth"}, "name": "Acme Lending"}})
	code, _ := field(r.JSON, "data.short_url").(string)
	if r.Status != 200 || code == "" {
		t.Fatalf("links/create: %d %s", r.Status, r.Body)
	}

	// The server itself refuses a foreign parent; the page's side is what
	// the browser part below checks.
	probe := ts.call("POST", "/widget/v1/sessions", "", map[string]any{"key": keys.Sandbox.PublicKey, "token": keys.Company.ID,
		"env": "production-sandbox", "products": []string{"auth"}, "parent_origin": foreignURL})
	if probe.Status != http.StatusForbidden || field(probe.JSON, "code") != "ORIGIN_NOT_ALLOWED" {
		t.Fatalf("a session open for a foreign parent origin: %d %s; want 403 ORIGIN_NOT_ALLOWED", probe.Status, probe.Body)
	}
	target, _ := url.Parse(ts.URL)
	gate := &originGate{proxy: httputil.NewSingleHostReverseProxy(target)}
	front.Config.Handler = gate
	front.Start()

	opts, _ := json.Marshal(map[string]any{"key": keys.Sandbox.PublicKey, "token": keys.Company.ID, "env": "production-sandbox",
		"products": []string{"auth"}, "name": "Acme Lending", "short_url": code})
	host := http.NewServeMux()
	host.HandleFunc("/host.js", func(w http.ResponseWriter, r *http.Request) {
		build := "buildWithOptions"
		if r.URL.Query().Get("mode") == "short" {
			build = "buildWithShortUrl"
		}
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprintf(w, `
window.received = [];
window.addEventListener('message', function (e) {
  var d; try { d = JSON.parse(JSON.stringify(e.data)); } catch (x) { d = String(e.data); }
  window.received.push({ origin: e.origin, data: d });
});
var opts = %s;
opts.onSuccess = function (d) { window.succeeded = d; };
Okra.%s(opts);
`, opts, build)
	})
	host.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>
<script src="%s/widget.js"></script><script src="/host.js?mode=%s"></script></body></html>`, frontURL, url.QueryEscape(r.URL.Query().Get("mode")))
	})
	allowedHost.Config.Handler = host
	foreignHost.Config.Handler = host
	allowedHost.Start()
	foreignHost.Start()

	type message struct {
		Origin string         `json:"origin"`
		Data   map[string]any `json:"data"`
	}
	for _, c := range []struct {
		name, parent, mode string
		allowed            bool
	}{
		{"foreign parent, short link", foreignURL, "short", false},
		{"foreign parent, options", foreignURL, "options", false},
		{"allowed parent, short link", allowedURL, "short", true},
		{"allowed parent, options", allowedURL, "options", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(gate.origins())
			b := newBrowser(t)
			b.navigate(c.parent + "/?mode=" + c.mode)
			if !c.allowed {
				b.enterFrame("[data-screen=error], [data-screen=consent]")
				if evalIn[bool](b, `!!document.querySelector('[data-screen=consent]')`) {
					t.Fatalf("the widget opened a session for the foreign parent %s", c.parent)
				}
				if got := b.attr("[data-screen=error] [data-error-code]", "data-error-code"); got != "ORIGIN_NOT_ALLOWED" {
					t.Errorf("the error screen shows code %q, want ORIGIN_NOT_ALLOWED", got)
				}
				// Closing tells the foreign page nothing either; the widget
				// says itself that it is closed.
				b.click("[data-screen=error] [data-action=submit]")
				b.wait("[data-screen=closed]")
			} else {
				b.enterFrame("[data-screen=consent]")
				loginAtSandboxBank(b, "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"})
				accountID := chooseFirstAccount(b)
				b.wait("[data-screen=success]")
				b.leaveFrame()
				b.waitTrue("the allowed parent got onSuccess", `!!window.succeeded`)
				checkPayload(t, evalIn[string](b, `JSON.stringify(window.succeeded)`), accountID)
			}
			b.leaveFrame()
			if seen := gate.origins()[before:]; len(seen) != 1 || seen[0] != c.parent {
				t.Fatalf("session opens sent parent_origin %v, want once %s", seen, c.parent)
			}
			// A macrotask in the parent, so messages already posted to it
			// have been delivered before it is read.
			ctx, cancel := context.WithTimeout(b.ctx, step)
			defer cancel()
			raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](
				`new Promise(function (resolve) { setTimeout(function () { resolve(JSON.stringify(window.received)); }, 0); })`,
				chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("read the parent's messages: %v", err)
			}
			var got []message
			if err := json.Unmarshal([]byte(raw), &got); err != nil {
				t.Fatalf("messages %s: %v", raw, err)
			}
			handshakes, success := 0, false
			for _, m := range got {
				if m.Origin != frontURL {
					t.Errorf("a message from %s, not the widget's origin %s: %v", m.Origin, frontURL, m.Data)
				}
				if m.Data["ifameLoaded"] == true && len(m.Data) == 1 {
					handshakes++
					continue
				}
				if !c.allowed {
					t.Errorf("the foreign parent received %v", m.Data)
				}
				if m.Data["success"] == true && domain.ValidID(fmt.Sprint(m.Data["record_id"])) {
					success = true
				}
			}
			if handshakes != 1 {
				t.Errorf("the parent got %d handshakes, want 1 (messages %s)", handshakes, raw)
			}
			if c.allowed != success {
				t.Errorf("allowed=%v but success payload received=%v (messages %s)", c.allowed, success, raw)
			}
			if !c.allowed && (strings.Contains(raw, "record_id") || strings.Contains(raw, "accounts") || strings.Contains(raw, "session_id")) {
				t.Errorf("the foreign parent received account data: %s", raw)
			}
		})
	}
}

// TestBrowserOkraJSReadme is okra-js's README example as an integrator
// copies it: the key under okraKey and the README's product list, which
// names products this server does not offer. The widget links with the
// offered ones and tells the page, through onEvent, which it left out.
func TestBrowserOkraJSReadme(t *testing.T) {
	bundle := okraBundle(t)
	ts := startServer(t, sqliteConfig(t), nil)
	keys := ts.newCompany("Peter the Builder")
	opts, _ := json.Marshal(map[string]any{
		"name": "Peter the Builder", "env": "production-sandbox", "app_id": "",
		"okraKey": keys.Sandbox.PublicKey, "token": keys.Company.ID,
		"products":       []string{"auth", "identity", "balance", "transactions", "income"},
		"connectMessage": "Link the account you pay rent from",
		"success_title":  "All set", "success_message": "Your rent account is linked.",
		"showBalance": true, "selection_type": "single", "limit": 24,
	})
	base, _ := json.Marshal(ts.URL)
	mux := http.NewServeMux()
	mux.HandleFunc("/okra.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(bundle)
	})
	mux.HandleFunc("/host.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprintf(w, `
Okra.baseUrl = %s;
var opts = %s;
function mark(id, key, text) { var e = document.getElementById(id); e.setAttribute(key, 'true'); if (text) e.textContent = text; }
opts.onSuccess = function (d) { mark('result', 'data-received', JSON.stringify(d)); };
opts.onEvent = function (e) { var li = document.createElement('li'); li.textContent = JSON.stringify(e); document.getElementById('events').appendChild(li); };
opts.onClose = function () { mark('closed', 'data-closed', 'closed'); };
opts.onError = function (e) { mark('error', 'data-error', JSON.stringify(e)); };
Okra.buildWithOptions(opts);
`, base, opts)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><html><head><title>Peter the Builder</title></head><body>
<pre id="result"></pre><ol id="events"></ol><p id="closed"></p><p id="error"></p>
<script src="/okra.js"></script><script src="/host.js"></script></body></html>`)
	})
	host := hostServer(t, mux)

	b := newBrowser(t)
	b.navigate(host + "/")
	b.enterFrame("[data-screen=consent]")
	if msg := b.text("[data-connect-message]"); msg != "Link the account you pay rent from" {
		t.Errorf("connectMessage shows %q", msg)
	}
	loginAtSandboxBank(b, "internet_banking", map[string]string{"username": "user_good", "password": "pass_good"})
	b.wait("[data-screen=accounts] [data-account]")
	if typ := b.attr("[data-account]", "type"); typ != "radio" {
		t.Errorf("selection_type single: the accounts are %q inputs, want radio", typ)
	}
	accountID := chooseFirstAccount(b)
	b.wait("[data-screen=success]")
	if title, msg := b.text("[data-screen=success] h1"), b.text("[data-success-message]"); title != "All set" || msg != "Your rent account is linked." {
		t.Errorf("success screen: %q / %q", title, msg)
	}
	if bal := b.text("[data-balance]"); !strings.Contains(bal, "250,000") {
		t.Errorf("showBalance: the success screen shows %q, want the available balance ₦250,000.00", bal)
	}
	b.click("[data-screen=success] [data-action=submit]")

	b.leaveFrame()
	b.waitTrue("okra-js called onClose and removed the iframe", `document.querySelector('#closed[data-closed=true]') && !document.querySelector('iframe')`)
	if b.attr("#error", "data-error") == "true" {
		t.Fatalf("onError fired: %s", b.text("#error"))
	}
	if b.attr("#result", "data-received") != "true" {
		t.Fatalf("onSuccess did not fire: %s", b.text("body"))
	}
	p := checkPayload(t, b.text("#result"), accountID)
	if field(p, "accounts") == nil {
		t.Fatal("no accounts in the payload")
	}
	events := b.text("#events")
	if !strings.Contains(events, `"products_unavailable":["transactions","income"]`) {
		t.Errorf("onEvent did not name the products left out: %s", events)
	}
}
