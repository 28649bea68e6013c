package domain

import "time"

// Page limits of the API.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 100
	// MaxPageNumber keeps (page-1)*limit far inside every engine's OFFSET
	// range; nobody pages a hundred million rows deep.
	MaxPageNumber = 1_000_000
)

// Page asks for one page of a list; Number is 1-based.
type Page struct {
	Number int
	Limit  int
}

// Normalize fills defaults and clamps the limit.
func (p Page) Normalize() Page {
	if p.Number < 1 {
		p.Number = 1
	}
	if p.Limit < 1 {
		p.Limit = DefaultPageLimit
	}
	if p.Limit > MaxPageLimit {
		p.Limit = MaxPageLimit
	}
	if p.Number > MaxPageNumber {
		p.Number = MaxPageNumber
	}
	return p
}

// Offset is the number of rows before the page.
func (p Page) Offset() int { return (p.Number - 1) * p.Limit }

// Scope is the tenant and environment every query is confined to.
type Scope struct {
	CompanyID ID
	Env       Env
}

// ListFilter narrows a list within a scope. Zero fields do not filter.
// From and To are inclusive days in UTC.
type ListFilter struct {
	CustomerID ID
	BankID     ID
	AccountID  ID
	RecordID   ID
	From       time.Time // start of the first day, inclusive
	To         time.Time // start of the day after the last, exclusive
	// Name matches an account's name, ignoring case.
	Name string
	// Currency, MinAvailable and MinLedger narrow balances (balance/getByType).
	Currency     string
	MinAvailable *Minor
	MinLedger    *Minor
	Page         Page
}

// PageInfo is the mongoose-paginate block Okra returns with every list.
type PageInfo struct {
	TotalDocs     int  `json:"totalDocs"`
	Limit         int  `json:"limit"`
	HasPrevPage   bool `json:"hasPrevPage"`
	HasNextPage   bool `json:"hasNextPage"`
	Page          int  `json:"page"`
	TotalPages    int  `json:"totalPages"`
	PagingCounter int  `json:"pagingCounter"`
	PrevPage      *int `json:"prevPage"`
	NextPage      *int `json:"nextPage"`
}

// NewPageInfo computes the block for a page of a list of total items.
func NewPageInfo(p Page, total int) PageInfo {
	p = p.Normalize()
	pages := (total + p.Limit - 1) / p.Limit
	if pages < 1 {
		pages = 1
	}
	info := PageInfo{
		TotalDocs: total, Limit: p.Limit, Page: p.Number, TotalPages: pages,
		PagingCounter: p.Offset() + 1,
		HasPrevPage:   p.Number > 1, HasNextPage: p.Number < pages,
	}
	if info.HasPrevPage {
		prev := p.Number - 1
		info.PrevPage = &prev
	}
	if info.HasNextPage {
		next := p.Number + 1
		info.NextPage = &next
	}
	return info
}
