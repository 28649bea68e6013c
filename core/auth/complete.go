package auth

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/events"
	"github.com/bankauth/bankauth/core/identity"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/reads"
	"github.com/bankauth/bankauth/core/returning"
)

// ChooseRequest is the customer's choice of accounts, with consent.
type ChooseRequest struct {
	Accounts []string `json:"accounts"`
	Consent  bool     `json:"consent"`
}

// Choose connects the chosen accounts and writes the result in one
// transaction: customer, record (with the sealed bank session), accounts,
// auth, balances, the AUTH webhook event and an audit event. A failure
// leaves nothing half-written; the session stays at the accounts step so
// the customer may try again.
func (s *Service) Choose(ctx context.Context, l domain.LinkSession, req ChooseRequest) (Step, error) {
	c, err := s.choice(l, req)
	if err != nil {
		return Step{}, err
	}
	bank, err := s.store.Banks().Get(ctx, l.BankID)
	if err != nil {
		return Step{}, fmt.Errorf("load bank %s: %w", l.BankID, err)
	}
	company, err := s.store.Companies().Get(ctx, l.CompanyID)
	if err != nil {
		return Step{}, fmt.Errorf("load company %s: %w", l.CompanyID, err)
	}
	c.balances = s.linkBalances(ctx, bank, &c.st, c.opts, c.chosen)
	c.pulled = s.linkIdentity(ctx, bank, &c.st, c.opts)

	var payload okra.Payload
	locks := linkLocks(l, c.st)
	err = s.withinLinkTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		if err := tx.Lock(ctx, locks...); err != nil {
			return err
		}
		w := writer{s: s, tx: tx, scope: domain.Scope{CompanyID: l.CompanyID, Env: l.Env}, now: s.clock.Now(), bank: bank, company: company}
		var err error
		if payload, err = w.write(ctx, c); err != nil {
			return err
		}
		return w.finish(ctx, l, payload)
	})
	if err != nil {
		return Step{}, err
	}
	if s.notify != nil {
		s.notify.Notify()
	}
	return Step{SessionID: l.ID, Status: domain.StepDone, Bank: bank.Slug, Payload: &payload}, nil
}

// choice is the customer's choice of accounts with what the link writes
// for them.
type choice struct {
	l        domain.LinkSession
	st       linkState
	opts     sessionOptions
	chosen   map[string]bool
	balances map[string]domain.BankBalance
	pulled   *identity.Pulled
}

// choice checks that the session is logged in and that the request
// consents and names only accounts the bank showed.
func (s *Service) choice(l domain.LinkSession, req ChooseRequest) (choice, error) {
	if err := s.usable(l); err != nil {
		return choice{}, err
	}
	if l.Status != domain.StepAccounts {
		return choice{}, &domain.Error{Kind: domain.KindConflict, Code: "NOT_LOGGED_IN", Message: "log in before choosing accounts"}
	}
	if !req.Consent {
		return choice{}, domain.Invalid("consent", "must be true: the customer has to agree to share the accounts")
	}
	if len(req.Accounts) == 0 {
		return choice{}, domain.Invalid("accounts", "choose at least one account")
	}
	st, err := s.openState(l)
	if err != nil {
		return choice{}, err
	}
	chosen := map[string]bool{}
	for _, id := range req.Accounts {
		found := false
		for _, a := range st.Accounts {
			found = found || a.ID == id
		}
		if !found {
			return choice{}, domain.Invalid("accounts", fmt.Sprintf("%q is not one of the accounts the bank showed", id))
		}
		chosen[id] = true
	}
	return choice{l: l, st: st, opts: options(l), chosen: chosen}, nil
}

// linkLocks are the locks a link's transaction takes: links of the same
// login or the same bank account write one after the other (the first
// creates, the next refresh), never side by side.
func linkLocks(l domain.LinkSession, st linkState) []string {
	locks := []string{"login:" + hex.EncodeToString(st.LoginKey)}
	for _, a := range st.Accounts {
		locks = append(locks, "account:"+l.CompanyID+":"+string(l.Env)+":"+l.BankID+":"+a.NUBAN)
	}
	return locks
}

