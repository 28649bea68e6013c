// Package identity is the account owner as the bank reports them: pulled
// at link time or on demand, stored sealed (one per record, refreshed in
// place, with a history of when it changed), served in Okra's shape, and
// compared with what a company says about its customer by the matcher.
package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/jobs"
	"github.com/bankauth/bankauth/core/ports"
)

// Config tunes the identity feature.
type Config struct {
	// PublicURL is the server's origin as companies reach it; the callback
	// URL of identity/process starts with it. Origin, when set, is asked
	// instead each time.
	PublicURL string
	Origin    func() string
	Worker    jobs.Config
}

// Notifier is ports.Notifier, named here for the service's Deps.
type Notifier = ports.Notifier

// Deps are the service's collaborators.
type Deps struct {
	Store  ports.Store
	Bank   ports.BankConnector
	Sealer ports.Sealer
	Index  ports.BlindIndexer
	Clock  ports.Clock
	IDs    ports.IDs
	Notify Notifier     // optional: the webhook worker
	Log    *slog.Logger // optional
}

// Service serves, refreshes and matches identities within a scope.
type Service struct {
	store  ports.Store
	bank   ports.BankConnector
	sealer ports.Sealer
	index  ports.BlindIndexer
	clock  ports.Clock
	ids    ports.IDs
	notify Notifier
	log    *slog.Logger
	cfg    Config
	// queue holds the refresh jobs; the Worker runs them.
	queue *jobs.Queue
}

// NewService builds the identity service.
func NewService(d Deps, cfg Config) *Service {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.Worker = cfg.Worker.WithDefaults("identity")
	return &Service{store: d.Store, bank: d.Bank, sealer: d.Sealer, index: d.Index, clock: d.Clock, ids: d.IDs,
		notify: d.Notify, log: log, cfg: cfg, queue: jobs.NewQueue(domain.JobIdentityRefresh, d.Store, d.Clock, d.IDs)}
}

// Pulled is an identity as a pull found it.
type Pulled struct {
	Person domain.Person
	Source string
	// RotatedSession replaces the record's bank session when set.
	RotatedSession []byte
}

// Pull gets the owner of a fresh login: the identity the login carried,
// else the connector's GetIdentity; a connector that cannot answer
// (protocol 1.0, or failing now) leaves the owner the login reported, so
// a link never fails for want of an identity.
func Pull(ctx context.Context, bank ports.BankConnector, bankSlug string, login domain.BankLogin) Pulled {
	if login.Identity != nil {
		return Pulled{Person: *login.Identity, Source: domain.IdentitySourceBank}
	}
	res, err := bank.GetIdentity(ctx, bankSlug, login.Session)
	if err == nil && res.Rejected == nil && res.Person != nil {
		return Pulled{Person: *res.Person, Source: domain.IdentitySourceBank, RotatedSession: res.RotatedSession}
	}
	return Pulled{Person: domain.PersonFromOwner(login.Owner), Source: domain.IdentitySourceLogin}
}

// unsupported reports whether a connector said it has no GetIdentity.
func unsupported(err error) bool {
	de, ok := domain.AsError(err)
	return ok && de.Kind == domain.KindUnavailable && de.Code == domain.RejectUnsupported
}

// Saved is what Save stored.
type Saved struct {
	Identity domain.Identity
	Person   domain.Person
	// Changed names the fields that changed ("created" for a first pull).
	Changed []string
}

// Saver is what Save needs; auth's link writer and the refresh job both
// have it.
type Saver struct {
	Sealer ports.Sealer
	Index  ports.BlindIndexer
	IDs    ports.IDs
}

// Save stores a record's identity through tx: sealed with its row id,
// refreshed in place when the record has one, a change entry when any
// field changed, and the identifiers it reports saved on the customer so
// they recognise them next time. match, when not nil, is the outcome of
// comparing what the company supplied.
func (sv Saver) Save(ctx context.Context, tx ports.Repos, rec domain.Record, p domain.Person, source string, match map[string]Result, now time.Time) (Saved, error) {
	scope := domain.Scope{CompanyID: rec.CompanyID, Env: rec.Env}
	prev, err := tx.Identities().GetByRecord(ctx, scope, rec.ID)
	existed := err == nil
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return Saved{}, fmt.Errorf("load the identity of record %s: %w", rec.ID, err)
	}
	id := domain.Identity{ID: sv.IDs.NewID(), CompanyID: rec.CompanyID, Env: rec.Env, RecordID: rec.ID,
		CustomerID: rec.CustomerID, BankID: rec.BankID, Source: source, CreatedAt: now, UpdatedAt: now}
	changed := []string{"created"}
	if existed {
		id.ID, id.CreatedAt, id.Verified, id.Score = prev.ID, prev.CreatedAt, prev.Verified, prev.Score
		old, err := sv.open(prev)
		if err != nil {
			return Saved{}, err
		}
		changed = changedFields(old, p)
		if source == domain.IdentitySourceLogin && prev.Source == domain.IdentitySourceBank {
			// A login's owner says less than the bank's identity did: keep
			// what it does not say.
			p, id.Source = mergeOwner(old, p), prev.Source
			changed = changedFields(old, p)
		}
	}
	if match != nil {
		score, verified := Overall(match)
		id.Score, id.Verified = &score, &verified
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return Saved{}, fmt.Errorf("encode the identity: %w", err)
	}
	if id.Sealed, err = sv.Sealer.Seal(plain, domain.IdentityAD(id.ID)); err != nil {
		return Saved{}, fmt.Errorf("seal the identity: %w", err)
	}
	stored, err := tx.Identities().Upsert(ctx, id)
	if err != nil {
		return Saved{}, fmt.Errorf("store the identity of record %s: %w", rec.ID, err)
	}
	if len(changed) > 0 {
		if err := tx.Identities().AddChange(ctx, domain.IdentityChange{ID: sv.IDs.NewID(), IdentityID: stored.ID,
			CompanyID: rec.CompanyID, Env: rec.Env, Fields: changed, CreatedAt: now}); err != nil {
			return Saved{}, fmt.Errorf("record the identity change: %w", err)
		}
	}
	if err := sv.identifiers(ctx, tx, scope, rec.CustomerID, p, now); err != nil {
		return Saved{}, err
	}
	return Saved{Identity: stored, Person: p, Changed: changed}, nil
}

