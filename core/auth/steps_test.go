package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// scriptedBank answers each login call from the test's script: begin
// answers BeginLogin, next answers ContinueLogin and ResumeSession (with the
// answer given, "" for a poll). A nil script authenticates Ada.
type scriptedBank struct {
	bank    domain.Bank
	begin   func(creds map[string]string) (domain.BankStep, error)
	next    func(answer string) (domain.BankStep, error)
	calls   int
	answers []string
}

func (b *scriptedBank) Banks(context.Context) ([]domain.Bank, error) {
	return []domain.Bank{b.bank}, nil
}

func (b *scriptedBank) BeginLogin(_ context.Context, _ string, _ domain.LoginMethod, creds map[string]string) (domain.BankStep, error) {
	b.calls++
	if b.begin == nil {
		return adaLogin(), nil
	}
	return b.begin(creds)
}

func (b *scriptedBank) ContinueLogin(_ context.Context, _ string, _ []byte, answer string) (domain.BankStep, error) {
	b.calls++
	b.answers = append(b.answers, answer)
	if b.next == nil {
		return adaLogin(), nil
	}
	return b.next(answer)
}

func (b *scriptedBank) ResumeSession(ctx context.Context, bank string, _ []byte) (domain.BankStep, error) {
	return b.ContinueLogin(ctx, bank, nil, "")
}

func (b *scriptedBank) GetBalance(context.Context, string, []byte, []string) (domain.BankBalances, error) {
	return domain.BankBalances{}, nil
}

func (b *scriptedBank) GetIdentity(context.Context, string, []byte) (domain.BankIdentity, error) {
	return domain.BankIdentity{}, &domain.Error{Kind: domain.KindUnavailable, Code: domain.RejectUnsupported, Message: "unsupported"}
}

func adaLogin() domain.BankStep {
	return domain.BankStep{Authenticated: &domain.BankLogin{Session: []byte("s"), Owner: ada.owner, Accounts: []domain.BankAccount{
		{Ref: "r1", NUBAN: "0000000001", Name: "Ada Obi", Type: "savings", Currency: "NGN"},
		{Ref: "r2", NUBAN: "0000000002", Name: "Ada Obi", Type: "current", Currency: "NGN"},
	}}}
}

func challenge(kind string, left int) domain.BankStep {
	return domain.BankStep{Challenge: &domain.BankChallenge{Kind: kind, Prompt: "?", AttemptsLeft: left, USSDCode: "*901*1#"}, FlowState: []byte("flow")}
}

func rejected(reason string, retryable bool) domain.BankStep {
	return domain.BankStep{Rejected: &domain.BankRejection{Reason: reason, Retryable: retryable}}
}

func pending() domain.BankStep {
	return domain.BankStep{Pending: &domain.BankPending{PollAfter: 2 * time.Second}, FlowState: []byte("poll")}
}

// scripted is a world whose link service talks to a scripted bank that
// offers internet banking and USSD.
func scripted(t *testing.T, cfg Config) (*world, *scriptedBank) {
	t.Helper()
	w := newWorld(t, cfg)
	b := w.bank
	b.Methods = []domain.LoginMethod{domain.MethodInternetBanking, domain.MethodUSSD}
	sb := &scriptedBank{bank: b}
	rebuild(w, sb, cfg)
	return w, sb
}

// rebuild gives the world a link service over bank, sealing with a ring
// the test knows (it returns it).
func rebuild(w *world, bank ports.BankConnector, cfg Config) *seal.Ring {
	w.t.Helper()
	ring, err := seal.NewRing(seal.NewKey())
	if err != nil {
		w.t.Fatal(err)
	}
	w.svc = NewService(Deps{Store: w.store, Bank: bank, Sealer: ring, Index: ring, Clock: w.clock, IDs: ports.RandomIDs{},
		Keys: keyring{ourKey: w.company, theirKey: w.other}}, cfg)
	return ring
}