// withinLinkTx runs write in a transaction, and once more when another
// link of the same login or account committed first (two instances, or a
// double click): the second pass finds its rows and refreshes them
// instead of duplicating them. A session another call finished is not
// retried.
func (s *Service) withinLinkTx(ctx context.Context, write func(ctx context.Context, tx ports.Repos) error) error {
	err := s.store.WithinTx(ctx, write)
	if de, isDomain := domain.AsError(err); isDomain && de.Kind == domain.KindConflict && de.Code != domain.CodeSessionBusy {
		err = s.store.WithinTx(ctx, write)
	}
	return err
}

// finish moves the session to done. The stored step keeps no account
// numbers or balances: the payload is answered once, by Choose, and goes
// to the company's webhook.
func (w writer) finish(ctx context.Context, l domain.LinkSession, payload okra.Payload) error {
	step := Step{SessionID: l.ID, Status: domain.StepDone, Bank: w.bank.Slug, RecordID: payload.RecordID, CustomerID: payload.CustomerID}
	l.Status, l.RecordID, l.CustomerID = domain.StepDone, payload.RecordID, payload.CustomerID
	l.SealedState = nil
	l.ExpiresAt = w.now.Add(w.s.cfg.FinishedGrace)
	var err error
	if l.Step, err = json.Marshal(step); err != nil {
		return fmt.Errorf("encode step: %w", err)
	}
	l.UpdatedAt = w.now
	if _, err := w.tx.LinkSessions().Update(ctx, l); err != nil {
		if domain.KindOf(err) == domain.KindConflict {
			return &domain.Error{Kind: domain.KindConflict, Code: domain.CodeSessionBusy, Message: "another call finished this session first", Err: err}
		}
		return fmt.Errorf("finish link session %s: %w", l.ID, err)
	}
	return nil
}

// errFlagged ends a link of a customer the company flagged
// (customers/flag); customers/unflag lets them link again.
var errFlagged = &domain.Error{Kind: domain.KindFlagged, Code: "FLAGGED_USER",
	Message: "this customer is flagged by the company and cannot link an account until unflagged"}

// linkBalances returns the balances of the chosen accounts when the session
// asked for the balance product: from the login answer when the bank sent
// them, else from one GetBalance call. A failure here does not fail the
// link; the company can check the balance later.
func (s *Service) linkBalances(ctx context.Context, bank domain.Bank, st *linkState, opts sessionOptions, chosen map[string]bool) map[string]domain.BankBalance {
	if !slices.Contains(opts.Products, "balance") {
		return nil
	}
	out := map[string]domain.BankBalance{}
	var missing []string
	for _, a := range st.Accounts {
		if !chosen[a.ID] {
			continue
		}
		if a.Available != nil && a.Ledger != nil {
			out[a.ID] = domain.BankBalance{Ref: a.Ref, Available: *a.Available, Ledger: *a.Ledger, Currency: a.Currency, AsOf: s.clock.Now()}
		} else {
			missing = append(missing, a.Ref)
		}
	}
	if len(missing) == 0 {
		return out
	}
	res, err := s.bank.GetBalance(ctx, bank.Slug, st.BankSession, missing)
	if err != nil || res.Rejected != nil {
		return out
	}
	if len(res.RotatedSession) > 0 {
		st.BankSession = res.RotatedSession
	}
	for _, b := range res.Balances {
		for _, a := range st.Accounts {
			if a.Ref == b.Ref && chosen[a.ID] {
				out[a.ID] = b
			}
		}
	}
	return out
}

// linkIdentity pulls the owner's identity when the session asked for the
// identity product, or when the company supplied a date of birth to check
// (a login's owner carries none). It never fails the link: without an
// answer the login's owner stands in.
func (s *Service) linkIdentity(ctx context.Context, bank domain.Bank, st *linkState, opts sessionOptions) *identity.Pulled {
	if !slices.Contains(opts.Products, "identity") && st.TrustedDOB == "" && st.HintDOB == "" {
		return nil
	}
	owner := domain.BankOwner{}
	if st.Owner != nil {
		owner = *st.Owner
	}
	p := identity.Pull(ctx, s.bank, bank.Slug, domain.BankLogin{Session: st.BankSession, Owner: owner, Identity: st.Identity})
	if p.Person.Name() == "" {
		p.Person.FullName = owner.Name
	}
	if len(p.RotatedSession) > 0 {
		st.BankSession = p.RotatedSession
	}
	return &p
}

