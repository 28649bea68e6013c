// Package customers is customer management beyond the link flow: finding
// a company's customers by an identifier or name, flagging them, and
// removing what identifies them.
package customers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// Service finds, flags and removes customers within a scope.
type Service struct {
	store ports.Store
	index ports.BlindIndexer
	clock ports.Clock
}

// NewService builds the customer service.
func NewService(store ports.Store, index ports.BlindIndexer, clock ports.Clock) *Service {
	return &Service{store: store, index: index, clock: clock}
}

// FindBy finds customers by one key: an identifier (bvn, nin, phone, email,
// id — the company's own id), our id (_id or customer), or the exact name.
func (c *Service) FindBy(ctx context.Context, s domain.Scope, key, value string) ([]domain.Customer, error) {
	key = strings.TrimSpace(key)
	if value == "" {
		return nil, domain.Invalid("value", "is required")
	}
	switch key {
	case "bvn", "nin", "phone", "email", "id":
		kind := domain.IdentifierKind(key)
		v, err := domain.NormalizeIdentifier(kind, value, "value")
		if err != nil {
			return nil, err
		}
		cu, err := c.store.Customers().FindByIdentifier(ctx, s, kind, c.index.BlindIndexes(s.CompanyID, key, v)...)
		if errors.Is(err, domain.ErrNotFound) {
			return []domain.Customer{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("find customer by %s: %w", key, err)
		}
		return []domain.Customer{cu}, nil
	case "_id", "customer":
		if !domain.ValidID(value) {
			return []domain.Customer{}, nil
		}
		cu, err := c.store.Customers().Get(ctx, s, value)
		if errors.Is(err, domain.ErrNotFound) {
			return []domain.Customer{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("get customer: %w", err)
		}
		return []domain.Customer{cu}, nil
	case "name":
		// Names are not indexed; scan the scope's customers page by page.
		out := []domain.Customer{}
		for page := 1; page <= 100; page++ {
			list, total, err := c.store.Customers().List(ctx, s, domain.ListFilter{Page: domain.Page{Number: page, Limit: domain.MaxPageLimit}})
			if err != nil {
				return nil, fmt.Errorf("list customers: %w", err)
			}
			for _, cu := range list {
				if strings.EqualFold(cu.Name, value) {
					out = append(out, cu)
				}
			}
			if page*domain.MaxPageLimit >= total {
				break
			}
		}
		return out, nil
	}
	return nil, domain.Invalid("key", "must be one of name, bvn, nin, phone, email, id, _id")
}

// Remove deletes a customer's identifiers, identities and link sessions
// and marks its records removed; accounts and auths stay as history.
func (c *Service) Remove(ctx context.Context, s domain.Scope, id domain.ID) error {
	if !domain.ValidID(id) {
		return domain.NotFound("customer")
	}
	return c.store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		if _, err := tx.Customers().Get(ctx, s, id); err != nil {
			return fmt.Errorf("get customer %s: %w", id, err)
		}
		if err := tx.Customers().DeleteIdentifiers(ctx, s, id); err != nil {
			return fmt.Errorf("delete identifiers of %s: %w", id, err)
		}
		if err := tx.Identities().DeleteByCustomer(ctx, s, id); err != nil {
			return fmt.Errorf("delete identities of %s: %w", id, err)
		}
		if err := tx.LinkSessions().DeleteByCustomer(ctx, s, id); err != nil {
			return fmt.Errorf("delete sessions of %s: %w", id, err)
		}
		records, err := tx.Records().ListByCustomer(ctx, s, id)
		if err != nil {
			return fmt.Errorf("list records of %s: %w", id, err)
		}
		now := c.clock.Now()
		for _, r := range records {
			r.Status, r.SealedSession, r.SealedUsername, r.UpdatedAt = domain.RecordRemoved, nil, nil, now
			if err := tx.Records().Update(ctx, r); err != nil {
				return fmt.Errorf("mark record %s removed: %w", r.ID, err)
			}
		}
		return nil
	})
}

// SetFlagged flags a customer (customers/flag) or lifts the flag
// (customers/unflag). While flagged, the customer's links fail at the
// final step with FLAGGED_USER.
func (c *Service) SetFlagged(ctx context.Context, s domain.Scope, id domain.ID, flagged bool) (domain.Customer, error) {
	if !domain.ValidID(id) {
		return domain.Customer{}, domain.NotFound("customer")
	}
	if err := c.store.Customers().SetFlagged(ctx, s, id, flagged, c.clock.Now()); err != nil {
		return domain.Customer{}, fmt.Errorf("flag customer %s: %w", id, err)
	}
	cu, err := c.store.Customers().Get(ctx, s, id)
	if err != nil {
		return domain.Customer{}, fmt.Errorf("get customer %s: %w", id, err)
	}
	return cu, nil
}
