package auth

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

// TestAuthorize: only the session's own token opens it, and every wrong
// way of asking gets the same answer.
func TestAuthorize(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	ctx := context.Background()
	opened, _ := w.mustOpen(OpenRequest{})
	other, _ := w.mustOpen(OpenRequest{})
	for _, tc := range []struct {
		name, id, token string
		ok              bool
	}{
		{"its own token", opened.SessionID, opened.SessionToken, true},
		{"no token", opened.SessionID, "", false},
		{"another session's token", opened.SessionID, other.SessionToken, false},
		{"a made-up token", opened.SessionID, "lst_0000", false},
		{"not an id", "not-an-id", opened.SessionToken, false},
		{"an unknown session", domain.NewID(), opened.SessionToken, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := w.svc.Authorize(ctx, tc.id, tc.token)
			if tc.ok {
				if err != nil || l.ID != opened.SessionID {
					t.Fatalf("authorize: %v (session %q)", err, l.ID)
				}
				return
			}
			if !errors.Is(err, errBadSession) {
				t.Fatalf("got %v, want the one bad-session answer", err)
			}
		})
	}
}

// TestOpenExp: okra-js's exp refuses options past their date; a date
// alone lasts to the end of that day.
func TestOpenExp(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	today := w.clock.Now().Format(time.DateOnly)
	for _, tc := range []struct {
		name, exp string
		kind      domain.Kind
		code      string
	}{
		{"none", "", "", ""},
		{"today", today, "", ""},
		{"a later timestamp", w.clock.Now().Add(time.Minute).Format(time.RFC3339), "", ""},
		{"yesterday", w.clock.Now().AddDate(0, 0, -1).Format(time.DateOnly), domain.KindExpired, "WIDGET_EXPIRED"},
		{"now", w.clock.Now().Format(time.RFC3339), domain.KindExpired, "WIDGET_EXPIRED"},
		{"not a date", "next week", domain.KindInvalid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := w.open(context.Background(), OpenRequest{Exp: tc.exp})
			if tc.kind == "" {
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				return
			}
			wantCode(t, err, tc.kind, tc.code)
		})
	}
}

// TestOpenRefusals: what the page sends is checked before anything is
// stored or spent.
func TestOpenRefusals(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	if _, err := w.svc.OpenSession(context.Background(), OpenRequest{Env: "sandbox"}); domain.KindOf(err) != domain.KindInvalid {
		t.Fatalf("open without a key: %v", err)
	}
	for _, tc := range []struct {
		name string
		req  OpenRequest
		kind domain.Kind
		code string
	}{
		{"an unknown environment", OpenRequest{Env: "staging"}, domain.KindInvalid, ""},
		{"a client token of another company", OpenRequest{Token: domain.NewID()}, domain.KindUnauthorized, "INVALID_TOKEN"},
		{"both a link token and a short link", OpenRequest{LinkToken: "lt", ShortURL: "code"}, domain.KindInvalid, ""},
		{"an unknown product", OpenRequest{Products: []string{"auth", "mortgages"}}, domain.KindInvalid, ""},
		{"a malformed customer hint", OpenRequest{Customer: &CustomerInput{BVN: "12"}}, domain.KindInvalid, ""},
		{"a callback that is no URL", OpenRequest{CallbackURL: "ftp://x"}, domain.KindInvalid, ""},
		{"meta past 8 KiB", OpenRequest{Meta: json.RawMessage(`"` + pad(9<<10) + `"`)}, domain.KindInvalid, ""},
		{"options past 16 KiB", OpenRequest{Options: json.RawMessage(`"` + pad(17<<10) + `"`)}, domain.KindInvalid, ""},
		{"an unknown link token", OpenRequest{LinkToken: "lt_nope"}, domain.KindUnauthorized, "INVALID_LINK_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := w.open(context.Background(), tc.req)
			wantCode(t, err, tc.kind, tc.code)
		})
	}
}

func pad(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}

