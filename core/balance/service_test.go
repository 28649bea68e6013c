package balance

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/jobs"
	"github.com/bankauth/bankauth/core/ports"
)

// steppedClock moves only when a test says so.
type steppedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *steppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *steppedClock) step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// balanceBank answers GetBalance from the test's script and counts calls;
// the login calls are not used here.
type balanceBank struct {
	mu       sync.Mutex
	calls    int
	sessions []string
	answer   func(refs []string) (domain.BankBalances, error)
}

func (b *balanceBank) Banks(context.Context) ([]domain.Bank, error) { return nil, nil }
func (b *balanceBank) BeginLogin(context.Context, string, domain.LoginMethod, map[string]string) (domain.BankStep, error) {
	return domain.BankStep{}, errors.New("not used")
}
func (b *balanceBank) ContinueLogin(context.Context, string, []byte, string) (domain.BankStep, error) {
	return domain.BankStep{}, errors.New("not used")
}
func (b *balanceBank) ResumeSession(context.Context, string, []byte) (domain.BankStep, error) {
	return domain.BankStep{}, errors.New("not used")
}
func (b *balanceBank) GetIdentity(context.Context, string, []byte) (domain.BankIdentity, error) {
	return domain.BankIdentity{}, errors.New("not used")
}

func (b *balanceBank) GetBalance(_ context.Context, _ string, session []byte, refs []string) (domain.BankBalances, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	b.sessions = append(b.sessions, string(session))
	if b.answer == nil {
		return domain.BankBalances{Balances: []domain.BankBalance{{Ref: refs[0], Available: 50_000, Ledger: 60_000, Currency: "NGN"}}}, nil
	}
	return b.answer(refs)
}

func (b *balanceBank) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

// desk is a company with one linked customer, record and two accounts
// (one connected, one not) at a sandbox bank, and the balance service.
type desk struct {
	t        *testing.T
	ctx      context.Context
	store    ports.Store
	ring     *seal.Ring
	clock    *steppedClock
	bank     *balanceBank
	svc      *Service
	scope    domain.Scope
	record   domain.Record
	account  domain.Account
	detached domain.Account
}

