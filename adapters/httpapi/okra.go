package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/reads"
)

// Reader is the read side the Okra routes serve (core/reads.Queries).
type Reader interface {
	Auths(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]reads.Auth, int, error)
	Auth(ctx context.Context, s domain.Scope, id domain.ID) (reads.Auth, error)
	AuthByRecord(ctx context.Context, s domain.Scope, recordID domain.ID) (reads.Auth, error)
	Customers(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]domain.Customer, int, error)
	Customer(ctx context.Context, s domain.Scope, id domain.ID) (domain.Customer, error)
	Records(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]reads.Record, int, error)
	Record(ctx context.Context, s domain.Scope, id domain.ID) (reads.Record, error)
	Accounts(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]reads.Account, int, error)
	Account(ctx context.Context, s domain.Scope, id domain.ID) (reads.Account, error)
}

// pageRequest is the paging part every list body has.
type pageRequest struct {
	Page  flexInt `json:"page"`
	Limit flexInt `json:"limit"`
}

func (p pageRequest) page() (domain.Page, error) {
	if p.Page < 0 || p.Page > domain.MaxPageNumber {
		return domain.Page{}, domain.Invalid("page", fmt.Sprintf("must be between 1 and %d", domain.MaxPageNumber))
	}
	if p.Limit < 0 || p.Limit > domain.MaxPageLimit {
		return domain.Page{}, domain.Invalid("limit", "must be between 1 and 100")
	}
	return domain.Page{Number: int(p.Page), Limit: int(p.Limit)}.Normalize(), nil
}

// dateRange is the from/to part of date filters: YYYY-MM-DD, inclusive.
type dateRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func (d dateRange) apply(f *domain.ListFilter, required bool) error {
	if required && d.From == "" {
		return domain.Invalid("from", "is required (YYYY-MM-DD)")
	}
	if required && d.To == "" {
		return domain.Invalid("to", "is required (YYYY-MM-DD)")
	}
	if d.From != "" {
		t, err := time.Parse(time.DateOnly, d.From)
		if err != nil {
			return domain.Invalid("from", "must be a date written YYYY-MM-DD")
		}
		f.From = t
	}
	if d.To != "" {
		t, err := time.Parse(time.DateOnly, d.To)
		if err != nil {
			return domain.Invalid("to", "must be a date written YYYY-MM-DD")
		}
		f.To = t.AddDate(0, 0, 1)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return domain.Invalid("to", "must not be before from")
	}
	return nil
}

// listBody is the union of the filter fields list endpoints take.
type listBody struct {
	pageRequest
	dateRange
	ID        string `json:"id"`
	Customer  string `json:"customer"`
	Bank      string `json:"bank"`
	AccountID string `json:"account_id"`
	// Account is okra-node 0.1's name for account_id.
	Account string `json:"account"`
	Name    string `json:"name"`
}

// listHandler decodes a list body, validates the fields the route needs,
// and answers with the collection under key.
func listHandler[T any, V any](key, message string, need func(listBody, *domain.ListFilter) error,
	list func(context.Context, domain.Scope, domain.ListFilter) ([]T, int, error), present func(T) V) http.HandlerFunc {
	return listWith(key, message, need, list, func(items []T) any {
		out := make([]V, 0, len(items))
		for _, it := range items {
			out = append(out, present(it))
		}
		return out
	})
}

// okraListHandler is listHandler for Okra's objects, which write their own
// JSON: each row is presented as the body is written.
func okraListHandler[T any, V okra.RowAppender](key, message string, need func(listBody, *domain.ListFilter) error,
	list func(context.Context, domain.Scope, domain.ListFilter) ([]T, int, error), present func(T) V) http.HandlerFunc {
	return listWith(key, message, need, list, func(items []T) any { return presentedList[T, V]{items, present} })
}

// listWith is the list handler with shape turning a page into what is
// answered under key.
func listWith[T any](key, message string, need func(listBody, *domain.ListFilter) error,
	list func(context.Context, domain.Scope, domain.ListFilter) ([]T, int, error), shape func([]T) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body listBody
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		page, err := body.page()
		if err != nil {
			writeError(w, r, err)
			return
		}
		f := domain.ListFilter{Page: page}
		if need != nil {
			if err := need(body, &f); err != nil {
				writeError(w, r, err)
				return
			}
		}
		c, _ := callerFrom(r.Context())
		items, total, err := list(r.Context(), c.Scope(), f)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, message, map[string]any{"pagination": domain.NewPageInfo(page, total), key: shape(items)})
	}
}

// getObject is getByID for the routes where Okra answered the object
// itself under key, with pagination null.
func getObject[V any](field, key, message string, get func(context.Context, domain.Scope, domain.ID) (V, error)) http.HandlerFunc {
	return getByIDWith(field, get, func(w http.ResponseWriter, v V) {
		ok(w, message, map[string]any{"pagination": nil, key: v})
	})
}

// one answers a single object in a list-shaped envelope, as Okra did for
// getById.
func one[V any](w http.ResponseWriter, key, message string, v V) {
	ok(w, message, map[string]any{"pagination": domain.NewPageInfo(domain.Page{Number: 1, Limit: 1}, 1), key: []V{v}})
}