func (sv Saver) open(i domain.Identity) (domain.Person, error) {
	return openPerson(sv.Sealer, i)
}

func openPerson(sealer ports.Sealer, i domain.Identity) (domain.Person, error) {
	plain, err := sealer.Open(i.Sealed, domain.IdentityAD(i.ID))
	if err != nil {
		return domain.Person{}, fmt.Errorf("open identity %s: %w", i.ID, err)
	}
	var p domain.Person
	if err := json.Unmarshal(plain, &p); err != nil {
		return domain.Person{}, fmt.Errorf("decode identity %s: %w", i.ID, err)
	}
	return p, nil
}

// mergeOwner keeps the fields a login's owner leaves empty.
func mergeOwner(old, owner domain.Person) domain.Person {
	out := old
	if owner.FullName != "" {
		out.FullName = owner.FullName
	}
	if owner.BVN != "" {
		out.BVN = owner.BVN
	}
	for _, ph := range owner.Phones {
		if !slices.Contains(out.Phones, ph) {
			out.Phones = append(out.Phones, ph)
		}
	}
	for _, e := range owner.Emails {
		if !slices.Contains(out.Emails, e) {
			out.Emails = append(out.Emails, e)
		}
	}
	return out
}

// changedFields names the fields (in Okra's words) whose values differ.
func changedFields(a, b domain.Person) []string {
	var out []string
	for _, f := range []struct {
		name string
		a, b any
	}{
		{"fullname", a.FullName, b.FullName}, {"firstname", a.FirstName, b.FirstName}, {"middlename", a.MiddleName, b.MiddleName},
		{"lastname", a.LastName, b.LastName}, {"dob", a.DOB, b.DOB}, {"gender", a.Gender, b.Gender}, {"bvn", a.BVN, b.BVN},
		{"nin", a.NIN, b.NIN}, {"phone", a.Phones, b.Phones}, {"email", a.Emails, b.Emails}, {"address", a.Addresses, b.Addresses},
	} {
		if !reflect.DeepEqual(f.a, f.b) && !(isEmpty(f.a) && isEmpty(f.b)) {
			out = append(out, f.name)
		}
	}
	return out
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	}
	return false
}

// identifiers saves, sealed and blind-indexed, the identifiers the bank
// reports (BVN, NIN, every phone and email), so the customer is
// recognised by any of them. One that already names someone is left to
// them.
func (sv Saver) identifiers(ctx context.Context, tx ports.Repos, scope domain.Scope, customerID domain.ID, p domain.Person, now time.Time) error {
	for _, iv := range Identifiers(p) {
		id := sv.IDs.NewID()
		sealed, err := sv.Sealer.Seal([]byte(iv.Value), domain.IdentifierAD(id))
		if err != nil {
			return fmt.Errorf("seal identifier: %w", err)
		}
		if _, err := tx.Customers().AddIdentifier(ctx, domain.CustomerIdentifier{
			ID: id, CompanyID: scope.CompanyID, Env: scope.Env, CustomerID: customerID, Kind: iv.Kind,
			BlindIndex: sv.Index.BlindIndex(scope.CompanyID, string(iv.Kind), iv.Value), Sealed: sealed, CreatedAt: now,
		}); err != nil {
			return fmt.Errorf("save %s of customer: %w", iv.Kind, err)
		}
	}
	return nil
}

// IdentifierValue is one normalised identifier.
type IdentifierValue struct {
	Kind  domain.IdentifierKind
	Value string
}

// Identifiers are the normalised identifiers a person carries; malformed
// ones are left out.
func Identifiers(p domain.Person) []IdentifierValue {
	var out []IdentifierValue
	add := func(kind domain.IdentifierKind, raw string) {
		if raw == "" {
			return
		}
		if v, err := domain.NormalizeIdentifier(kind, raw, string(kind)); err == nil && !slices.Contains(out, IdentifierValue{kind, v}) {
			out = append(out, IdentifierValue{kind, v})
		}
	}
	add(domain.IdentBVN, p.BVN)
	add(domain.IdentNIN, p.NIN)
	for _, ph := range p.Phones {
		add(domain.IdentPhone, ph)
	}
	for _, e := range p.Emails {
		add(domain.IdentEmail, e)
	}
	return out
}