func newDesk(t *testing.T, cfg Config) *desk {
	t.Helper()
	st := storagetest.OpenSQLite(t)
	ring, err := seal.NewRing(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	clock := &steppedClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	now := clock.t
	d := &desk{t: t, ctx: ctx, store: st, ring: ring, clock: clock, bank: &balanceBank{}}
	bank, err := st.Banks().Upsert(ctx, domain.Bank{ID: domain.NewID(), Slug: "fake-bank", Name: "Fake Bank", Connector: "test",
		Methods: []domain.LoginMethod{domain.MethodInternetBanking}, Products: []string{"auth", "balance"}, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	company := domain.Company{ID: domain.NewID(), Name: "Acme", CreatedAt: now, UpdatedAt: now}
	if err := st.Companies().Create(ctx, company); err != nil {
		t.Fatal(err)
	}
	d.scope = domain.Scope{CompanyID: company.ID, Env: domain.EnvSandbox}
	customer := domain.Customer{ID: domain.NewID(), CompanyID: company.ID, Env: domain.EnvSandbox, Name: "Ada Obi", CreatedAt: now, UpdatedAt: now}
	if err := st.Customers().Create(ctx, customer); err != nil {
		t.Fatal(err)
	}
	d.record = domain.Record{ID: domain.NewID(), CompanyID: company.ID, Env: domain.EnvSandbox, CustomerID: customer.ID, BankID: bank.ID,
		Status: domain.RecordSuccess, Method: domain.MethodInternetBanking, Products: []string{"auth", "balance"}, CreatedAt: now, UpdatedAt: now}
	if d.record.SealedSession, err = ring.Seal([]byte("session-1"), domain.RecordSessionAD(d.record.ID)); err != nil {
		t.Fatal(err)
	}
	if err := st.Records().Create(ctx, d.record); err != nil {
		t.Fatal(err)
	}
	for i, a := range []*domain.Account{&d.account, &d.detached} {
		*a = domain.Account{ID: domain.NewID(), CompanyID: company.ID, Env: domain.EnvSandbox, RecordID: d.record.ID, CustomerID: customer.ID,
			BankID: bank.ID, ConnectorRef: "ref-" + string(rune('1'+i)), NUBAN: "000000000" + string(rune('1'+i)), Name: "Ada Obi", Type: "savings",
			Currency: "NGN", Connected: i == 0, CreatedAt: now, UpdatedAt: now}
		if _, _, err := st.Accounts().Upsert(ctx, *a); err != nil {
			t.Fatal(err)
		}
	}
	d.svc = NewService(Deps{Store: st, Bank: d.bank, Sealer: ring, Clock: clock, IDs: ports.RandomIDs{}}, cfg)
	return d
}

func seconds(n int) *int { return &n }

func minor(n domain.Minor) *domain.Minor { return &n }

func wantKind(t *testing.T, err error, kind domain.Kind, code string) {
	t.Helper()
	de, _ := domain.AsError(err)
	if de == nil || de.Kind != kind || (code != "" && de.Code != code) {
		t.Fatalf("got %v, want %s %s", err, kind, code)
	}
}

// TestFreshness: a stored balance younger than max_age is served cached,
// anything older (or max_age 0) asks the bank.
func TestFreshness(t *testing.T) {
	d := newDesk(t, Config{})
	steps := []struct {
		name   string
		wait   time.Duration
		maxAge *int
		source string
	}{
		{"nothing stored: live", 0, nil, domain.SourceLive},
		{"just pulled: cached", 10 * time.Second, nil, domain.SourceCached},
		{"max_age 0 forces a pull", 0, seconds(0), domain.SourceLive},
		{"younger than max_age", 59 * time.Second, seconds(60), domain.SourceCached},
		{"as old as max_age: live", time.Second, seconds(60), domain.SourceLive},
		{"within the 300 s default", 299 * time.Second, nil, domain.SourceCached},
		{"past the default", time.Second, nil, domain.SourceLive},
		{"a long max_age serves the old one", time.Hour, seconds(7200), domain.SourceCached},
	}
	calls := 0
	for _, s := range steps {
		d.clock.step(s.wait)
		res, err := d.svc.Check(d.ctx, d.scope, CheckRequest{AccountID: d.account.ID, MaxAge: s.maxAge})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.source == domain.SourceLive {
			calls++
		}
		if res.View.Source != s.source || d.bank.count() != calls {
			t.Fatalf("%s: source %s after %d bank calls, want %s after %d", s.name, res.View.Source, d.bank.count(), s.source, calls)
		}
		if res.View.Balance.Available != 50_000 || res.View.Balance.Ledger != 60_000 || res.View.Account.ID != d.account.ID || res.View.Customer.Name != "Ada Obi" {
			t.Fatalf("%s: view %+v", s.name, res.View)
		}
		if res.Sufficient != nil || res.Shortfall != nil {
			t.Fatalf("%s: sufficiency without an amount", s.name)
		}
	}
	if d.bank.sessions[0] != "session-1" {
		t.Fatalf("the bank got session %q", d.bank.sessions[0])
	}
}

// TestCheckSufficiency checks the amount against the available balance, in
// the account's currency only.
func TestCheckSufficiency(t *testing.T) {
	d := newDesk(t, Config{})
	for _, tc := range []struct {
		name       string
		amount     domain.Minor
		currency   string
		sufficient bool
		shortfall  domain.Minor
		invalid    string
	}{
		{"exactly the balance", 50_000, "", true, 0, ""},
		{"one kobo short", 50_001, "NGN", false, 1, ""},
		{"lower-case currency", 20_000, "ngn", true, 0, ""},
		{"far short", 150_000, "", false, 100_000, ""},
		{"zero", 0, "", true, 0, ""},
		{"another currency", 100, "USD", false, 0, "currency"},
		{"negative", -1, "", false, 0, "amount"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := d.svc.Check(d.ctx, d.scope, CheckRequest{AccountID: d.account.ID, RecordID: d.record.ID, Amount: minor(tc.amount), Currency: tc.currency})
			if tc.invalid != "" {
				de, _ := domain.AsError(err)
				if de == nil || de.Kind != domain.KindInvalid || de.Field != tc.invalid {
					t.Fatalf("got %v, want invalid %s", err, tc.invalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Sufficient == nil || *res.Sufficient != tc.sufficient || *res.Shortfall != tc.shortfall {
				t.Fatalf("sufficient %v shortfall %v, want %v %d", res.Sufficient, res.Shortfall, tc.sufficient, tc.shortfall)
			}
		})
	}
}

// TestCheckRefuses: what a check refuses, and accounts it does not reach.
func TestCheckRefuses(t *testing.T) {
	d := newDesk(t, Config{})
	other := domain.Scope{CompanyID: domain.NewID(), Env: domain.EnvSandbox}
	for _, tc := range []struct {
		name  string
		scope domain.Scope
		req   CheckRequest
		kind  domain.Kind
	}{
		{"no account", d.scope, CheckRequest{}, domain.KindInvalid},
		{"account id shape", d.scope, CheckRequest{AccountID: "nope"}, domain.KindInvalid},
		{"unknown account", d.scope, CheckRequest{AccountID: domain.NewID()}, domain.KindNotFound},
		{"disconnected account", d.scope, CheckRequest{AccountID: d.detached.ID}, domain.KindNotFound},
		{"another company's account", other, CheckRequest{AccountID: d.account.ID}, domain.KindNotFound},
		{"production scope, sandbox bank", domain.Scope{CompanyID: d.scope.CompanyID, Env: domain.EnvProduction}, CheckRequest{AccountID: d.account.ID}, domain.KindNotFound},
		{"negative max_age", d.scope, CheckRequest{AccountID: d.account.ID, MaxAge: seconds(-1)}, domain.KindInvalid},
		{"record id shape", d.scope, CheckRequest{AccountID: d.account.ID, RecordID: "x"}, domain.KindInvalid},
		{"another record", d.scope, CheckRequest{AccountID: d.account.ID, RecordID: domain.NewID()}, domain.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.svc.Check(d.ctx, tc.scope, tc.req)
			wantKind(t, err, tc.kind, "")
			if _, err := d.svc.Refresh(d.ctx, tc.scope, tc.req.AccountID); tc.req.MaxAge == nil && tc.req.RecordID == "" && domain.KindOf(err) != tc.kind {
				t.Fatalf("refresh: %v, want %s", err, tc.kind)
			}
		})
	}
	if d.bank.count() != 0 {
		t.Fatalf("%d refused checks reached the bank", d.bank.count())
	}
	// A removed record's accounts are gone too.
	r := d.record
	r.Status = domain.RecordRemoved
	if err := d.store.Records().Update(d.ctx, r); err != nil {
		t.Fatal(err)
	}
	_, err := d.svc.Check(d.ctx, d.scope, CheckRequest{AccountID: d.account.ID})
	wantKind(t, err, domain.KindNotFound, "")
}

// TestPullFailures: how the bank's refusals and failures reach the caller.
func TestPullFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer domain.BankBalances
		err    error
		kind   domain.Kind
		code   string
	}{
		{"bank unavailable", domain.BankBalances{Rejected: &domain.BankRejection{Reason: domain.RejectBankUnavailable}}, nil, domain.KindUnavailable, domain.RejectBankUnavailable},
		{"rate limited", domain.BankBalances{Rejected: &domain.BankRejection{Reason: domain.RejectRateLimited}}, nil, domain.KindRateLimited, domain.RejectRateLimited},
		{"expired request", domain.BankBalances{Rejected: &domain.BankRejection{Reason: domain.RejectExpired}}, nil, domain.KindTokenRequired, domain.RejectExpired},
		{"refused", domain.BankBalances{Rejected: &domain.BankRejection{Reason: domain.RejectAccountLocked}}, nil, domain.KindRejected, domain.RejectAccountLocked},
		{"balance missing", domain.BankBalances{Balances: []domain.BankBalance{{Ref: "someone-else", Available: 1}}}, nil, domain.KindConnectorFailed, "BALANCE_MISSING"},
		{"timeout", domain.BankBalances{}, &domain.Error{Kind: domain.KindTimeout, Message: "slow"}, domain.KindTimeout, ""},
		{"plain error", domain.BankBalances{}, errors.New("broken pipe"), domain.KindConnectorFailed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDesk(t, Config{})
			d.bank.answer = func([]string) (domain.BankBalances, error) { return tc.answer, tc.err }
			_, err := d.svc.Check(d.ctx, d.scope, CheckRequest{AccountID: d.account.ID})
			wantKind(t, err, tc.kind, tc.code)
			if _, err := d.store.Balances().Latest(d.ctx, d.scope, d.account.ID); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("a failed pull stored a balance: %v", err)
			}
			r, _ := d.store.Records().Get(d.ctx, d.scope, d.record.ID)
			if r.Status != domain.RecordSuccess {
				t.Fatalf("record is %s", r.Status)
			}
		})
	}
}