var internetLogin = LoginRequest{Bank: "fake-bank", Method: domain.MethodInternetBanking,
	Credentials: map[string]string{"username": "ada", "password": "pass"}}

var ussdLogin = LoginRequest{Bank: "fake-bank", Method: domain.MethodUSSD, Credentials: map[string]string{"phone": "08000000001"}}

func wantCode(t *testing.T, err error, kind domain.Kind, code string) {
	t.Helper()
	de, _ := domain.AsError(err)
	if de == nil || de.Kind != kind || (code != "" && de.Code != code) {
		t.Fatalf("got %v, want %s %s", err, kind, code)
	}
}

// TestLoginOutcomes: each answer of the bank to a login becomes the step
// the widget shows, with the error kind and whether the customer may retry.
func TestLoginOutcomes(t *testing.T) {
	plain := errors.New("socket closed")
	for _, tc := range []struct {
		name      string
		step      domain.BankStep
		err       error
		status    domain.StepStatus
		kind      domain.Kind
		code      string
		retryable bool
		fallback  string
		fails     bool // Login itself returns an error
	}{
		{name: "success", step: adaLogin(), status: domain.StepAccounts},
		{name: "otp", step: challenge(domain.ChallengeOTP, 3), status: domain.StepChallenge},
		{name: "security question", step: challenge(domain.ChallengeSecurityQuestion, 0), status: domain.StepChallenge},
		{name: "ussd pending", step: pending(), status: domain.StepPending},
		{name: "invalid credentials", step: rejected(domain.RejectInvalidCredentials, false), status: domain.StepFailed, kind: domain.KindRejected, code: domain.RejectInvalidCredentials, retryable: true},
		{name: "mfa failed", step: rejected(domain.RejectMFAFailed, false), status: domain.StepFailed, kind: domain.KindRejected, code: domain.RejectMFAFailed},
		{name: "account locked", step: rejected(domain.RejectAccountLocked, false), status: domain.StepFailed, kind: domain.KindRejected, code: domain.RejectAccountLocked},
		{name: "session expired", step: rejected(domain.RejectSessionExpired, false), status: domain.StepFailed, kind: domain.KindTokenRequired, code: domain.RejectSessionExpired, retryable: true, fallback: "full_login"},
		{name: "ussd declined", step: rejected(domain.RejectUSSDDeclined, false), status: domain.StepFailed, kind: domain.KindRejected, code: domain.RejectUSSDDeclined},
		{name: "expired", step: rejected(domain.RejectExpired, false), status: domain.StepFailed, kind: domain.KindExpired, code: domain.RejectExpired},
		{name: "bank unavailable, retryable", step: rejected(domain.RejectBankUnavailable, true), status: domain.StepFailed, kind: domain.KindUnavailable, code: domain.RejectBankUnavailable, retryable: true},
		{name: "rate limited", step: rejected(domain.RejectRateLimited, false), status: domain.StepFailed, kind: domain.KindRateLimited, code: domain.RejectRateLimited},
		{name: "unsupported", step: rejected(domain.RejectUnsupported, false), status: domain.StepFailed, kind: domain.KindInvalid, code: domain.RejectUnsupported},
		{name: "other reason", step: rejected("DORMANT", false), status: domain.StepFailed, kind: domain.KindRejected, code: "DORMANT"},
		{name: "timeout", err: &domain.Error{Kind: domain.KindTimeout, Message: "slow"}, status: domain.StepFailed, kind: domain.KindTimeout, code: "BANK_TIMEOUT", retryable: true},
		{name: "unavailable", err: &domain.Error{Kind: domain.KindUnavailable, Message: "down"}, status: domain.StepFailed, kind: domain.KindUnavailable, code: "BANK_UNAVAILABLE", retryable: true},
		{name: "connector failed with a code", err: &domain.Error{Kind: domain.KindConnectorFailed, Code: "PLUGIN_EXITED", Message: "gone"}, status: domain.StepFailed, kind: domain.KindConnectorFailed, code: "PLUGIN_EXITED", retryable: true},
		{name: "internal error", err: &domain.Error{Kind: domain.KindInternal, Message: "bug"}, fails: true},
		{name: "plain error", err: plain, fails: true},
		{name: "empty step", fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, b := scripted(t, Config{Budgets: Budgets{Off: true}})
			b.begin = func(map[string]string) (domain.BankStep, error) { return tc.step, tc.err }
			_, l := w.mustOpen(OpenRequest{})
			step, err := w.svc.Login(context.Background(), l, internetLogin)
			if tc.fails {
				if err == nil {
					t.Fatalf("want an error, got step %+v", step)
				}
				if w.reload(l).Status != l.Status {
					t.Fatal("a failed call moved the session")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if step.Status != tc.status || w.reload(l).Status != tc.status {
				t.Fatalf("status %s (stored %s), want %s", step.Status, w.reload(l).Status, tc.status)
			}
			switch tc.status {
			case domain.StepAccounts:
				if len(step.Accounts) != 2 || step.Accounts[0].NUBAN == "0000000001" || step.Accounts[0].ID == "" {
					t.Fatalf("accounts %+v", step.Accounts)
				}
			case domain.StepChallenge:
				if step.Challenge == nil || step.Challenge.AttemptsLeft != 3 || step.Challenge.Wrong {
					t.Fatalf("challenge %+v", step.Challenge)
				}
			case domain.StepPending:
				if step.PollAfterMS != 2000 {
					t.Fatalf("poll after %d ms", step.PollAfterMS)
				}
			case domain.StepFailed:
				e := step.Error
				if e == nil || e.Kind != tc.kind || e.Code != tc.code || e.Retryable != tc.retryable || e.Fallback != tc.fallback || e.Message == "" {
					t.Fatalf("error %+v, want %s %s retryable=%v fallback=%q", e, tc.kind, tc.code, tc.retryable, tc.fallback)
				}
				// A retryable failure lets the customer log in again in the
				// same session; any other ends it.
				b.begin = nil
				again, err := w.svc.Login(context.Background(), w.reload(l), internetLogin)
				if tc.retryable {
					if err != nil || again.Status != domain.StepAccounts {
						t.Fatalf("retry after a retryable failure: %+v %v", again, err)
					}
				} else {
					wantCode(t, err, domain.KindConflict, "SESSION_FAILED")
				}
			}
		})
	}
}

// TestChallengeAnswers: wrong answers count down the attempts left, a right
// one logs in, and too many fail the login.
func TestChallengeAnswers(t *testing.T) {
	for _, kind := range []string{domain.ChallengeOTP, domain.ChallengeSecurityQuestion} {
		t.Run(kind, func(t *testing.T) {
			w, b := scripted(t, Config{Budgets: Budgets{Off: true}})
			b.begin = func(map[string]string) (domain.BankStep, error) { return challenge(kind, 0), nil }
			b.next = func(answer string) (domain.BankStep, error) {
				if answer == "right" {
					return adaLogin(), nil
				}
				return challenge(kind, 0), nil
			}
			ctx := context.Background()
			_, l := w.mustOpen(OpenRequest{})
			step, err := w.svc.Login(ctx, l, internetLogin)
			if err != nil || step.Status != domain.StepChallenge || step.Challenge.Type != kind || step.Challenge.AttemptsLeft != 3 {
				t.Fatalf("login: %+v %v", step, err)
			}
			if _, err := w.svc.Answer(ctx, w.reload(l), "  "); domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("a blank answer: %v", err)
			}
			for _, left := range []int{2, 1} {
				step, err = w.svc.Answer(ctx, w.reload(l), "wrong")
				if err != nil || step.Status != domain.StepChallenge || !step.Challenge.Wrong || step.Challenge.AttemptsLeft != left {
					t.Fatalf("wrong answer: %+v %v, want %d left", step.Challenge, err, left)
				}
			}
			step, err = w.svc.Answer(ctx, w.reload(l), "right")
			if err != nil || step.Status != domain.StepAccounts || len(step.Accounts) != 2 {
				t.Fatalf("right answer: %+v %v", step, err)
			}
			if _, err := w.svc.Answer(ctx, w.reload(l), "right"); domain.KindOf(err) != domain.KindConflict {
				t.Fatalf("answer without a challenge: %v", err)
			}
			if _, err := w.svc.Login(ctx, w.reload(l), internetLogin); domain.KindOf(err) != domain.KindConflict {
				t.Fatalf("login at the accounts step: %v", err)
			}
		})
	}
	t.Run("too many wrong answers", func(t *testing.T) {
		w, b := scripted(t, Config{Budgets: Budgets{Off: true}, MaxAttempts: 2})
		b.begin = func(map[string]string) (domain.BankStep, error) { return challenge(domain.ChallengeOTP, 5), nil }
		b.next = func(string) (domain.BankStep, error) { return challenge(domain.ChallengeOTP, 5), nil }
		ctx := context.Background()
		_, l := w.mustOpen(OpenRequest{})
		if step, _ := w.svc.Login(ctx, l, internetLogin); step.Challenge.AttemptsLeft != 2 {
			t.Fatalf("the bank's 5 attempts are capped by the config's 2: %+v", step.Challenge)
		}
		for range 2 {
			if _, err := w.svc.Answer(ctx, w.reload(l), "wrong"); err != nil {
				t.Fatal(err)
			}
		}
		calls := b.calls
		_, err := w.svc.Answer(ctx, w.reload(l), "wrong")
		wantCode(t, err, domain.KindConflict, "TOO_MANY_ATTEMPTS")
		if b.calls != calls {
			t.Fatal("an answer past the limit reached the bank")
		}
	})
	t.Run("bank ends it with MFA_FAILED", func(t *testing.T) {
		w, b := scripted(t, Config{Budgets: Budgets{Off: true}})
		b.begin = func(map[string]string) (domain.BankStep, error) { return challenge(domain.ChallengeOTP, 1), nil }
		b.next = func(string) (domain.BankStep, error) { return rejected(domain.RejectMFAFailed, false), nil }
		ctx := context.Background()
		_, l := w.mustOpen(OpenRequest{})
		if _, err := w.svc.Login(ctx, l, internetLogin); err != nil {
			t.Fatal(err)
		}
		step, err := w.svc.Answer(ctx, w.reload(l), "wrong")
		if err != nil || step.Status != domain.StepFailed || step.Error.Retryable {
			t.Fatalf("%+v %v", step, err)
		}
		wantCode(t, func() error { _, err := w.svc.Answer(ctx, w.reload(l), "again"); return err }(), domain.KindConflict, "SESSION_FAILED")
	})
}

