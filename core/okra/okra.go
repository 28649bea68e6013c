// Package okra is Okra's v2 wire vocabulary: the objects the API, the
// callbacks, the success payload and the webhooks send, the references
// they populate, and how each is presented from the read side's views.
// Every shape is here once, so a field changes in one place.
package okra

import (
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// Time writes t the way Okra's API did: ISO 8601 UTC with milliseconds;
// an unset time is the empty string.
func Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(stampLayout)
	}
	// Every object carries two of these: writing the fixed layout by hand
	// skips Format's reading of the layout, which a page pays 200 times.
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	b := [len(stampLayout)]byte{
		'0' + byte(year/1000), '0' + byte(year/100%10), '0' + byte(year/10%10), '0' + byte(year%10), '-',
		'0' + byte(month/10), '0' + byte(month%10), '-', '0' + byte(day/10), '0' + byte(day%10), 'T',
		'0' + byte(hour/10), '0' + byte(hour%10), ':', '0' + byte(minute/10), '0' + byte(minute%10), ':',
		'0' + byte(sec/10), '0' + byte(sec%10), '.', '0' + byte(ms/100), '0' + byte(ms/10%10), '0' + byte(ms%10), 'Z',
	}
	return string(b[:])
}

const stampLayout = "2006-01-02T15:04:05.000Z"

// BankIcon is the served path of a bank's icon.
func BankIcon(b domain.Bank) string {
	if b.Slug == "" {
		return ""
	}
	return "/widget/assets/bank.svg#" + b.Slug
}

// BankRef is a bank as a balance's account carries it.
type BankRef struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Icon string `json:"icon"`
	Logo string `json:"logo"`
}

// PresentBankRef references b.
func PresentBankRef(b domain.Bank) BankRef {
	icon := BankIcon(b)
	return BankRef{ID: b.ID, Name: b.Name, Slug: b.Slug, Icon: icon, Logo: icon}
}

// BankRefWithStatus is a bank as auths, records and accounts carry it:
// the reference with the bank's status, which Okra added there only.
type BankRefWithStatus struct {
	BankRef
	Status string `json:"status"`
}

// PresentBankRefWithStatus references b with its status; a bank without
// one is operational.
func PresentBankRefWithStatus(b domain.Bank) BankRefWithStatus {
	status := b.Status
	if status == "" {
		status = domain.BankOperational
	}
	return BankRefWithStatus{BankRef: PresentBankRef(b), Status: status}
}

// CustomerRef is a customer as the objects that belong to one carry it.
type CustomerRef struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
}

// PresentCustomerRef references c.
func PresentCustomerRef(c domain.Customer) CustomerRef { return CustomerRef{ID: c.ID, Name: c.Name} }

// AccountRef is the account a balance belongs to, with its bank.
type AccountRef struct {
	ID    string  `json:"_id"`
	NUBAN string  `json:"nuban"`
	Name  string  `json:"name"`
	Type  string  `json:"type"`
	Bank  BankRef `json:"bank"`
}

// PresentAccountRef references a with its bank b.
func PresentAccountRef(a domain.Account, b domain.Bank) AccountRef {
	return AccountRef{ID: a.ID, NUBAN: a.NUBAN, Name: a.Name, Type: a.Type, Bank: PresentBankRef(b)}
}

// ProductFlags is a record's products in Okra's callback shape: an object
// with a boolean per product Okra's callbacks named, true for the
// record's.
type ProductFlags map[string]bool

// callbackProducts are the keys Okra's callbacks always carried.
var callbackProducts = []string{"auth", "balance", "identity", "accounts", "transactions", "income", "direct-debit"}

// Flags turns a record's product list into ProductFlags.
func Flags(products []string) ProductFlags {
	out := ProductFlags{}
	for _, p := range callbackProducts {
		out[p] = false
	}
	for _, p := range products {
		out[p] = true
	}
	return out
}

// orEmpty is v, or an empty list where Okra never sent null.
func orEmpty(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// orNull is s, or null where Okra sent null for a missing value.
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// deref is *p, or the zero value for nil: a view's bank and customer are
// the answer's shared copies, and a view built by hand may leave them out.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