// TestTokenRequired: a bank session the bank refuses makes the record
// token_required once (one RECORD webhook), and later checks answer
// TOKEN_REQUIRED without asking the bank.
func TestTokenRequired(t *testing.T) {
	d := newDesk(t, Config{})
	d.bank.answer = func([]string) (domain.BankBalances, error) {
		return domain.BankBalances{Rejected: &domain.BankRejection{Reason: domain.RejectSessionExpired}}, nil
	}
	for i := range 3 {
		_, err := d.svc.Check(d.ctx, d.scope, CheckRequest{AccountID: d.account.ID, MaxAge: seconds(0)})
		wantKind(t, err, domain.KindTokenRequired, CodeTokenRequired)
		if d.bank.count() != 1 {
			t.Fatalf("check %d: %d bank calls, want 1", i+1, d.bank.count())
		}
	}
	r, err := d.store.Records().Get(d.ctx, d.scope, d.record.ID)
	if err != nil || r.Status != domain.RecordTokenRequired {
		t.Fatalf("record %s %v", r.Status, err)
	}
	events, n, err := d.store.Outbox().List(d.ctx, d.scope, domain.ListFilter{})
	if err != nil || n != 1 || events[0].Code != domain.CodeTokenRequired || events[0].RecordID != d.record.ID {
		t.Fatalf("%d events %+v %v, want one TOKEN_REQUIRED", n, events, err)
	}
}