// TestUSSD: a USSD login waits for the customer's confirmation on the
// phone; polling the session moves it on.
func TestUSSD(t *testing.T) {
	for _, tc := range []struct {
		name   string
		first  domain.BankStep
		final  domain.BankStep
		status domain.StepStatus
		code   string
	}{
		{"confirmed", pending(), adaLogin(), domain.StepAccounts, ""},
		{"declined", pending(), rejected(domain.RejectUSSDDeclined, false), domain.StepFailed, domain.RejectUSSDDeclined},
		{"expired", pending(), rejected(domain.RejectExpired, false), domain.StepFailed, domain.RejectExpired},
		{"code shown, then confirmed", challenge(domain.ChallengeUSSD, 0), adaLogin(), domain.StepAccounts, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, b := scripted(t, Config{Budgets: Budgets{Off: true}})
			var phone string
			b.begin = func(creds map[string]string) (domain.BankStep, error) { phone = creds["phone"]; return tc.first, nil }
			polls := 0
			b.next = func(answer string) (domain.BankStep, error) {
				if answer != "" {
					t.Errorf("a USSD poll sent the answer %q", answer)
				}
				if polls++; polls < 3 {
					return tc.first, nil
				}
				return tc.final, nil
			}
			ctx := context.Background()
			_, l := w.mustOpen(OpenRequest{})
			if _, err := w.svc.Login(ctx, l, LoginRequest{Bank: "fake-bank", Method: domain.MethodUSSD, Credentials: map[string]string{"phone": "not a phone"}}); domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("a bad phone: %v", err)
			}
			step, err := w.svc.Login(ctx, l, ussdLogin)
			if err != nil || phone != "08000000001" {
				t.Fatalf("login: %+v %v (phone %q)", step, err, phone)
			}
			if tc.first.Challenge != nil && (step.Challenge == nil || step.Challenge.USSDCode != "*901*1#") {
				t.Fatalf("the USSD code is not shown: %+v", step)
			}
			for range 2 {
				step, err = w.svc.Current(ctx, w.reload(l))
				if err != nil || step.Status != w.reload(l).Status || (step.Status != domain.StepPending && step.Status != domain.StepChallenge) {
					t.Fatalf("still waiting: %+v %v", step, err)
				}
			}
			// The empty answer of a USSD challenge is a poll too.
			if tc.first.Challenge != nil {
				step, err = w.svc.Answer(ctx, w.reload(l), "")
			} else {
				step, err = w.svc.Current(ctx, w.reload(l))
			}
			if err != nil || step.Status != tc.status {
				t.Fatalf("final: %+v %v, want %s", step, err, tc.status)
			}
			if tc.code != "" && (step.Error == nil || step.Error.Code != tc.code || step.Error.Retryable) {
				t.Fatalf("final error %+v", step.Error)
			}
			if polls != 3 {
				t.Fatalf("%d polls reached the bank, want 3", polls)
			}
		})
	}
}