// writer writes one successful link inside a transaction.
type writer struct {
	s       *Service
	tx      ports.Repos
	scope   domain.Scope
	now     time.Time
	bank    domain.Bank
	company domain.Company
}

// write writes the link: who linked, the record and its accounts, the
// auth with its validation, the identity and balances asked for, and the
// events that tell the company.
func (w writer) write(ctx context.Context, c choice) (okra.Payload, error) {
	owner := domain.BankOwner{}
	if c.st.Owner != nil {
		owner = *c.st.Owner
	}
	customer, merged, err := w.customer(ctx, c.l, c.st, owner, c.chosen)
	if err != nil {
		return okra.Payload{}, err
	}
	if err := w.refuseFlagged(ctx, customer); err != nil {
		return okra.Payload{}, err
	}
	record, previous, err := w.record(ctx, c.l, c.st, customer, c.opts)
	if err != nil {
		return okra.Payload{}, err
	}
	accounts, err := w.accounts(ctx, record, customer, c.st, c.chosen)
	if err != nil {
		return okra.Payload{}, err
	}
	connected := connectedTo(accounts, record)
	validated, note, match := validate(c.st, owner, c.reported(owner), len(connected) > 0)
	auth, authExisted, err := w.auth(ctx, record, customer, connected, validated, note)
	if err != nil {
		return okra.Payload{}, err
	}
	if err := w.identifiers(ctx, customer, c.st, owner); err != nil {
		return okra.Payload{}, err
	}
	ident, err := w.identity(ctx, record, c, match)
	if err != nil {
		return okra.Payload{}, err
	}
	payload := okra.Payload{
		RecordID: record.ID, Record: record.ID, CustomerID: customer.ID, BankID: w.bank.ID,
		Auth: okra.PresentPayloadAuth(auth, w.bank), Identity: ident, CallbackURL: c.opts.CallbackURL,
		Meta: metaOf(c.opts), Returning: c.opts.Returning, Duplicate: previous != "" && authExisted, Merged: merged,
		Success: true, Done: true,
	}
	if payload.Accounts, err = w.payloadAccounts(ctx, record, customer, accounts, c); err != nil {
		return okra.Payload{}, err
	}
	if err := w.announce(ctx, record, previous, payload.Auth); err != nil {
		return okra.Payload{}, err
	}
	if err := w.audit(ctx, auth, record, len(connected), payload.Duplicate); err != nil {
		return okra.Payload{}, err
	}
	return payload, nil
}

// reported is the person the bank reports: the identity pulled, else the
// login's owner.
func (c choice) reported(owner domain.BankOwner) domain.Person {
	if c.pulled != nil {
		return c.pulled.Person
	}
	return domain.PersonFromOwner(owner)
}

// refuseFlagged ends the link of a customer the company flagged.
func (w writer) refuseFlagged(ctx context.Context, c domain.Customer) error {
	flagged, err := w.tx.Customers().Flagged(ctx, w.scope, c.ID)
	if err != nil {
		return fmt.Errorf("read flag of customer %s: %w", c.ID, err)
	}
	if flagged {
		return errFlagged
	}
	return nil
}

// connectedTo lists the connected accounts that belong to record (not
// those left with another owner).
func connectedTo(accounts []linkedAccount, record domain.Record) []domain.ID {
	var out []domain.ID
	for _, a := range accounts {
		if a.Connected && a.RecordID == record.ID {
			out = append(out, a.ID)
		}
	}
	return out
}

