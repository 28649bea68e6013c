package conformance

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/bankauth/bankauth/plugins/sdk"
)

var (
	nubanRe    = regexp.MustCompile(`^\d{10}$`)
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
)

func (r *runner) all(t T) {
	r.check(t, "", "metadata", r.checkMetadata)
	r.group(t, "", "methods", r.checkMethods)
	r.group(t, "", "login", func(t T, path string) {
		r.check(t, path, "success", r.checkLoginSuccess)
		r.check(t, path, "stable_accounts", r.checkStableAccounts)
		r.check(t, path, "nuban_check_digit", r.checkNUBANCheckDigits)
		r.check(t, path, "garbage_flow_state", r.checkGarbageFlowState)
	})
	r.group(t, "", "challenges", r.checkChallenges)
	r.group(t, "", "rejections", r.checkRejections)
	r.group(t, "", "balance", r.checkBalance)
	r.group(t, "", "identity", r.checkIdentity)
	r.group(t, "", "resume", r.checkResume)
	r.check(t, "", "expired_session", r.checkExpiredSession)
	r.group(t, "", "ussd", r.checkUSSD)
	r.group(t, "", "stateless", r.checkStateless)
	r.check(t, "", "deadline", r.checkDeadline)
}

func (r *runner) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), r.plan.callTimeout())
}

// call makes one connector call under the plan's timeout; an error fails
// the check, saying "<what> failed".
func call[R any](r *runner, t T, what string, fn func(ctx context.Context) (R, error)) R {
	t.Helper()
	ctx, cancel := r.ctx()
	defer cancel()
	res, err := fn(ctx)
	if err != nil {
		t.Fatalf("%s failed: %v", what, err)
	}
	return res
}

// metadata fetches metadata from a fresh instance.
func (r *runner) metadata(t T) sdk.Metadata {
	t.Helper()
	c, done := r.target.Open(t)
	defer done()
	return call(r, t, "GetMetadata", c.GetMetadata)
}

func (r *runner) begin(t T, c sdk.Connector, bank string, method sdk.Method, creds map[string]string) sdk.Step {
	t.Helper()
	return call(r, t, fmt.Sprintf("BeginLogin(bank %q, method %q)", bank, method), func(ctx context.Context) (sdk.Step, error) {
		return c.BeginLogin(ctx, sdk.BeginLoginRequest{Bank: bank, Method: method, Credentials: creds})
	})
}

func (r *runner) cont(t T, c sdk.Connector, flow []byte, answer string) sdk.Step {
	t.Helper()
	return call(r, t, "ContinueLogin", func(ctx context.Context) (sdk.Step, error) {
		return c.ContinueLogin(ctx, sdk.ContinueLoginRequest{FlowState: flow, Answer: answer})
	})
}

// require skips the check unless the connector declares the capability.
func (r *runner) require(t T, capability string, declared bool) {
	if !declared {
		r.skipf(t, "the connector does not declare the %s capability", capability)
	}
}

// openLoggedIn opens an instance and logs in with the plan's success
// credentials; done closes the instance.
func (r *runner) openLoggedIn(t T) (c sdk.Connector, auth *sdk.Authenticated, done func()) {
	t.Helper()
	c, done = r.target.Open(t)
	ok := false
	defer func() {
		if !ok {
			// The login failed the check: close the instance here.
			done()
		}
	}()
	auth = r.login(t, c, r.plan.Success)
	ok = true
	return c, auth, done
}

// expectForeignSessionRefused checks the answer to a call made with a
// session the connector never issued: SESSION_EXPIRED, or an
// invalid-request error.
func expectForeignSessionRefused(t T, what string, rejected *sdk.Rejected, got string, err error) {
	t.Helper()
	switch {
	case err == nil && rejected != nil && rejected.Reason == sdk.RejectSessionExpired:
	case errors.Is(err, sdk.ErrInvalidRequest):
	case err == nil:
		t.Errorf("%s with a session the connector never issued: want SESSION_EXPIRED, got %s", what, got)
	default:
		t.Errorf("%s with a session the connector never issued: want SESSION_EXPIRED, got error %v", what, err)
	}
}

