package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

func TestCheckOrigins(t *testing.T) {
	const server, shop, evil = "https://link.example", "https://shop.example", "https://evil.example"
	listed := domain.Company{AllowedOrigins: []string{shop}}
	unlisted := domain.Company{}
	noFrames := domain.Company{AllowedOrigins: []string{shop}, FrameAncestors: "'none'"}
	for _, tc := range []struct {
		name      string
		company   domain.Company
		o         Origins
		shortLink bool
		refused   bool
	}{
		{"no list: any page", unlisted, Origins{Request: evil, Server: server, Parent: evil}, false, false},
		{"no browser facts at all", listed, Origins{Server: server}, false, false},
		{"the widget iframe on a listed page", listed, Origins{Request: server, Server: server, Parent: shop}, false, false},
		{"the widget iframe framed by another page", listed, Origins{Request: server, Server: server, Parent: evil}, false, true},
		{"the company's own UI on a listed origin", listed, Origins{Request: shop, Server: server}, false, false},
		{"another site's script calling the API", listed, Origins{Request: evil, Server: server}, false, true},
		{"the server's own page as parent", listed, Origins{Request: server, Server: server, Parent: server}, false, false},
		{"short link, not framed", noFrames, Origins{Request: server, Server: server}, true, false},
		{"short link framed where framing is refused", noFrames, Origins{Request: server, Server: server, Parent: shop}, true, true},
		{"short link framed by an unlisted page", listed, Origins{Request: server, Server: server, Parent: evil}, true, true},
		{"short link framed by a listed page", listed, Origins{Request: server, Server: server, Parent: shop}, true, false},
		{"iframe session (not a short link) where framing is refused", noFrames, Origins{Request: server, Server: server, Parent: shop}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkOrigins(tc.company, tc.o, tc.shortLink)
			de, _ := domain.AsError(err)
			switch {
			case tc.refused && (de == nil || de.Kind != domain.KindForbidden || de.Code != "ORIGIN_NOT_ALLOWED"):
				t.Fatalf("want ORIGIN_NOT_ALLOWED (forbidden), got %v", err)
			case !tc.refused && err != nil:
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

// TestHintsAreHints: a customer named on the page reveals nothing before
// the bank login and attaches nothing to the customer it names.
func TestHintsAreHints(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	_, l := w.mustOpen(OpenRequest{LinkToken: w.token(TokenRequest{Customer: &CustomerInput{BVN: "22222222222", Email: "ada@example.com"}})})
	victim, err := w.link(l, "ada")
	if err != nil {
		t.Fatal(err)
	}
	before := w.identifiers(victim.CustomerID)
	for _, tc := range []struct {
		name string
		hint CustomerInput
	}{
		{"phone", CustomerInput{Phone: "0800 000 0001"}},
		{"bvn", CustomerInput{BVN: "22222222222"}},
		{"email", CustomerInput{Email: "Ada@Example.com"}},
		{"everything", CustomerInput{BVN: "22222222222", Phone: "+2348000000001", Email: "ada@example.com", Name: "Ada Obi"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hint := tc.hint
			opened, l := w.mustOpen(OpenRequest{Customer: &hint})
			body, _ := json.Marshal(opened)
			if opened.Returning || opened.CustomerID != "" || len(opened.Banks) != 1 || len(opened.Banks[0].Accounts) > 0 || len(opened.Banks[0].QuickLogin) > 0 {
				t.Fatalf("a hint was believed before the bank login: %s", body)
			}
			for _, secret := range []string{victim.CustomerID, "Ada", "0001", "0002"} {
				if bytes.Contains(body, []byte(secret)) {
					t.Fatalf("the open answer shows %q: %s", secret, body)
				}
			}
			if _, err := w.svc.Login(context.Background(), l, LoginRequest{Bank: "fake-bank", Method: domain.MethodReturning}); domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("quick login on a hint: %v", err)
			}
			// The attacker completes with their own login.
			p, err := w.link(l, "mallory")
			if err != nil {
				t.Fatal(err)
			}
			if p.CustomerID == victim.CustomerID {
				t.Fatal("the attacker's accounts were attached to the hinted customer")
			}
			if p.Auth.Validated && hint.BVN != "" {
				t.Fatal("a login whose BVN disagrees with the hint validated")
			}
			if got := w.identifiers(victim.CustomerID); got != before {
				t.Fatalf("the victim's identifiers changed: %d → %d", before, got)
			}
			mine, err := w.store.Customers().Identifiers(context.Background(), w.scope, p.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			if len(mine) != 2 { // the BVN and phone Mallory's bank reports, not the hint
				t.Fatalf("the attacker's customer holds %d identifiers, want the bank's 2", len(mine))
			}
		})
	}
	// The real customer with only a hint is recognised after the login, by
	// what the bank reports.
	_, l = w.mustOpen(OpenRequest{Customer: &CustomerInput{Phone: "08000000001"}})
	p, err := w.link(l, "ada2")
	if err != nil {
		t.Fatal(err)
	}
	if p.CustomerID != victim.CustomerID {
		t.Fatalf("another login of the same person was not recognised by the bank's BVN")
	}
}

func TestPageReauthIsRefusedTheSameForAnyAccount(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	_, l := w.mustOpen(OpenRequest{})
	if _, err := w.link(l, "ada"); err != nil {
		t.Fatal(err)
	}
	var first string
	for i, req := range []OpenRequest{
		{ReauthAccount: "0000000001", ReauthBank: "fake-bank"}, // linked
		{ReauthAccount: "0000000009", ReauthBank: "fake-bank"}, // unknown
		{ReauthAccount: "0000000001"},
		{ReauthBank: "fake-bank"},
		{ReauthAccount: "0000000001", ReauthBank: "fake-bank", Customer: &CustomerInput{BVN: "22222222222"}},
	} {
		_, _, err := w.open(context.Background(), req)
		de, _ := domain.AsError(err)
		if de == nil || de.Kind != domain.KindInvalid || !strings.Contains(de.Message, "link_token") {
			t.Fatalf("request %d: want a 400 naming link_token, got %v", i, err)
		}
		got := de.Code + "|" + de.Field + "|" + de.Message
		if i == 0 {
			first = got
		} else if got != first {
			t.Fatalf("request %d answers differently (an oracle): %q vs %q", i, got, first)
		}
	}
}

func TestReauthOnlyForTheSameLoginOrHolder(t *testing.T) {
	for _, tc := range []struct {
		name, login string
		allowed     bool
	}{
		{"the same bank login", "ada", true},
		{"another login of the same holder reaching the account", "ada2", true},
		{"another person's own login", "mallory", false},
		{"another person who reaches the account", "impostor", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, Config{Budgets: Budgets{Off: true}})
			ctx := context.Background()
			_, l := w.mustOpen(OpenRequest{})
			first, err := w.link(l, "ada")
			if err != nil {
				t.Fatal(err)
			}
			rec, err := w.store.Records().Get(ctx, w.scope, first.RecordID)
			if err != nil {
				t.Fatal(err)
			}
			rec.Status = domain.RecordTokenRequired
			if err := w.store.Records().Update(ctx, rec); err != nil {
				t.Fatal(err)
			}
			opened, l := w.mustOpen(OpenRequest{LinkToken: w.token(TokenRequest{ReauthAccount: "0000000001", ReauthBank: "fake-bank"})})
			if len(opened.Banks) != 1 || opened.Banks[0].Slug != "fake-bank" {
				t.Fatalf("a reauth session offers the record's bank only: %+v", opened.Banks)
			}
			p, err := w.link(l, tc.login)
			after, gerr := w.store.Records().Get(ctx, w.scope, first.RecordID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			accounts, aerr := w.store.Accounts().ListByRecord(ctx, w.scope, first.RecordID)
			if aerr != nil {
				t.Fatal(aerr)
			}
			if tc.allowed {
				if err != nil || p.RecordID != first.RecordID || after.Status != domain.RecordSuccess {
					t.Fatalf("reauth refused: %v (record %s, status %s)", err, p.RecordID, after.Status)
				}
				return
			}
			if de, _ := domain.AsError(err); de == nil || de.Code != "REAUTH_MISMATCH" {
				t.Fatalf("want REAUTH_MISMATCH, got %v", err)
			}
			if after.Status != domain.RecordTokenRequired || !bytes.Equal(after.SealedSession, rec.SealedSession) ||
				!bytes.Equal(after.LoginKey, rec.LoginKey) || after.CustomerID != rec.CustomerID || !after.UpdatedAt.Equal(rec.UpdatedAt) {
				t.Fatal("a refused reauth changed the record")
			}
			if len(accounts) != 2 {
				t.Fatalf("the record has %d accounts after a refused reauth, want its 2", len(accounts))
			}
			for _, a := range accounts {
				if a.CustomerID != first.CustomerID {
					t.Fatal("a refused reauth moved an account")
				}
			}
			// The session is over: no second try with other credentials.
			if _, err := w.svc.Login(ctx, w.reload(l), LoginRequest{Bank: "fake-bank", Method: domain.MethodInternetBanking,
				Credentials: map[string]string{"username": "ada", "password": "pass"}}); domain.KindOf(err) != domain.KindConflict {
				t.Fatalf("login after REAUTH_MISMATCH: %v", err)
			}
		})
	}
}

func TestLinkTokens(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	ctx := context.Background()
	out, err := w.svc.CreateLinkToken(ctx, w.scope, TokenRequest{Customer: &CustomerInput{Phone: "08000000001"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.LinkToken, "lt_test_") || len(out.LinkToken) != len("lt_test_")+64 {
		t.Fatalf("token %q lacks the prefix or the entropy", out.LinkToken)
	}
	if want := okra.Time(w.clock.Now().Add(30 * time.Minute)); out.ExpiresAt != want {
		t.Fatalf("expires_at %s, want %s", out.ExpiresAt, want)
	}
	var rows []struct {
		Hash    []byte `db:"token_hash"`
		Options []byte `db:"options"`
	}
	if err := w.raw.DB().Select(&rows, "SELECT token_hash, options FROM link_tokens"); err != nil || len(rows) != 1 {
		t.Fatalf("stored tokens: %v %d", err, len(rows))
	}
	if !bytes.Equal(rows[0].Hash, hashToken(out.LinkToken)) || bytes.Contains(rows[0].Options, []byte("8000000001")) ||
		bytes.Contains(rows[0].Options, []byte(out.LinkToken[8:])) {
		t.Fatal("a link token is stored as more than its hash, or its customer in plain text")
	}
	if _, _, err := w.open(ctx, OpenRequest{LinkToken: out.LinkToken}); err != nil {
		t.Fatalf("first use: %v", err)
	}
	expired := w.token(TokenRequest{})
	w.clock.step(31 * time.Minute)
	production, err := w.svc.CreateLinkToken(ctx, domain.Scope{CompanyID: w.company.ID, Env: domain.EnvProduction}, TokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := w.svc.CreateLinkToken(ctx, domain.Scope{CompanyID: w.other.ID, Env: domain.EnvSandbox}, TokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	fresh := w.token(TokenRequest{})
	var first string
	for i, tc := range []struct {
		name, token string
	}{
		{"used twice", out.LinkToken},
		{"expired", expired},
		{"of the other environment", production.LinkToken},
		{"of another company", theirs.LinkToken},
		{"unknown", "lt_test_" + strings.Repeat("ab", 32)},
		{"malformed", "nope"},
	} {
		_, _, err := w.open(ctx, OpenRequest{LinkToken: tc.token})
		de, _ := domain.AsError(err)
		if de == nil {
			t.Fatalf("%s: opened", tc.name)
		}
		got := string(de.Kind) + "|" + de.Code + "|" + de.Message
		if i == 0 {
			first = got
		} else if got != first {
			t.Fatalf("%s answers %q, the others %q", tc.name, got, first)
		}
	}
	// The other company's token was not spent by our attempt.
	if _, err := w.svc.OpenSession(ctx, OpenRequest{Key: theirKey, LinkToken: theirs.LinkToken}); err != nil {
		t.Fatalf("the owner's own use of its token: %v", err)
	}
	// A page error does not burn the token.
	if _, _, err := w.open(ctx, OpenRequest{LinkToken: fresh, Products: []string{"nonsense"}}); domain.KindOf(err) != domain.KindInvalid {
		t.Fatalf("bad products: %v", err)
	}
	if _, _, err := w.open(ctx, OpenRequest{LinkToken: fresh}); err != nil {
		t.Fatalf("the token was burnt by a refused open: %v", err)
	}
}

func TestLinkTokenFieldsAreValidated(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	_, l := w.mustOpen(OpenRequest{})
	if _, err := w.link(l, "ada"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		req   TokenRequest
		field string
		kind  domain.Kind
	}{
		{"bvn", TokenRequest{Customer: &CustomerInput{BVN: "123"}}, "customer.bvn", domain.KindInvalid},
		{"phone", TokenRequest{Customer: &CustomerInput{Phone: "12"}}, "customer.phone", domain.KindInvalid},
		{"email", TokenRequest{Customer: &CustomerInput{Email: "nope"}}, "customer.email", domain.KindInvalid},
		{"dob", TokenRequest{Customer: &CustomerInput{DOB: "01/02/1990"}}, "customer.dob", domain.KindInvalid},
		{"products", TokenRequest{Products: []string{"loans"}}, "products", domain.KindInvalid},
		{"filter", TokenRequest{Filter: &BankFilter{Banks: []string{"no-such-bank"}}}, "filter.banks", domain.KindInvalid},
		{"color", TokenRequest{Color: "red; background:url(x)"}, "color", domain.KindInvalid},
		{"logo", TokenRequest{Logo: "javascript:alert(1)"}, "logo", domain.KindInvalid},
		{"meta", TokenRequest{Meta: json.RawMessage(`[1,2]`)}, "meta", domain.KindInvalid},
		{"callback_url", TokenRequest{CallbackURL: "ftp://x"}, "callback_url", domain.KindInvalid},
		{"reauth without bank", TokenRequest{ReauthAccount: "0000000001"}, "reauth_account", domain.KindInvalid},
		{"reauth account shape", TokenRequest{ReauthAccount: "12", ReauthBank: "fake-bank"}, "reauth_account", domain.KindInvalid},
		{"reauth unknown bank", TokenRequest{ReauthAccount: "0000000001", ReauthBank: "nope"}, "reauth_bank", domain.KindInvalid},
		{"reauth unknown account", TokenRequest{ReauthAccount: "0000000009", ReauthBank: "fake-bank"}, "", domain.KindNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.svc.CreateLinkToken(context.Background(), w.scope, tc.req)
			de, _ := domain.AsError(err)
			if de == nil || de.Kind != tc.kind || de.Field != tc.field {
				t.Fatalf("want %s naming %q, got %v", tc.kind, tc.field, err)
			}
		})
	}
	// Another company cannot name our account.
	_, err := w.svc.CreateLinkToken(context.Background(), domain.Scope{CompanyID: w.other.ID, Env: domain.EnvSandbox},
		TokenRequest{ReauthAccount: "0000000001", ReauthBank: "fake-bank"})
	if domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("another company's reauth token: %v", err)
	}
}

func TestTokenCarriesWhatThePageCannot(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	tok := w.token(TokenRequest{Customer: &CustomerInput{BVN: "22222222222"}, Products: []string{"balance"}, Name: "Acme Loans",
		Meta: json.RawMessage(`{"loan":"L-1"}`), CallbackURL: "https://acme.example/cb"})
	opened, l := w.mustOpen(OpenRequest{LinkToken: tok, Products: []string{"identity"}, Name: "Evil", CallbackURL: "https://evil.example",
		Meta: json.RawMessage(`{"loan":"L-2"}`), Customer: &CustomerInput{Phone: "08077777777"}})
	if strings.Join(opened.Products, ",") != "auth,balance" {
		t.Fatalf("products %v, want the token's", opened.Products)
	}
	o := options(l)
	if o.Name != "Acme Loans" || o.CallbackURL != "https://acme.example/cb" || string(o.Meta) != `{"loan":"L-1"}` {
		t.Fatalf("session options %+v, want the token's", o)
	}
	st, err := w.svc.openState(l)
	if err != nil {
		t.Fatal(err)
	}
	if st.Identifiers["bvn"] != "22222222222" || len(st.Hints) != 0 {
		t.Fatalf("state identifiers %v hints %v: the token's customer replaces the page's", st.Identifiers, st.Hints)
	}
}

func TestLoginAndQuickLoginBudgets(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	ctx := context.Background()
	tok := func() string { return w.token(TokenRequest{Customer: &CustomerInput{BVN: "22222222222"}}) }
	_, l := w.mustOpen(OpenRequest{LinkToken: tok()})
	first, err := w.link(l, "ada_otp")
	if err != nil {
		t.Fatal(err)
	}

	// Three refused passwords fail the session for good.
	_, l = w.mustOpen(OpenRequest{})
	for i := 1; i <= 3; i++ {
		step, err := w.svc.Login(ctx, l, LoginRequest{Bank: "fake-bank", Method: domain.MethodInternetBanking,
			Credentials: map[string]string{"username": "ada", "password": "guess"}})
		if err != nil || step.Error == nil {
			t.Fatalf("guess %d: %v %+v", i, err, step)
		}
		if want := i < 3; step.Error.Retryable != want {
			t.Fatalf("guess %d: retryable %v, want %v", i, step.Error.Retryable, want)
		}
		l = w.reload(l)
	}
	if _, err := w.svc.Login(ctx, l, LoginRequest{Bank: "fake-bank", Method: domain.MethodInternetBanking,
		Credentials: map[string]string{"username": "ada", "password": "pass"}}); domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("a fourth login in the session: %v", err)
	}

	// Wrong OTPs of quick login count per record across sessions: 3 in
	// one session, 2 in the next, and quick login is locked.
	wrong := func(n int) Step {
		t.Helper()
		opened, l := w.mustOpen(OpenRequest{LinkToken: tok()})
		if !opened.Returning {
			t.Fatal("the returning customer was not recognised from the token")
		}
		step, err := w.svc.Login(ctx, l, LoginRequest{Bank: "fake-bank", Method: domain.MethodReturning})
		if err != nil || step.Status != domain.StepChallenge {
			t.Fatalf("quick login: %v %+v", err, step)
		}
		for range n {
			if step, err = w.svc.Answer(ctx, w.reload(l), "000000"); err != nil {
				t.Fatalf("answer: %v", err)
			}
		}
		return step
	}
	wrong(3)
	if step := wrong(2); step.Status != domain.StepFailed || step.Error.Code != "QUICK_LOGIN_LOCKED" || step.Error.Fallback != "full_login" {
		t.Fatalf("the fifth failure: want QUICK_LOGIN_LOCKED offering the full login, got %+v", step)
	}
	_, l = w.mustOpen(OpenRequest{LinkToken: tok()})
	_, err = w.svc.Login(ctx, l, LoginRequest{Bank: "fake-bank", Method: domain.MethodReturning})
	var le *LimitError
	if !errors.As(err, &le) || le.Cause.Code != "QUICK_LOGIN_LOCKED" || le.RetryAfter != 15*time.Minute {
		t.Fatalf("quick login while locked: want QUICK_LOGIN_LOCKED retry after 15m, got %v", err)
	}
	events, _, err := w.store.Outbox().List(ctx, w.scope, domain.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	locked := 0
	for _, e := range events {
		if e.Method == domain.MethodRecord && e.Code == domain.CodeQuickLoginLocked && e.RecordID == first.RecordID {
			locked++
		}
	}
	if locked != 1 {
		t.Fatalf("%d RECORD/QUICK_LOGIN_LOCKED events, want 1", locked)
	}
	// The lock ends; a success clears the count.
	w.clock.step(15 * time.Minute)
	_, l = w.mustOpen(OpenRequest{LinkToken: tok()})
	if step, err := w.svc.Login(ctx, l, LoginRequest{Bank: "fake-bank", Method: domain.MethodReturning}); err != nil || step.Status != domain.StepChallenge {
		t.Fatalf("quick login after the lock: %v %+v", err, step)
	}
	if step, err := w.svc.Answer(ctx, w.reload(l), "123456"); err != nil || step.Status != domain.StepAccounts {
		t.Fatalf("quick login after the lock: %v %+v", err, step)
	}
	rec, err := w.store.Records().Get(ctx, w.scope, first.RecordID)
	if err != nil || rec.QuickLoginFailures != 0 || rec.QuickLoginLocked(w.clock.Now()) {
		t.Fatalf("after a success: %v failures %d locked %v", err, rec.QuickLoginFailures, rec.QuickLoginLockedUntil)
	}
}

func TestOpenBudgets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		b      Budgets
		req    func(i int) OpenRequest
		client func(i int) string
		burst  int
	}{
		{"per address", Budgets{OpenPerAddress: Budget{Rate: 1, Burst: 10}},
			func(int) OpenRequest { return OpenRequest{} }, func(int) string { return "192.0.2.1" }, 10},
		{"per key, from many addresses", Budgets{OpenPerKey: Budget{Rate: 10, Burst: 30}},
			func(int) OpenRequest { return OpenRequest{} }, func(i int) string { return "192.0.2." + string(rune('a'+i%26)) + string(rune('a'+i/26)) }, 30},
		{"per hinted customer", Budgets{OpenPerCustomer: Per(20, 10*time.Minute)},
			func(int) OpenRequest { return OpenRequest{Customer: &CustomerInput{Phone: "08000000001"}} },
			func(i int) string { return "192.0.2." + string(rune('a'+i%26)) + string(rune('a'+i/26)) }, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			huge := Budget{Rate: 1e6, Burst: 1e6}
			b := Budgets{OpenPerKey: huge, OpenPerAddress: huge, OpenPerCustomer: huge, LoginPerAddress: huge, LoginPerCustomer: huge}
			for _, p := range []struct{ dst, src *Budget }{{&b.OpenPerKey, &tc.b.OpenPerKey}, {&b.OpenPerAddress, &tc.b.OpenPerAddress}, {&b.OpenPerCustomer, &tc.b.OpenPerCustomer}} {
				if p.src.Burst > 0 {
					*p.dst = *p.src
				}
			}
			w := newWorld(t, Config{Budgets: b})
			for i := 0; i < tc.burst; i++ {
				if _, _, err := w.open(WithClient(context.Background(), tc.client(i)), tc.req(i)); err != nil {
					t.Fatalf("open %d within the burst: %v", i, err)
				}
			}
			_, _, err := w.open(WithClient(context.Background(), tc.client(tc.burst)), tc.req(tc.burst))
			var le *LimitError
			if !errors.As(err, &le) || domain.KindOf(err) != domain.KindRateLimited || le.RetryAfter <= 0 {
				t.Fatalf("open past the burst: want a rate limit with a retry time, got %v", err)
			}
			w.clock.step(le.RetryAfter)
			if _, _, err := w.open(WithClient(context.Background(), tc.client(tc.burst)), tc.req(tc.burst)); err != nil {
				t.Fatalf("open after Retry-After: %v", err)
			}
		})
	}
}

func TestFinishedSessionKeepsNoPayload(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	ctx := context.Background()
	_, l := w.mustOpen(OpenRequest{Products: []string{"balance"}})
	p, err := w.link(l, "ada")
	if err != nil {
		t.Fatal(err)
	}
	l = w.reload(l)
	for _, secret := range []string{"0000000001", "0000000002", "Ada"} {
		if bytes.Contains(l.Step, []byte(secret)) || bytes.Contains(l.Options, []byte(secret)) {
			t.Fatalf("the finished session keeps %q: %s", secret, l.Step)
		}
	}
	step, err := w.svc.Current(ctx, l)
	if err != nil || step.Status != domain.StepDone || step.RecordID != p.RecordID || step.CustomerID != p.CustomerID || step.Payload != nil {
		t.Fatalf("within the grace: %v %+v", err, step)
	}
	w.clock.step(time.Minute)
	if _, err := w.svc.Current(ctx, l); !errors.Is(err, &domain.Error{Kind: domain.KindExpired, Code: "SESSION_FINISHED"}) {
		t.Fatalf("after the grace: want SESSION_FINISHED, got %v", err)
	}
	// The purge takes finished and expired sessions and spent tokens.
	_, waiting := w.mustOpen(OpenRequest{})
	tok := w.token(TokenRequest{})
	w.clock.step(time.Second)
	sessions, tokens, err := NewPurger(w.store, w.clock, time.Minute, nil).PurgeOnce(ctx)
	if err != nil || sessions != 1 || tokens != 0 {
		t.Fatalf("purge: %d sessions, %d tokens, %v; want the finished session only", sessions, tokens, err)
	}
	if _, err := w.store.LinkSessions().Get(ctx, waiting.ID); err != nil {
		t.Fatalf("a live session was purged: %v", err)
	}
	w.clock.step(31 * time.Minute)
	sessions, tokens, err = NewPurger(w.store, w.clock, time.Minute, nil).PurgeOnce(ctx)
	if err != nil || sessions != 1 || tokens != 1 {
		t.Fatalf("purge: %d sessions, %d tokens, %v; want the expired session and token", sessions, tokens, err)
	}
	_ = tok
}