// auth writes (or refreshes) the record's auth; it reports whether one
// existed.
func (w writer) auth(ctx context.Context, record domain.Record, c domain.Customer, connected []domain.ID, validated bool, note string) (domain.Auth, bool, error) {
	auth, existed, err := w.tx.Auths().Upsert(ctx, domain.Auth{
		ID: w.s.ids.NewID(), CompanyID: w.scope.CompanyID, Env: w.scope.Env, RecordID: record.ID,
		CustomerID: c.ID, BankID: w.bank.ID, Validated: validated, ValidationNote: note,
		AccountIDs: connected, CreatedAt: w.now, UpdatedAt: w.now,
	})
	if err != nil {
		return domain.Auth{}, false, fmt.Errorf("write auth: %w", err)
	}
	return auth, existed, nil
}

// identity saves the identity pulled when the session asked for the
// identity product; nil otherwise (a date of birth to check pulls one
// without saving it).
func (w writer) identity(ctx context.Context, record domain.Record, c choice, match map[string]identity.Result) (*okra.Identity, error) {
	if c.pulled == nil || !slices.Contains(c.opts.Products, "identity") {
		return nil, nil
	}
	saved, err := identity.Saver{Sealer: w.s.sealer, Index: w.s.index, IDs: w.s.ids}.Save(ctx, w.tx, record, c.pulled.Person, c.pulled.Source, match, w.now)
	if err != nil {
		return nil, err
	}
	obj := okra.PresentIdentity(reads.Identity{Identity: saved.Identity, Person: saved.Person})
	return &obj, nil
}

// payloadAccounts presents the chosen accounts, writing the balances
// fetched for them.
func (w writer) payloadAccounts(ctx context.Context, record domain.Record, customer domain.Customer, accounts []linkedAccount, c choice) ([]okra.PayloadAccount, error) {
	out := []okra.PayloadAccount{}
	for _, a := range accounts {
		if !c.chosen[a.offered] {
			continue
		}
		pa := okra.PayloadAccount{ID: a.ID, AccountID: a.ID, Name: a.Name, NUBAN: w.company.ShowNUBAN(a.NUBAN), Type: a.Type,
			Currency: a.Currency, Connected: a.Connected, Env: a.Env, Customer: customer.ID}
		if b, ok := c.balances[a.offered]; ok {
			avail, ledger := b.Available, b.Ledger
			pa.Available, pa.Ledger = &avail, &ledger
			if err := w.tx.Balances().Add(ctx, domain.Balance{
				ID: w.s.ids.NewID(), CompanyID: w.scope.CompanyID, Env: w.scope.Env, AccountID: a.ID,
				RecordID: record.ID, CustomerID: customer.ID, Available: b.Available, Ledger: b.Ledger,
				Currency: b.Currency, AsOf: b.AsOf, CreatedAt: w.now,
			}); err != nil {
				return nil, fmt.Errorf("write balance of %s: %w", a.ID, err)
			}
		}
		out = append(out, pa)
	}
	return out, nil
}

// announce emits the AUTH success event, and for a repaired record the
// event that tells the company it works again.
func (w writer) announce(ctx context.Context, record domain.Record, previous domain.RecordStatus, auth okra.PayloadAuth) error {
	if _, err := events.Emit(ctx, w.tx, w.s.ids, w.now, events.Event{
		Scope: w.scope, Method: domain.MethodAuth, Code: domain.CodeAuthSuccess, Record: record, Bank: w.bank, Auth: auth,
	}); err != nil {
		return err
	}
	if previous != domain.RecordTokenRequired && previous != domain.RecordInvalid {
		return nil
	}
	_, err := events.Emit(ctx, w.tx, w.s.ids, w.now, events.Event{
		Scope: w.scope, Method: domain.MethodRecord, Code: domain.CodeReauthSuccess, Record: record, Bank: w.bank,
		Message: "the customer reauthenticated; the record works again (was " + string(previous) + ")",
	})
	return err
}

// audit records the link in the company's audit trail.
func (w writer) audit(ctx context.Context, auth domain.Auth, record domain.Record, connected int, duplicate bool) error {
	detail, _ := json.Marshal(map[string]any{"record": record.ID, "bank": w.bank.Slug, "accounts": connected, "duplicate": duplicate})
	if err := w.tx.Audit().Add(ctx, domain.AuditEvent{
		ID: w.s.ids.NewID(), CompanyID: w.scope.CompanyID, Env: w.scope.Env, Actor: "widget",
		Action: "auth.linked", Subject: auth.ID, Detail: detail, CreatedAt: w.now,
	}); err != nil {
		return fmt.Errorf("write audit event: %w", err)
	}
	return nil
}

