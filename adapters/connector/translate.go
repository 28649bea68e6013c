package connector

// All translation between the SDK's types and the domain's lives in this
// file: the rest of the package speaks domain types to its callers and SDK
// types to connectors.

import (
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/plugins/sdk"
)

func stepFromSDK(s sdk.Step) domain.BankStep {
	out := domain.BankStep{FlowState: s.FlowState}
	switch {
	case s.Challenge != nil:
		out.Challenge = &domain.BankChallenge{
			Kind:         string(s.Challenge.Kind),
			Prompt:       s.Challenge.Prompt,
			USSDCode:     s.Challenge.USSDCode,
			AttemptsLeft: s.Challenge.AttemptsLeft,
			ExpiresAt:    s.Challenge.ExpiresAt,
		}
	case s.Pending != nil:
		out.Pending = &domain.BankPending{PollAfter: s.Pending.PollAfter}
	case s.Authenticated != nil:
		out.Authenticated = &domain.BankLogin{
			Session:  s.Authenticated.Session,
			Accounts: accountsFromSDK(s.Authenticated.Accounts),
			Owner:    ownerFromSDK(s.Authenticated.Owner),
			Identity: personFromSDK(s.Authenticated.Identity),
		}
	case s.Rejected != nil:
		out.Rejected = rejectionFromSDK(s.Rejected)
	}
	return out
}

func accountsFromSDK(as []sdk.Account) []domain.BankAccount {
	if as == nil {
		return nil
	}
	out := make([]domain.BankAccount, len(as))
	for i, a := range as {
		out[i] = domain.BankAccount{
			Ref:       a.ID,
			NUBAN:     a.NUBAN,
			Name:      a.Name,
			Type:      a.Type,
			Currency:  a.Currency,
			Available: minorPtr(a.AvailableMinor),
			Ledger:    minorPtr(a.LedgerMinor),
		}
	}
	return out
}

func minorPtr(v *int64) *domain.Minor {
	if v == nil {
		return nil
	}
	m := domain.Minor(*v)
	return &m
}

func ownerFromSDK(o sdk.Owner) domain.BankOwner {
	return domain.BankOwner{Name: o.Name, BVN: o.BVN, Phone: o.Phone, Email: o.Email}
}

func personFromSDK(i *sdk.Identity) *domain.Person {
	if i == nil {
		return nil
	}
	return &domain.Person{
		FullName: i.FullName(), FirstName: i.FirstName, MiddleName: i.MiddleName, LastName: i.LastName,
		DOB: i.DateOfBirth, Gender: string(i.Gender), BVN: i.BVN, NIN: i.NIN,
		Phones:    append([]string(nil), i.Phones...),
		Emails:    append([]string(nil), i.Emails...),
		Addresses: append([]string(nil), i.Addresses...),
	}
}

func identityFromSDK(r sdk.IdentityResult) domain.BankIdentity {
	return domain.BankIdentity{Person: personFromSDK(r.Identity), Rejected: rejectionFromSDK(r.Rejected), RotatedSession: r.RotatedSession}
}

// rejectionFromSDK keeps the reason string: the SDK's reasons and the
// domain's Reject* constants are the same protocol enum names.
func rejectionFromSDK(r *sdk.Rejected) *domain.BankRejection {
	if r == nil {
		return nil
	}
	return &domain.BankRejection{Reason: string(r.Reason), Message: r.Message, Retryable: r.Retryable}
}

func balancesFromSDK(r sdk.BalanceResult) domain.BankBalances {
	out := domain.BankBalances{Rejected: rejectionFromSDK(r.Rejected), RotatedSession: r.RotatedSession}
	if len(r.Balances) > 0 {
		out.Balances = make([]domain.BankBalance, len(r.Balances))
		for i, b := range r.Balances {
			out.Balances[i] = domain.BankBalance{
				Ref:       b.AccountID,
				Available: domain.Minor(b.AvailableMinor),
				Ledger:    domain.Minor(b.LedgerMinor),
				Currency:  b.Currency,
				AsOf:      b.AsOf,
			}
		}
	}
	return out
}

func methodToSDK(m domain.LoginMethod) sdk.Method { return sdk.Method(m) }

// bankFromSDK is a bank as the catalog stores it. The caller sets ID,
// status and timestamps.
func bankFromSDK(connector string, production bool, b sdk.Bank) domain.Bank {
	out := domain.Bank{
		Slug:       b.ID,
		Name:       b.Name,
		Country:    b.Country,
		Code:       b.Code,
		Connector:  connector,
		Production: production,
		Methods:    make([]domain.LoginMethod, 0, len(b.Methods)),
		MFAKinds:   make([]string, 0, len(b.MFAKinds)),
		Products:   append([]string{}, b.Products...),
	}
	for _, m := range b.Methods {
		out.Methods = append(out.Methods, domain.LoginMethod(m))
	}
	for _, k := range b.MFAKinds {
		out.MFAKinds = append(out.MFAKinds, string(k))
	}
	return out
}