func describe(st sdk.Step) string {
	switch {
	case st.Challenge != nil:
		return fmt.Sprintf("a %s challenge (attempts_left %d)", st.Challenge.Kind, st.Challenge.AttemptsLeft)
	case st.Pending != nil:
		return "pending"
	case st.Authenticated != nil:
		return fmt.Sprintf("authenticated with %d accounts", len(st.Authenticated.Accounts))
	case st.Rejected != nil:
		return fmt.Sprintf("rejected with %s (%q)", st.Rejected.Reason, st.Rejected.Message)
	}
	return "an empty step"
}

// login performs the plan's success login and checks its shape.
func (r *runner) login(t T, c sdk.Connector, creds map[string]string) *sdk.Authenticated {
	t.Helper()
	st := r.begin(t, c, r.plan.Bank, r.plan.Method, creds)
	if st.Authenticated == nil {
		t.Fatalf("success credentials: want authenticated, got %s", describe(st))
	}
	checkAuthenticated(t, st.Authenticated)
	return st.Authenticated
}

func checkAuthenticated(t T, a *sdk.Authenticated) {
	t.Helper()
	if len(a.Session) == 0 {
		t.Errorf("authenticated step has an empty session")
	}
	if a.Owner.Name == "" {
		t.Errorf("authenticated step has no owner name")
	}
	if len(a.Accounts) == 0 {
		t.Errorf("authenticated step has no accounts")
	}
	ids := map[string]bool{}
	for i, acc := range a.Accounts {
		if acc.ID == "" {
			t.Errorf("account %d has an empty id", i)
		} else if ids[acc.ID] {
			t.Errorf("account id %q appears twice", acc.ID)
		}
		ids[acc.ID] = true
		if !nubanRe.MatchString(acc.NUBAN) {
			t.Errorf("account %q: NUBAN %q is not 10 digits", acc.ID, acc.NUBAN)
		}
		if !currencyRe.MatchString(acc.Currency) {
			t.Errorf("account %q: currency %q is not an ISO 4217 code", acc.ID, acc.Currency)
		}
		if acc.Type == "" {
			t.Errorf("account %q has no type", acc.ID)
		}
	}
}

func (r *runner) checkMetadata(t T) {
	md := r.metadata(t)
	if md.ProtocolMinor > sdk.ProtocolMinor {
		t.Logf("connector speaks protocol 1.%d, newer than this kit's 1.%d", md.ProtocolMinor, sdk.ProtocolMinor)
	}
	// The rules are the SDK's, the same the host refuses a connector by.
	var invalid *sdk.MetadataError
	if err := md.Validate(); errors.As(err, &invalid) {
		for _, p := range invalid.Problems {
			t.Errorf("%s", p)
		}
	} else if err != nil {
		t.Errorf("%v", err)
	}
	if len(md.Banks) == 0 {
		return // reported above; the plan's bank cannot be looked up
	}
	r.checkPlanBank(t, md)
}

// checkPlanBank checks that the connector serves the plan's bank with the
// plan's method.
func (r *runner) checkPlanBank(t T, md sdk.Metadata) {
	var planBank *sdk.Bank
	for i := range md.Banks {
		if md.Banks[i].ID == r.plan.Bank {
			planBank = &md.Banks[i]
		}
	}
	if planBank == nil {
		t.Errorf("the plan's bank %q is not served by the connector", r.plan.Bank)
	} else if !slices.Contains(planBank.Methods, r.plan.Method) {
		t.Errorf("the plan's bank %q does not offer the plan's method %s", r.plan.Bank, r.plan.Method)
	}
}