func metaOf(o sessionOptions) any {
	if len(o.Meta) == 0 {
		return map[string]any{}
	}
	var v any
	if json.Unmarshal(o.Meta, &v) != nil {
		return map[string]any{}
	}
	return v
}

// validate: the login succeeded, at least one account is connected, and
// any identity the company supplied (vouched for or hinted) matches what
// the bank reports: the BVN exactly, the name and date of birth by the
// identity matcher. A field the bank does not report is not a
// contradiction (a BVN is: it was asked for and the bank cannot confirm
// it). It returns the matcher's results, nil when nothing was compared.
func validate(st linkState, owner domain.BankOwner, reported domain.Person, anyConnected bool) (bool, string, map[string]identity.Result) {
	if !anyConnected {
		return false, "no account connected", nil
	}
	var notes []string
	want := st.Identifiers[string(domain.IdentBVN)]
	if want == "" {
		want = st.Hints[string(domain.IdentBVN)]
	}
	bvn := owner.BVN
	if bvn == "" {
		bvn = reported.BVN
	}
	switch {
	case want != "" && bvn != "" && want != bvn:
		notes = append(notes, "bvn mismatch: the bank reports a different BVN than the one supplied")
	case want != "" && bvn == "":
		notes = append(notes, "bvn unverified: the bank did not report a BVN")
	}
	claim := identity.Claim{Name: cmp.Or(st.TrustedName, st.HintName), DOB: cmp.Or(st.TrustedDOB, st.HintDOB)}
	if reported.Name() == "" {
		claim.Name = ""
	}
	if reported.DOB == "" {
		claim.DOB = ""
	}
	match := identity.Match(claim, reported)
	if r, ok := match[identity.FieldName]; ok && !r.Match {
		notes = append(notes, fmt.Sprintf("name mismatch: the bank reports a different account holder name than the one supplied (score %d)", r.Score))
	}
	if r, ok := match[identity.FieldDOB]; ok && !r.Match {
		notes = append(notes, "dob mismatch: the bank reports a different date of birth than the one supplied")
	}
	if len(match) == 0 {
		match = nil
	}
	if len(notes) > 0 {
		return false, strings.Join(notes, "; "), match
	}
	return true, "", match
}

// ownerIdentifiers are the identifiers the bank reports for the owner,
// normalised; malformed ones are left out.
func ownerIdentifiers(owner domain.BankOwner) map[domain.IdentifierKind]string {
	out := map[domain.IdentifierKind]string{}
	for kind, raw := range map[domain.IdentifierKind]string{domain.IdentBVN: owner.BVN, domain.IdentPhone: owner.Phone, domain.IdentEmail: owner.Email} {
		if raw == "" {
			continue
		}
		if v, err := domain.NormalizeIdentifier(kind, raw, string(kind)); err == nil {
			out[kind] = v
		}
	}
	return out
}

