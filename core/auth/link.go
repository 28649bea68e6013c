package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/returning"
)

// Config holds the link flow's limits. Zero values take the defaults.
type Config struct {
	SessionTTL  time.Duration // default 30 min
	MaxAttempts int           // wrong answers per challenge, default 3
	// MaxLoginFailures is how many refused logins a session allows before
	// it fails for good (default 3).
	MaxLoginFailures int
	// QuickLoginFailures is how many failed quick logins of one record,
	// across sessions, lock its quick login for QuickLoginLock (defaults 5
	// and 15 min).
	QuickLoginFailures int
	QuickLoginLock     time.Duration
	// FinishedGrace is how long a finished session still answers its
	// step (default 60 s); then it is gone.
	FinishedGrace time.Duration
	// LinkTokenTTL is how long a link token may be used (default 30 min).
	LinkTokenTTL time.Duration
	Budgets      Budgets
}

func (c Config) withDefaults() Config {
	if c.SessionTTL <= 0 {
		c.SessionTTL = 30 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.MaxLoginFailures <= 0 {
		c.MaxLoginFailures = 3
	}
	if c.QuickLoginFailures <= 0 {
		c.QuickLoginFailures = 5
	}
	if c.QuickLoginLock <= 0 {
		c.QuickLoginLock = 15 * time.Minute
	}
	if c.FinishedGrace <= 0 {
		c.FinishedGrace = time.Minute
	}
	if c.LinkTokenTTL <= 0 {
		c.LinkTokenTTL = 30 * time.Minute
	}
	c.Budgets = c.Budgets.withDefaults()
	return c
}

// KeyChecker is ports.KeyChecker: it tells which company a public key
// belongs to.
type KeyChecker = ports.KeyChecker

// Notifier is ports.Notifier, named here for the service's Deps.
type Notifier = ports.Notifier

// Service runs link sessions: open, log in, answer challenges, choose
// accounts, and write the result in one transaction.
type Service struct {
	store   ports.Store
	bank    ports.BankConnector
	sealer  ports.Sealer
	index   ports.BlindIndexer
	clock   ports.Clock
	ids     ports.IDs
	keys    KeyChecker
	cfg     Config
	notify  Notifier
	known   *returning.Service
	buckets buckets
}

// Deps are the service's collaborators.
type Deps struct {
	Store  ports.Store
	Bank   ports.BankConnector
	Sealer ports.Sealer
	Index  ports.BlindIndexer
	Clock  ports.Clock
	IDs    ports.IDs
	Keys   KeyChecker
	Notify Notifier // optional
}

// NewService builds the link service.
func NewService(d Deps, cfg Config) *Service {
	return &Service{store: d.Store, bank: d.Bank, sealer: d.Sealer, index: d.Index, clock: d.Clock,
		ids: d.IDs, keys: d.Keys, cfg: cfg.withDefaults(), notify: d.Notify, known: returning.New(d.Store, d.Index)}
}

// CustomerInput identifies a customer; one identifier suffices. From a
// link token it is what the company vouches for; from the page it is only
// a hint, checked against the bank's report after the login.
type CustomerInput struct {
	ID    string `json:"id,omitempty"`
	BVN   string `json:"bvn,omitempty"`
	NIN   string `json:"nin,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
	DOB   string `json:"dob,omitempty"`
}

// Identifiers returns the normalised identifiers given, refusing invalid
// ones with an error naming the field.
func (c CustomerInput) Identifiers() (map[domain.IdentifierKind]string, error) {
	out := map[domain.IdentifierKind]string{}
	for _, f := range []struct {
		kind  domain.IdentifierKind
		value string
	}{{domain.IdentExternal, c.ID}, {domain.IdentBVN, c.BVN}, {domain.IdentNIN, c.NIN}, {domain.IdentPhone, c.Phone}, {domain.IdentEmail, c.Email}} {
		if strings.TrimSpace(f.value) == "" {
			continue
		}
		v, err := domain.NormalizeIdentifier(f.kind, f.value, "customer."+string(f.kind))
		if err != nil {
			return nil, err
		}
		out[f.kind] = v
	}
	return out, nil
}

// OpenRequest opens a link session (the widget's options).
type OpenRequest struct {
	Key string `json:"key"`
	// OkraKey is okra-js's README name for key.
	OkraKey  string         `json:"okraKey"`
	Token    string         `json:"token"`
	Env      string         `json:"env"`
	Products []string       `json:"products"`
	Customer *CustomerInput `json:"customer"`
	// ReauthAccount and ReauthBank are refused from the page: only a link
	// token or short link may name a record to reauthenticate.
	ReauthAccount string          `json:"reauth_account"`
	ReauthBank    string          `json:"reauth_bank"`
	Filter        *BankFilter     `json:"filter"`
	IsCorporate   bool            `json:"isCorporate"`
	Options       json.RawMessage `json:"options"`
	Meta          json.RawMessage `json:"meta"`
	CallbackURL   string          `json:"callback_url"`
	RedirectURL   string          `json:"redirect_url"`
	Name          string          `json:"name"`
	Color         string          `json:"color"`
	Logo          string          `json:"logo"`
	// ShortURL names a stored link (POST widget/links/create): the
	// customer and reauth fields come from the server's copy, never from
	// the page.
	ShortURL string `json:"short_url"`
	// LinkToken is a token the company's server created; what it carries
	// overrides the page.
	LinkToken string `json:"link_token"`
	// ParentOrigin is the origin of the page that framed the widget.
	ParentOrigin string `json:"parent_origin"`
	// Exp is okra-js's expiry of the widget options (a date or a
	// timestamp): past it, no session opens.
	Exp string `json:"exp"`
	// Origins are set by the HTTP adapter, never read from the body.
	Origins Origins `json:"-"`
}

// BankFilter restricts the bank list.
type BankFilter struct {
	Banks []string `json:"banks"`
}

// knownProducts are the product names Okra defined, each marked with
// whether this server offers it. A session may ask for any of them: the
// offered ones are used, the others reported back as unavailable, so an
// integration written for Okra's full product list still links.
var knownProducts = map[string]bool{
	"auth": true, "balance": true, "identity": true,
	"accounts": false, "transactions": false, "income": false, "payments": false, "payment": false,
	"direct-debit": false, "guarantors": false, "periodic-transactions": false, "periodic-balance": false,
	"spending-patterns": false, "liabilities": false, "investments": false, "insurance": false,
	"benefactors": false, "wallet": false, "kyc": false,
}

// SessionBank is a bank as the session offers it.
type SessionBank struct {
	ID       string               `json:"id"`
	Slug     string               `json:"slug"`
	Name     string               `json:"name"`
	Icon     string               `json:"icon"`
	Status   string               `json:"status"`
	Methods  []domain.LoginMethod `json:"methods"`
	MFAKinds []string             `json:"mfa_kinds"`
	Products []string             `json:"products"`
	// Country lets the widget honour okra-js's countries option.
	Country string `json:"country,omitempty"`
	// For a returning customer: what they connected before and how they
	// may log in quickly.
	Accounts   []StepAccount `json:"accounts,omitempty"`
	QuickLogin []string      `json:"quick_login,omitempty"`
}

// Opened is the answer to OpenSession.
type Opened struct {
	SessionID    string     `json:"session_id"`
	SessionToken string     `json:"session_token"`
	ExpiresAt    string     `json:"expires_at"`
	Returning    bool       `json:"returning"`
	CustomerID   string     `json:"customer_id,omitempty"`
	Company      string     `json:"company"`
	Env          domain.Env `json:"env"`
	Products     []string   `json:"products"`
	// ProductsUnavailable are products asked for that this server does
	// not offer; the link goes on without them.
	ProductsUnavailable []string      `json:"products_unavailable"`
	Banks               []SessionBank `json:"banks"`
}

// sessionOptions is what the session keeps of its request (no key).
type sessionOptions struct {
	Products      []string        `json:"products"`
	ReauthAccount string          `json:"reauth_account,omitempty"`
	ReauthBank    string          `json:"reauth_bank,omitempty"`
	FilterBanks   []string        `json:"filter_banks,omitempty"`
	Options       json.RawMessage `json:"options,omitempty"`
	Meta          json.RawMessage `json:"meta,omitempty"`
	CallbackURL   string          `json:"callback_url,omitempty"`
	RedirectURL   string          `json:"redirect_url,omitempty"`
	Name          string          `json:"name,omitempty"`
	Color         string          `json:"color,omitempty"`
	Logo          string          `json:"logo,omitempty"`
	Returning     bool            `json:"returning,omitempty"`
	ReauthRecord  string          `json:"reauth_record,omitempty"`
}

// OpenSession checks the public key and client token, and opens a session.
// What the session trusts about the customer comes only from a link token
// or short link; a customer given on the page is kept as a hint for after
// the bank login and changes nothing in the answer.
func (s *Service) OpenSession(ctx context.Context, req OpenRequest) (Opened, error) {
	env, err := s.admitOpen(ctx, &req)
	if err != nil {
		return Opened{}, err
	}
	company, err := s.authenticateOpen(ctx, req, env)
	if err != nil {
		return Opened{}, err
	}
	// Everything the page sent is checked before a token is spent, so a
	// typo does not burn it.
	opts, who, err := pageOptions(req)
	if err != nil {
		return Opened{}, err
	}
	if err := s.spend("session opens for this customer", s.cfg.Budgets.OpenPerCustomer, identKeys(who.hints)...); err != nil {
		return Opened{}, err
	}
	scope := domain.Scope{CompanyID: company.ID, Env: env}
	g, err := s.requestGrant(ctx, scope, req)
	if err != nil {
		return Opened{}, err
	}
	unavailable, err := applyGrant(g, &opts, &who)
	if err != nil {
		return Opened{}, err
	}
	t, err := s.openTarget(ctx, scope, g, who.trusted, &opts)
	if err != nil {
		return Opened{}, err
	}
	l, token, err := s.createSession(ctx, scope, opts, who, t)
	if err != nil {
		return Opened{}, err
	}
	return Opened{
		SessionID: l.ID, SessionToken: token, ExpiresAt: okra.Time(l.ExpiresAt), Company: company.Name,
		Env: env, Products: opts.Products, ProductsUnavailable: unavailable, Banks: t.banks, Returning: opts.Returning, CustomerID: t.customerID,
	}, nil
}

// admitOpen checks what needs no lookup (key, environment, exp) and
// spends the caller's address budget before the key is looked up. It
// returns the session's environment.
func (s *Service) admitOpen(ctx context.Context, req *OpenRequest) (domain.Env, error) {
	if req.Key == "" {
		req.Key = req.OkraKey
	}
	env, err := domain.ParseEnv(req.Env)
	if req.Env == "" {
		env, err = envOfKey(req.Key), nil
	}
	if err != nil {
		return "", err
	}
	if req.Key == "" {
		return "", domain.Invalid("key", "is required (the public key; okra-js also calls it okraKey)")
	}
	if err := checkExp(req.Exp, s.clock.Now()); err != nil {
		return "", err
	}
	if err := s.spend("session opens from this address", s.cfg.Budgets.OpenPerAddress, clientOf(ctx)); err != nil {
		return "", err
	}
	return env, nil
}

// authenticateOpen finds the company of the public key, spends its budget,
// and checks the client token and the origins the request came from.
func (s *Service) authenticateOpen(ctx context.Context, req OpenRequest, env domain.Env) (domain.Company, error) {
	company, err := s.keys.Authenticate(ctx, req.Key, domain.KeyPublic, env)
	if err != nil {
		return domain.Company{}, err
	}
	if err := s.spend("session opens for this key", s.cfg.Budgets.OpenPerKey, company.ID+"/"+string(env)); err != nil {
		return domain.Company{}, err
	}
	if req.Token != "" && req.Token != company.ID {
		return domain.Company{}, &domain.Error{Kind: domain.KindUnauthorized, Code: "INVALID_TOKEN", Message: "the token does not match the key"}
	}
	origins := req.Origins
	origins.Parent = strings.TrimSpace(req.ParentOrigin)
	if err := checkOrigins(company, origins, req.ShortURL != ""); err != nil {
		return domain.Company{}, err
	}
	return company, nil
}

// customerFacts are what a session knows of its customer before the bank
// login: what a link token or short link vouched for, and what the page
// only hinted.
type customerFacts struct {
	trusted, hints                             map[domain.IdentifierKind]string
	trustedName, trustedDOB, hintName, hintDOB string
}

// pageHints reads the page's customer, which is only ever a hint.
func pageHints(c *CustomerInput) (customerFacts, error) {
	if c == nil {
		return customerFacts{}, nil
	}
	hints, err := c.Identifiers()
	if err != nil {
		return customerFacts{}, err
	}
	if err := c.validateProfile(); err != nil {
		return customerFacts{}, err
	}
	return customerFacts{hints: hints, hintName: strings.TrimSpace(c.Name), hintDOB: c.DOB}, nil
}

// trust replaces the page's hints with the customer the server named.
func (f *customerFacts) trust(c *CustomerInput) error {
	trusted, err := c.Identifiers()
	if err != nil {
		return err
	}
	*f = customerFacts{trusted: trusted, trustedName: strings.TrimSpace(c.Name), trustedDOB: c.DOB}
	return nil
}

func (f customerFacts) state() linkState {
	return linkState{Identifiers: identStrings(f.trusted), Hints: identStrings(f.hints), TrustedName: f.trustedName,
		TrustedDOB: f.trustedDOB, HintName: f.hintName, HintDOB: f.hintDOB}
}

// pageOptions checks what the page sent and keeps it as the session's
// options and customer hints.
func pageOptions(req OpenRequest) (sessionOptions, customerFacts, error) {
	if req.ReauthAccount != "" || req.ReauthBank != "" {
		return sessionOptions{}, customerFacts{}, errPageReauth
	}
	if req.LinkToken != "" && req.ShortURL != "" {
		return sessionOptions{}, customerFacts{}, domain.Invalid("link_token", "give either link_token or short_url, not both")
	}
	products, err := normalizeProducts(req.Products)
	if err != nil {
		return sessionOptions{}, customerFacts{}, err
	}
	who, err := pageHints(req.Customer)
	if err != nil {
		return sessionOptions{}, customerFacts{}, err
	}
	if err := checkURLs(req.CallbackURL, req.RedirectURL); err != nil {
		return sessionOptions{}, customerFacts{}, err
	}
	// Every open stores these: an anonymous caller gets a bounded row.
	if len(req.Meta) > 8<<10 {
		return sessionOptions{}, customerFacts{}, domain.Invalid("meta", "must be at most 8 KiB of JSON")
	}
	if len(req.Options) > 16<<10 {
		return sessionOptions{}, customerFacts{}, domain.Invalid("options", "must be at most 16 KiB of JSON")
	}
	opts := sessionOptions{
		Products: products, Options: req.Options, Meta: req.Meta, CallbackURL: req.CallbackURL, RedirectURL: req.RedirectURL,
		Name: req.Name, Color: req.Color, Logo: req.Logo,
	}
	if req.Filter != nil {
		opts.FilterBanks = req.Filter.Banks
	}
	return opts, who, nil
}

// requestGrant spends the link token, or reads the short link, the
// request names; nil when it names neither.
func (s *Service) requestGrant(ctx context.Context, scope domain.Scope, req OpenRequest) (*grant, error) {
	var g grant
	var err error
	switch {
	case req.LinkToken != "":
		g, err = s.consumeLinkToken(ctx, scope, req.LinkToken)
	case req.ShortURL != "":
		g, err = s.shortLinkGrant(ctx, scope, req.ShortURL)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// applyGrant lets what the server asserted (if anything) override the
// page, and splits off the products this server does not offer, which it
// returns.
func applyGrant(g *grant, opts *sessionOptions, who *customerFacts) ([]string, error) {
	if g != nil {
		if err := g.apply(opts); err != nil {
			return nil, err
		}
	}
	var unavailable []string
	opts.Products, unavailable = offeredProducts(opts.Products)
	if g != nil && g.Customer != nil {
		if err := who.trust(g.Customer); err != nil {
			return nil, err
		}
	}
	return unavailable, nil
}

// sessionTarget is whom and what a new session targets: the customer and
// record it was opened for, and the banks it offers.
type sessionTarget struct {
	customerID, recordID domain.ID
	banks                []SessionBank
}

// openTarget resolves the record a grant reauthenticates or the returning
// customer the trusted identifiers name; a session that is not a
// returning customer's offers the environment's banks.
func (s *Service) openTarget(ctx context.Context, scope domain.Scope, g *grant, trusted map[domain.IdentifierKind]string, opts *sessionOptions) (sessionTarget, error) {
	var t sessionTarget
	var err error
	switch {
	case g != nil && g.ReauthAccount != "":
		t, err = s.reauthTarget(ctx, scope, *g, opts)
	case len(trusted) > 0:
		t, err = s.returningTarget(ctx, scope, trusted, opts)
	}
	if err != nil {
		return sessionTarget{}, err
	}
	if !opts.Returning {
		if t.banks, err = s.offeredBanks(ctx, scope.Env, *opts); err != nil {
			return sessionTarget{}, err
		}
	}
	return t, nil
}

// reauthTarget targets the record a grant reauthenticates, offering only
// its bank.
func (s *Service) reauthTarget(ctx context.Context, scope domain.Scope, g grant, opts *sessionOptions) (sessionTarget, error) {
	r, err := s.grantRecord(ctx, scope, g)
	if err != nil {
		return sessionTarget{}, err
	}
	opts.ReauthRecord = r.ID
	bank, err := s.store.Banks().Get(ctx, r.BankID)
	if err != nil {
		return sessionTarget{}, fmt.Errorf("load bank %s: %w", r.BankID, err)
	}
	opts.FilterBanks = []string{bank.Slug}
	return sessionTarget{customerID: r.CustomerID, recordID: r.ID}, nil
}

// returningTarget recognises the customer the trusted identifiers name
// and offers the banks they linked before; a customer with none of those
// banks on offer is not returning.
func (s *Service) returningTarget(ctx context.Context, scope domain.Scope, trusted map[domain.IdentifierKind]string, opts *sessionOptions) (sessionTarget, error) {
	c, found, err := s.known.Recognize(ctx, scope, trusted)
	if err != nil || !found {
		return sessionTarget{}, err
	}
	linked, err := s.known.LinkedBanks(ctx, scope, c.ID)
	if err != nil {
		return sessionTarget{}, err
	}
	banks, err := s.returningBanks(ctx, scope.Env, *opts, linked)
	if err != nil {
		return sessionTarget{}, err
	}
	opts.Returning = len(banks) > 0
	return sessionTarget{customerID: c.ID, banks: banks}, nil
}

// createSession stores the new session at its start step, with the
// customer facts sealed, and returns it with its token.
func (s *Service) createSession(ctx context.Context, scope domain.Scope, opts sessionOptions, who customerFacts, t sessionTarget) (domain.LinkSession, string, error) {
	now := s.clock.Now()
	id := s.ids.NewID()
	token := newSessionToken()
	optJSON, err := json.Marshal(opts)
	if err != nil {
		return domain.LinkSession{}, "", fmt.Errorf("encode session options: %w", err)
	}
	sealed, err := s.sealState(id, who.state())
	if err != nil {
		return domain.LinkSession{}, "", err
	}
	l := domain.LinkSession{
		ID: id, CompanyID: scope.CompanyID, Env: scope.Env, TokenHash: hashToken(token), Options: optJSON,
		Status: domain.StepStart, SealedState: sealed, ExpiresAt: now.Add(s.cfg.SessionTTL),
		CustomerID: t.customerID, RecordID: t.recordID, CreatedAt: now, UpdatedAt: now,
	}
	l.Step, _ = json.Marshal(Step{SessionID: id, Status: domain.StepStart})
	if err := s.store.LinkSessions().Create(ctx, l); err != nil {
		return domain.LinkSession{}, "", fmt.Errorf("create link session: %w", err)
	}
	return l, token, nil
}

// apply lets what the server asserted override the page's options.
func (g grant) apply(o *sessionOptions) error {
	if len(g.Products) > 0 {
		p, err := normalizeProducts(g.Products)
		if err != nil {
			return err
		}
		o.Products = p
	}
	if g.Filter != nil {
		o.FilterBanks = g.Filter.Banks
	}
	for _, f := range []struct {
		have *string
		v    string
	}{
		{&o.Name, g.Name}, {&o.Color, g.Color}, {&o.Logo, g.Logo}, {&o.CallbackURL, g.CallbackURL}, {&o.RedirectURL, g.RedirectURL},
	} {
		if f.v != "" {
			*f.have = f.v
		}
	}
	if len(g.Meta) > 0 {
		o.Meta = g.Meta
	}
	o.ReauthAccount, o.ReauthBank = g.ReauthAccount, g.ReauthBank
	return nil
}

// grantRecord is the record a link token or short link reauthenticates.
func (s *Service) grantRecord(ctx context.Context, scope domain.Scope, g grant) (domain.Record, error) {
	if g.ReauthRecord == "" {
		return s.reauthRecord(ctx, scope, g.ReauthBank, g.ReauthAccount)
	}
	r, err := s.store.Records().Get(ctx, scope, g.ReauthRecord)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Record{}, domain.NotFound("account to reauthenticate")
	}
	if err != nil {
		return domain.Record{}, fmt.Errorf("load record %s: %w", g.ReauthRecord, err)
	}
	return r, nil
}

// shortLinkGrant reads what a stored link asserts: the server stored it
// with the secret key, so it is trusted like a link token.
func (s *Service) shortLinkGrant(ctx context.Context, scope domain.Scope, code string) (grant, error) {
	l, err := s.store.ShortLinks().Get(ctx, code)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && (l.CompanyID != scope.CompanyID || l.Env != scope.Env)) {
		return grant{}, domain.Invalid("short_url", "no such link for this key")
	}
	if err != nil {
		return grant{}, fmt.Errorf("load link: %w", err)
	}
	if l.ExpiresAt != nil && !s.clock.Now().Before(*l.ExpiresAt) {
		return grant{}, &domain.Error{Kind: domain.KindExpired, Code: domain.CodeLinkExpired, Message: "this link has expired"}
	}
	var g grant
	if err := json.Unmarshal(l.Options, &g.TokenRequest); err != nil {
		return grant{}, domain.Invalid("short_url", "the link's stored options do not decode; create the link again")
	}
	if g.Customer != nil {
		if _, err := g.Customer.Identifiers(); err != nil {
			return grant{}, err
		}
	}
	if (g.ReauthAccount == "") != (g.ReauthBank == "") {
		return grant{}, domain.Invalid("reauth_account", "the link's reauth_account and reauth_bank go together")
	}
	return g, nil
}

func identStrings(m map[domain.IdentifierKind]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func identKinds(m map[string]string) map[domain.IdentifierKind]string {
	out := make(map[domain.IdentifierKind]string, len(m))
	for k, v := range m {
		out[domain.IdentifierKind(k)] = v
	}
	return out
}

// identKeys names the per-customer buckets of identifiers.
func identKeys(m map[domain.IdentifierKind]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, budgetKey(string(k), v))
	}
	return out
}

// reauthRecord finds the record behind the account being reauthenticated.
func (s *Service) reauthRecord(ctx context.Context, scope domain.Scope, bankRef, nuban string) (domain.Record, error) {
	bank, err := s.store.Banks().GetBySlug(ctx, bankRef)
	if errors.Is(err, domain.ErrNotFound) && domain.ValidID(bankRef) {
		bank, err = s.store.Banks().Get(ctx, bankRef)
	}
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Record{}, domain.Invalid("reauth_bank", "no such bank")
	}
	if err != nil {
		return domain.Record{}, fmt.Errorf("load bank %s: %w", bankRef, err)
	}
	acc, err := s.store.Accounts().FindByNUBAN(ctx, scope, bank.ID, nuban)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return domain.Record{}, domain.NotFound("account to reauthenticate")
		}
		return domain.Record{}, fmt.Errorf("find account to reauthenticate: %w", err)
	}
	r, err := s.store.Records().Get(ctx, scope, acc.RecordID)
	if err != nil {
		return domain.Record{}, fmt.Errorf("load record %s: %w", acc.RecordID, err)
	}
	return r, nil
}

// returningBanks shapes the banks a returning customer connected, with
// their accounts and quick-login offers, keeping only banks this session
// may use.
func (s *Service) returningBanks(ctx context.Context, env domain.Env, opts sessionOptions, linked []returning.LinkedBank) ([]SessionBank, error) {
	offered, err := s.offeredBanks(ctx, env, opts)
	if err != nil {
		// Not "not returning": the bank list failing is an error to report.
		return nil, err
	}
	live := map[domain.ID]SessionBank{}
	for _, b := range offered {
		live[b.ID] = b
	}
	var out []SessionBank
	for _, lb := range linked {
		sb, usable := live[lb.Bank.ID]
		if !usable {
			continue
		}
		for _, a := range lb.Accounts {
			sb.Accounts = append(sb.Accounts, StepAccount{ID: a.ID, NUBAN: domain.MaskNUBAN(a.NUBAN), Name: a.Name,
				Type: a.Type, Currency: a.Currency, AlreadyConnected: true})
		}
		if lb.CanResume {
			sb.QuickLogin = append(sb.QuickLogin, "otp")
		}
		if lb.HasUsername {
			sb.QuickLogin = append(sb.QuickLogin, "password")
		}
		out = append(out, sb)
	}
	return out, nil
}

// envOfKey guesses the environment from a key's prefix, for sessions
// opened without env.
func envOfKey(key string) domain.Env {
	if strings.HasPrefix(key, "pk_live_") {
		return domain.EnvProduction
	}
	return domain.EnvSandbox
}

// normalizeProducts checks and dedupes a product list (auth first, always
// there). Known products this server does not offer stay in the list;
// offeredProducts splits them off.
func normalizeProducts(in []string) ([]string, error) {
	seen := map[string]bool{"auth": true}
	out := []string{"auth"}
	for _, p := range in {
		p = strings.ToLower(strings.TrimSpace(p))
		if _, known := knownProducts[p]; !known {
			return nil, domain.Invalid("products", fmt.Sprintf("unknown product %q; this server offers auth, balance and identity and accepts Okra's other product names", p))
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// checkExp refuses options whose exp (okra-js: the widget's expiry) has
// passed. A date alone expires at the end of that day (UTC).
func checkExp(exp string, now time.Time) error {
	exp = strings.TrimSpace(exp)
	if exp == "" {
		return nil
	}
	var until time.Time
	if d, err := time.Parse(time.DateOnly, exp); err == nil {
		until = d.AddDate(0, 0, 1)
	} else if t, err := time.Parse(time.RFC3339, exp); err == nil {
		until = t
	} else {
		return domain.Invalid("exp", "must be a date (YYYY-MM-DD) or an ISO 8601 timestamp")
	}
	if !now.Before(until) {
		return &domain.Error{Kind: domain.KindExpired, Code: "WIDGET_EXPIRED", Field: "exp", Message: "these widget options expired at " + until.UTC().Format(time.RFC3339)}
	}
	return nil
}

// offeredProducts splits a normalized list into the products this server
// offers and those it does not.
func offeredProducts(in []string) (offered, unavailable []string) {
	offered, unavailable = []string{}, []string{}
	for _, p := range in {
		if knownProducts[p] {
			offered = append(offered, p)
		} else {
			unavailable = append(unavailable, p)
		}
	}
	return offered, unavailable
}

// offeredBanks lists the env's banks that support every product asked for
// and pass the filter.
func (s *Service) offeredBanks(ctx context.Context, env domain.Env, opts sessionOptions) ([]SessionBank, error) {
	all, err := s.bank.Banks(ctx)
	if err != nil {
		return nil, fmt.Errorf("list banks: %w", err)
	}
	filter := map[string]bool{}
	for _, b := range opts.FilterBanks {
		filter[b] = true
	}
	out := []SessionBank{}
	for _, b := range all {
		if !b.ServesEnv(env) || !b.Supports(opts.Products) {
			continue
		}
		if len(filter) > 0 && !filter[b.Slug] && !filter[b.ID] {
			continue
		}
		out = append(out, sessionBank(b))
	}
	return out, nil
}

func sessionBank(b domain.Bank) SessionBank {
	status := b.Status
	if status == "" {
		status = domain.BankOperational
	}
	// Lists are never null: clients (and the OpenAPI document) expect arrays.
	return SessionBank{ID: b.ID, Slug: b.Slug, Name: b.Name, Icon: okra.BankIcon(b), Status: status,
		Methods: nonNil(b.Methods), MFAKinds: nonNil(b.MFAKinds), Products: nonNil(b.Products), Country: b.Country}
}

// nonNil is xs, or an empty list for nil.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func newSessionToken() string {
	var b [32]byte
	// crypto/rand.Read is documented never to return an error.
	_, _ = rand.Read(b[:])
	return "lst_" + hex.EncodeToString(b[:])
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// errBadSession is the one answer for a missing or wrong token.
var errBadSession = &domain.Error{Kind: domain.KindUnauthorized, Code: "INVALID_SESSION_TOKEN",
	Message: "this call needs the session's token: Authorization: Bearer <session_token>"}

// Authorize loads a session for a caller presenting token. Another
// session's token, or none, is unauthorized.
func (s *Service) Authorize(ctx context.Context, id, token string) (domain.LinkSession, error) {
	if token == "" || !domain.ValidID(id) {
		return domain.LinkSession{}, errBadSession
	}
	l, err := s.store.LinkSessions().Get(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.LinkSession{}, errBadSession
	}
	if err != nil {
		return domain.LinkSession{}, fmt.Errorf("load link session %s: %w", id, err)
	}
	if subtle.ConstantTimeCompare(l.TokenHash, hashToken(token)) != 1 {
		return domain.LinkSession{}, errBadSession
	}
	return l, nil
}
