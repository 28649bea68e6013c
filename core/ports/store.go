package ports

import (
	"context"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// Store is the database. Repos used outside WithinTx run each statement on
// its own; inside WithinTx every repository call shares one transaction that
// commits when fn returns nil and rolls back whole otherwise.
//
// Errors: a missing row is domain.ErrNotFound (kind not_found); a unique
// constraint violation is kind conflict.
type Store interface {
	Repos
	WithinTx(ctx context.Context, fn func(ctx context.Context, tx Repos) error) error
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Dialect names the engine ("sqlite" or "postgres").
	Dialect() string
}

// Repos groups the repositories.
type Repos interface {
	Companies() CompanyRepo
	Keys() KeyRepo
	Banks() BankRepo
	Connectors() ConnectorRepo
	Customers() CustomerRepo
	Records() RecordRepo
	Accounts() AccountRepo
	Auths() AuthRepo
	Balances() BalanceRepo
	Identities() IdentityRepo
	LinkSessions() LinkSessionRepo
	ShortLinks() ShortLinkRepo
	LinkTokens() LinkTokenRepo
	Webhooks() WebhookRepo
	Outbox() OutboxRepo
	Idempotency() IdempotencyRepo
	Audit() AuditRepo
	Jobs() JobRepo
	Partners() PartnerRepo
	PartnerKeys() PartnerKeyRepo
	ProcessorTokens() ProcessorTokenRepo
	// Lock takes locks on keys until the transaction ends, so writers of
	// the same keys run one after the other and each sees what the
	// previous one committed. It is only valid inside WithinTx.
	Lock(ctx context.Context, keys ...string) error
}

type CompanyRepo interface {
	Create(ctx context.Context, c domain.Company) error
	Get(ctx context.Context, id domain.ID) (domain.Company, error)
	Update(ctx context.Context, c domain.Company) error
	List(ctx context.Context) ([]domain.Company, error)
	Count(ctx context.Context) (int, error)
}

type KeyRepo interface {
	Create(ctx context.Context, k domain.APIKey) error
	// FindByHash returns the key whose hash is h, revoked or not.
	FindByHash(ctx context.Context, h []byte) (domain.APIKey, error)
	// ListByCompany returns every key of a company, newest first.
	ListByCompany(ctx context.Context, companyID domain.ID) ([]domain.APIKey, error)
	// Revoke marks a key revoked from at on.
	Revoke(ctx context.Context, id domain.ID, at time.Time) error
}

type BankRepo interface {
	// Upsert inserts or updates a bank by slug, keeping its id stable.
	Upsert(ctx context.Context, b domain.Bank) (domain.Bank, error)
	Get(ctx context.Context, id domain.ID) (domain.Bank, error)
	GetBySlug(ctx context.Context, slug string) (domain.Bank, error)
	List(ctx context.Context) ([]domain.Bank, error)
	// GetMany returns the banks of ids that exist, in no particular order,
	// in one round trip at most.
	GetMany(ctx context.Context, ids []domain.ID) ([]domain.Bank, error)
}

type ConnectorRepo interface {
	// Register inserts or replaces a registered connector by name.
	Register(ctx context.Context, c domain.RegisteredConnector) error
	Get(ctx context.Context, name string) (domain.RegisteredConnector, error)
	List(ctx context.Context) ([]domain.RegisteredConnector, error)
}

type CustomerRepo interface {
	Create(ctx context.Context, c domain.Customer) error
	Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Customer, error)
	// GetMany returns the customers of ids in the scope that exist, in no
	// particular order, in one query.
	GetMany(ctx context.Context, s domain.Scope, ids []domain.ID) ([]domain.Customer, error)
	Update(ctx context.Context, c domain.Customer) error
	List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Customer, int, error)
	// AddIdentifier stores an identifier; one that exists already for the
	// same company, env, kind and blind index is left as it is and its
	// owner's id returned.
	AddIdentifier(ctx context.Context, i domain.CustomerIdentifier) (domain.ID, error)
	// FindByIdentifier returns the customer holding an identifier whose
	// blind index is any of blinds (the oldest such identifier wins).
	FindByIdentifier(ctx context.Context, s domain.Scope, kind domain.IdentifierKind, blinds ...[]byte) (domain.Customer, error)
	Identifiers(ctx context.Context, s domain.Scope, customerID domain.ID) ([]domain.CustomerIdentifier, error)
	DeleteIdentifiers(ctx context.Context, s domain.Scope, customerID domain.ID) error
	// SetFlagged flags or unflags a customer; a flagged customer cannot
	// link. Flagged reports it.
	SetFlagged(ctx context.Context, s domain.Scope, id domain.ID, flagged bool, at time.Time) error
	Flagged(ctx context.Context, s domain.Scope, id domain.ID) (bool, error)
}

