package auth

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/seal"
	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
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

// person is someone the fake bank knows.
type person struct {
	password string
	owner    domain.BankOwner
	nubans   []string
}

// fakeBank is the bank side of the flow: passwords, an OTP ("123456")
// for every login whose password starts with "otp", and quick login by
// stored session with an OTP step-up.
type fakeBank struct {
	bank   domain.Bank
	people map[string]person
}

func (f *fakeBank) Banks(context.Context) ([]domain.Bank, error) { return []domain.Bank{f.bank}, nil }

func (f *fakeBank) login(username string) domain.BankStep {
	p := f.people[username]
	accounts := make([]domain.BankAccount, len(p.nubans))
	for i, n := range p.nubans {
		accounts[i] = domain.BankAccount{Ref: "ref-" + n, NUBAN: n, Name: p.owner.Name, Type: "savings", Currency: "NGN"}
	}
	return domain.BankStep{Authenticated: &domain.BankLogin{Session: []byte("session:" + username), Accounts: accounts, Owner: p.owner}}
}

func (f *fakeBank) otp(username string) domain.BankStep {
	return domain.BankStep{Challenge: &domain.BankChallenge{Kind: domain.ChallengeOTP, Prompt: "Enter the OTP", AttemptsLeft: 3},
		FlowState: []byte(username)}
}

func (f *fakeBank) BeginLogin(_ context.Context, _ string, _ domain.LoginMethod, creds map[string]string) (domain.BankStep, error) {
	p, known := f.people[creds["username"]]
	if !known || p.password != creds["password"] {
		return domain.BankStep{Rejected: &domain.BankRejection{Reason: domain.RejectInvalidCredentials}}, nil
	}
	if strings.HasPrefix(p.password, "otp") {
		return f.otp(creds["username"]), nil
	}
	return f.login(creds["username"]), nil
}

func (f *fakeBank) ContinueLogin(_ context.Context, _ string, flow []byte, answer string) (domain.BankStep, error) {
	if answer != "123456" {
		return f.otp(string(flow)), nil
	}
	return f.login(string(flow)), nil
}

func (f *fakeBank) ResumeSession(_ context.Context, _ string, session []byte) (domain.BankStep, error) {
	return f.otp(strings.TrimPrefix(string(session), "session:")), nil
}

func (f *fakeBank) GetBalance(context.Context, string, []byte, []string) (domain.BankBalances, error) {
	return domain.BankBalances{}, nil
}

// GetIdentity answers as a connector of protocol 1.0 does.
func (f *fakeBank) GetIdentity(context.Context, string, []byte) (domain.BankIdentity, error) {
	return domain.BankIdentity{}, &domain.Error{Kind: domain.KindUnavailable, Code: domain.RejectUnsupported, Message: "unsupported"}
}

// keyring answers public keys of the test's companies.
type keyring map[string]domain.Company

func (k keyring) Authenticate(_ context.Context, key string, kind domain.KeyKind, _ domain.Env) (domain.Company, error) {
	c, found := k[key]
	if !found || kind != domain.KeyPublic {
		return domain.Company{}, &domain.Error{Kind: domain.KindUnauthorized, Message: "bad key"}
	}
	return c, nil
}

// world is one company with a link service over SQLite and the fake bank.
type world struct {
	t       *testing.T
	svc     *Service
	store   ports.Store
	raw     *storage.Store
	clock   *steppedClock
	company domain.Company
	other   domain.Company
	scope   domain.Scope
	bank    domain.Bank
}

const (
	ourKey   = "pk_test_ours"
	theirKey = "pk_test_theirs"
)

// People of the fake bank: Ada (the victim) and Mallory (the attacker).
var (
	ada     = person{password: "pass", owner: domain.BankOwner{Name: "Ada Obi", BVN: "22222222222", Phone: "08000000001"}, nubans: []string{"0000000001", "0000000002"}}
	adaToo  = person{password: "pass", owner: ada.owner, nubans: []string{"0000000001"}}
	adaOTP  = person{password: "otp", owner: ada.owner, nubans: ada.nubans}
	mallory = person{password: "pass", owner: domain.BankOwner{Name: "Mallory Eze", BVN: "77777777777", Phone: "08077777777"}, nubans: []string{"0000000007"}}
	// An impostor who holds the victim's account number at the bank (a
	// joint signatory, say) but is someone else.
	impostor = person{password: "pass", owner: domain.BankOwner{Name: "Ike Obi", BVN: "88888888888"}, nubans: []string{"0000000001", "0000000008"}}
)

