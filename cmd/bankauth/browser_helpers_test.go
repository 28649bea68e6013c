package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Browser tests drive headless Chromium with chromedp. Without a browser
// they skip, unless BANKAUTH_REQUIRE_BROWSER=1 (CI), which makes the
// absence a failure.

// chromiumPath finds the browser, or skips (or fails when required).
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("BANKAUTH_CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("BANKAUTH_REQUIRE_BROWSER") == "1" {
		t.Fatal("no Chromium found (looked for chromium, chromium-browser, google-chrome; set BANKAUTH_CHROMIUM) and BANKAUTH_REQUIRE_BROWSER=1")
	}
	t.Skip("no Chromium found; install chromium or set BANKAUTH_CHROMIUM (BANKAUTH_REQUIRE_BROWSER=1 makes this a failure)")
	return ""
}

// browser is one headless Chromium with one tab, closed when the test ends.
type browser struct {
	t   *testing.T
	ctx context.Context
	// frame is the widget's iframe when the widget runs inside a host page;
	// queries then run inside it.
	frame *chromedp.Node
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	b := &browser{t: t, ctx: ctx}
	b.viewport(1280, 800)
	return b
}

// step is the longest one browser step may take.
const step = 20 * time.Second

func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\nscreen: %s", what, err, b.screenText())
	}
}

// in are the query options that aim at the widget (inside its iframe when
// there is one).
func (b *browser) in() []chromedp.QueryOption {
	if b.frame != nil {
		return []chromedp.QueryOption{chromedp.FromNode(b.frame)}
	}
	return nil
}

// screenText is what the widget shows, for failure messages.
func (b *browser) screenText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body"), append(b.in(), chromedp.AtLeast(0))...))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return strings.Join(strings.Fields(s), " ")
}

func (b *browser) navigate(url string) {
	b.t.Helper()
	b.frame = nil
	b.run("open "+url, chromedp.Navigate(url))
}

func (b *browser) viewport(w, h int64) {
	b.t.Helper()
	b.run("set viewport", chromedp.EmulateViewport(w, h))
}

func (b *browser) wait(sel string) {
	b.t.Helper()
	b.run("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel), b.in()...))
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel), b.in()...), chromedp.Click(chromedp.CSS(sel), b.in()...))
}

func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.run("type into "+sel, chromedp.WaitVisible(chromedp.CSS(sel), b.in()...), chromedp.SendKeys(chromedp.CSS(sel), value, b.in()...))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), append(b.in(), chromedp.NodeVisible)...))
	if err != nil {
		b.t.Fatalf("read %s: %v\nscreen: %s", sel, err, b.screenText())
	}
	return s
}

func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	m, err := chromedp.Run(ctx, chromedp.Attributes(chromedp.CSS(sel), b.in()...))
	if err != nil {
		b.t.Fatalf("attributes of %s: %v\nscreen: %s", sel, err, b.screenText())
	}
	return m[name]
}

// evalIn runs JavaScript in the page (or the widget's frame) and decodes it.
func evalIn[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	var opts []chromedp.PollOption
	if b.frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(b.frame))
	}
	// Poll returns the first truthy value; wrapping it makes false and 0
	// truthy too, so this reads any value at once.
	v, err := chromedp.Run(ctx, chromedp.Poll[[]T]("["+expr+"]", opts...))
	if err != nil || len(v) != 1 {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v[0]
}

// waitTrue waits until a JavaScript condition holds in the page or frame.
func (b *browser) waitTrue(what, cond string) {
	b.t.Helper()
	var opts []chromedp.PollOption
	if b.frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(b.frame))
	}
	opts = append(opts, chromedp.WithPollingTimeout(step))
	deadline := time.Now().Add(step)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, time.Until(deadline)+time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+cond+")", opts...))
		cancel()
		if err == nil {
			return
		}
		// A navigation (a redirect) ends the poll's page; ask the new one.
		if !navigationError(err) || time.Now().After(deadline) {
			b.t.Fatalf("wait until %s: %v\nscreen: %s", what, err, b.screenText())
		}
	}
}

// navigationError tells errors of a page that went away during the call.
func navigationError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "navigated") || strings.Contains(msg, "Cannot find context") ||
		strings.Contains(msg, "context was destroyed")
}

// enterFrame waits for the widget's iframe in a host page to show its
// first screen and aims every later query at it. The iframe is added and
// loaded by script, so it polls (bounded) until the frame's document
// answers.
func (b *browser) enterFrame(firstScreen string) {
	b.t.Helper()
	deadline := time.Now().Add(step)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("iframe")))
		if err == nil && len(nodes) > 0 {
			err = chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(firstScreen), chromedp.FromNode(nodes[0])))
			if err == nil {
				cancel()
				b.frame = nodes[0]
				return
			}
		}
		cancel()
		if time.Now().After(deadline) {
			b.t.Fatalf("the widget's iframe did not show %s: %v", firstScreen, err)
		}
	}
}

// leaveFrame aims queries at the host page again.
func (b *browser) leaveFrame() { b.frame = nil }

// press sends key presses to whatever has the focus.
func (b *browser) press(keys string) {
	b.t.Helper()
	b.run("press keys", chromedp.KeyEvent(keys))
}

// tabTo presses Tab until the focused element matches sel (at most 40
// times) and checks the focus ring is visible on it when a key moved the
// focus there.
func (b *browser) tabTo(sel string) {
	b.t.Helper()
	for i := range 40 {
		if evalIn[bool](b, fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)) {
			if i == 0 {
				return // focused by the page, not by a key: no ring is due
			}
			outline := evalIn[string](b, `getComputedStyle(document.activeElement).outlineStyle + ' ' + getComputedStyle(document.activeElement).outlineWidth`)
			if strings.HasPrefix(outline, "none") || strings.HasSuffix(outline, " 0px") {
				b.t.Errorf("no visible focus ring on %s (outline %s)", sel, outline)
			}
			return
		}
		b.press(kb.Tab)
	}
	b.t.Fatalf("Tab never reached %s; focus is on %s", sel, evalIn[string](b, `document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : 'nothing'`))
}

// screenshot writes the viewport as a PNG into dir.
func (b *browser) screenshot(dir, name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return path
}

// demoSecretKey reads the demo company's sandbox secret key from what serve
// printed when it created the company.
func demoSecretKey(t *testing.T, ts *testServer) string {
	t.Helper()
	m := regexp.MustCompile(`sandbox secret key:\s+(sk_test_\S+)`).FindStringSubmatch(ts.Out.String())
	if m == nil {
		t.Fatalf("serve did not print the demo company's secret key:\n%s", ts.Out.String())
	}
	return m[1]
}

// hostServer serves pages of a company's own site to the browser, on
// another origin than bankauth.
func hostServer(t *testing.T, handler http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL
}