// checkMethods probes every declared bank and method with made-up
// credentials; each must answer with a well-formed step.
func (r *runner) checkMethods(t T, path string) {
	md := r.metadata(t)
	for _, b := range md.Banks {
		for _, m := range b.Methods {
			r.check(t, path, b.ID+"/"+string(m), func(t T) {
				c, done := r.target.Open(t)
				defer done()
				creds := map[string]string{}
				for _, f := range b.Fields[m] {
					creds[f.Name] = "conformance-probe"
				}
				st := call(r, t, fmt.Sprintf("bank %q declares %s but BeginLogin", b.ID, m), func(ctx context.Context) (sdk.Step, error) {
					return c.BeginLogin(ctx, sdk.BeginLoginRequest{Bank: b.ID, Method: m, Credentials: creds})
				})
				if st.Rejected != nil && st.Rejected.Reason == sdk.RejectUnsupported {
					t.Errorf("bank %q declares %s but rejects it as UNSUPPORTED", b.ID, m)
				}
			})
		}
	}
}

func (r *runner) checkLoginSuccess(t T) {
	c, done := r.target.Open(t)
	defer done()
	r.login(t, c, r.plan.Success)
}

func nubans(a *sdk.Authenticated) []string {
	var out []string
	for _, acc := range a.Accounts {
		out = append(out, acc.ID+"="+acc.NUBAN)
	}
	sort.Strings(out)
	return out
}

func (r *runner) checkStableAccounts(t T) {
	c1, done1 := r.target.Open(t)
	first := r.login(t, c1, r.plan.Success)
	done1()
	c2, done2 := r.target.Open(t)
	defer done2()
	second := r.login(t, c2, r.plan.Success)
	if a, b := nubans(first), nubans(second); !slices.Equal(a, b) {
		t.Errorf("the same login yielded different accounts: first %v, then %v", a, b)
	}
}

func (r *runner) checkGarbageFlowState(t T) {
	c, done := r.target.Open(t)
	defer done()
	ctx, cancel := r.ctx()
	defer cancel()
	st, err := c.ContinueLogin(ctx, sdk.ContinueLoginRequest{FlowState: []byte("conformance: not a flow state"), Answer: "123456"})
	switch {
	case err == nil && st.Rejected != nil:
	case errors.Is(err, sdk.ErrInvalidRequest):
	case err == nil:
		t.Errorf("ContinueLogin with a flow state the connector never issued: want a rejection or an invalid-request error, got %s", describe(st))
	default:
		t.Errorf("ContinueLogin with a flow state the connector never issued: want a rejection or an invalid-request error (sdk.ErrInvalidRequest), got %v", err)
	}
}

// expectChallenge checks that st is a well-formed challenge of kind.
func expectChallenge(t T, st sdk.Step, kind sdk.ChallengeKind, label string) *sdk.Challenge {
	t.Helper()
	if st.Challenge == nil {
		t.Fatalf("%s: want a %s challenge, got %s", label, kind, describe(st))
	}
	ch := st.Challenge
	if ch.Kind != kind {
		t.Fatalf("%s: want a %s challenge, got a %s challenge", label, kind, ch.Kind)
	}
	if len(st.FlowState) == 0 {
		t.Errorf("%s: challenge has an empty flow_state", label)
	}
	if ch.ExpiresAt.IsZero() {
		t.Errorf("%s: challenge has no expires_at", label)
	} else if !ch.ExpiresAt.After(time.Now()) {
		t.Errorf("%s: challenge expires_at %s is already in the past", label, ch.ExpiresAt.Format(time.RFC3339))
	}
	switch kind {
	case sdk.ChallengeUSSD:
		if ch.USSDCode == "" {
			t.Errorf("%s: USSD challenge has no ussd_code to dial", label)
		}
	default:
		if ch.Prompt == "" {
			t.Errorf("%s: challenge has an empty prompt", label)
		}
		if ch.AttemptsLeft < 1 {
			t.Errorf("%s: challenge has attempts_left %d, want at least 1", label, ch.AttemptsLeft)
		}
	}
	return ch
}

// walk begins cp's login and answers its first n steps correctly,
// returning the step after them.
func (r *runner) walk(t T, c sdk.Connector, cp ChallengePlan, n int) sdk.Step {
	t.Helper()
	st := r.begin(t, c, r.plan.Bank, r.plan.Method, cp.Credentials)
	for i := 0; i < n; i++ {
		step := cp.Steps[i]
		expectChallenge(t, st, step.Kind, fmt.Sprintf("step %d", i+1))
		st = r.cont(t, c, st.FlowState, step.Answer)
	}
	return st
}