// TestRotatedSession: a session the bank rotates is stored for the next
// pull.
func TestRotatedSession(t *testing.T) {
	d := newDesk(t, Config{})
	d.bank.answer = func(refs []string) (domain.BankBalances, error) {
		return domain.BankBalances{Balances: []domain.BankBalance{{Ref: refs[0], Available: 7, Ledger: 7, AsOf: d.clock.Now().Add(-time.Minute)}}, RotatedSession: []byte("session-2")}, nil
	}
	for range 2 {
		res, err := d.svc.Check(d.ctx, d.scope, CheckRequest{AccountID: d.account.ID, MaxAge: seconds(0)})
		if err != nil {
			t.Fatal(err)
		}
		if res.View.Balance.Currency != "NGN" || !res.View.Balance.AsOf.Equal(d.clock.Now().Add(-time.Minute)) {
			t.Fatalf("balance %+v: the account's currency and the bank's as-of", res.View.Balance)
		}
	}
	if d.bank.sessions[0] != "session-1" || d.bank.sessions[1] != "session-2" {
		t.Fatalf("sessions sent %q", d.bank.sessions)
	}
}

// TestRefreshLifecycle: a queued refresh is pending until the worker runs
// it, then done with the balance and a BALANCE event; the same refresh
// asked again while queued is one job.
func TestRefreshLifecycle(t *testing.T) {
	d := newDesk(t, Config{PublicURL: "https://api.example.com"})
	w := NewWorker(d.svc)
	cb, err := d.svc.RefreshResult(d.ctx, d.scope, d.record.ID)
	if err != nil || cb.Status.Refresh != "none" || !cb.Status.Process.Completed || len(cb.Balances) != 0 {
		t.Fatalf("before any refresh: %+v %v", cb, err)
	}
	started, err := d.svc.Refresh(d.ctx, d.scope, d.account.ID)
	if err != nil || started.Record != d.record.ID || started.CallbackURL != d.svc.CallbackURL(domain.EnvSandbox, d.record.ID) {
		t.Fatalf("refresh: %+v %v", started, err)
	}
	first, err := d.store.Jobs().LatestBySubject(d.ctx, d.scope, domain.JobBalanceRefresh, d.record.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.Refresh(d.ctx, d.scope, d.account.ID); err != nil {
		t.Fatal(err)
	}
	if again, _ := d.store.Jobs().LatestBySubject(d.ctx, d.scope, domain.JobBalanceRefresh, d.record.ID); again.ID != first.ID {
		t.Fatal("a refresh asked again while queued made a second job")
	}
	cb, _ = d.svc.RefreshResult(d.ctx, d.scope, d.record.ID)
	if cb.Status.Refresh != domain.JobPending || !cb.Status.Process.Running || cb.Balance != nil {
		t.Fatalf("queued: %+v", cb.Status)
	}
	if n, err := w.RunOne(d.ctx); n != 1 || err != nil {
		t.Fatalf("run: %d %v", n, err)
	}
	if n, err := w.RunOne(d.ctx); n != 0 || err != nil {
		t.Fatalf("nothing more is due: %d %v", n, err)
	}
	cb, err = d.svc.RefreshResult(d.ctx, d.scope, d.record.ID)
	if err != nil || cb.Status.Refresh != domain.JobDone || cb.Balance == nil || cb.Balance.Available != 50_000 || cb.Balance.Source != domain.SourceLive ||
		len(cb.Balances) != 1 || cb.Status.FinishedAt == "" || cb.Error != nil {
		t.Fatalf("done: %+v %v", cb, err)
	}
	events, n, _ := d.store.Outbox().List(d.ctx, d.scope, domain.ListFilter{})
	if n != 1 || events[0].Code != domain.CodeBalanceSuccess {
		t.Fatalf("events %+v", events)
	}
	// The stored balance is listed and fetched by the read side.
	views, total, err := d.svc.Balances(d.ctx, d.scope, domain.ListFilter{AccountID: d.account.ID})
	if err != nil || total != 1 || views[0].Account.ID != d.account.ID {
		t.Fatalf("balances: %d %+v %v", total, views, err)
	}
	if v, err := d.svc.Balance(d.ctx, d.scope, views[0].Balance.ID); err != nil || v.Balance.Available != 50_000 {
		t.Fatalf("balance: %+v %v", v, err)
	}
	if _, err := d.svc.Balance(d.ctx, d.scope, domain.NewID()); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("unknown balance: %v", err)
	}
	if _, err := d.svc.RefreshResult(d.ctx, d.scope, domain.NewID()); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("unknown record: %v", err)
	}
	// Done, a new refresh (a second later: the latest job is the newest by
	// creation time) queues a new job.
	d.clock.step(time.Second)
	if _, err := d.svc.Refresh(d.ctx, d.scope, d.account.ID); err != nil {
		t.Fatal(err)
	}
	if latest, _ := d.store.Jobs().LatestBySubject(d.ctx, d.scope, domain.JobBalanceRefresh, d.record.ID); latest.ID == first.ID {
		t.Fatal("a refresh after the last one finished reused it")
	}
}

