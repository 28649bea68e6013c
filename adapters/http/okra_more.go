package httpapi

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/domain"
)

// CustomerAdmin finds and removes customers (core/auth.Customers).
type CustomerAdmin interface {
	FindBy(ctx context.Context, s domain.Scope, key, value string) ([]domain.Customer, error)
	Remove(ctx context.Context, s domain.Scope, id domain.ID) error
}

type okraAccount struct {
	ID          string      `json:"id"`
	MongoID     string      `json:"_id"`
	Name        string      `json:"name"`
	NUBAN       string      `json:"nuban"`
	Type        string      `json:"type"`
	Currency    string      `json:"currency"`
	Connected   bool        `json:"connected"`
	Customer    customerRef `json:"customer"`
	Bank        bankRef     `json:"bank"`
	Record      string      `json:"record"`
	Owner       string      `json:"owner"`
	Env         domain.Env  `json:"env"`
	CreatedAt   string      `json:"created_at"`
	LastUpdated string      `json:"last_updated"`
}

func presentAccount(v auth.AccountView) okraAccount {
	a := v.Account
	return okraAccount{ID: a.ID, MongoID: a.ID, Name: a.Name, NUBAN: a.NUBAN, Type: a.Type, Currency: a.Currency,
		Connected: a.Connected, Customer: presentCustomerRef(v.Customer), Bank: presentBankRef(v.Bank),
		Record: a.RecordID, Owner: a.CompanyID, Env: a.Env, CreatedAt: ts(a.CreatedAt), LastUpdated: ts(a.UpdatedAt)}
}

// AccountRoutes are the Okra account routes.
func AccountRoutes(q Reader) Routes {
	accountList := func(need func(listBody, *domain.ListFilter) error) http.HandlerFunc {
		return listHandler("accounts", "Accounts retrieved successfully", need, q.Accounts, presentAccount)
	}
	byID := getByID("id", "accounts", "Account retrieved successfully",
		func(ctx context.Context, s domain.Scope, id domain.ID) (okraAccount, error) {
			v, err := q.Account(ctx, s, id)
			return presentAccount(v), err
		})
	return Routes{
		{Method: http.MethodPost, Path: "products/accounts", Access: SecretKey, Tag: "accounts", Summary: "List accounts.", Request: "PageRequest", Response: "AccountList", Handler: accountList(nil)},
		{Method: http.MethodPost, Path: "accounts/getById", Access: SecretKey, Tag: "accounts", Summary: "One account by id.", Request: "IDRequest", Response: "AccountList", Handler: byID},
		{Method: http.MethodPost, Path: "accounts/getByCustomer", Access: SecretKey, Tag: "accounts", Summary: "Accounts of a customer.", Request: "CustomerPageRequest", Response: "AccountList", Handler: accountList(needCustomer)},
		{Method: http.MethodPost, Path: "accounts/getByBank", Access: SecretKey, Tag: "accounts", Summary: "Accounts at a bank.", Request: "BankPageRequest", Response: "AccountList", Handler: accountList(needBank)},
	}
}

// CustomerRoutes are the Okra customer routes beyond the list.
func CustomerRoutes(q Reader, admin CustomerAdmin) Routes {
	find := func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		}
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		if body.Key == "" {
			writeError(w, r, domain.Invalid("key", "is required"))
			return
		}
		c, _ := callerFrom(r.Context())
		list, err := admin.FindBy(r.Context(), c.Scope(), body.Key, body.Value)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]okraCustomer, 0, len(list))
		for _, cu := range list {
			out = append(out, presentCustomer(cu))
		}
		ok(w, "Customers retrieved successfully", map[string]any{
			"pagination": domain.NewPageInfo(domain.Page{Number: 1, Limit: domain.MaxPageLimit}, len(out)), "customers": out,
		})
	}
	get := getByID("customer", "customers", "Customer retrieved successfully",
		func(ctx context.Context, s domain.Scope, id domain.ID) (okraCustomer, error) {
			cu, err := q.Customer(ctx, s, id)
			return presentCustomer(cu), err
		})
	remove := func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Customer string `json:"customer"`
		}
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		if body.Customer == "" {
			writeError(w, r, domain.Invalid("customer", "is required"))
			return
		}
		c, _ := callerFrom(r.Context())
		if err := admin.Remove(r.Context(), c.Scope(), body.Customer); err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, "Customer removed", map[string]any{"customer": body.Customer, "removed": true})
	}
	return Routes{
		{Method: http.MethodPost, Path: "customers/find-customers-by", Access: SecretKey, Tag: "customers", Summary: "Find customers by name or an identifier.", Request: "FindCustomers", Response: "CustomerList", Handler: find},
		{Method: http.MethodPost, Path: "customers/get", Access: SecretKey, Tag: "customers", Summary: "One customer.", Request: "CustomerRequest", Response: "CustomerList", Handler: get},
		{Method: http.MethodPost, Path: "customers/remove", Access: SecretKey, Tag: "customers", Summary: "Delete a customer's identifiers and sessions; mark their records removed.", Request: "CustomerRequest", Handler: remove},
	}
}

// CallbackMethod answers one method of GET callback; features add theirs
// to the fx group "callbacks".
type CallbackMethod struct {
	Method  string
	Handler CallbackHandler
}

// CallbackRoutes serve GET callback?record=&method=AUTH and the methods
// other features add.
func CallbackRoutes(q Reader, more []CallbackMethod) Routes {
	handlers := map[string]CallbackHandler{"AUTH": authCallback(q)}
	for _, m := range more {
		handlers[m.Method] = m.Handler
	}
	known := strings.Join(slices.Sorted(maps.Keys(handlers)), ", ")
	h := func(w http.ResponseWriter, r *http.Request) {
		record, method := r.URL.Query().Get("record"), r.URL.Query().Get("method")
		if record == "" {
			writeError(w, r, domain.Invalid("record", "is required"))
			return
		}
		fn, found := handlers[method]
		if !found {
			writeError(w, r, domain.Invalid("method", "must be one of "+known))
			return
		}
		c, _ := callerFrom(r.Context())
		data, err := fn(r.Context(), c.Scope(), record)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, "Callback data retrieved successfully", data)
	}
	return Routes{{Method: http.MethodGet, Path: "callback", Access: SecretKey, Tag: "records", Summary: "A record's result for a product (method AUTH, BALANCE or IDENTITY).", Query: []string{"record", "method"}, Handler: h}}
}

// CallbackHandler answers one method of the callback route.
type CallbackHandler func(ctx context.Context, s domain.Scope, recordID domain.ID) (any, error)

func authCallback(q Reader) CallbackHandler {
	return func(ctx context.Context, s domain.Scope, recordID domain.ID) (any, error) {
		rv, err := q.Record(ctx, s, recordID)
		if err != nil {
			return nil, err
		}
		products := map[string]any{"auth": false, "balance": false, "identity": false, "accounts": false, "transactions": false, "income": false, "direct-debit": false}
		for _, p := range rv.Record.Products {
			products[p] = true
		}
		out := map[string]any{
			"product": "auth", "record": rv.Record.ID, "products": products,
			"status": map[string]any{"record": rv.Record.Status, "process": map[string]any{"running": false, "completed": true}},
		}
		if rv.Auth != nil {
			av, err := q.AuthByRecord(ctx, s, recordID)
			if err != nil {
				return nil, err
			}
			out["auth"] = presentAuth(av)
		} else {
			out["auth"] = nil
		}
		return out, nil
	}
}
