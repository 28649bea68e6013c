package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/reads"
)

// Identities lists the scope's identities, opened.
// A customer filter naming nobody of this scope is not found, so another
// company's customer looks the same as no customer.
func (s *Service) Identities(ctx context.Context, scope domain.Scope, f domain.ListFilter) ([]reads.Identity, int, error) {
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
	out := make([]reads.Identity, 0, len(items))
	for _, i := range items {
		p, err := openPerson(s.sealer, i)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, reads.Identity{Identity: i, Person: p})
	}
	return out, total, nil
}

// Identity is one identity by id; another company's is not found.
func (s *Service) Identity(ctx context.Context, scope domain.Scope, id domain.ID) (reads.Identity, error) {
	if !domain.ValidID(id) {
		return reads.Identity{}, domain.NotFound("identity")
	}
	return s.view(s.store.Identities().Get(ctx, scope, id))
}

// ByRecord is the identity of a record.
func (s *Service) ByRecord(ctx context.Context, scope domain.Scope, recordID domain.ID) (reads.Identity, error) {
	if !domain.ValidID(recordID) {
		return reads.Identity{}, domain.NotFound("identity")
	}
	return s.view(s.store.Identities().GetByRecord(ctx, scope, recordID))
}

func (s *Service) view(i domain.Identity, err error) (reads.Identity, error) {
	if errors.Is(err, domain.ErrNotFound) {
		return reads.Identity{}, domain.NotFound("identity")
	}
	if err != nil {
		return reads.Identity{}, fmt.Errorf("load identity: %w", err)
	}
	p, err := openPerson(s.sealer, i)
	if err != nil {
		return reads.Identity{}, err
	}
	return reads.Identity{Identity: i, Person: p}, nil
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
	var v reads.Identity
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