// customer finds who is linking: the session's recognised customer, else
// anyone holding a supplied identifier, else the owner of this login's
// record. When a chosen account already belongs to someone else, the
// company's duplicate policy decides (core/returning.Resolve).
func (w writer) customer(ctx context.Context, l domain.LinkSession, st linkState, owner domain.BankOwner, chosen map[string]bool) (domain.Customer, bool, error) {
	candidate, err := w.candidate(ctx, l, st, owner)
	if err != nil {
		return domain.Customer{}, false, err
	}
	var accountOwner domain.ID
	for _, a := range st.Accounts {
		if !chosen[a.ID] {
			continue
		}
		acc, err := w.tx.Accounts().FindByNUBAN(ctx, w.scope, l.BankID, a.NUBAN)
		if err == nil {
			accountOwner = acc.CustomerID
			if acc.CustomerID != candidate {
				break
			}
		} else if !errors.Is(err, domain.ErrNotFound) {
			return domain.Customer{}, false, fmt.Errorf("find account: %w", err)
		}
	}
	// Identifiers the company's server vouched for that match nobody name
	// a new person, distinct from whoever owns the account already. A
	// page's hints never do: they are not the company's word.
	const newPerson = "new"
	if candidate == "" && len(st.Identifiers) > 0 {
		candidate = newPerson
	}
	d, err := returning.Resolve(w.company.DuplicatePolicy, candidate, accountOwner)
	if err != nil {
		return domain.Customer{}, false, err
	}
	if d.CustomerID != "" && d.CustomerID != newPerson {
		c, err := w.tx.Customers().Get(ctx, w.scope, d.CustomerID)
		if err == nil {
			c, err = w.touch(ctx, c, owner)
			return c, d.Merged, err
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return c, false, fmt.Errorf("load customer %s: %w", d.CustomerID, err)
		}
	}
	c := domain.Customer{ID: w.s.ids.NewID(), CompanyID: w.scope.CompanyID, Env: w.scope.Env, Name: owner.Name, CreatedAt: w.now, UpdatedAt: w.now}
	if err := w.tx.Customers().Create(ctx, c); err != nil {
		return c, false, fmt.Errorf("create customer: %w", err)
	}
	return c, false, nil
}

// candidate is who is linking, as far as trusted facts tell: the
// customer the session was opened for (link token, short link, reauth),
// else the one holding an identifier the company's server vouched for;
// without those, the owner of this login's record, else the customer
// holding an identifier the bank reports. Page hints play no part.
func (w writer) candidate(ctx context.Context, l domain.LinkSession, st linkState, owner domain.BankOwner) (domain.ID, error) {
	if l.CustomerID != "" {
		return l.CustomerID, nil
	}
	if len(st.Identifiers) > 0 {
		c, found, err := w.s.known.Recognize(ctx, w.scope, identKinds(st.Identifiers))
		if err != nil || found {
			return c.ID, err
		}
		return "", nil
	}
	if len(st.LoginKey) > 0 {
		r, err := w.tx.Records().FindByLogin(ctx, w.scope, l.BankID, st.LoginKey)
		switch {
		case err == nil:
			return r.CustomerID, nil
		case !errors.Is(err, domain.ErrNotFound):
			return "", fmt.Errorf("find record by login: %w", err)
		}
	}
	c, found, err := w.s.known.Recognize(ctx, w.scope, ownerIdentifiers(owner))
	if err != nil || found {
		return c.ID, err
	}
	return "", nil
}

func (w writer) touch(ctx context.Context, c domain.Customer, owner domain.BankOwner) (domain.Customer, error) {
	if c.Name == "" && owner.Name != "" {
		c.Name = owner.Name
	}
	c.UpdatedAt = w.now
	if err := w.tx.Customers().Update(ctx, c); err != nil {
		return c, fmt.Errorf("update customer %s: %w", c.ID, err)
	}
	return c, nil
}

// record writes or refreshes the record of this login at this bank (or the
// record a reauthentication or quick login was opened for). It returns the
// record's previous status, empty when it is new.
func (w writer) record(ctx context.Context, l domain.LinkSession, st linkState, c domain.Customer, opts sessionOptions) (domain.Record, domain.RecordStatus, error) {
	var r domain.Record
	var err error
	if l.RecordID != "" {
		r, err = w.tx.Records().Get(ctx, w.scope, l.RecordID)
	} else {
		r, err = w.tx.Records().FindByLogin(ctx, w.scope, l.BankID, st.LoginKey)
	}
	existed := err == nil
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return r, "", fmt.Errorf("find record: %w", err)
	}
	var previous domain.RecordStatus
	if existed {
		previous = r.Status
	} else {
		r = domain.Record{ID: w.s.ids.NewID(), CompanyID: w.scope.CompanyID, Env: w.scope.Env, BankID: l.BankID, CreatedAt: w.now}
	}
	r.CustomerID, r.Status, r.Method, r.UpdatedAt = c.ID, domain.RecordSuccess, l.Method, w.now
	if len(st.LoginKey) > 0 {
		r.LoginKey = st.LoginKey
	}
	r.Products = mergeProducts(r.Products, opts.Products)
	if r.SealedSession, err = w.s.sealer.Seal(st.BankSession, domain.RecordSessionAD(r.ID)); err != nil {
		return r, "", fmt.Errorf("seal bank session: %w", err)
	}
	if st.Username != "" {
		if r.SealedUsername, err = w.s.sealer.Seal([]byte(st.Username), domain.RecordUsernameAD(r.ID)); err != nil {
			return r, "", fmt.Errorf("seal username: %w", err)
		}
	}
	if existed {
		err = w.tx.Records().Update(ctx, r)
	} else {
		err = w.tx.Records().Create(ctx, r)
	}
	if err != nil {
		return r, "", fmt.Errorf("write record: %w", err)
	}
	return r, previous, nil
}