type RecordRepo interface {
	Create(ctx context.Context, r domain.Record) error
	Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Record, error)
	Update(ctx context.Context, r domain.Record) error
	// FindByLogin finds the record of a customer's login at a bank.
	FindByLogin(ctx context.Context, s domain.Scope, bankID domain.ID, loginKey []byte) (domain.Record, error)
	List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Record, int, error)
	ListByCustomer(ctx context.Context, s domain.Scope, customerID domain.ID) ([]domain.Record, error)
	// ListWithCustomers is List as records/list shows it: the records
	// without their sealed session, username, login key and quick-login
	// state, with the customers the page refers to as
	// AccountRepo.ListWithCustomers brings them.
	ListWithCustomers(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Record, []domain.Customer, int, error)
	// AddQuickLoginFailure counts one failed quick login atomically and
	// returns the new count.
	AddQuickLoginFailure(ctx context.Context, s domain.Scope, id domain.ID) (int, error)
	// SetQuickLoginLock resets the failure count and sets (or, with nil,
	// clears) the lock.
	SetQuickLoginLock(ctx context.Context, s domain.Scope, id domain.ID, until *time.Time) error
}

type AccountRepo interface {
	// Upsert inserts an account or, when one exists for the same company,
	// env, bank and NUBAN, refreshes it and returns the stored row (the
	// returned bool is true when it already existed).
	Upsert(ctx context.Context, a domain.Account) (domain.Account, bool, error)
	Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Account, error)
	FindByNUBAN(ctx context.Context, s domain.Scope, bankID domain.ID, nuban string) (domain.Account, error)
	List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Account, int, error)
	ListByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) ([]domain.Account, error)
	// GetMany returns the accounts of ids in the scope that exist, in no
	// particular order, in one query.
	GetMany(ctx context.Context, s domain.Scope, ids []domain.ID) ([]domain.Account, error)
	// ListByRecords returns the accounts of several records in one query,
	// each record's newest first as ListByRecord orders them.
	ListByRecords(ctx context.Context, s domain.Scope, recordIDs []domain.ID) ([]domain.Account, error)
	// ListWithCustomers is List as the account routes show it, with the
	// customers the page refers to, one each, as references: only their
	// id, scope and name are set (a missing one has an empty name). The
	// accounts come without their ConnectorRef, which no answer shows.
	ListWithCustomers(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Account, []domain.Customer, int, error)
	// IDsByRecords is ListByRecords with only the accounts' ids, records
	// and scope set, in one query.
	IDsByRecords(ctx context.Context, s domain.Scope, recordIDs []domain.ID) ([]domain.Account, error)
	// RefsMany returns the accounts of ids in the scope that exist, in no
	// particular order, as a balance references them: id, bank, NUBAN,
	// name, type and connected (and the scope) only.
	RefsMany(ctx context.Context, s domain.Scope, ids []domain.ID) ([]domain.Account, error)
}

type AuthRepo interface {
	// Upsert inserts an auth or refreshes the one of the same record.
	Upsert(ctx context.Context, a domain.Auth) (domain.Auth, bool, error)
	Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Auth, error)
	GetByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) (domain.Auth, error)
	// ListByRecords returns the auths of several records, in no particular
	// order, in one query.
	ListByRecords(ctx context.Context, s domain.Scope, recordIDs []domain.ID) ([]domain.Auth, error)
	// List returns a page of auths and the number of all that match f;
	// auths and lists come with their AccountIDs.
	List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Auth, int, error)
	// ListWithCustomers is List with the customers the page refers to, as
	// AccountRepo.ListWithCustomers brings them.
	ListWithCustomers(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Auth, []domain.Customer, int, error)
	// IDsByRecords is ListByRecords with only the auths' ids, records and
	// scope set, in one query.
	IDsByRecords(ctx context.Context, s domain.Scope, recordIDs []domain.ID) ([]domain.Auth, error)
}

