package fakebank_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/plugins/fakebank"
	"github.com/bankauth/bankauth/plugins/sdk"
	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

// clock is a settable fake clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

func newBank(t *testing.T, opts ...fakebank.Option) (*fakebank.Connector, *clock) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	sc, err := fakebank.LoadScenario(filepath.Join("..", "..", "testdata", "fakebank", "reliable.json"))
	if err != nil {
		t.Fatal(err)
	}
	return fakebank.New(sc, append([]fakebank.Option{fakebank.WithClock(clk.Now)}, opts...)...), clk
}

func begin(t *testing.T, c *fakebank.Connector, bank string, m sdk.Method, creds sdk.Credentials) sdk.Step {
	t.Helper()
	st, err := c.BeginLogin(context.Background(), sdk.BeginLoginRequest{Bank: bank, Method: m, Credentials: creds})
	if err != nil {
		t.Fatalf("BeginLogin: %v", err)
	}
	if err := st.Validate(); err != nil {
		t.Fatalf("BeginLogin returned an invalid step: %v", err)
	}
	return st
}

func cont(t *testing.T, c *fakebank.Connector, st sdk.Step, answer string) sdk.Step {
	t.Helper()
	next, err := c.ContinueLogin(context.Background(), sdk.ContinueLoginRequest{FlowState: st.FlowState, Answer: answer})
	if err != nil {
		t.Fatalf("ContinueLogin: %v", err)
	}
	if err := next.Validate(); err != nil {
		t.Fatalf("ContinueLogin returned an invalid step: %v", err)
	}
	return next
}

func outcome(st sdk.Step) string {
	switch {
	case st.Challenge != nil:
		return "challenge:" + string(st.Challenge.Kind)
	case st.Rejected != nil:
		return "rejected:" + string(st.Rejected.Reason)
	}
	return st.Kind()
}

func TestPasswords(t *testing.T) {
	tests := []struct {
		password string
		answers  []string // answered in order
		want     []string // outcome after BeginLogin, then after each answer
	}{
		{"pass_good", nil, []string{"authenticated"}},
		{"pass_expired_session", nil, []string{"authenticated"}},
		{"pass_otp", []string{"123456"}, []string{"challenge:otp", "authenticated"}},
		{"pass_otp", []string{"1", "2", "3"}, []string{"challenge:otp", "challenge:otp", "challenge:otp", "rejected:MFA_FAILED"}},
		{"pass_otp", []string{"1", "123456"}, []string{"challenge:otp", "challenge:otp", "authenticated"}},
		{"pass_question", []string{"  BLUE "}, []string{"challenge:security_question", "authenticated"}},
		{"pass_question", []string{"red", "green", "pink"}, []string{"challenge:security_question", "challenge:security_question", "challenge:security_question", "rejected:MFA_FAILED"}},
		{"pass_otp_question", []string{"123456", "blue"}, []string{"challenge:otp", "challenge:security_question", "authenticated"}},
		{"pass_otp_question", []string{"123456", "red", "blue"}, []string{"challenge:otp", "challenge:security_question", "challenge:security_question", "authenticated"}},
		{"error_INVALID_CREDENTIALS", nil, []string{"rejected:INVALID_CREDENTIALS"}},
		{"error_ACCOUNT_LOCKED", nil, []string{"rejected:ACCOUNT_LOCKED"}},
		{"error_BANK_UNAVAILABLE", nil, []string{"rejected:BANK_UNAVAILABLE"}},
		{"whatever", nil, []string{"rejected:INVALID_CREDENTIALS"}},
		{"", nil, []string{"rejected:INVALID_CREDENTIALS"}},
	}
	for _, tc := range tests {
		t.Run(tc.password+"/"+strings.Join(tc.answers, ","), func(t *testing.T) {
			c, _ := newBank(t)
			for _, bank := range []string{"sandbox-bank", "sandbox-flaky-bank"} {
				st := begin(t, c, bank, sdk.MethodInternetBanking, sdk.Credentials{"username": "user_good", "password": tc.password})
				got := []string{outcome(st)}
				for _, a := range tc.answers {
					st = cont(t, c, st, a)
					got = append(got, outcome(st))
				}
				if strings.Join(got, " ") != strings.Join(tc.want, " ") {
					t.Errorf("%s: got %v, want %v", bank, got, tc.want)
				}
			}
		})
	}
}

