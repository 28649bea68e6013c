package balance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/jobs"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/reads"
)

// DefaultMaxAge is how old a stored balance may be and still be served
// when a check does not say max_age.
const DefaultMaxAge = 300 * time.Second

// Config tunes the balance feature.
type Config struct {
	// DefaultMaxAge applies when a check gives no max_age (300 s).
	DefaultMaxAge time.Duration
	// PublicURL is the server's origin as companies reach it
	// ("https://api.example.com"); the callback URL of a refresh starts
	// with it. Origin, when set, is asked instead each time (for a server
	// whose address is known only once it listens).
	PublicURL string
	Origin    func() string
	// Worker tunes the refresh worker.
	Worker jobs.Config
}

func (c Config) withDefaults() Config {
	if c.DefaultMaxAge <= 0 {
		c.DefaultMaxAge = DefaultMaxAge
	}
	c.Worker = c.Worker.WithDefaults("balance")
	return c
}

// Notifier is ports.Notifier, named here for the service's Deps.
type Notifier = ports.Notifier

// Deps are the service's collaborators.
type Deps struct {
	Store  ports.Store
	Bank   ports.BankConnector
	Sealer ports.Sealer
	Clock  ports.Clock
	IDs    ports.IDs
	Notify Notifier     // optional: the webhook worker
	Log    *slog.Logger // optional
}

// Service checks and refreshes balances, within a scope.
type Service struct {
	store  ports.Store
	bank   ports.BankConnector
	sealer ports.Sealer
	clock  ports.Clock
	ids    ports.IDs
	notify Notifier
	log    *slog.Logger
	cfg    Config

	pulls flight[pulled]
	// queue holds the refresh jobs; the Worker runs them.
	queue *jobs.Queue
}

// NewService builds the balance service.
func NewService(d Deps, cfg Config) *Service {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: d.Store, bank: d.Bank, sealer: d.Sealer, clock: d.Clock, ids: d.IDs,
		notify: d.Notify, log: log, cfg: cfg.withDefaults(), queue: jobs.NewQueue(domain.JobBalanceRefresh, d.Store, d.Clock, d.IDs)}
}

// CheckRequest asks for an account's balance, and optionally whether it
// covers an amount.
type CheckRequest struct {
	AccountID domain.ID
	// RecordID, when given, must be the account's record (Okra's clients
	// send it).
	RecordID domain.ID
	// Amount in minor units; nil asks for the balance only.
	Amount *domain.Minor
	// Currency of Amount; empty means the account's currency.
	Currency string
	// MaxAge in seconds: a stored balance younger than this is served
	// cached; 0 forces a live pull; nil is the default (300).
	MaxAge *int
}

// CheckResult is a balance, with sufficiency when an amount was given.
type CheckResult struct {
	View       reads.Balance
	Sufficient *bool
	// Shortfall is amount − available, never below zero.
	Shortfall *domain.Minor
}

// target is an account that may be checked, with its record and bank.
type target struct {
	scope    domain.Scope
	account  domain.Account
	record   domain.Record
	bank     domain.Bank
	customer domain.Customer
}

// Check answers an account's balance: the stored one when it is younger
// than max_age, else a live pull through the connector (concurrent checks
// of one account share a single pull).
func (s *Service) Check(ctx context.Context, scope domain.Scope, req CheckRequest) (CheckResult, error) {
	if req.Amount != nil && *req.Amount < 0 {
		return CheckResult{}, domain.Invalid("amount", "must not be negative")
	}
	if req.MaxAge != nil && *req.MaxAge < 0 {
		return CheckResult{}, domain.Invalid("max_age", "must be a whole number of seconds, 0 or more")
	}
	if req.RecordID != "" && !domain.ValidID(req.RecordID) {
		return CheckResult{}, domain.Invalid("record_id", "must be a 24-character hex id")
	}
	t, err := s.target(ctx, scope, req.AccountID)
	if err != nil {
		return CheckResult{}, err
	}
	if req.RecordID != "" && req.RecordID != t.account.RecordID {
		return CheckResult{}, domain.Invalid("record_id", "is not the record of this account")
	}
	maxAge := s.cfg.DefaultMaxAge
	if req.MaxAge != nil {
		maxAge = time.Duration(*req.MaxAge) * time.Second
	}
	b, source, err := s.current(ctx, t, maxAge)
	if err != nil {
		return CheckResult{}, err
	}
	res := CheckResult{View: reads.Balance{Balance: b, Account: t.account, Bank: &t.bank, Customer: &t.customer, Source: source}}
	if req.Amount != nil {
		if req.Currency != "" && !strings.EqualFold(req.Currency, b.Currency) {
			return CheckResult{}, domain.Invalid("currency", fmt.Sprintf("is %s but the account holds %s; amounts are compared only in the same currency", strings.ToUpper(req.Currency), b.Currency))
		}
		sufficient, shortfall := Sufficiency(b.Available, *req.Amount)
		res.Sufficient, res.Shortfall = &sufficient, &shortfall
	}
	return res, nil
}

