package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// Object is an identity in Okra's shape.
type Object struct {
	ID          string     `json:"id"`
	MongoID     string     `json:"_id"`
	Firstname   string     `json:"firstname"`
	Middlename  string     `json:"middlename"`
	Lastname    string     `json:"lastname"`
	Fullname    string     `json:"fullname"`
	DOB         *string    `json:"dob"`
	Gender      *string    `json:"gender"`
	BVN         *string    `json:"bvn"`
	NIN         *string    `json:"nin"`
	Phone       []string   `json:"phone"`
	Email       []string   `json:"email"`
	Address     []string   `json:"address"`
	Customer    string     `json:"customer"`
	Bank        string     `json:"bank"`
	Record      string     `json:"record"`
	Owner       string     `json:"owner"`
	Env         domain.Env `json:"env"`
	Source      string     `json:"source"`
	Verified    *bool      `json:"verified,omitempty"`
	Score       *int       `json:"score,omitempty"`
	CreatedAt   string     `json:"created_at"`
	LastUpdated string     `json:"last_updated"`
}

// Ref is an identity without its personal values: what the IDENTITY
// webhook carries, so none sits in the outbox in plain text. Receivers
// read the identity with identity/getById or the callback.
type Ref struct {
	ID          string     `json:"id"`
	MongoID     string     `json:"_id"`
	Customer    string     `json:"customer"`
	Bank        string     `json:"bank"`
	Record      string     `json:"record"`
	Env         domain.Env `json:"env"`
	Verified    *bool      `json:"verified,omitempty"`
	Score       *int       `json:"score,omitempty"`
	CreatedAt   string     `json:"created_at"`
	LastUpdated string     `json:"last_updated"`
}

// View is a stored identity opened.
type View struct {
	Identity domain.Identity
	Person   domain.Person
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func list(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// Present shapes an identity the way Okra's API did.
func Present(v View) Object {
	i, p := v.Identity, v.Person
	return Object{
		ID: i.ID, MongoID: i.ID, Firstname: p.FirstName, Middlename: p.MiddleName, Lastname: p.LastName, Fullname: p.Name(),
		DOB: orNull(p.DOB), Gender: orNull(p.Gender), BVN: orNull(p.BVN), NIN: orNull(p.NIN),
		Phone: list(p.Phones), Email: list(p.Emails), Address: list(p.Addresses),
		Customer: i.CustomerID, Bank: i.BankID, Record: i.RecordID, Owner: i.CompanyID, Env: i.Env, Source: i.Source,
		Verified: i.Verified, Score: i.Score, CreatedAt: stamp(i.CreatedAt), LastUpdated: stamp(i.UpdatedAt),
	}
}

// PresentRef is the identity's reference for webhooks.
func PresentRef(i domain.Identity) Ref {
	return Ref{ID: i.ID, MongoID: i.ID, Customer: i.CustomerID, Bank: i.BankID, Record: i.RecordID, Env: i.Env,
		Verified: i.Verified, Score: i.Score, CreatedAt: stamp(i.CreatedAt), LastUpdated: stamp(i.UpdatedAt)}
}

// Identities lists the scope's identities, opened.
// A customer filter naming nobody of this scope is not found, so another
// company's customer looks the same as no customer.
func (s *Service) Identities(ctx context.Context, scope domain.Scope, f domain.ListFilter) ([]View, int, error) {
	if f.CustomerID != "" {
		if _, err := s.store.Customers().Get(ctx, scope, f.CustomerID); errors.Is(err, domain.ErrNotFound) {
			return nil, 0, domain.NotFound("customer")
		} else if err != nil {
			return nil, 0, fmt.Errorf("filter by customer %s: %w", f.CustomerID, err)
		}
	}
	items, total, err := s.store.Identities().List(ctx, scope, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list identities: %w", err)
	}
	out := make([]View, 0, len(items))
	for _, i := range items {
		p, err := openPerson(s.sealer, i)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, View{Identity: i, Person: p})
	}
	return out, total, nil
}

// Identity is one identity by id; another company's is not found.
func (s *Service) Identity(ctx context.Context, scope domain.Scope, id domain.ID) (View, error) {
	if !domain.ValidID(id) {
		return View{}, domain.NotFound("identity")
	}
	return s.view(s.store.Identities().Get(ctx, scope, id))
}

// ByRecord is the identity of a record.
func (s *Service) ByRecord(ctx context.Context, scope domain.Scope, recordID domain.ID) (View, error) {
	if !domain.ValidID(recordID) {
		return View{}, domain.NotFound("identity")
	}
	return s.view(s.store.Identities().GetByRecord(ctx, scope, recordID))
}

func (s *Service) view(i domain.Identity, err error) (View, error) {
	if errors.Is(err, domain.ErrNotFound) {
		return View{}, domain.NotFound("identity")
	}
	if err != nil {
		return View{}, fmt.Errorf("load identity: %w", err)
	}
	p, err := openPerson(s.sealer, i)
	if err != nil {
		return View{}, err
	}
	return View{Identity: i, Person: p}, nil
}

// MatchRequest is identity/match's input: whose identity (a customer's
// latest, or a record's) and what to compare.
type MatchRequest struct {
	CustomerID domain.ID
	RecordID   domain.ID
	Claim      Claim
}

// Match compares what the company says with the stored identity.
func (s *Service) Match(ctx context.Context, scope domain.Scope, req MatchRequest) (map[string]Result, error) {
	var v View
	var err error
	switch {
	case req.RecordID != "":
		v, err = s.ByRecord(ctx, scope, req.RecordID)
	case req.CustomerID != "":
		var items []domain.Identity
		if domain.ValidID(req.CustomerID) {
			items, _, err = s.store.Identities().List(ctx, scope, domain.ListFilter{CustomerID: req.CustomerID, Page: domain.Page{Number: 1, Limit: domain.MaxPageLimit}})
		}
		if err != nil {
			return nil, fmt.Errorf("list the customer's identities: %w", err)
		}
		if len(items) == 0 {
			return nil, domain.NotFound("identity")
		}
		latest := items[0]
		for _, i := range items {
			if i.UpdatedAt.After(latest.UpdatedAt) {
				latest = i
			}
		}
		v, err = s.view(latest, nil)
	default:
		return nil, domain.Invalid("customer_id", "give customer_id or record_id")
	}
	if err != nil {
		return nil, err
	}
	return Match(req.Claim, v.Person), nil
}