// TestShortLinks: a stored link is trusted like a link token, but only
// for its own company and environment and until it expires.
func TestShortLinks(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	ctx := context.Background()
	past := w.clock.Now().Add(-time.Minute)
	store := func(code string, company domain.ID, env domain.Env, options string, expires *time.Time) {
		t.Helper()
		if err := w.store.ShortLinks().Create(ctx, domain.ShortLink{Code: code, CompanyID: company, Env: env,
			Options: []byte(options), CreatedAt: w.clock.Now(), ExpiresAt: expires}); err != nil {
			t.Fatal(err)
		}
	}
	store("good", w.company.ID, domain.EnvSandbox, `{"customer":{"bvn":"22222222222","name":"Ada Obi"},"products":["balance","payments"],"name":"Shop"}`, nil)
	store("theirs", w.other.ID, domain.EnvSandbox, `{}`, nil)
	store("production", w.company.ID, domain.EnvProduction, `{}`, nil)
	store("expired", w.company.ID, domain.EnvSandbox, `{}`, &past)
	store("garbled", w.company.ID, domain.EnvSandbox, `{"products":`, nil)
	store("bad-customer", w.company.ID, domain.EnvSandbox, `{"customer":{"bvn":"12"}}`, nil)
	store("half-reauth", w.company.ID, domain.EnvSandbox, `{"reauth_account":"0000000001"}`, nil)
	for _, tc := range []struct {
		code string
		kind domain.Kind
		want string
	}{
		{"good", "", ""},
		{"unknown", domain.KindInvalid, ""},
		{"theirs", domain.KindInvalid, ""},
		{"production", domain.KindInvalid, ""},
		{"expired", domain.KindExpired, domain.CodeLinkExpired},
		{"garbled", domain.KindInvalid, ""},
		{"bad-customer", domain.KindInvalid, ""},
		{"half-reauth", domain.KindInvalid, ""},
	} {
		t.Run(tc.code, func(t *testing.T) {
			opened, l, err := w.open(ctx, OpenRequest{ShortURL: tc.code})
			if tc.kind != "" {
				wantCode(t, err, tc.kind, tc.want)
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if got := opened.Products; len(got) != 2 || got[0] != "auth" || got[1] != "balance" {
				t.Fatalf("products %v, want the link's offered ones", got)
			}
			if got := opened.ProductsUnavailable; len(got) != 1 || got[0] != "payments" {
				t.Fatalf("unavailable %v, want payments", got)
			}
			st, err := w.svc.openState(l)
			if err != nil {
				t.Fatal(err)
			}
			if st.Identifiers[string(domain.IdentBVN)] != "22222222222" || st.TrustedName != "Ada Obi" || len(st.Hints) > 0 {
				t.Fatalf("the link's customer is not trusted: %+v", st)
			}
			if options(l).Name != "Shop" {
				t.Fatalf("the link's name did not apply: %+v", options(l))
			}
		})
	}
}

// TestPasswordQuickLogin: a returning customer may log in with the
// remembered username and a typed password; a refused password counts
// against the record's quick-login budget.
func TestPasswordQuickLogin(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}, QuickLoginFailures: 2})
	ctx := context.Background()
	tok := func() string { return w.token(TokenRequest{Customer: &CustomerInput{BVN: "22222222222"}}) }
	_, l := w.mustOpen(OpenRequest{LinkToken: tok()})
	first, err := w.link(l, "ada")
	if err != nil {
		t.Fatal(err)
	}
	quick := func(creds map[string]string) (Step, error) {
		t.Helper()
		opened, l := w.mustOpen(OpenRequest{LinkToken: tok()})
		if !opened.Returning || len(opened.Banks) != 1 {
			t.Fatalf("not returning: %+v", opened)
		}
		if got := opened.Banks[0].QuickLogin; len(got) != 2 || got[1] != "password" {
			t.Fatalf("quick login offers %v, want otp and password", got)
		}
		return w.svc.Login(ctx, l, LoginRequest{Bank: "fake-bank", Method: domain.MethodReturning, Credentials: creds})
	}
	for _, tc := range []struct {
		name     string
		password string
		status   domain.StepStatus
		code     string
	}{
		{"no password typed", "", "", "credentials.password"},
		{"the right password", "pass", domain.StepAccounts, ""},
		{"a wrong password", "guess", domain.StepFailed, domain.RejectInvalidCredentials},
		{"a second wrong password locks quick login", "guess", domain.StepFailed, domain.CodeQuickLoginLocked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, err := quick(map[string]string{"password": tc.password})
			if tc.status == "" {
				if de, _ := domain.AsError(err); de == nil || de.Field != tc.code {
					t.Fatalf("got %v, want a refusal of %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("quick login: %v", err)
			}
			if step.Status != tc.status || (tc.code != "" && (step.Error == nil || step.Error.Code != tc.code)) {
				t.Fatalf("got %+v, want %s %s", step, tc.status, tc.code)
			}
		})
	}
	rec, err := w.store.Records().Get(ctx, w.scope, first.RecordID)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.QuickLoginLocked(w.clock.Now()) {
		t.Fatal("two refused quick-login passwords did not lock the record's quick login")
	}
}

// TestMovedByAnotherCall: a call working from a session another call
// already moved loses with SESSION_BUSY and changes nothing.
func TestMovedByAnotherCall(t *testing.T) {
	ctx := context.Background()
	t.Run("login", func(t *testing.T) {
		w, _ := scripted(t, Config{Budgets: Budgets{Off: true}})
		_, stale := w.mustOpen(OpenRequest{})
		if _, err := w.svc.Login(ctx, stale, internetLogin); err != nil {
			t.Fatal(err)
		}
		_, err := w.svc.Login(ctx, stale, internetLogin)
		wantCode(t, err, domain.KindConflict, domain.CodeSessionBusy)
	})
	t.Run("choose", func(t *testing.T) {
		w, _ := scripted(t, Config{Budgets: Budgets{Off: true}})
		_, l := w.mustOpen(OpenRequest{})
		step, err := w.svc.Login(ctx, l, internetLogin)
		if err != nil {
			t.Fatal(err)
		}
		l = w.reload(l)
		choose := ChooseRequest{Accounts: []string{step.Accounts[0].ID}, Consent: true}
		if _, err := w.svc.Choose(ctx, l, choose); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.Choose(ctx, l, choose)
		wantCode(t, err, domain.KindConflict, domain.CodeSessionBusy)
	})
}