func (r *runner) checkChallenges(t T, path string) {
	if len(r.plan.Challenges) == 0 {
		r.check(t, path, "none", func(t T) { r.skipf(t, "the plan lists no challenges") })
		return
	}
	for _, cp := range r.plan.Challenges {
		r.group(t, path, cp.Name, func(t T, path string) {
			r.check(t, path, "right_answers", func(t T) { r.checkRightAnswers(t, cp) })
			for i, step := range cp.Steps {
				if step.WrongAnswer == "" {
					continue
				}
				r.check(t, path, fmt.Sprintf("step%d_wrong_answers", i+1), func(t T) { r.checkWrongAnswers(t, cp, i) })
				r.check(t, path, fmt.Sprintf("step%d_wrong_then_right", i+1), func(t T) { r.checkWrongThenRight(t, cp, i) })
			}
		})
	}
}

// checkRightAnswers answers every challenge of cp correctly.
func (r *runner) checkRightAnswers(t T, cp ChallengePlan) {
	c, done := r.target.Open(t)
	defer done()
	st := r.walk(t, c, cp, len(cp.Steps))
	if st.Authenticated == nil {
		t.Fatalf("after answering every challenge correctly: want authenticated, got %s", describe(st))
	}
	checkAuthenticated(t, st.Authenticated)
}

// checkWrongAnswers answers step i of cp wrongly until the bank gives
// up: attempts_left must fall each time and reach 1 before MFA_FAILED.
func (r *runner) checkWrongAnswers(t T, cp ChallengePlan, i int) {
	step := cp.Steps[i]
	c, done := r.target.Open(t)
	defer done()
	st := r.walk(t, c, cp, i)
	left := expectChallenge(t, st, step.Kind, fmt.Sprintf("step %d", i+1)).AttemptsLeft
	for n := 1; ; n++ {
		st = r.cont(t, c, st.FlowState, step.WrongAnswer)
		if st.Rejected != nil {
			if st.Rejected.Reason != sdk.RejectMFAFailed {
				t.Fatalf("wrong answer %d: want rejection MFA_FAILED, got %s", n, st.Rejected.Reason)
			}
			if left != 1 {
				t.Errorf("wrong answer %d ended the flow while the last challenge said attempts_left %d", n, left)
			}
			return
		}
		next := expectChallenge(t, st, step.Kind, fmt.Sprintf("after wrong answer %d", n))
		if next.AttemptsLeft >= left {
			t.Fatalf("after wrong answer %d: attempts_left is %d, want it to decrease from %d", n, next.AttemptsLeft, left)
		}
		left = next.AttemptsLeft
		if n > 20 {
			t.Fatalf("still challenged after %d wrong answers; a bank must give up with MFA_FAILED", n)
		}
	}
}

// checkWrongThenRight answers step i of cp wrongly once, then right, and
// the rest of the steps right.
func (r *runner) checkWrongThenRight(t T, cp ChallengePlan, i int) {
	step := cp.Steps[i]
	c, done := r.target.Open(t)
	defer done()
	st := r.walk(t, c, cp, i)
	expectChallenge(t, st, step.Kind, fmt.Sprintf("step %d", i+1))
	st = r.cont(t, c, st.FlowState, step.WrongAnswer)
	expectChallenge(t, st, step.Kind, "after one wrong answer")
	st = r.cont(t, c, st.FlowState, step.Answer)
	for j := i + 1; j < len(cp.Steps); j++ {
		expectChallenge(t, st, cp.Steps[j].Kind, fmt.Sprintf("step %d", j+1))
		st = r.cont(t, c, st.FlowState, cp.Steps[j].Answer)
	}
	if st.Authenticated == nil {
		t.Fatalf("a right answer after a wrong one: want authenticated, got %s", describe(st))
	}
}