func newWorld(t *testing.T, cfg Config) *world {
	t.Helper()
	st := storagetest.OpenSQLite(t)
	ring, err := seal.NewRing(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	clock := &steppedClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	bank, err := st.Banks().Upsert(ctx, domain.Bank{ID: domain.NewID(), Slug: "fake-bank", Name: "Fake Bank", Connector: "test",
		Methods: []domain.LoginMethod{domain.MethodInternetBanking}, Products: []string{"auth", "balance", "identity"}, CreatedAt: clock.t, UpdatedAt: clock.t})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: st, raw: st, clock: clock, bank: bank}
	for _, c := range []*domain.Company{&w.company, &w.other} {
		*c = domain.Company{ID: domain.NewID(), Name: "Acme", DuplicatePolicy: domain.DuplicateMerge, CreatedAt: clock.t, UpdatedAt: clock.t}
		if err := st.Companies().Create(ctx, *c); err != nil {
			t.Fatal(err)
		}
	}
	w.scope = domain.Scope{CompanyID: w.company.ID, Env: domain.EnvSandbox}
	fb := &fakeBank{bank: bank, people: map[string]person{"ada": ada, "ada2": adaToo, "ada_otp": adaOTP, "mallory": mallory, "impostor": impostor}}
	w.svc = NewService(Deps{Store: st, Bank: fb, Sealer: ring, Index: ring, Clock: clock, IDs: ports.RandomIDs{},
		Keys: keyring{ourKey: w.company, theirKey: w.other}}, cfg)
	return w
}

// open opens a session of our company with extra request fields.
func (w *world) open(ctx context.Context, req OpenRequest) (Opened, domain.LinkSession, error) {
	w.t.Helper()
	if req.Key == "" {
		req.Key = ourKey
	}
	out, err := w.svc.OpenSession(ctx, req)
	if err != nil {
		return out, domain.LinkSession{}, err
	}
	l, err := w.store.LinkSessions().Get(ctx, out.SessionID)
	if err != nil {
		w.t.Fatal(err)
	}
	return out, l, nil
}

func (w *world) mustOpen(req OpenRequest) (Opened, domain.LinkSession) {
	w.t.Helper()
	out, l, err := w.open(context.Background(), req)
	if err != nil {
		w.t.Fatalf("open: %v", err)
	}
	return out, l
}

func (w *world) reload(l domain.LinkSession) domain.LinkSession {
	w.t.Helper()
	got, err := w.store.LinkSessions().Get(context.Background(), l.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return got
}

func (w *world) token(req TokenRequest) string {
	w.t.Helper()
	out, err := w.svc.CreateLinkToken(context.Background(), w.scope, req)
	if err != nil {
		w.t.Fatalf("create link token: %v", err)
	}
	return out.LinkToken
}

// link runs a full login of username and connects every account.
func (w *world) link(l domain.LinkSession, username string) (okra.Payload, error) {
	w.t.Helper()
	ctx := context.Background()
	step, err := w.svc.Login(ctx, l, LoginRequest{Bank: "fake-bank", Method: domain.MethodInternetBanking,
		Credentials: map[string]string{"username": username, "password": w.password(username)}})
	if err != nil {
		return okra.Payload{}, err
	}
	l = w.reload(l)
	if step.Status == domain.StepChallenge {
		if step, err = w.svc.Answer(ctx, l, "123456"); err != nil {
			return okra.Payload{}, err
		}
		l = w.reload(l)
	}
	if step.Status != domain.StepAccounts {
		return okra.Payload{}, stepErr(step)
	}
	var ids []string
	for _, a := range step.Accounts {
		ids = append(ids, a.ID)
	}
	done, err := w.svc.Choose(ctx, l, ChooseRequest{Accounts: ids, Consent: true})
	if err != nil {
		return okra.Payload{}, err
	}
	return *done.Payload, nil
}

func (w *world) password(username string) string {
	switch username {
	case "ada_otp":
		return "otp"
	}
	return "pass"
}

// stepErr turns a failed step into an error for the test to inspect.
func stepErr(s Step) error {
	if s.Error == nil {
		b, _ := json.Marshal(s)
		return &domain.Error{Kind: domain.KindInternal, Message: "unexpected step " + string(b)}
	}
	return &domain.Error{Kind: s.Error.Kind, Code: s.Error.Code, Message: s.Error.Message}
}

// identifiers counts a customer's stored identifiers.
func (w *world) identifiers(customer domain.ID) int {
	w.t.Helper()
	ids, err := w.store.Customers().Identifiers(context.Background(), w.scope, customer)
	if err != nil {
		w.t.Fatal(err)
	}
	return len(ids)
}