type BalanceRepo interface {
	Add(ctx context.Context, b domain.Balance) error
	Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Balance, error)
	// Latest returns the newest snapshot of an account.
	Latest(ctx context.Context, s domain.Scope, accountID domain.ID) (domain.Balance, error)
	// LatestMany returns the newest snapshot of each of accountIDs that has
	// one, in no particular order, in one query.
	LatestMany(ctx context.Context, s domain.Scope, accountIDs []domain.ID) ([]domain.Balance, error)
	List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Balance, int, error)
	// ListWithCustomers is List with the customers the page refers to, as
	// AccountRepo.ListWithCustomers brings them.
	ListWithCustomers(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Balance, []domain.Customer, int, error)
}

// IdentityRepo stores one sealed identity per record and the history of
// its changes. Nothing here reads a value: lookups go by id, record or
// customer, and the sealed column is opened in the core.
type IdentityRepo interface {
	// Upsert stores the identity of a record, or refreshes the record's
	// identity in place (created_at stays). The sealed value is bound to
	// the row id, so a refresh carries the stored id; another id (a
	// concurrent first pull won) is a conflict and changes nothing.
	Upsert(ctx context.Context, i domain.Identity) (domain.Identity, error)
	Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Identity, error)
	GetByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) (domain.Identity, error)
	// List filters by customer, bank, record and created_at.
	List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Identity, int, error)
	AddChange(ctx context.Context, c domain.IdentityChange) error
	// Changes are an identity's changes, oldest first.
	Changes(ctx context.Context, s domain.Scope, identityID domain.ID) ([]domain.IdentityChange, error)
	// DeleteByCustomer removes a customer's identities and their history.
	DeleteByCustomer(ctx context.Context, s domain.Scope, customerID domain.ID) error
}

type LinkSessionRepo interface {
	Create(ctx context.Context, l domain.LinkSession) error
	Get(ctx context.Context, id domain.ID) (domain.LinkSession, error)
	// Update stores l with Version+1 only when the stored Version equals
	// l.Version, else returns a conflict, so two instances never both
	// advance the same step.
	Update(ctx context.Context, l domain.LinkSession) (domain.LinkSession, error)
	DeleteByCustomer(ctx context.Context, s domain.Scope, customerID domain.ID) error
	// DeleteExpired removes sessions whose expiry is before now.
	DeleteExpired(ctx context.Context, now time.Time) (int, error)
}

type LinkTokenRepo interface {
	Create(ctx context.Context, t domain.LinkToken) error
	// Consume marks the unconsumed, unexpired token of this hash, company
	// and env consumed at now and returns it, in one statement, so two
	// opens with one token cannot both succeed. Anything else is not found.
	Consume(ctx context.Context, s domain.Scope, hash []byte, now time.Time) (domain.LinkToken, error)
	// DeleteSpent removes consumed tokens and those expired before now.
	DeleteSpent(ctx context.Context, now time.Time) (int, error)
}

type ShortLinkRepo interface {
	Create(ctx context.Context, l domain.ShortLink) error
	Get(ctx context.Context, code string) (domain.ShortLink, error)
}

type WebhookRepo interface {
	// Set stores the endpoint, replacing any; its failures and backoff
	// start again from w's.
	Set(ctx context.Context, w domain.WebhookEndpoint) error
	Get(ctx context.Context, s domain.Scope) (domain.WebhookEndpoint, error)
	// SetBackoff records the receiver's consecutive failures and the time
	// before which none of its events is claimed (nil: none). A missing
	// endpoint is not found.
	SetBackoff(ctx context.Context, s domain.Scope, failures int, retryAfter *time.Time) error
}

type OutboxRepo interface {
	Add(ctx context.Context, e domain.OutboxEvent) error
	Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.OutboxEvent, error)
	// Claim marks up to n due pending events as claimed by worker until
	// till and returns them, oldest due first; an event is claimed by one
	// worker at a time (FOR UPDATE SKIP LOCKED on PostgreSQL). It leaves
	// out the events of an endpoint whose backoff lies ahead of now, and
	// takes no more of one company and environment's events than keep its
	// unexpired claims, whoever holds them, at perEndpoint (no limit when
	// perEndpoint <= 0).
	Claim(ctx context.Context, worker string, now, till time.Time, n, perEndpoint int) ([]domain.OutboxEvent, error)
	// Finish records a delivery outcome and releases the claim.
	Finish(ctx context.Context, e domain.OutboxEvent) error
	List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.OutboxEvent, int, error)
	AddAttempt(ctx context.Context, a domain.DeliveryAttempt) error
}

