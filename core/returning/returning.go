// Package returning recognises customers who come back, lists what they
// linked before, and decides what happens when an account is linked again
// (the company's duplicate policy).
package returning

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// Service looks customers up through the blind index, never by plain value.
type Service struct {
	store ports.Store
	index ports.BlindIndexer
}

// New builds the service.
func New(store ports.Store, index ports.BlindIndexer) *Service {
	return &Service{store: store, index: index}
}

// Recognize finds the customer holding any of the normalised identifiers,
// within the scope only.
func (s *Service) Recognize(ctx context.Context, scope domain.Scope, identifiers map[domain.IdentifierKind]string) (domain.Customer, bool, error) {
	// A stable order, strongest identifiers first.
	for _, kind := range []domain.IdentifierKind{domain.IdentExternal, domain.IdentBVN, domain.IdentNIN, domain.IdentPhone, domain.IdentEmail} {
		v, given := identifiers[kind]
		if !given {
			continue
		}
		c, err := s.store.Customers().FindByIdentifier(ctx, scope, kind, s.index.BlindIndexes(scope.CompanyID, string(kind), v)...)
		if err == nil {
			return c, true, nil
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return domain.Customer{}, false, fmt.Errorf("find customer by %s: %w", kind, err)
		}
	}
	return domain.Customer{}, false, nil
}

// LinkedBank is a bank the customer connected before, through its newest
// usable record, with the accounts connected there.
type LinkedBank struct {
	Bank     domain.Bank
	Record   domain.Record
	Accounts []domain.Account
	// CanResume is true when a bank session is stored (quick login with an
	// OTP step-up); HasUsername when the password-only variant can be used.
	CanResume   bool
	HasUsername bool
}

// LinkedBanks lists the banks a customer connected, newest first.
func (s *Service) LinkedBanks(ctx context.Context, scope domain.Scope, customerID domain.ID) ([]LinkedBank, error) {
	records, err := s.store.Records().ListByCustomer(ctx, scope, customerID)
	if err != nil {
		return nil, fmt.Errorf("list records of %s: %w", customerID, err)
	}
	sort.SliceStable(records, func(i, j int) bool { return records[i].UpdatedAt.After(records[j].UpdatedAt) })
	seen := map[domain.ID]bool{}
	var out []LinkedBank
	for _, r := range records {
		if seen[r.BankID] || r.Status == domain.RecordRemoved || r.Status == domain.RecordFailed {
			continue
		}
		accounts, err := s.store.Accounts().ListByRecord(ctx, scope, r.ID)
		if err != nil {
			return nil, fmt.Errorf("list accounts of record %s: %w", r.ID, err)
		}
		var connected []domain.Account
		for _, a := range accounts {
			if a.Connected {
				connected = append(connected, a)
			}
		}
		if len(connected) == 0 {
			continue
		}
		bank, err := s.store.Banks().Get(ctx, r.BankID)
		if err != nil {
			return nil, fmt.Errorf("load bank %s: %w", r.BankID, err)
		}
		seen[r.BankID] = true
		out = append(out, LinkedBank{Bank: bank, Record: r, Accounts: connected,
			CanResume: len(r.SealedSession) > 0, HasUsername: len(r.SealedUsername) > 0})
	}
	return out, nil
}

// Decision is what the duplicate policy says about a link.
type Decision struct {
	CustomerID domain.ID
	// Merged is true when the link was attached to the customer who
	// already owned the account instead of the one linking.
	Merged bool
}

// Resolve applies the company's policy when the customer linking
// (candidate, may be empty) differs from the customer who already owns one
// of the accounts (owner, may be empty).
func Resolve(policy domain.DuplicatePolicy, candidate, owner domain.ID) (Decision, error) {
	switch {
	case owner == "" || owner == candidate:
		return Decision{CustomerID: candidate}, nil
	case candidate == "":
		// Nobody else is known: the same person linking again.
		return Decision{CustomerID: owner}, nil
	}
	switch policy {
	case domain.DuplicateReject:
		return Decision{}, &domain.Error{Kind: domain.KindDuplicateAccount, Code: "DUPLICATE_ACCOUNT",
			Message: "this bank account is already linked to another customer of this company"}
	case domain.DuplicateAllow:
		return Decision{CustomerID: candidate}, nil
	default: // merge
		return Decision{CustomerID: owner, Merged: true}, nil
	}
}