func TestAttemptsAndRetryable(t *testing.T) {
	c, _ := newBank(t)
	st := begin(t, c, "sandbox-bank", sdk.MethodMobileBanking, sdk.Credentials{"username": "user_good", "password": "pass_otp"})
	var left []int
	for st.Challenge != nil {
		left = append(left, st.Challenge.AttemptsLeft)
		st = cont(t, c, st, "999999")
	}
	if got := left; len(got) != 3 || got[0] != 3 || got[1] != 2 || got[2] != 1 {
		t.Errorf("attempts_left sequence %v, want [3 2 1]", got)
	}
	st = begin(t, c, "sandbox-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": "x", "password": "error_BANK_UNAVAILABLE"})
	if !st.Rejected.Retryable {
		t.Errorf("BANK_UNAVAILABLE must be retryable")
	}
	st = begin(t, c, "sandbox-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": "x", "password": "error_ACCOUNT_LOCKED"})
	if st.Rejected.Retryable {
		t.Errorf("ACCOUNT_LOCKED must not be retryable")
	}
}

func TestChallengeExpiry(t *testing.T) {
	c, clk := newBank(t)
	st := begin(t, c, "sandbox-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": "user_good", "password": "pass_otp"})
	if want := clk.now.Add(5 * time.Minute); !st.Challenge.ExpiresAt.Equal(want) {
		t.Errorf("expires_at %s, want %s", st.Challenge.ExpiresAt, want)
	}
	clk.advance(5 * time.Minute)
	if got := outcome(cont(t, c, st, "123456")); got != "rejected:EXPIRED" {
		t.Errorf("answer after expiry: %s, want rejected:EXPIRED", got)
	}
}

var nubanRe = regexp.MustCompile(`^\d{10}$`)

func TestPeople(t *testing.T) {
	tests := []struct {
		username, name, bvn string
		balances            [][2]int64
	}{
		{"user_good", "Ada Obi", "22222222222", [][2]int64{{25000000, 26250000}, {120000000, 120000000}}},
		{"user_low", "Chidi Okeke", "33333333333", [][2]int64{{50000, 50000}}},
	}
	for _, tc := range tests {
		t.Run(tc.username, func(t *testing.T) {
			c, _ := newBank(t)
			st := begin(t, c, "sandbox-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": tc.username, "password": "pass_good"})
			a := st.Authenticated
			if a.Owner.Name != tc.name || a.Owner.BVN != tc.bvn {
				t.Errorf("owner %+v, want %s / %s", a.Owner, tc.name, tc.bvn)
			}
			if len(a.Accounts) != len(tc.balances) {
				t.Fatalf("%d accounts, want %d", len(a.Accounts), len(tc.balances))
			}
			for i, acc := range a.Accounts {
				if *acc.AvailableMinor != tc.balances[i][0] || *acc.LedgerMinor != tc.balances[i][1] || acc.Currency != "NGN" {
					t.Errorf("account %d: %d/%d %s, want %d/%d NGN", i, *acc.AvailableMinor, *acc.LedgerMinor, acc.Currency, tc.balances[i][0], tc.balances[i][1])
				}
				if !nubanRe.MatchString(acc.NUBAN) {
					t.Errorf("account %d: NUBAN %q", i, acc.NUBAN)
				}
			}
		})
	}
	t.Run("derived", func(t *testing.T) {
		c, _ := newBank(t)
		login := func(bank, user string) *sdk.Authenticated {
			return begin(t, c, bank, sdk.MethodInternetBanking, sdk.Credentials{"username": user, "password": "pass_good"}).Authenticated
		}
		a, b := login("sandbox-bank", "someone"), login("sandbox-bank", "someone")
		if a.Owner != b.Owner || len(a.Accounts) != len(b.Accounts) || a.Accounts[0].NUBAN != b.Accounts[0].NUBAN || a.Accounts[0].ID != b.Accounts[0].ID {
			t.Errorf("derived person is not stable: %+v vs %+v", a, b)
		}
		if n := len(a.Accounts); n < 1 || n > 2 {
			t.Errorf("derived person has %d accounts, want 1 or 2", n)
		}
		other := login("sandbox-bank", "someone-else")
		if other.Accounts[0].NUBAN == a.Accounts[0].NUBAN {
			t.Errorf("two usernames share NUBAN %s", a.Accounts[0].NUBAN)
		}
		flaky := login("sandbox-flaky-bank", "someone")
		if flaky.Accounts[0].NUBAN == a.Accounts[0].NUBAN {
			t.Errorf("two banks share NUBAN %s for the same username", a.Accounts[0].NUBAN)
		}
	})
}

