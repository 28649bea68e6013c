package connector

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
)

// A registered binary altered afterwards is refused at its next start with
// an error naming the connector, and never runs.
func TestChecksumMismatch(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	store := storagetest.OpenSQLite(t)
	bin := copyFixture(t, cfg.PluginDir, modeGood)
	registerBinary(t, store, cfg.PluginDir, "acme", bin, true)

	first := newTestHostOn(t, cfg, store)
	start(t, first.Host)
	goodLogin(t, first.Host, fixtureBank(modeGood))
	b, err := store.Banks().GetBySlug(context.Background(), fixtureBank(modeGood))
	if err != nil {
		t.Fatal(err)
	}
	if b.Connector != "acme" || !b.Production {
		t.Errorf("acme's bank stored as %+v; want connector acme, production", b)
	}
	if err := first.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	ran := len(readPIDs(t, bin))

	f, err := os.OpenFile(bin, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	h := newTestHostOn(t, cfg, store)
	start(t, h.Host)
	const want = `connector "acme": checksum mismatch: the binary changed since it was registered`
	if st := h.state(t, "acme"); st.Running || !strings.Contains(st.LastError, want) {
		t.Errorf("acme after the change: %+v", st)
	}
	_, err = h.BeginLogin(context.Background(), fixtureBank(modeGood), domain.MethodInternetBanking,
		map[string]string{"password": pwGood})
	de := requireKind(t, err, domain.KindUnavailable)
	if de.Code != CodeChecksum || !strings.Contains(de.Error(), want) {
		t.Errorf("got %s: %v", de.Code, de)
	}
	if n := len(readPIDs(t, bin)); n != ran {
		t.Errorf("the altered binary ran %d times", n-ran)
	}
	// The rest of the host works.
	goodLogin(t, h.Host, "sandbox-bank")
	banks, err := h.Banks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range banks {
		if b.Slug == fixtureBank(modeGood) && b.Status != domain.BankDown {
			t.Errorf("acme's bank is %s, want down", b.Status)
		}
	}
}

// A binary in the plugin directory that is not registered is never run;
// once registered, it is.
func TestUnregisteredBinaryNeverRuns(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	h := newTestHost(t, cfg)
	bin := installFixture(t, cfg.PluginDir, modeMarker)
	start(t, h.Host)
	goodLogin(t, h.Host, "sandbox-bank")
	if _, err := h.BeginLogin(context.Background(), fixtureBank(modeMarker), domain.MethodInternetBanking,
		map[string]string{"password": pwGood}); domain.KindOf(err) != domain.KindNotFound {
		t.Errorf("unregistered connector's bank: %v, want not found", err)
	}
	if _, err := h.Banks(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := h.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pids := readPIDs(t, bin); len(pids) != 0 {
		t.Fatalf("the unregistered binary ran: %v", pids)
	}

	// Control: the same binary registered does run.
	sum, err := FileSHA256(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Register(context.Background(), "marker", bin, sum, false); err != nil {
		t.Fatal(err)
	}
	goodLogin(t, h.Host, fixtureBank(modeMarker))
	if pids := readPIDs(t, bin); len(pids) != 1 {
		t.Errorf("registered binary ran %d times, want 1", len(pids))
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	outside := t.TempDir()
	store := storagetest.OpenSQLite(t)
	cat := NewCatalog(dir, store.Connectors())
	inside := copyFixture(t, dir, modeGood)
	sum, err := FileSHA256(inside)
	if err != nil {
		t.Fatal(err)
	}
	out := installFixture(t, outside, modeGood)
	link := filepath.Join(dir, "escape")
	if err := os.Symlink(out, link); err != nil {
		t.Fatal(err)
	}
	notExec := filepath.Join(dir, "data.bin")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	zeros := strings.Repeat("0", 64)

	cases := []struct {
		name, path, sum, field string
	}{
		{"acme", out, sum, "path"},  // outside the plugin dir
		{"acme", link, sum, "path"}, // a symlink leading out
		{"acme", filepath.Join(dir, "..", filepath.Base(outside), "fixture-good"), sum, "path"},
		{"acme", filepath.Join(dir, "missing"), sum, "path"},
		{"acme", notExec, sum, "path"},
		{"acme", inside, zeros, "sha256"},  // wrong checksum
		{"acme", inside, "xyz", "sha256"},  // not a checksum
		{"Acme Bank", inside, sum, "name"}, // bad name
		{BuiltinName, inside, sum, "name"}, // reserved
	}
	for _, c := range cases {
		err := cat.Register(ctx, c.name, c.path, c.sum, false)
		de := requireKind(t, err, domain.KindInvalid)
		if de.Field != c.field {
			t.Errorf("Register(%q, %q): field %q (%v), want %q", c.name, c.path, de.Field, err, c.field)
		}
	}
	if regs, _ := cat.List(ctx); len(regs) != 0 {
		t.Fatalf("refused registrations were stored: %+v", regs)
	}

	if err := cat.Register(ctx, "acme", inside, strings.ToUpper(sum), true); err != nil {
		t.Fatal(err)
	}
	regs, err := cat.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(regs) != 1 || regs[0].Name != "acme" || regs[0].SHA256 != sum || !regs[0].Enabled || !filepath.IsAbs(regs[0].Path) {
		t.Fatalf("stored %+v", regs)
	}
	created := regs[0].CreatedAt
	cat.now = func() time.Time { return time.Now().Add(time.Hour) }
	if err := cat.Register(ctx, "acme", inside, sum, false); err != nil {
		t.Fatal(err)
	}
	regs, _ = cat.List(ctx)
	if len(regs) != 1 || regs[0].Enabled || !regs[0].CreatedAt.Equal(created) {
		t.Errorf("re-registration: %+v (created %v)", regs, created)
	}

	// No plugin directory: external connectors are disabled.
	err = NewCatalog("", store.Connectors()).Register(ctx, "other", inside, sum, false)
	if de := requireKind(t, err, domain.KindInvalid); !strings.Contains(de.Message, "plugin directory") {
		t.Errorf("no plugin dir: %v", err)
	}
	if !errors.Is(err, domain.ErrInvalid) {
		t.Error("not ErrInvalid")
	}
}