func (r *runner) checkRejections(t T, path string) {
	if len(r.plan.Rejections) == 0 {
		r.check(t, path, "none", func(t T) { r.skipf(t, "the plan lists no rejections") })
		return
	}
	for _, rp := range r.plan.Rejections {
		r.check(t, path, string(rp.Reason), func(t T) {
			c, done := r.target.Open(t)
			defer done()
			st := r.begin(t, c, r.plan.Bank, r.plan.Method, rp.Credentials)
			if st.Rejected == nil {
				t.Fatalf("want rejection %s, got %s", rp.Reason, describe(st))
			}
			if st.Rejected.Reason != rp.Reason {
				t.Fatalf("want rejection %s, got %s (%q)", rp.Reason, st.Rejected.Reason, st.Rejected.Message)
			}
			if st.Rejected.Message == "" {
				t.Errorf("rejection %s has an empty message", rp.Reason)
			}
			want := rp.Reason == sdk.RejectBankUnavailable || rp.Reason == sdk.RejectRateLimited
			if rp.Retryable != nil {
				want = *rp.Retryable
			}
			if (rp.Retryable != nil || want) && st.Rejected.Retryable != want {
				t.Errorf("rejection %s: retryable is %v, want %v", rp.Reason, st.Rejected.Retryable, want)
			}
		})
	}
}

func (r *runner) capabilities(t T) sdk.Capabilities {
	return r.metadata(t).Capabilities
}

func (r *runner) balances(t T, c sdk.Connector, session []byte, ids []string) sdk.BalanceResult {
	t.Helper()
	return r.balancesAs(t, c, "GetBalance", session, ids)
}

// balancesAs is balances, naming the call what when it fails.
func (r *runner) balancesAs(t T, c sdk.Connector, what string, session []byte, ids []string) sdk.BalanceResult {
	t.Helper()
	return call(r, t, what, func(ctx context.Context) (sdk.BalanceResult, error) {
		return c.GetBalance(ctx, sdk.GetBalanceRequest{Bank: r.plan.Bank, Session: session, AccountIDs: ids})
	})
}

func checkBalances(t T, label string, auth *sdk.Authenticated, res sdk.BalanceResult) {
	t.Helper()
	if res.Rejected != nil {
		t.Fatalf("%s: want balances, got rejection %s (%q)", label, res.Rejected.Reason, res.Rejected.Message)
	}
	got := map[string]sdk.Balance{}
	for _, b := range res.Balances {
		if _, dup := got[b.AccountID]; dup {
			t.Errorf("%s: account %q has two balances", label, b.AccountID)
		}
		got[b.AccountID] = b
	}
	now := time.Now()
	for _, acc := range auth.Accounts {
		b, ok := got[acc.ID]
		if !ok {
			t.Errorf("%s: no balance for account %q", label, acc.ID)
			continue
		}
		if b.Currency != acc.Currency {
			t.Errorf("%s: account %q: balance currency %q, account currency %q", label, acc.ID, b.Currency, acc.Currency)
		}
		switch {
		case b.AsOf.IsZero():
			t.Errorf("%s: account %q: balance has no as_of", label, acc.ID)
		case b.AsOf.After(now.Add(time.Minute)):
			t.Errorf("%s: account %q: as_of %s is in the future", label, acc.ID, b.AsOf.Format(time.RFC3339))
		}
	}
	if len(got) != len(auth.Accounts) {
		t.Errorf("%s: got %d balances for %d accounts", label, len(got), len(auth.Accounts))
	}
}

func (r *runner) checkBalance(t T, path string) {
	r.check(t, path, "every_account", func(t T) {
		r.require(t, "balance", r.capabilities(t).Balance)
		c, auth, done := r.openLoggedIn(t)
		defer done()
		var ids []string
		for _, a := range auth.Accounts {
			ids = append(ids, a.ID)
		}
		res := r.balances(t, c, auth.Session, ids)
		checkBalances(t, "GetBalance(every account id)", auth, res)
		all := r.balances(t, c, auth.Session, nil)
		checkBalances(t, "GetBalance(no account ids, meaning all)", auth, all)
		if len(res.RotatedSession) > 0 {
			again := r.balances(t, c, res.RotatedSession, nil)
			checkBalances(t, "GetBalance(rotated session)", auth, again)
		}
		r.comparePlanBalances(t, auth, res)
	})
}

