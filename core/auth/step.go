package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

// Step is what every link call answers.
type Step struct {
	SessionID   string            `json:"session_id"`
	Status      domain.StepStatus `json:"status"`
	Bank        string            `json:"bank,omitempty"`
	Challenge   *StepChallenge    `json:"challenge,omitempty"`
	PollAfterMS int64             `json:"poll_after_ms,omitempty"`
	Accounts    []StepAccount     `json:"accounts,omitempty"`
	Error       *StepError        `json:"error,omitempty"`
	Payload     *okra.Payload     `json:"payload,omitempty"`
	// RecordID and CustomerID are all a finished session keeps of its
	// result; the payload itself is answered once, by the accounts call.
	RecordID   string `json:"record_id,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
}

// StepChallenge is a question for the customer.
type StepChallenge struct {
	Type         string `json:"type"`
	Prompt       string `json:"prompt"`
	USSDCode     string `json:"ussd_code,omitempty"`
	AttemptsLeft int    `json:"attempts_left"`
	ExpiresAt    string `json:"expires_at,omitempty"`
	// Wrong is true when the previous answer was wrong.
	Wrong bool `json:"wrong,omitempty"`
}

// StepAccount is an account the customer may choose.
type StepAccount struct {
	ID               string `json:"id"`
	NUBAN            string `json:"nuban"` // masked
	Name             string `json:"name"`
	Type             string `json:"type"`
	Currency         string `json:"currency"`
	AlreadyConnected bool   `json:"already_connected"`
}

// StepError says why a step failed.
type StepError struct {
	Type      string      `json:"type"`
	Code      string      `json:"code"`
	Message   string      `json:"message"`
	Retryable bool        `json:"retryable"`
	Kind      domain.Kind `json:"kind"`
	// Fallback names what the widget should offer instead ("full_login"
	// when a returning customer's stored bank session is refused).
	Fallback string `json:"fallback,omitempty"`
}

// linkState is what a session keeps sealed between calls: the connector's
// flow state, and once logged in the bank session, accounts and owner.
// Credentials are never part of it, except the username, which is kept
// (sealed) so a returning customer need type only the password.
type linkState struct {
	// Identifiers are what a link token or short link vouched for; Hints
	// what the page claimed, believed only where the bank agrees.
	Identifiers map[string]string `json:"identifiers,omitempty"`
	Hints       map[string]string `json:"hints,omitempty"`
	TrustedName string            `json:"trusted_name,omitempty"`
	// TrustedDOB is the link token's customer.dob; HintName and HintDOB
	// the page's, compared only with what the bank reports.
	TrustedDOB  string            `json:"trusted_dob,omitempty"`
	HintName    string            `json:"hint_name,omitempty"`
	HintDOB     string            `json:"hint_dob,omitempty"`
	FlowState   []byte            `json:"flow_state,omitempty"`
	BankSession []byte            `json:"bank_session,omitempty"`
	Accounts    []pendingAccount  `json:"accounts,omitempty"`
	Owner       *domain.BankOwner `json:"owner,omitempty"`
	// Identity is the owner's full identity when the login carried it.
	Identity  *domain.Person `json:"identity,omitempty"`
	LoginKey  []byte         `json:"login_key,omitempty"`
	Username  string         `json:"username,omitempty"`
	Challenge string         `json:"challenge,omitempty"` // kind of the open challenge
	Retryable bool           `json:"retryable,omitempty"` // the last failure may be retried
	// LoginFailures counts refused logins in this session.
	LoginFailures int `json:"login_failures,omitempty"`
	// QuickRecord is the record of a quick login under way, whose failures
	// count against its budget.
	QuickRecord string `json:"quick_record,omitempty"`
}

// carry starts a login's state from what outlives one login attempt.
func (st linkState) carry() linkState {
	return linkState{Identifiers: st.Identifiers, Hints: st.Hints, TrustedName: st.TrustedName, TrustedDOB: st.TrustedDOB,
		HintName: st.HintName, HintDOB: st.HintDOB, LoginFailures: st.LoginFailures}
}

// pendingAccount is an account the bank showed, with the id it will keep.
type pendingAccount struct {
	ID string `json:"id"`
	domain.BankAccount
}

func (s *Service) sealState(sessionID string, st linkState) ([]byte, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode link state: %w", err)
	}
	out, err := s.sealer.Seal(b, domain.LinkSessionStateAD(sessionID))
	if err != nil {
		return nil, fmt.Errorf("seal link state: %w", err)
	}
	return out, nil
}

func (s *Service) openState(l domain.LinkSession) (linkState, error) {
	var st linkState
	if len(l.SealedState) == 0 {
		return st, nil
	}
	b, err := s.sealer.Open(l.SealedState, domain.LinkSessionStateAD(l.ID))
	if err != nil {
		return st, fmt.Errorf("open link state of %s: %w", l.ID, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("decode link state of %s: %w", l.ID, err)
	}
	return st, nil
}

func options(l domain.LinkSession) sessionOptions {
	var o sessionOptions
	_ = json.Unmarshal(l.Options, &o)
	return o
}

// errFinished answers a finished session once its grace is over.
var errFinished = &domain.Error{Kind: domain.KindExpired, Code: domain.CodeSessionFinished, Message: "this link session is finished; its result went to the page and the company's webhook"}

// usable refuses sessions that expired or finished.
func (s *Service) usable(l domain.LinkSession) error {
	switch {
	case l.Status == domain.StepDone:
		return &domain.Error{Kind: domain.KindConflict, Code: domain.CodeSessionFinished, Message: "this link session is finished; open a new one"}
	case l.Status == domain.StepCancelled:
		return &domain.Error{Kind: domain.KindConflict, Code: domain.CodeSessionCancelled, Message: "this link session was cancelled; open a new one"}
	case !s.clock.Now().Before(l.ExpiresAt):
		return &domain.Error{Kind: domain.KindExpired, Code: domain.CodeSessionExpired, Message: "this link session has expired; open a new one"}
	}
	return nil
}

// Current returns the session's step. While a USSD confirmation is awaited
// it asks the bank again, so polling this moves the flow on.
func (s *Service) Current(ctx context.Context, l domain.LinkSession) (Step, error) {
	if l.Status == domain.StepDone {
		if !s.clock.Now().Before(l.ExpiresAt) {
			return Step{}, errFinished
		}
		return decodeStep(l)
	}
	if err := s.usable(l); err != nil {
		return Step{}, err
	}
	st, err := s.openState(l)
	if err != nil {
		return Step{}, err
	}
	if l.Status == domain.StepPending || (l.Status == domain.StepChallenge && st.Challenge == domain.ChallengeUSSD) {
		return s.advance(ctx, l, st, func(ctx context.Context, bank string) (domain.BankStep, error) {
			return s.bank.ContinueLogin(ctx, bank, st.FlowState, "")
		})
	}
	return decodeStep(l)
}

func decodeStep(l domain.LinkSession) (Step, error) {
	var step Step
	if err := json.Unmarshal(l.Step, &step); err != nil {
		return Step{}, fmt.Errorf("decode step of %s: %w", l.ID, err)
	}
	return step, nil
}

// LoginRequest is the customer's choice of bank and method with the
// credentials, which go to the connector and nowhere else.
type LoginRequest struct {
	Bank        string             `json:"bank"`
	Method      domain.LoginMethod `json:"method"`
	Credentials map[string]string  `json:"credentials"`
}

// Login starts (or restarts) the login at a bank.
func (s *Service) Login(ctx context.Context, l domain.LinkSession, req LoginRequest) (Step, error) {
	st, err := s.loginState(l)
	if err != nil {
		return Step{}, err
	}
	if req.Bank == "" {
		return Step{}, domain.Invalid("bank", "is required")
	}
	opts := options(l)
	bank, err := s.offeredBank(ctx, l.Env, opts, req.Bank)
	if err != nil {
		return Step{}, err
	}
	if req.Method == domain.MethodReturning {
		return s.quickLogin(ctx, l, st, bank, req.Credentials)
	}
	method := req.Method
	if !slices.Contains(bank.Methods, method) {
		return Step{}, domain.Invalid("method", fmt.Sprintf("%s does not offer %q; use one of %s", bank.Name, method, joinMethods(bank.Methods)))
	}
	creds := req.Credentials
	if err := s.spend("logins from this address", s.cfg.Budgets.LoginPerAddress, clientOf(ctx)); err != nil {
		return Step{}, err
	}
	login, username, err := loginName(method, creds)
	if err != nil {
		return Step{}, err
	}
	if username == "" {
		// A USSD login names no user: keep the one remembered.
		username = st.Username
	}
	st = st.carry()
	st.LoginKey, st.Username = s.index.BlindIndex(l.CompanyID, "login", bank.Slug+"\x00"+login), username
	// A reauthentication targets its record; the bank's answer decides
	// whether this login may repair it.
	l.BankID, l.Method, l.Attempts, l.RecordID = bank.ID, method, 0, opts.ReauthRecord
	if err := s.spend("logins for this customer", s.cfg.Budgets.LoginPerCustomer, s.customerKeys(l, st)...); err != nil {
		return Step{}, err
	}
	return s.advance(ctx, l, st, func(ctx context.Context, slug string) (domain.BankStep, error) {
		return s.bank.BeginLogin(ctx, slug, method, creds)
	})
}

// loginState opens the state of a session that may (re)start a login:
// not finished, not failed for good, not already logged in.
func (s *Service) loginState(l domain.LinkSession) (linkState, error) {
	if err := s.usable(l); err != nil {
		return linkState{}, err
	}
	st, err := s.openState(l)
	if err != nil {
		return linkState{}, err
	}
	if l.Status == domain.StepFailed && !st.Retryable {
		return linkState{}, &domain.Error{Kind: domain.KindConflict, Code: domain.CodeSessionFailed, Message: "this link session failed and cannot be retried; open a new one"}
	}
	if l.Status == domain.StepAccounts {
		return linkState{}, &domain.Error{Kind: domain.KindConflict, Code: "ALREADY_LOGGED_IN", Message: "already logged in; choose accounts or cancel"}
	}
	return st, nil
}

// offeredBank is the bank ref names (slug or id) among those the session
// offers.
func (s *Service) offeredBank(ctx context.Context, env domain.Env, opts sessionOptions, ref string) (SessionBank, error) {
	banks, err := s.offeredBanks(ctx, env, opts)
	if err != nil {
		return SessionBank{}, err
	}
	var bank *SessionBank
	for i := range banks {
		if banks[i].Slug == ref || banks[i].ID == ref {
			bank = &banks[i]
		}
	}
	if bank == nil {
		return SessionBank{}, domain.Invalid("bank", fmt.Sprintf("%q is not offered in this session", ref))
	}
	return *bank, nil
}

// joinMethods lists login methods for a message.
func joinMethods(ms []domain.LoginMethod) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

// loginName checks a full login's credentials and names the login they
// are (by phone for USSD, else by username); for a username login it also
// returns the username as typed, to remember.
func loginName(method domain.LoginMethod, creds map[string]string) (login, username string, err error) {
	if method == domain.MethodUSSD {
		phone, err := domain.NormalizeIdentifier(domain.IdentPhone, creds["phone"], "credentials.phone")
		if err != nil {
			return "", "", err
		}
		return "phone:" + phone, "", nil
	}
	if strings.TrimSpace(creds["username"]) == "" {
		return "", "", domain.Invalid("credentials.username", "is required")
	}
	if creds["password"] == "" {
		return "", "", domain.Invalid("credentials.password", "is required")
	}
	return "user:" + strings.ToLower(strings.TrimSpace(creds["username"])), strings.TrimSpace(creds["username"]), nil
}

// quickLogin logs a returning customer in at a bank they linked before:
// with the stored bank session (the bank may step up with an OTP), or with
// the remembered username and the password they type.
func (s *Service) quickLogin(ctx context.Context, l domain.LinkSession, st linkState, bank SessionBank, creds map[string]string) (Step, error) {
	rec, err := s.quickRecord(ctx, l, bank)
	if err != nil {
		return Step{}, err
	}
	if err := s.quickLoginOpen(rec); err != nil {
		return Step{}, err
	}
	if err := s.spend("logins from this address", s.cfg.Budgets.LoginPerAddress, clientOf(ctx)); err != nil {
		return Step{}, err
	}
	st = st.carry()
	st.LoginKey, st.QuickRecord = rec.LoginKey, rec.ID
	l.BankID, l.Method, l.Attempts, l.RecordID = bank.ID, rec.Method, 0, rec.ID
	if err := s.spend("logins for this customer", s.cfg.Budgets.LoginPerCustomer, s.customerKeys(l, st)...); err != nil {
		return Step{}, err
	}
	if password, typed := creds["password"]; typed {
		return s.passwordQuickLogin(ctx, l, st, rec, password)
	}
	return s.resumeQuickLogin(ctx, l, st, rec)
}

// quickRecord is the record of the session's returning customer at bank.
func (s *Service) quickRecord(ctx context.Context, l domain.LinkSession, bank SessionBank) (domain.Record, error) {
	if l.CustomerID == "" {
		return domain.Record{}, domain.Invalid("method", "quick login is for returning customers; open the session with the customer's identifier")
	}
	scope := domain.Scope{CompanyID: l.CompanyID, Env: l.Env}
	linked, err := s.known.LinkedBanks(ctx, scope, l.CustomerID)
	if err != nil {
		return domain.Record{}, err
	}
	var rec *domain.Record
	for i := range linked {
		if linked[i].Bank.ID == bank.ID {
			rec = &linked[i].Record
		}
	}
	if rec == nil {
		return domain.Record{}, domain.Invalid("bank", "this customer has not linked "+bank.Name+" before; use a full login")
	}
	return *rec, nil
}

// passwordQuickLogin logs in with the record's remembered username and the
// password the customer typed.
func (s *Service) passwordQuickLogin(ctx context.Context, l domain.LinkSession, st linkState, rec domain.Record, password string) (Step, error) {
	if password == "" {
		return Step{}, domain.Invalid("credentials.password", "is required")
	}
	if len(rec.SealedUsername) == 0 {
		return Step{}, domain.Invalid("credentials", "no username is remembered for this bank; use the OTP quick login or a full login")
	}
	username, err := s.sealer.Open(rec.SealedUsername, domain.RecordUsernameAD(rec.ID))
	if err != nil {
		return Step{}, fmt.Errorf("open remembered username of %s: %w", rec.ID, err)
	}
	st.Username = string(username)
	return s.advance(ctx, l, st, func(ctx context.Context, slug string) (domain.BankStep, error) {
		return s.bank.BeginLogin(ctx, slug, rec.Method, map[string]string{"username": string(username), "password": password})
	})
}

// resumeQuickLogin resumes the record's stored bank session.
func (s *Service) resumeQuickLogin(ctx context.Context, l domain.LinkSession, st linkState, rec domain.Record) (Step, error) {
	if len(rec.SealedSession) == 0 {
		return Step{}, domain.Invalid("method", "no bank session is stored for this bank; use a full login")
	}
	session, err := s.sealer.Open(rec.SealedSession, domain.RecordSessionAD(rec.ID))
	if err != nil {
		return Step{}, fmt.Errorf("open bank session of %s: %w", rec.ID, err)
	}
	if len(rec.SealedUsername) > 0 {
		// Best effort: when it does not open, the record keeps the sealed
		// username it has.
		if username, err := s.sealer.Open(rec.SealedUsername, domain.RecordUsernameAD(rec.ID)); err == nil {
			st.Username = string(username)
		}
	}
	return s.advance(ctx, l, st, func(ctx context.Context, slug string) (domain.BankStep, error) {
		return s.bank.ResumeSession(ctx, slug, session)
	})
}

// Answer answers the open challenge.
func (s *Service) Answer(ctx context.Context, l domain.LinkSession, answer string) (Step, error) {
	if err := s.usable(l); err != nil {
		return Step{}, err
	}
	if l.Status != domain.StepChallenge && l.Status != domain.StepPending {
		if l.Status == domain.StepFailed {
			return Step{}, &domain.Error{Kind: domain.KindConflict, Code: domain.CodeSessionFailed, Message: "there is no open challenge: the login failed"}
		}
		return Step{}, &domain.Error{Kind: domain.KindConflict, Code: "NO_CHALLENGE", Message: "there is no open challenge to answer"}
	}
	st, err := s.openState(l)
	if err != nil {
		return Step{}, err
	}
	if st.Challenge != domain.ChallengeUSSD && strings.TrimSpace(answer) == "" {
		return Step{}, domain.Invalid("answer", "is required")
	}
	if l.Attempts >= s.cfg.MaxAttempts {
		return Step{}, &domain.Error{Kind: domain.KindConflict, Code: "TOO_MANY_ATTEMPTS", Message: "too many wrong answers; the login failed"}
	}
	if st.QuickRecord != "" {
		rec, err := s.store.Records().Get(ctx, domain.Scope{CompanyID: l.CompanyID, Env: l.Env}, st.QuickRecord)
		if err != nil {
			return Step{}, fmt.Errorf("load record %s: %w", st.QuickRecord, err)
		}
		if err := s.quickLoginOpen(rec); err != nil {
			return Step{}, err
		}
	}
	if st.Challenge != domain.ChallengeUSSD {
		if err := s.spend("answers from this address", s.cfg.Budgets.LoginPerAddress, clientOf(ctx)); err != nil {
			return Step{}, err
		}
		if err := s.spend("answers for this customer", s.cfg.Budgets.LoginPerCustomer, s.customerKeys(l, st)...); err != nil {
			return Step{}, err
		}
	}
	return s.advance(ctx, l, st, func(ctx context.Context, bank string) (domain.BankStep, error) {
		return s.bank.ContinueLogin(ctx, bank, st.FlowState, answer)
	})
}

// Cancel closes the session.
func (s *Service) Cancel(ctx context.Context, l domain.LinkSession) (Step, error) {
	if l.Status == domain.StepDone {
		return Step{}, &domain.Error{Kind: domain.KindConflict, Code: domain.CodeSessionFinished, Message: "this link session is finished"}
	}
	l.Status = domain.StepCancelled
	step := Step{SessionID: l.ID, Status: domain.StepCancelled}
	l.Step, _ = json.Marshal(step)
	l.SealedState = nil
	l.UpdatedAt = s.clock.Now()
	// Nothing is left to continue: let the purge take it soon.
	if grace := l.UpdatedAt.Add(s.cfg.FinishedGrace); grace.Before(l.ExpiresAt) {
		l.ExpiresAt = grace
	}
	if _, err := s.store.LinkSessions().Update(ctx, l); err != nil {
		return Step{}, fmt.Errorf("cancel link session %s: %w", l.ID, err)
	}
	return step, nil
}

// advance calls the bank and records the step it answers.
func (s *Service) advance(ctx context.Context, l domain.LinkSession, st linkState,
	call func(ctx context.Context, bank string) (domain.BankStep, error)) (Step, error) {
	bank, err := s.store.Banks().Get(ctx, l.BankID)
	if err != nil {
		return Step{}, fmt.Errorf("load bank %s: %w", l.BankID, err)
	}
	bs, callErr := call(ctx, bank.Slug)
	m := &move{l: l, st: st, bank: bank, step: Step{SessionID: l.ID, Bank: bank.Slug}}
	switch {
	case callErr != nil:
		err = m.callFailed(callErr)
	case bs.Rejected != nil:
		err = s.rejected(ctx, m, bs.Rejected)
	case bs.Challenge != nil:
		err = s.challenged(ctx, m, bs.Challenge, bs.FlowState)
	case bs.Pending != nil:
		m.pending(bs.Pending, bs.FlowState)
	case bs.Authenticated != nil:
		err = s.authenticated(ctx, m, *bs.Authenticated)
	default:
		return Step{}, &domain.Error{Kind: domain.KindConnectorFailed, Message: "the connector answered an empty step"}
	}
	if err != nil {
		return Step{}, err
	}
	m.l.Status = m.step.Status
	if err := s.save(ctx, m.l, m.st, m.step); err != nil {
		return Step{}, err
	}
	return m.step, nil
}

// move is one bank answer being recorded: the session, its sealed state
// and the step it answers, all saved together once the answer is read.
type move struct {
	l    domain.LinkSession
	st   linkState
	bank domain.Bank
	step Step
}

// callFailed records a connector call that failed with a domain error the
// customer may retry past; any other error fails the call itself.
func (m *move) callFailed(callErr error) error {
	de, isDomain := domain.AsError(callErr)
	if !isDomain || de.Kind == domain.KindInternal || de.Kind == domain.KindNotFound {
		return callErr
	}
	m.step.Status = domain.StepFailed
	m.step.Error = &StepError{Type: de.Kind.OkraType(), Code: codeOr(de.Code, de.Kind.OkraType()),
		Message: de.Message, Retryable: true, Kind: de.Kind}
	m.st.Retryable = true
	return nil
}

// rejected records the bank's refusal, counting failed logins against the
// session's and the quick-login record's budgets.
func (s *Service) rejected(ctx context.Context, m *move, r *domain.BankRejection) error {
	m.step.Status = domain.StepFailed
	m.step.Error = &StepError{Type: r.Reason, Code: r.Reason, Message: rejectionMessage(r),
		Retryable: r.Retryable || r.Reason == domain.RejectInvalidCredentials || r.Reason == domain.RejectSessionExpired,
		Kind:      rejectionKind(r.Reason)}
	if r.Reason == domain.RejectSessionExpired {
		// The stored session is refused: the customer logs in in full,
		// in this same session.
		m.step.Error.Fallback = "full_login"
	}
	if r.Reason == domain.RejectInvalidCredentials {
		// Password guessing is bounded per session as well as per
		// customer and address.
		m.st.LoginFailures++
		if m.st.LoginFailures >= s.cfg.MaxLoginFailures {
			m.step.Error.Retryable = false
			m.step.Error.Message += "; too many failed logins in this session, open a new one"
		}
	}
	if m.st.QuickRecord != "" && (r.Reason == domain.RejectInvalidCredentials || r.Reason == domain.RejectMFAFailed) {
		if err := s.quickLoginFailed(ctx, m.l, m.st.QuickRecord, m.bank, &m.step); err != nil {
			return err
		}
	}
	m.st.Retryable = m.step.Error.Retryable
	m.st.FlowState = nil
	return nil
}

// challenged records the bank's question. The same question asked again
// means the last answer was wrong: it costs an attempt, and in a quick
// login counts against the record's budget.
func (s *Service) challenged(ctx context.Context, m *move, c *domain.BankChallenge, flow []byte) error {
	prev := m.st.Challenge
	m.step.Status = domain.StepChallenge
	ch := &StepChallenge{Type: c.Kind, Prompt: c.Prompt, USSDCode: c.USSDCode, AttemptsLeft: c.AttemptsLeft}
	m.step.Challenge = ch
	if !c.ExpiresAt.IsZero() {
		ch.ExpiresAt = okra.Time(c.ExpiresAt)
	}
	if m.l.Status == domain.StepChallenge && prev == c.Kind && c.Kind != domain.ChallengeUSSD {
		m.l.Attempts++
		ch.Wrong = true
	} else if prev != c.Kind {
		m.l.Attempts = 0
	}
	if left := s.cfg.MaxAttempts - m.l.Attempts; ch.AttemptsLeft <= 0 || ch.AttemptsLeft > left {
		ch.AttemptsLeft = left
	}
	m.st.FlowState, m.st.Challenge = flow, c.Kind
	if !ch.Wrong || m.st.QuickRecord == "" {
		return nil
	}
	if err := s.quickLoginFailed(ctx, m.l, m.st.QuickRecord, m.bank, &m.step); err != nil {
		return err
	}
	if m.step.Status == domain.StepFailed {
		m.st.FlowState, m.st.Challenge, m.st.Retryable = nil, "", m.step.Error.Retryable
	}
	return nil
}

// pending records that the bank awaits the customer (a USSD confirmation):
// the widget polls.
func (m *move) pending(p *domain.BankPending, flow []byte) {
	m.step.Status = domain.StepPending
	m.step.PollAfterMS = p.PollAfter.Milliseconds()
	if m.step.PollAfterMS <= 0 {
		m.step.PollAfterMS = 1000
	}
	m.st.FlowState = flow
}

// authenticated records a successful login and offers its accounts,
// unless the session reauthenticates a record this login may not repair.
func (s *Service) authenticated(ctx context.Context, m *move, login domain.BankLogin) error {
	reason, err := s.reauthRefusal(ctx, m.l, m.st, login)
	if err != nil {
		return err
	}
	if reason != "" {
		// Another person's login must not repair, and so take over, the
		// record: fail and keep nothing of this login.
		m.step.Status = domain.StepFailed
		m.step.Error = &StepError{Type: domain.CodeReauthMismatch, Code: domain.CodeReauthMismatch, Kind: domain.KindForbidden,
			Message: "this login does not belong to the account being reauthenticated: " + reason}
		m.st = m.st.carry()
		m.st.Retryable = false
		return nil
	}
	if m.st.QuickRecord != "" {
		if err := s.store.Records().SetQuickLoginLock(ctx, domain.Scope{CompanyID: m.l.CompanyID, Env: m.l.Env}, m.st.QuickRecord, nil); err != nil {
			return fmt.Errorf("reset quick login failures of %s: %w", m.st.QuickRecord, err)
		}
	}
	m.step.Status = domain.StepAccounts
	accounts, err := s.assignAccounts(ctx, m.l, login.Accounts)
	if err != nil {
		return err
	}
	owner := login.Owner
	m.st.BankSession, m.st.Accounts, m.st.Owner, m.st.FlowState, m.st.Challenge = login.Session, accounts, &owner, nil, ""
	m.st.Identity = login.Identity
	m.step.Accounts, err = s.stepAccounts(ctx, m.l, accounts)
	return err
}

// save stores the session's new step and state; a concurrent call that
// moved the session first wins and this one gets a conflict.
func (s *Service) save(ctx context.Context, l domain.LinkSession, st linkState, step Step) error {
	var err error
	if l.SealedState, err = s.sealState(l.ID, st); err != nil {
		return err
	}
	if l.Step, err = json.Marshal(step); err != nil {
		return fmt.Errorf("encode step: %w", err)
	}
	l.UpdatedAt = s.clock.Now()
	if _, err := s.store.LinkSessions().Update(ctx, l); err != nil {
		if domain.KindOf(err) == domain.KindConflict {
			return &domain.Error{Kind: domain.KindConflict, Code: domain.CodeSessionBusy, Message: "another call moved this session on first; fetch the current step", Err: err}
		}
		return fmt.Errorf("save link session %s: %w", l.ID, err)
	}
	return nil
}

// assignAccounts gives each account the bankauth id it has (if linked
// before in this company and environment) or will have.
func (s *Service) assignAccounts(ctx context.Context, l domain.LinkSession, in []domain.BankAccount) ([]pendingAccount, error) {
	scope := domain.Scope{CompanyID: l.CompanyID, Env: l.Env}
	out := make([]pendingAccount, 0, len(in))
	for _, a := range in {
		p := pendingAccount{BankAccount: a}
		existing, err := s.store.Accounts().FindByNUBAN(ctx, scope, l.BankID, a.NUBAN)
		switch {
		case err == nil:
			p.ID = existing.ID
		case errors.Is(err, domain.ErrNotFound):
			p.ID = s.ids.NewID()
		default:
			return nil, fmt.Errorf("look up account: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Service) stepAccounts(ctx context.Context, l domain.LinkSession, in []pendingAccount) ([]StepAccount, error) {
	scope := domain.Scope{CompanyID: l.CompanyID, Env: l.Env}
	out := make([]StepAccount, 0, len(in))
	for _, a := range in {
		sa := StepAccount{ID: a.ID, NUBAN: domain.MaskNUBAN(a.NUBAN), Name: a.Name, Type: a.Type, Currency: a.Currency}
		existing, err := s.store.Accounts().Get(ctx, scope, a.ID)
		switch {
		case err == nil:
			sa.AlreadyConnected = existing.Connected
		case !errors.Is(err, domain.ErrNotFound):
			return nil, fmt.Errorf("load account %s: %w", a.ID, err)
		}
		out = append(out, sa)
	}
	return out, nil
}

func codeOr(code, def string) string {
	if code != "" {
		return code
	}
	return def
}

// rejectionKind is the error kind a bank's refusal amounts to.
func rejectionKind(reason string) domain.Kind {
	switch reason {
	case domain.RejectBankUnavailable:
		return domain.KindUnavailable
	case domain.RejectExpired:
		return domain.KindExpired
	case domain.RejectSessionExpired:
		return domain.KindTokenRequired
	case domain.RejectRateLimited:
		return domain.KindRateLimited
	case domain.RejectUnsupported:
		return domain.KindInvalid
	}
	return domain.KindRejected
}

func rejectionMessage(r *domain.BankRejection) string {
	if r.Message != "" {
		return r.Message
	}
	switch r.Reason {
	case domain.RejectInvalidCredentials:
		return "the bank did not accept these credentials"
	case domain.RejectMFAFailed:
		return "too many wrong answers"
	case domain.RejectAccountLocked:
		return "the bank says this account is locked"
	case domain.RejectUSSDDeclined:
		return "the USSD request was declined"
	case domain.RejectExpired:
		return "the bank's request expired"
	case domain.RejectBankUnavailable:
		return "the bank is unavailable; try again shortly"
	}
	return "the bank refused: " + r.Reason
}