func TestUSSD(t *testing.T) {
	tests := []struct {
		phone string
		polls []time.Duration // clock advance before each poll
		want  []string
	}{
		{"08000000001", []time.Duration{0, 500 * time.Millisecond, 500 * time.Millisecond}, []string{"pending", "pending", "authenticated"}},
		{"08000000002", []time.Duration{time.Second}, []string{"rejected:USSD_DECLINED"}},
		{"08000000003", []time.Duration{time.Second, 118 * time.Second, time.Second}, []string{"pending", "pending", "rejected:EXPIRED"}},
		{"08099999999", []time.Duration{time.Second}, []string{"authenticated"}},
	}
	for _, tc := range tests {
		t.Run(tc.phone, func(t *testing.T) {
			c, clk := newBank(t)
			st := begin(t, c, "sandbox-ussd-bank", sdk.MethodUSSD, sdk.Credentials{"phone": tc.phone})
			if st.Challenge == nil || st.Challenge.Kind != sdk.ChallengeUSSD || !strings.HasPrefix(st.Challenge.USSDCode, "*") {
				t.Fatalf("want a USSD challenge with a code, got %s", outcome(st))
			}
			if want := clk.now.Add(120 * time.Second); !st.Challenge.ExpiresAt.Equal(want) {
				t.Errorf("USSD expires_at %s, want %s", st.Challenge.ExpiresAt, want)
			}
			flow := st
			var got []string
			for _, d := range tc.polls {
				clk.advance(d)
				st = cont(t, c, flow, "")
				got = append(got, outcome(st))
				if st.Pending != nil && st.Pending.PollAfter <= 0 {
					t.Errorf("pending without poll_after")
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if tc.phone == "08000000001" && st.Authenticated != nil && st.Authenticated.Owner.Name != "Ada Obi" {
				t.Errorf("08000000001 is %q, want Ada Obi", st.Authenticated.Owner.Name)
			}
		})
	}
	t.Run("unsupported method", func(t *testing.T) {
		c, _ := newBank(t)
		st := begin(t, c, "sandbox-ussd-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": "user_good", "password": "pass_good"})
		if outcome(st) != "rejected:UNSUPPORTED" {
			t.Errorf("internet banking at the USSD bank: %s", outcome(st))
		}
	})
}

func TestSessions(t *testing.T) {
	c, _ := newBank(t)
	ctx := context.Background()
	login := func(password string) *sdk.Authenticated {
		return begin(t, c, "sandbox-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": "user_good", "password": password}).Authenticated
	}
	good := login("pass_good")
	st, err := c.ResumeSession(ctx, sdk.ResumeSessionRequest{Bank: "sandbox-bank", Session: good.Session})
	if err != nil || outcome(st) != "challenge:otp" {
		t.Fatalf("resume: %s, %v; want an OTP challenge", outcome(st), err)
	}
	if st = cont(t, c, st, "123456"); st.Authenticated == nil || st.Authenticated.Accounts[0].NUBAN != good.Accounts[0].NUBAN {
		t.Errorf("resume with 123456: %s, want authenticated with the same accounts", outcome(st))
	}
	res, err := c.GetBalance(ctx, sdk.GetBalanceRequest{Bank: "sandbox-bank", Session: good.Session, AccountIDs: []string{good.Accounts[1].ID}})
	if err != nil || len(res.Balances) != 1 || res.Balances[0].AvailableMinor != 120000000 || len(res.RotatedSession) == 0 {
		t.Errorf("balance: %+v, %v", res, err)
	}
	if _, err := c.GetBalance(ctx, sdk.GetBalanceRequest{Bank: "sandbox-bank", Session: good.Session, AccountIDs: []string{"nope"}}); !errors.Is(err, sdk.ErrInvalidRequest) {
		t.Errorf("unknown account id: %v, want ErrInvalidRequest", err)
	}
	expired := login("pass_expired_session")
	st, err = c.ResumeSession(ctx, sdk.ResumeSessionRequest{Bank: "sandbox-bank", Session: expired.Session})
	if err != nil || outcome(st) != "rejected:SESSION_EXPIRED" {
		t.Errorf("resume expired session: %s, %v", outcome(st), err)
	}
	res, err = c.GetBalance(ctx, sdk.GetBalanceRequest{Bank: "sandbox-bank", Session: expired.Session})
	if err != nil || res.Rejected == nil || res.Rejected.Reason != sdk.RejectSessionExpired {
		t.Errorf("balance with expired session: %+v, %v", res, err)
	}
	st, _ = c.ResumeSession(ctx, sdk.ResumeSessionRequest{Bank: "sandbox-flaky-bank", Session: good.Session})
	if outcome(st) != "rejected:SESSION_EXPIRED" {
		t.Errorf("session used at another bank: %s", outcome(st))
	}
}