// Sufficiency compares an amount with the available balance exactly, in
// minor units: sufficient when available ≥ amount; shortfall is
// amount − available, or 0.
func Sufficiency(available, amount domain.Minor) (bool, domain.Minor) {
	if available >= amount {
		return true, 0
	}
	return false, amount - available
}

// current returns a stored balance younger than maxAge, or pulls one.
func (s *Service) current(ctx context.Context, t target, maxAge time.Duration) (domain.Balance, string, error) {
	for attempt := 0; ; attempt++ {
		if b, fresh, err := s.fresh(ctx, t, maxAge); err != nil || fresh {
			return b, domain.SourceCached, err
		}
		p, _, err := s.pulls.do(ctx, pullKey(t), func() (pulled, error) {
			// The pull serves every caller that joins it, so one caller
			// going away does not cancel it; the host's bank deadline
			// bounds it.
			shared := context.WithoutCancel(ctx)
			// Another caller may have stored a fresh balance between our
			// look and this call: look again before asking the bank.
			if b, fresh, err := s.fresh(shared, t, maxAge); err != nil || fresh {
				return pulled{balance: b}, err
			}
			b, err := s.pull(shared, t)
			return pulled{balance: b, live: true}, err
		})
		if err != nil {
			return domain.Balance{}, "", err
		}
		if p.live {
			return p.balance, domain.SourceLive, nil
		}
		// We joined a caller that found a stored balance fresh for its own
		// max_age; serve it only if it is fresh for ours too.
		if s.age(p.balance) < maxAge {
			return p.balance, domain.SourceCached, nil
		}
		if attempt >= 2 {
			// Callers with looser max_ages keep winning the race: ask the
			// bank ourselves rather than serve a balance older than asked.
			b, err := s.pull(ctx, t)
			return b, domain.SourceLive, err
		}
	}
}

// fresh returns the latest snapshot when it is younger than maxAge.
func (s *Service) fresh(ctx context.Context, t target, maxAge time.Duration) (domain.Balance, bool, error) {
	if maxAge <= 0 {
		return domain.Balance{}, false, nil
	}
	b, err := s.store.Balances().Latest(ctx, t.scope, t.account.ID)
	if errors.Is(err, domain.ErrNotFound) {
		return b, false, nil
	}
	if err != nil {
		return b, false, fmt.Errorf("load the latest balance of %s: %w", t.account.ID, err)
	}
	return b, s.age(b) < maxAge, nil
}

// age is how long ago the bank reported b.
func (s *Service) age(b domain.Balance) time.Duration {
	at := b.AsOf
	if at.IsZero() || b.CreatedAt.Before(at) {
		at = b.CreatedAt
	}
	return s.clock.Now().Sub(at)
}

func pullKey(t target) string {
	return t.scope.CompanyID + "/" + string(t.scope.Env) + "/" + t.account.ID
}

// target loads an account that may be checked: connected, with its record
// and bank in the caller's scope. Anything else is "not found".
func (s *Service) target(ctx context.Context, scope domain.Scope, accountID domain.ID) (target, error) {
	if accountID == "" {
		return target{}, domain.Invalid("account_id", "is required")
	}
	if !domain.ValidID(accountID) {
		return target{}, domain.Invalid("account_id", "must be a 24-character hex id")
	}
	notFound := domain.NotFound("account")
	t := target{scope: scope}
	var err error
	if t.account, err = s.store.Accounts().Get(ctx, scope, accountID); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return t, notFound
		}
		return t, fmt.Errorf("load account %s: %w", accountID, err)
	}
	if !t.account.Connected || t.account.CompanyID != scope.CompanyID || t.account.Env != scope.Env {
		return t, notFound
	}
	if t.record, err = s.store.Records().Get(ctx, scope, t.account.RecordID); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return t, notFound
		}
		return t, fmt.Errorf("load record %s: %w", t.account.RecordID, err)
	}
	if t.record.Status == domain.RecordRemoved {
		return t, notFound
	}
	if t.bank, err = s.store.Banks().Get(ctx, t.account.BankID); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return t, notFound
		}
		return t, fmt.Errorf("load bank %s: %w", t.account.BankID, err)
	}
	if t.bank.Production != (scope.Env == domain.EnvProduction) {
		return t, notFound
	}
	if t.customer, err = s.store.Customers().Get(ctx, scope, t.account.CustomerID); err != nil {
		if !errors.Is(err, domain.ErrNotFound) {
			return t, fmt.Errorf("load customer %s: %w", t.account.CustomerID, err)
		}
		t.customer = domain.Customer{ID: t.account.CustomerID}
	}
	return t, nil
}