// TestFinishedSession: a finished session answers its step for a grace,
// without the payload, then is gone.
func TestFinishedSession(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}, FinishedGrace: time.Minute})
	ctx := context.Background()
	_, l := w.mustOpen(OpenRequest{Meta: json.RawMessage(`{"order":"42"}`)})
	p, err := w.link(l, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := p.Meta.(map[string]any); !ok || m["order"] != "42" {
		t.Fatalf("payload meta %v, want the session's", p.Meta)
	}
	l = w.reload(l)
	for _, tc := range []struct {
		name  string
		after time.Duration
		err   error
	}{
		{"within the grace", 30 * time.Second, nil},
		{"after the grace", time.Minute, errFinished},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.clock.step(tc.after)
			step, err := w.svc.Current(ctx, l)
			if !errors.Is(err, tc.err) {
				t.Fatalf("current: %v, want %v", err, tc.err)
			}
			if tc.err == nil && (step.Status != domain.StepDone || step.RecordID != p.RecordID || step.Payload != nil) {
				t.Fatalf("step %+v, want done with the record and no payload", step)
			}
		})
	}
	if _, err := w.svc.Cancel(ctx, l); domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("cancel of a finished session: %v", err)
	}
}

// TestPurge: expired sessions go; live ones stay.
func TestPurge(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}, SessionTTL: time.Hour})
	ctx := context.Background()
	_, old := w.mustOpen(OpenRequest{})
	w.clock.step(50 * time.Minute)
	_, live := w.mustOpen(OpenRequest{})
	w.clock.step(20 * time.Minute)
	p := NewPurger(w.store, w.clock, 0, nil)
	sessions, _, err := p.PurgeOnce(ctx)
	if err != nil || sessions != 1 {
		t.Fatalf("purge: %d sessions, %v; want the one expired", sessions, err)
	}
	if _, err := w.store.LinkSessions().Get(ctx, old.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the expired session is still there: %v", err)
	}
	if _, err := w.store.LinkSessions().Get(ctx, live.ID); err != nil {
		t.Fatalf("the live session went: %v", err)
	}
	// The loop starts once and stops cleanly, twice over.
	for range 2 {
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := p.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestIdentityProduct: a session asking for identity gets the owner's
// identity in the payload, from the login when the bank has no identity
// call; a session that does not, gets none.
func TestIdentityProduct(t *testing.T) {
	for _, tc := range []struct {
		name     string
		products []string
		want     bool
	}{
		{"asked for", []string{"identity"}, true},
		{"not asked for", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, Config{Budgets: Budgets{Off: true}})
			_, l := w.mustOpen(OpenRequest{Products: tc.products})
			p, err := w.link(l, "ada")
			if err != nil {
				t.Fatal(err)
			}
			// A nil *okra.Identity in the payload encodes as null.
			if obj, _ := p.Identity.(*okra.Identity); (obj != nil) != tc.want {
				t.Fatalf("payload identity %v, want one: %v", p.Identity, tc.want)
			}
		})
	}
}

func TestNamesMatch(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"Ada Obi", "OBI, Ada", true},
		{"Ada Obi", "Ada  obi.", true},
		{"Ada Obi", "Ada Chioma Obi", false},
		{"Ada Obi", "Ike Obi", false},
		{"", "", false},
	} {
		if got := namesMatch(tc.a, tc.b); got != tc.want {
			t.Errorf("namesMatch(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestFlaggedCustomer: a customer the company flagged cannot link, and
// the refused link writes nothing; unflagged, they link again.
func TestFlaggedCustomer(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	ctx := context.Background()
	_, l := w.mustOpen(OpenRequest{})
	first, err := w.link(l, "ada")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		flagged bool
	}{
		{"flagged", true},
		{"unflagged", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := w.store.Customers().SetFlagged(ctx, w.scope, first.CustomerID, tc.flagged, w.clock.Now()); err != nil {
				t.Fatal(err)
			}
			_, l := w.mustOpen(OpenRequest{})
			p, err := w.link(l, "ada")
			if tc.flagged {
				wantCode(t, err, domain.KindFlagged, "FLAGGED_USER")
				if got := w.reload(l).Status; got != domain.StepAccounts {
					t.Fatalf("a refused link moved the session to %s; it stays at the accounts step", got)
				}
				return
			}
			if err != nil || p.CustomerID != first.CustomerID || !p.Duplicate {
				t.Fatalf("link after unflagging: %v (customer %s, duplicate %v)", err, p.CustomerID, p.Duplicate)
			}
		})
	}
}