// TestSessionStates: expired, cancelled and finished sessions refuse
// every call with their own code.
func TestSessionStates(t *testing.T) {
	ctx := context.Background()
	w, _ := scripted(t, Config{Budgets: Budgets{Off: true}, SessionTTL: 10 * time.Minute, FinishedGrace: time.Minute})

	_, expired := w.mustOpen(OpenRequest{})
	_, cancelled := w.mustOpen(OpenRequest{})
	_, finished := w.mustOpen(OpenRequest{})
	_, atAccounts := w.mustOpen(OpenRequest{})

	if step, err := w.svc.Cancel(ctx, cancelled); err != nil || step.Status != domain.StepCancelled {
		t.Fatalf("cancel: %+v %v", step, err)
	}
	if c := w.reload(cancelled); c.Status != domain.StepCancelled || c.ExpiresAt.After(w.clock.Now().Add(time.Minute)) {
		t.Fatalf("a cancelled session is kept until %v", c.ExpiresAt)
	}
	if _, err := w.link(finished, "ada"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Login(ctx, atAccounts, LoginRequest{Bank: "fake-bank", Method: domain.MethodInternetBanking, Credentials: map[string]string{"username": "ada", "password": "pass"}}); err != nil {
		t.Fatal(err)
	}
	if step, err := w.svc.Current(ctx, w.reload(finished)); err != nil || step.Status != domain.StepDone || step.RecordID == "" || step.Payload != nil {
		t.Fatalf("a finished session within its grace: %+v %v", step, err)
	}
	if step, err := w.svc.Current(ctx, w.reload(atAccounts)); err != nil || step.Status != domain.StepAccounts {
		t.Fatalf("current at the accounts step: %+v %v", step, err)
	}
	_, err := w.svc.Cancel(ctx, w.reload(finished))
	wantCode(t, err, domain.KindConflict, "SESSION_FINISHED")

	calls := []struct {
		name string
		call func(domain.LinkSession) error
	}{
		{"login", func(l domain.LinkSession) error { _, err := w.svc.Login(ctx, l, internetLogin); return err }},
		{"answer", func(l domain.LinkSession) error { _, err := w.svc.Answer(ctx, l, "123456"); return err }},
		{"choose", func(l domain.LinkSession) error {
			_, err := w.svc.Choose(ctx, l, ChooseRequest{Accounts: []string{"x"}, Consent: true})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name+" cancelled", func(t *testing.T) {
			wantCode(t, c.call(w.reload(cancelled)), domain.KindConflict, "SESSION_CANCELLED")
		})
		t.Run(c.name+" finished", func(t *testing.T) {
			wantCode(t, c.call(w.reload(finished)), domain.KindConflict, "SESSION_FINISHED")
		})
	}
	w.clock.step(10 * time.Minute)
	for _, c := range calls {
		t.Run(c.name+" expired", func(t *testing.T) {
			wantCode(t, c.call(w.reload(expired)), domain.KindExpired, "SESSION_EXPIRED")
		})
	}
	_, err = w.svc.Current(ctx, w.reload(expired))
	wantCode(t, err, domain.KindExpired, "SESSION_EXPIRED")
	_, err = w.svc.Current(ctx, w.reload(finished))
	wantCode(t, err, domain.KindExpired, "SESSION_FINISHED")
}

// TestLoginValidation: what Login refuses before it calls the bank.
func TestLoginValidation(t *testing.T) {
	w, b := scripted(t, Config{Budgets: Budgets{Off: true}})
	_, l := w.mustOpen(OpenRequest{})
	for _, tc := range []struct {
		name  string
		req   LoginRequest
		field string
	}{
		{"no bank", LoginRequest{Method: domain.MethodInternetBanking}, "bank"},
		{"bank not offered", LoginRequest{Bank: "other-bank", Method: domain.MethodInternetBanking}, "bank"},
		{"method not offered", LoginRequest{Bank: "fake-bank", Method: "mobile_banking"}, "method"},
		{"no username", LoginRequest{Bank: "fake-bank", Method: domain.MethodInternetBanking, Credentials: map[string]string{"password": "p"}}, "credentials.username"},
		{"no password", LoginRequest{Bank: "fake-bank", Method: domain.MethodInternetBanking, Credentials: map[string]string{"username": "ada"}}, "credentials.password"},
		{"quick login of a new customer", LoginRequest{Bank: "fake-bank", Method: domain.MethodReturning}, "method"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.svc.Login(context.Background(), l, tc.req)
			de, _ := domain.AsError(err)
			if de == nil || de.Kind != domain.KindInvalid || !strings.HasPrefix(de.Field+de.Message, tc.field) {
				t.Fatalf("got %v (field %q), want invalid %s", err, func() string {
					if de != nil {
						return de.Field
					}
					return ""
				}(), tc.field)
			}
		})
	}
	if b.calls != 0 {
		t.Fatalf("%d refused logins reached the bank", b.calls)
	}
}

// TestLoginFailuresPerSession: refused passwords are bounded per session.
func TestLoginFailuresPerSession(t *testing.T) {
	w, b := scripted(t, Config{Budgets: Budgets{Off: true}, MaxLoginFailures: 2})
	b.begin = func(map[string]string) (domain.BankStep, error) {
		return rejected(domain.RejectInvalidCredentials, false), nil
	}
	ctx := context.Background()
	_, l := w.mustOpen(OpenRequest{})
	for i, retryable := range []bool{true, false} {
		step, err := w.svc.Login(ctx, w.reload(l), internetLogin)
		if err != nil || step.Error == nil || step.Error.Retryable != retryable {
			t.Fatalf("failure %d: %+v %v, want retryable=%v", i+1, step.Error, err, retryable)
		}
	}
	_, err := w.svc.Login(ctx, w.reload(l), internetLogin)
	wantCode(t, err, domain.KindConflict, "SESSION_FAILED")
}

// TestChooseValidation: consent and the accounts the bank showed.
func TestChooseValidation(t *testing.T) {
	w, _ := scripted(t, Config{Budgets: Budgets{Off: true}})
	ctx := context.Background()
	_, l := w.mustOpen(OpenRequest{})
	_, err := w.svc.Choose(ctx, l, ChooseRequest{Accounts: []string{"x"}, Consent: true})
	wantCode(t, err, domain.KindConflict, "NOT_LOGGED_IN")
	step, err := w.svc.Login(ctx, l, internetLogin)
	if err != nil {
		t.Fatal(err)
	}
	l = w.reload(l)
	first := step.Accounts[0].ID
	for _, tc := range []struct {
		name string
		req  ChooseRequest
	}{
		{"no consent", ChooseRequest{Accounts: []string{first}}},
		{"no accounts", ChooseRequest{Consent: true}},
		{"unknown account", ChooseRequest{Accounts: []string{first, domain.NewID()}, Consent: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := w.svc.Choose(ctx, l, tc.req); domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("got %v, want invalid", err)
			}
			if w.reload(l).Status != domain.StepAccounts {
				t.Fatal("a refused choice moved the session")
			}
		})
	}
	done, err := w.svc.Choose(ctx, l, ChooseRequest{Accounts: []string{first}, Consent: true})
	if err != nil || done.Status != domain.StepDone || done.Payload == nil {
		t.Fatalf("choose: %+v %v", done, err)
	}
	p := done.Payload
	if len(p.Accounts) != 1 || p.Accounts[0].ID != first || !p.Accounts[0].Connected || p.RecordID == "" || p.CustomerID == "" || !p.Success {
		t.Fatalf("payload %+v", p)
	}
	// Linking again shows the connected account as such, with the same id.
	_, l2 := w.mustOpen(OpenRequest{})
	again, err := w.svc.Login(ctx, l2, internetLogin)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range again.Accounts {
		if (a.ID == first) != a.AlreadyConnected {
			t.Fatalf("account %+v: already connected should be %v", a, a.ID == first)
		}
	}
}