type IdempotencyRepo interface {
	// Begin stores an in-flight entry. If one exists that has not expired
	// it is returned with existed=true and nothing is written — unless it
	// is an in-flight entry of the same request whose lease has lapsed:
	// then e takes it over (one caller wins; the others see it existed).
	Begin(ctx context.Context, e domain.IdempotencyEntry) (stored domain.IdempotencyEntry, existed bool, err error)
	// Complete stores the response of the in-flight entry e began; if
	// another attempt took it over since, it is not found.
	Complete(ctx context.Context, e domain.IdempotencyEntry) error
	// Abandon removes the in-flight entry e began so the request can be
	// retried; one taken over by another attempt, or finished, is left.
	Abandon(ctx context.Context, e domain.IdempotencyEntry) error
	// DeleteExpired removes entries that expired before now.
	DeleteExpired(ctx context.Context, now time.Time) (int, error)
}

type AuditRepo interface {
	Add(ctx context.Context, e domain.AuditEvent) error
	List(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.AuditEvent, int, error)
}

type JobRepo interface {
	Add(ctx context.Context, j domain.Job) error
	Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.Job, error)
	// LatestBySubject returns the newest job of a kind for a subject.
	LatestBySubject(ctx context.Context, s domain.Scope, kind string, subject domain.ID) (domain.Job, error)
	// Claim marks up to n due pending jobs (or running ones whose claim
	// lapsed) as running, claimed by worker until till.
	Claim(ctx context.Context, worker string, now, till time.Time, n int) ([]domain.Job, error)
	// ClaimKind is Claim limited to jobs of one kind, so workers of
	// different kinds never take each other's jobs.
	ClaimKind(ctx context.Context, kind, worker string, now, till time.Time, n int) ([]domain.Job, error)
	Finish(ctx context.Context, j domain.Job) error
}

type PartnerRepo interface {
	Create(ctx context.Context, p domain.Partner) error
	Get(ctx context.Context, id domain.ID) (domain.Partner, error)
	// List returns every partner, newest first.
	List(ctx context.Context) ([]domain.Partner, error)
}

type PartnerKeyRepo interface {
	Create(ctx context.Context, k domain.PartnerKey) error
	// FindByHash returns the key whose hash is h, revoked or not.
	FindByHash(ctx context.Context, h []byte) (domain.PartnerKey, error)
	// ListByPartner returns every key of a partner, newest first.
	ListByPartner(ctx context.Context, partnerID domain.ID) ([]domain.PartnerKey, error)
	// Revoke marks a key revoked from at on.
	Revoke(ctx context.Context, id domain.ID, at time.Time) error
}

type ProcessorTokenRepo interface {
	Create(ctx context.Context, t domain.ProcessorToken) error
	// FindByHash returns the token whose hash is h, whoever holds it and
	// revoked or not: the caller decides who may see it.
	FindByHash(ctx context.Context, h []byte) (domain.ProcessorToken, error)
	Get(ctx context.Context, s domain.Scope, id domain.ID) (domain.ProcessorToken, error)
	// List returns the scope's tokens, newest first, and their count.
	List(ctx context.Context, s domain.Scope, p domain.Page) ([]domain.ProcessorToken, int, error)
	// ActiveByRecord returns the unrevoked tokens on the accounts of a
	// record.
	ActiveByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) ([]domain.ProcessorToken, error)
	// Revoke marks the scope's token revoked at at; one already revoked is
	// a conflict, an unknown one not found.
	Revoke(ctx context.Context, s domain.Scope, id domain.ID, at time.Time) error
	// Redeem records a redemption and counts it on its token (redemptions,
	// last_used_at) atomically; a revoked or unknown token is not found.
	Redeem(ctx context.Context, r domain.Redemption) error
	// Redemptions returns a token's redemptions, newest first.
	Redemptions(ctx context.Context, s domain.Scope, tokenID domain.ID) ([]domain.Redemption, error)
}