func TestScenario(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "fakebank")
	t.Run("flaky bank always down", func(t *testing.T) {
		sc, err := fakebank.LoadScenario(filepath.Join(dir, "always-down.json"))
		if err != nil {
			t.Fatal(err)
		}
		c := fakebank.New(sc)
		st := begin(t, c, "sandbox-flaky-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": "user_good", "password": "pass_good"})
		if outcome(st) != "rejected:BANK_UNAVAILABLE" || !st.Rejected.Retryable {
			t.Errorf("got %s, want a retryable BANK_UNAVAILABLE", outcome(st))
		}
		st = begin(t, c, "sandbox-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": "user_good", "password": "pass_good"})
		if st.Authenticated == nil {
			t.Errorf("sandbox-bank is not affected by the flaky bank's scenario: got %s", outcome(st))
		}
	})
	t.Run("failure rate uses the random source", func(t *testing.T) {
		sc := fakebank.DefaultScenario()
		if sc.Banks["sandbox-flaky-bank"].FailureRate != 0.2 {
			t.Fatalf("default flaky failure rate %v", sc.Banks["sandbox-flaky-bank"].FailureRate)
		}
		for _, tc := range []struct {
			r    float64
			want string
		}{{0.1, "rejected:BANK_UNAVAILABLE"}, {0.5, "authenticated"}} {
			c := fakebank.New(sc, fakebank.WithRand(func() float64 { return tc.r }))
			if got := outcome(begin(t, c, "sandbox-flaky-bank", sdk.MethodInternetBanking, sdk.Credentials{"username": "u", "password": "pass_good"})); got != tc.want {
				t.Errorf("rand %v: %s, want %s", tc.r, got, tc.want)
			}
		}
	})
	t.Run("latency respects the deadline", func(t *testing.T) {
		sc, err := fakebank.LoadScenario(filepath.Join(dir, "flaky-slow.json"))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err = fakebank.New(sc).BeginLogin(ctx, sdk.BeginLoginRequest{Bank: "sandbox-flaky-bank", Method: sdk.MethodInternetBanking,
			Credentials: sdk.Credentials{"username": "u", "password": "pass_good"}})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 5*time.Second {
			t.Errorf("got %v after %s, want DeadlineExceeded soon after 100ms", err, time.Since(began))
		}
	})
	t.Run("invalid files", func(t *testing.T) {
		for name, body := range map[string]string{
			"unknown bank": `{"banks":{"nope":{}}}`,
			"bad rate":     `{"banks":{"sandbox-bank":{"failure_rate":2}}}`,
			"bad duration": `{"banks":{"sandbox-bank":{"ussd_ttl":"soon"}}}`,
			"not json":     `{`,
		} {
			if _, err := fakebank.ParseScenario([]byte(body)); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
		sc, err := fakebank.ParseScenario([]byte(`{"banks":{"sandbox-bank":{"ussd_ttl":30}}}`))
		if err != nil || time.Duration(sc.Banks["sandbox-bank"].USSDTTL) != 30*time.Second || time.Duration(sc.Banks["sandbox-bank"].ChallengeTTL) != 5*time.Minute {
			t.Errorf("numeric seconds / defaults kept: %+v, %v", sc.Banks["sandbox-bank"], err)
		}
	})
}

func TestCrashExits(t *testing.T) {
	code := -1
	c, _ := newBank(t, fakebank.WithExit(func(c int) { code = c }))
	_, err := c.BeginLogin(context.Background(), sdk.BeginLoginRequest{Bank: "sandbox-bank", Method: sdk.MethodInternetBanking,
		Credentials: sdk.Credentials{"username": "user_good", "password": "error_CRASH"}})
	if code != 3 || err == nil {
		t.Errorf("error_CRASH: exit code %d, err %v; want exit(3)", code, err)
	}
}

// TestCrashAcrossProcess checks that a crash in the plugin process reaches
// the host as ErrUnavailable, and a fresh process works again.
func TestCrashAcrossProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	target := conformance.Binary(exe).WithEnv(serveEnv + "=1")
	c, done := target.Open(t)
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.BeginLogin(ctx, sdk.BeginLoginRequest{Bank: "sandbox-bank", Method: sdk.MethodInternetBanking,
		Credentials: sdk.Credentials{"username": "user_good", "password": "error_CRASH"}})
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("error_CRASH over go-plugin: got %v, want an error matching sdk.ErrUnavailable", err)
	}
	c2, done2 := target.Open(t)
	defer done2()
	if _, err := c2.GetMetadata(ctx); err != nil {
		t.Errorf("a fresh process after the crash: %v", err)
	}
}