// comparePlanBalances compares the balances of the plan's account types
// with what the plan expects.
func (r *runner) comparePlanBalances(t T, auth *sdk.Authenticated, res sdk.BalanceResult) {
	for _, want := range r.plan.Balances {
		found := false
		for _, acc := range auth.Accounts {
			if acc.Type != want.Type {
				continue
			}
			for _, b := range res.Balances {
				if b.AccountID != acc.ID {
					continue
				}
				found = true
				if b.AvailableMinor != want.AvailableMinor || b.LedgerMinor != want.LedgerMinor || (want.Currency != "" && b.Currency != want.Currency) {
					t.Errorf("%s account: balance %d/%d %s, want %d/%d %s (available/ledger, minor units)",
						want.Type, b.AvailableMinor, b.LedgerMinor, b.Currency, want.AvailableMinor, want.LedgerMinor, want.Currency)
				}
			}
		}
		if !found {
			t.Errorf("no %s account in the success login, which the plan's balances expect", want.Type)
		}
	}
}

func (r *runner) checkResume(t T, path string) {
	r.check(t, path, "quick_login", r.checkQuickLogin)
	r.check(t, path, "garbage_session", func(t T) {
		r.require(t, "session_resume", r.capabilities(t).SessionResume)
		c, done := r.target.Open(t)
		defer done()
		ctx, cancel := r.ctx()
		defer cancel()
		st, err := c.ResumeSession(ctx, sdk.ResumeSessionRequest{Bank: r.plan.Bank, Session: []byte("conformance: not a session")})
		expectForeignSessionRefused(t, "ResumeSession", st.Rejected, describe(st), err)
	})
}

// checkQuickLogin resumes the success login's session, answering the
// plan's resume challenge if the bank steps up; it must reach the same
// accounts.
func (r *runner) checkQuickLogin(t T) {
	r.require(t, "session_resume", r.capabilities(t).SessionResume)
	c, auth, done := r.openLoggedIn(t)
	defer done()
	st := call(r, t, "ResumeSession", func(ctx context.Context) (sdk.Step, error) {
		return c.ResumeSession(ctx, sdk.ResumeSessionRequest{Bank: r.plan.Bank, Session: auth.Session})
	})
	if st.Challenge != nil {
		if r.plan.Resume == nil {
			t.Fatalf("ResumeSession asked for a %s challenge but the plan has no resume answer", st.Challenge.Kind)
		}
		expectChallenge(t, st, st.Challenge.Kind, "quick login")
		st = r.cont(t, c, st.FlowState, r.plan.Resume.Answer)
	}
	if st.Authenticated == nil {
		t.Fatalf("quick login: want authenticated, got %s", describe(st))
	}
	checkAuthenticated(t, st.Authenticated)
	if a, b := nubans(auth), nubans(st.Authenticated); !slices.Equal(a, b) {
		t.Errorf("quick login reached different accounts: login %v, quick login %v", a, b)
	}
}