// TestDuplicatePolicy: the same bank account linked for another customer
// the company named follows the company's policy.
func TestDuplicatePolicy(t *testing.T) {
	for _, tc := range []struct {
		policy    domain.DuplicatePolicy
		duplicate bool // refused
		same      bool // the first customer gets the link
		merged    bool
	}{
		{domain.DuplicateMerge, false, true, true},
		{domain.DuplicateAllow, false, false, false},
		{domain.DuplicateReject, true, false, false},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			w, _ := scripted(t, Config{Budgets: Budgets{Off: true}})
			ctx := context.Background()
			w.company.DuplicatePolicy = tc.policy
			if err := w.store.Companies().Update(ctx, w.company); err != nil {
				t.Fatal(err)
			}
			_, l := w.mustOpen(OpenRequest{LinkToken: w.token(TokenRequest{Customer: &CustomerInput{Email: "first@example.com"}})})
			first, err := w.link(l, "ada")
			if err != nil {
				t.Fatal(err)
			}
			_, l = w.mustOpen(OpenRequest{LinkToken: w.token(TokenRequest{Customer: &CustomerInput{Email: "second@example.com"}})})
			second, err := w.link(l, "ada")
			if tc.duplicate {
				wantCode(t, err, domain.KindDuplicateAccount, "DUPLICATE_ACCOUNT")
				if w.reload(l).Status != domain.StepAccounts {
					t.Fatal("a refused duplicate did not leave the session at the accounts step")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (second.CustomerID == first.CustomerID) != tc.same || second.Merged != tc.merged {
				t.Fatalf("second link: customer %s (first %s), merged %v", second.CustomerID, first.CustomerID, second.Merged)
			}
		})
	}
}