func mergeProducts(have, add []string) []string {
	out := append([]string(nil), have...)
	for _, p := range add {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// linkedAccount pairs the account the bank showed (with the id the session
// offered) and the row stored for it, whose id may differ when a
// concurrent link of the same account stored it first.
type linkedAccount struct {
	offered string
	domain.Account
}

// accounts upserts every account the login reached; chosen ones are
// connected, and ones connected before stay connected.
func (w writer) accounts(ctx context.Context, r domain.Record, c domain.Customer, st linkState, chosen map[string]bool) ([]linkedAccount, error) {
	out := make([]linkedAccount, 0, len(st.Accounts))
	for _, a := range st.Accounts {
		connected := chosen[a.ID]
		prev, err := w.tx.Accounts().FindByNUBAN(ctx, w.scope, w.bank.ID, a.NUBAN)
		switch {
		case err == nil:
			connected = connected || prev.Connected
			if prev.CustomerID != c.ID && !chosen[a.ID] {
				// Not chosen in this link: leave it with its owner.
				out = append(out, linkedAccount{offered: a.ID, Account: prev})
				continue
			}
		case !errors.Is(err, domain.ErrNotFound):
			return nil, fmt.Errorf("find account: %w", err)
		}
		stored, _, err := w.tx.Accounts().Upsert(ctx, domain.Account{
			ID: a.ID, CompanyID: w.scope.CompanyID, Env: w.scope.Env, RecordID: r.ID, CustomerID: c.ID,
			BankID: w.bank.ID, ConnectorRef: a.Ref, NUBAN: a.NUBAN, Name: a.Name, Type: a.Type,
			Currency: a.Currency, Connected: connected, CreatedAt: w.now, UpdatedAt: w.now,
		})
		if err != nil {
			return nil, fmt.Errorf("write account: %w", err)
		}
		out = append(out, linkedAccount{offered: a.ID, Account: stored})
	}
	return out, nil
}

// identifiers saves, sealed, what the company's server vouched for and
// what the bank reports about the owner, so the customer is recognised
// next time. A page hint is saved only where the bank reported the same
// value, which adds nothing the bank's report does not.
func (w writer) identifiers(ctx context.Context, c domain.Customer, st linkState, owner domain.BankOwner) error {
	values := identKinds(st.Identifiers)
	for kind, v := range ownerIdentifiers(owner) {
		if _, supplied := values[kind]; !supplied {
			values[kind] = v
		}
	}
	for kind, v := range values {
		id := w.s.ids.NewID()
		sealed, err := w.s.sealer.Seal([]byte(v), domain.IdentifierAD(id))
		if err != nil {
			return fmt.Errorf("seal identifier: %w", err)
		}
		if _, err := w.tx.Customers().AddIdentifier(ctx, domain.CustomerIdentifier{
			ID: id, CompanyID: w.scope.CompanyID, Env: w.scope.Env, CustomerID: c.ID, Kind: kind,
			BlindIndex: w.s.index.BlindIndex(w.scope.CompanyID, string(kind), v), Sealed: sealed, CreatedAt: w.now,
		}); err != nil {
			return fmt.Errorf("save %s of customer: %w", kind, err)
		}
	}
	return nil
}