func (r *runner) checkExpiredSession(t T) {
	if len(r.plan.ExpiredSession) == 0 {
		r.skipf(t, "the plan has no expired_session credentials")
	}
	caps := r.capabilities(t)
	c, done := r.target.Open(t)
	defer done()
	auth := r.login(t, c, r.plan.ExpiredSession)
	if caps.SessionResume {
		ctx, cancel := r.ctx()
		st, err := c.ResumeSession(ctx, sdk.ResumeSessionRequest{Bank: r.plan.Bank, Session: auth.Session})
		cancel()
		if err != nil {
			t.Errorf("ResumeSession with an expired session failed: %v", err)
		} else if st.Rejected == nil || st.Rejected.Reason != sdk.RejectSessionExpired {
			t.Errorf("ResumeSession with an expired session: want SESSION_EXPIRED, got %s", describe(st))
		}
	}
	if caps.Identity {
		res := r.identity(t, c, auth.Session)
		if res.Rejected == nil || res.Rejected.Reason != sdk.RejectSessionExpired {
			t.Errorf("GetIdentity with an expired session: want SESSION_EXPIRED, got %s", describeIdentity(res))
		}
	}
	if caps.Balance {
		res := r.balancesAs(t, c, "GetBalance with an expired session", auth.Session, nil)
		if res.Rejected == nil || res.Rejected.Reason != sdk.RejectSessionExpired {
			t.Errorf("GetBalance with an expired session: want SESSION_EXPIRED, got %d balances, rejection %v", len(res.Balances), res.Rejected)
		}
	}
}

// poll continues a USSD flow with empty answers until it leaves the
// challenge/pending states or max wait passes.
func (r *runner) poll(t T, c sdk.Connector, st sdk.Step, deadline time.Time) sdk.Step {
	t.Helper()
	flow := st.FlowState
	polls := 0
	for {
		wait := 200 * time.Millisecond
		if st.Pending != nil && st.Pending.PollAfter > 0 {
			wait = min(max(st.Pending.PollAfter, 50*time.Millisecond), 2*time.Second)
		}
		if time.Now().Add(wait).After(deadline) {
			t.Fatalf("USSD flow still %s after %d polls and %s (max_wait)", describe(st), polls, r.plan.maxWait())
		}
		timer := time.NewTimer(wait) // poll interval, as a host would
		<-timer.C
		st = r.cont(t, c, flow, "")
		polls++
		if st.Pending == nil && st.Challenge == nil {
			return st
		}
		if st.Challenge != nil && st.Challenge.Kind != sdk.ChallengeUSSD {
			return st
		}
		if len(st.FlowState) > 0 {
			flow = st.FlowState
		}
	}
}

// ussdCase is a USSD phone of the plan and what its flow must end in.
type ussdCase struct {
	name, phone string
	want        func(t T, st sdk.Step, ch *sdk.Challenge)
}

func (r *runner) checkUSSD(t T, path string) {
	u := r.plan.USSD
	if u == nil {
		r.check(t, path, "none", func(t T) { r.skipf(t, "the plan has no ussd section") })
		return
	}
	bank := u.Bank
	if bank == "" {
		bank = r.plan.Bank
	}
	cases := []ussdCase{
		{"confirm", u.ConfirmPhone, func(t T, st sdk.Step, _ *sdk.Challenge) {
			if st.Authenticated == nil {
				t.Fatalf("USSD confirm phone: want authenticated, got %s", describe(st))
			}
			checkAuthenticated(t, st.Authenticated)
		}},
		{"decline", u.DeclinePhone, func(t T, st sdk.Step, _ *sdk.Challenge) {
			if st.Rejected == nil || st.Rejected.Reason != sdk.RejectUSSDDeclined {
				t.Fatalf("USSD decline phone: want rejection USSD_DECLINED, got %s", describe(st))
			}
		}},
		{"expire", u.ExpirePhone, func(t T, st sdk.Step, ch *sdk.Challenge) {
			if st.Rejected == nil || st.Rejected.Reason != sdk.RejectExpired {
				t.Fatalf("USSD expire phone: want rejection EXPIRED, got %s", describe(st))
			}
			if time.Now().Before(ch.ExpiresAt.Add(-time.Second)) {
				t.Errorf("USSD flow expired at %s, before its expires_at %s", time.Now().UTC().Format(time.RFC3339), ch.ExpiresAt.Format(time.RFC3339))
			}
		}},
	}
	for _, tc := range cases {
		r.check(t, path, tc.name, func(t T) { r.checkUSSDCase(t, bank, tc) })
	}
}