// requiredID checks a required id field.
func requiredID(field, v string) (string, error) {
	if v == "" {
		return "", domain.Invalid(field, "is required")
	}
	if !domain.ValidID(v) {
		return "", domain.Invalid(field, "must be a 24-character hex id")
	}
	return v, nil
}

func needID(field string, get func(listBody) string, set func(*domain.ListFilter, string)) func(listBody, *domain.ListFilter) error {
	return func(b listBody, f *domain.ListFilter) error {
		v, err := requiredID(field, get(b))
		if err != nil {
			return err
		}
		set(f, v)
		return nil
	}
}

func needDates(b listBody, f *domain.ListFilter) error { return b.dateRange.apply(f, true) }

func both(a, b func(listBody, *domain.ListFilter) error) func(listBody, *domain.ListFilter) error {
	return func(l listBody, f *domain.ListFilter) error {
		if err := a(l, f); err != nil {
			return err
		}
		return b(l, f)
	}
}

var (
	needCustomer = needID("customer", func(b listBody) string { return b.Customer }, func(f *domain.ListFilter, v string) { f.CustomerID = v })
	needBank     = needID("bank", func(b listBody) string { return b.Bank }, func(f *domain.ListFilter, v string) { f.BankID = v })
)

// getByID decodes {id} (or another field) and answers one object.
func getByID[V any](field, key, message string, get func(context.Context, domain.Scope, domain.ID) (V, error)) http.HandlerFunc {
	return getByIDWith(field, get, func(w http.ResponseWriter, v V) { one(w, key, message, v) })
}

// getByIDWith decodes {field} and answers the object with answer.
func getByIDWith[V any](field string, get func(context.Context, domain.Scope, domain.ID) (V, error), answer func(http.ResponseWriter, V)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		raw, present := body[field]
		id, isString := raw.(string)
		switch {
		case !present || raw == nil || id == "":
			writeError(w, r, domain.Invalid(field, "is required"))
			return
		case !isString:
			writeError(w, r, domain.Invalid(field, "must be a string"))
			return
		}
		c, _ := callerFrom(r.Context())
		v, err := get(r.Context(), c.Scope(), id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		answer(w, v)
	}
}

// OkraRoutes are the Okra v2 read routes for auths, customers, records and
// accounts.
func OkraRoutes(q Reader) Routes {
	authList := func(need func(listBody, *domain.ListFilter) error) http.HandlerFunc {
		return okraListHandler("auths", "Auth retrieved successfully", need, q.Auths, okra.PresentAuth)
	}
	getAuth := func(ctx context.Context, s domain.Scope, id domain.ID) (okra.Auth, error) {
		v, err := q.Auth(ctx, s, id)
		return okra.PresentAuth(v), err
	}
	getRecord := func(ctx context.Context, s domain.Scope, id domain.ID) (okra.RecordDetail, error) {
		v, err := q.Record(ctx, s, id)
		return okra.PresentRecordDetail(v), err
	}
	return Routes{
		{Method: http.MethodPost, Path: "products/auths", Access: SecretKey, Tag: "auth", Summary: "List auths.", Request: "PageRequest", Response: "AuthList",
			Handler: authList(nil)},
		{Method: http.MethodPost, Path: "auth/getById", Access: SecretKey, Tag: "auth", Summary: "One auth by id.", Request: "IDRequest", Response: "AuthList",
			Handler: getByID("id", "auths", "Auth retrieved successfully", getAuth)},
		{Method: http.MethodPost, Path: "auth/getByCustomer", Access: SecretKey, Tag: "auth", Summary: "Auths of a customer.", Request: "CustomerPageRequest", Response: "AuthList",
			Handler: authList(needCustomer)},
		{Method: http.MethodPost, Path: "auth/getByDate", Access: SecretKey, Tag: "auth", Summary: "Auths created between two dates (inclusive).", Request: "DatePageRequest", Response: "AuthList",
			Handler: authList(needDates)},
		{Method: http.MethodPost, Path: "auth/getByBank", Access: SecretKey, Tag: "auth", Summary: "Auths at a bank.", Request: "BankPageRequest", Response: "AuthList",
			Handler: authList(needBank)},
		{Method: http.MethodPost, Path: "auth/getByCustomerDate", Access: SecretKey, Tag: "auth", Summary: "Auths of a customer between two dates.", Request: "CustomerDatePageRequest", Response: "AuthList",
			Handler: authList(both(needCustomer, needDates))},
		{Method: http.MethodPost, Path: "customers/list", Access: SecretKey, Tag: "customers", Summary: "List customers.", Request: "PageRequest", Response: "CustomerList",
			Handler: okraListHandler("customers", "Customers retrieved successfully", nil, q.Customers, okra.PresentCustomer)},
		{Method: http.MethodPost, Path: "records/list", Access: SecretKey, Tag: "records", Summary: "List records.", Request: "PageRequest", Response: "RecordList",
			Handler: okraListHandler("records", "Records retrieved successfully", nil, q.Records, okra.PresentRecord)},
		{Method: http.MethodPost, Path: "products/records/get", Access: SecretKey, Tag: "records", Summary: "One record by record_id, in Okra's shape: records is the object and pagination null.", Request: "RecordIDRequest", Response: "RecordOne",
			Handler: getObject("record_id", "records", "Record retrieved successfully", getRecord)},
	}
}