// TestRefreshRetries: a retryable failure is retried after a backoff, up
// to the worker's attempts; then the refresh fails with the error and a
// BALANCE failed event. A non-retryable failure fails at once.
func TestRefreshRetries(t *testing.T) {
	t.Run("retryable", func(t *testing.T) {
		d := newDesk(t, Config{Worker: jobs.Config{MaxAttempts: 2}})
		w := NewWorker(d.svc)
		d.bank.answer = func([]string) (domain.BankBalances, error) {
			return domain.BankBalances{}, &domain.Error{Kind: domain.KindTimeout, Message: "slow"}
		}
		if _, err := d.svc.Refresh(d.ctx, d.scope, d.account.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := w.RunOne(d.ctx); n != 1 {
			t.Fatal("the first attempt did not run")
		}
		cb, _ := d.svc.RefreshResult(d.ctx, d.scope, d.record.ID)
		if cb.Status.Refresh != domain.JobPending {
			t.Fatalf("after a retryable failure: %+v", cb.Status)
		}
		if n, _ := w.RunOne(d.ctx); n != 0 {
			t.Fatal("a retry ran before its backoff")
		}
		d.clock.step(jobs.Backoff(1))
		if n, _ := w.RunOne(d.ctx); n != 1 {
			t.Fatal("the retry did not run after its backoff")
		}
		cb, _ = d.svc.RefreshResult(d.ctx, d.scope, d.record.ID)
		if cb.Status.Refresh != domain.JobFailed || cb.Error == nil || cb.Error.Type != "BANK_TIMEOUT" || d.bank.count() != 2 {
			t.Fatalf("after the last attempt: %+v %+v, %d calls", cb.Status, cb.Error, d.bank.count())
		}
		if events, n, _ := d.store.Outbox().List(d.ctx, d.scope, domain.ListFilter{}); n != 1 || events[0].Code != domain.CodeBalanceFailed {
			t.Fatalf("events %+v", events)
		}
	})
	t.Run("token required", func(t *testing.T) {
		d := newDesk(t, Config{})
		w := NewWorker(d.svc)
		d.bank.answer = func([]string) (domain.BankBalances, error) {
			return domain.BankBalances{Rejected: &domain.BankRejection{Reason: domain.RejectSessionExpired}}, nil
		}
		if _, err := d.svc.Refresh(d.ctx, d.scope, d.account.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := w.RunOne(d.ctx); n != 1 {
			t.Fatal("not run")
		}
		cb, _ := d.svc.RefreshResult(d.ctx, d.scope, d.record.ID)
		if cb.Status.Refresh != domain.JobFailed || cb.Error == nil || cb.Error.Code != CodeTokenRequired || cb.Status.Record != domain.RecordTokenRequired {
			t.Fatalf("%+v %+v", cb.Status, cb.Error)
		}
	})
}