// checkUSSDCase starts a USSD login with tc's phone and polls it until it
// ends; the expire case waits for the challenge's own expiry.
func (r *runner) checkUSSDCase(t T, bank string, tc ussdCase) {
	if tc.phone == "" {
		r.skipf(t, "the plan has no %s phone", tc.name)
	}
	c, done := r.target.Open(t)
	defer done()
	began := time.Now()
	r.require(t, "ussd", r.capabilities(t).USSD)
	st := r.begin(t, c, bank, sdk.MethodUSSD, map[string]string{"phone": tc.phone})
	ch := expectChallenge(t, st, sdk.ChallengeUSSD, "USSD login")
	deadline := began.Add(r.plan.maxWait())
	if tc.name == "expire" {
		if ch.ExpiresAt.After(deadline) {
			r.skipf(t, "the USSD challenge expires in %s, beyond max_wait %s; use a shorter USSD expiry to exercise it",
				time.Until(ch.ExpiresAt).Round(time.Second), r.plan.maxWait())
		}
		deadline = ch.ExpiresAt.Add(3 * time.Second)
	}
	tc.want(t, r.poll(t, c, st, deadline), ch)
}

// checkStateless continues flows and sessions in fresh instances.
func (r *runner) checkStateless(t T, path string) {
	r.check(t, path, "challenge_in_fresh_instance", func(t T) {
		if len(r.plan.Challenges) == 0 {
			r.skipf(t, "the plan lists no challenges")
		}
		cp := r.plan.Challenges[0]
		c1, done1 := r.target.Open(t)
		st := r.begin(t, c1, r.plan.Bank, r.plan.Method, cp.Credentials)
		done1()
		for i, step := range cp.Steps {
			expectChallenge(t, st, step.Kind, fmt.Sprintf("step %d", i+1))
			c, done := r.target.Open(t)
			st = r.cont(t, c, st.FlowState, step.Answer)
			done()
		}
		if st.Authenticated == nil {
			t.Fatalf("challenge %q answered in fresh instances: want authenticated, got %s", cp.Name, describe(st))
		}
	})
	r.check(t, path, "session_in_fresh_instance", func(t T) {
		r.require(t, "balance", r.capabilities(t).Balance)
		c1, done1 := r.target.Open(t)
		auth := r.login(t, c1, r.plan.Success)
		done1()
		c2, done2 := r.target.Open(t)
		defer done2()
		checkBalances(t, "GetBalance in a fresh instance", auth, r.balances(t, c2, auth.Session, nil))
	})
	r.check(t, path, "identity_in_fresh_instance", func(t T) {
		r.require(t, "identity", r.capabilities(t).Identity)
		c1, done1 := r.target.Open(t)
		auth := r.login(t, c1, r.plan.Success)
		done1()
		c2, done2 := r.target.Open(t)
		defer done2()
		checkIdentity(t, "GetIdentity in a fresh instance", auth, r.identity(t, c2, auth.Session))
	})
}

func (r *runner) checkDeadline(t T) {
	if r.plan.Hang == nil {
		r.skipf(t, "the plan has no hang credentials")
	}
	d := time.Duration(r.plan.Hang.DeadlineMS) * time.Millisecond
	if d <= 0 {
		d = time.Second
	}
	c, done := r.target.Open(t)
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	began := time.Now()
	st, err := c.BeginLogin(ctx, sdk.BeginLoginRequest{Bank: r.plan.Bank, Method: r.plan.Method, Credentials: r.plan.Hang.Credentials})
	took := time.Since(began)
	if err == nil {
		t.Fatalf("hanging login: want a deadline error, got %s after %s", describe(st), took.Round(time.Millisecond))
	}
	if !errors.Is(err, context.DeadlineExceeded) || status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("hanging login: want an error matching context.DeadlineExceeded with code DeadlineExceeded, got %v", err)
	}
	if took > d+2*time.Second {
		t.Errorf("hanging login returned after %s, more than the %s deadline + 2s", took.Round(time.Millisecond), d)
	}
	ctx2, cancel2 := r.ctx()
	defer cancel2()
	if _, err := c.GetMetadata(ctx2); err != nil {
		t.Errorf("after a call hit its deadline the connector no longer answers: %v", err)
	}
}
