package httpapi

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/bankauth/bankauth/core/auth"
	"github.com/bankauth/bankauth/core/balance"
	"github.com/bankauth/bankauth/core/domain"
)

// CustomerAdmin finds and removes customers (core/auth.Customers).
type CustomerAdmin interface {
	FindBy(ctx context.Context, s domain.Scope, key, value string) ([]domain.Customer, error)
	Remove(ctx context.Context, s domain.Scope, id domain.ID) error
	SetFlagged(ctx context.Context, s domain.Scope, id domain.ID, flagged bool) (domain.Customer, error)
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

var needName = func(b listBody, f *domain.ListFilter) error {
	if b.Name == "" {
		return domain.Invalid("name", "is required")
	}
	f.Name = b.Name
	return nil
}

// AccountRoutes are the Okra account routes.
func AccountRoutes(q Reader) Routes {
	accountList := func(need func(listBody, *domain.ListFilter) error) http.HandlerFunc {
		return listHandler("accounts", "Accounts retrieved successfully", need, q.Accounts, presentAccount)
	}
	get := func(ctx context.Context, s domain.Scope, id domain.ID) (okraAccount, error) {
		v, err := q.Account(ctx, s, id)
		return presentAccount(v), err
	}
	return Routes{
		{Method: http.MethodPost, Path: "products/accounts", Access: SecretKey, Tag: "accounts", Summary: "List accounts.", Request: "PageRequest", Response: "AccountList", Handler: accountList(nil)},
		{Method: http.MethodPost, Path: "accounts/getById", Access: SecretKey, Tag: "accounts", Summary: "One account by id.", Request: "IDRequest", Response: "AccountList",
			Handler: getByID("id", "accounts", "Account retrieved successfully", get)},
		{Method: http.MethodPost, Path: "accounts/getAccountDetails", Access: SecretKey, Tag: "accounts", Summary: "One account by id, sent as account (okra-node's getAccountDetails).", Request: "AccountRequest", Response: "AccountList",
			Handler: getByID("account", "accounts", "Account details retrieved successfully", get)},
		{Method: http.MethodPost, Path: "accounts/getByCustomer", Access: SecretKey, Tag: "accounts", Summary: "Accounts of a customer.", Request: "CustomerPageRequest", Response: "AccountList", Handler: accountList(needCustomer)},
		{Method: http.MethodPost, Path: "accounts/getByCustomerDate", Access: SecretKey, Tag: "accounts", Summary: "Accounts of a customer linked between two dates (inclusive).", Request: "CustomerDatePageRequest", Response: "AccountList",
			Handler: accountList(both(needCustomer, needDates))},
		{Method: http.MethodPost, Path: "account/getByCustomerDate", Access: SecretKey, Tag: "accounts", Summary: "okra-node 0.1's spelling of accounts/getByCustomerDate.", Request: "CustomerDatePageRequest", Response: "AccountList",
			Handler: accountList(both(needCustomer, needDates))},
		{Method: http.MethodPost, Path: "accounts/getByDate", Access: SecretKey, Tag: "accounts", Summary: "Accounts linked between two dates (inclusive).", Request: "DatePageRequest", Response: "AccountList", Handler: accountList(needDates)},
		{Method: http.MethodPost, Path: "accounts/getByBank", Access: SecretKey, Tag: "accounts", Summary: "Accounts at a bank.", Request: "BankPageRequest", Response: "AccountList", Handler: accountList(needBank)},
		{Method: http.MethodPost, Path: "accounts/getByName", Access: SecretKey, Tag: "accounts", Summary: "Accounts whose name is exactly this one, ignoring case.", Request: "NamePageRequest", Response: "AccountList", Handler: accountList(needName)},
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
	// customers/get takes {customer} or, as okra-node 0.1's
	// getCustomerByIdentity sent it, {type, value} (type bvn, nin, phone,
	// email or id).
	get := func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Customer json.RawMessage `json:"customer"`
			Type     string          `json:"type"`
			Value    string          `json:"value"`
		}
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		c, _ := callerFrom(r.Context())
		var cu domain.Customer
		switch {
		case !absent(body.Customer) || body.Type == "":
			id, err := rawString("customer", body.Customer)
			if err == nil && id == "" {
				err = domain.Invalid("customer", "is required (or give type and value)")
			}
			if err == nil {
				cu, err = q.Customer(r.Context(), c.Scope(), id)
			}
			if err != nil {
				writeError(w, r, err)
				return
			}
		default:
			found, err := admin.FindBy(r.Context(), c.Scope(), body.Type, body.Value)
			if de, isDomain := domain.AsError(err); isDomain && de.Field == "key" {
				err = domain.Invalid("type", "must be one of bvn, nin, phone, email, id, _id, name")
			}
			if err == nil && len(found) == 0 {
				err = domain.NotFound("customer")
			}
			if err != nil {
				writeError(w, r, err)
				return
			}
			cu = found[0]
		}
		one(w, "customers", "Customer retrieved successfully", presentCustomer(cu))
	}
	flag := func(flagged bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var body struct {
				Customer string          `json:"customer"`
				Bank     string          `json:"bank"`
				Unflag   json.RawMessage `json:"unflag"`
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
			cu, err := admin.SetFlagged(r.Context(), c.Scope(), body.Customer, flagged)
			if err != nil {
				writeError(w, r, err)
				return
			}
			msg := "Customer flagged"
			if !flagged {
				msg = "Customer unflagged"
			}
			ok(w, msg, flagAnswer{Customer: cu.ID, Bank: body.Bank, Flagged: flagged})
		}
	}
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
		ok(w, "Customer removed", removedAnswer{Customer: body.Customer, Removed: true})
	}
	return Routes{
		{Method: http.MethodPost, Path: "customers/find-customers-by", Access: SecretKey, Tag: "customers", Summary: "Find customers by name or an identifier.", Request: "FindCustomers", Response: "CustomerList", Handler: find},
		{Method: http.MethodPost, Path: "customers/get", Access: SecretKey, Tag: "customers", Summary: "One customer, by customer or by {type, value} (bvn, nin, phone, email, id).", Request: "CustomerGetRequest", Response: "CustomerList", Handler: get},
		{Method: http.MethodPost, Path: "customers/remove", Access: SecretKey, Tag: "customers", Summary: "Delete a customer's identifiers and sessions; mark their records removed.", Request: "CustomerRequest", Response: "CustomerRemoved", Handler: remove},
		{Method: http.MethodPost, Path: "customers/flag", Access: SecretKey, Tag: "customers", Summary: "Flag a customer: until unflagged, their links fail at the final step with 403 FLAGGED_USER (at every bank; bank is echoed).", Request: "FlagRequest", Response: "Flag", Handler: flag(true)},
		{Method: http.MethodPost, Path: "customers/unflag", Access: SecretKey, Tag: "customers", Summary: "Lift a customer's flag.", Request: "FlagRequest", Response: "Flag", Handler: flag(false)},
	}
}

type removedAnswer struct {
	Customer string `json:"customer"`
	Removed  bool   `json:"removed"`
}

type flagAnswer struct {
	Customer string `json:"customer"`
	Bank     string `json:"bank,omitempty"`
	Flagged  bool   `json:"flagged"`
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
		if product, notOffered := callbackNotOffered[method]; notOffered && !found {
			productNotAvailable(product)(w, r)
			return
		}
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
	return Routes{{Method: http.MethodGet, Path: "callback", Access: SecretKey, Tag: "records", Summary: "A record's result for a product (method AUTH, BALANCE or IDENTITY).", Query: []string{"record", "method"}, Response: "Callback", Handler: h}}
}

// callbackNotOffered are Okra's callback methods of products this server
// does not offer.
var callbackNotOffered = map[string]string{
	"TRANSACTIONS": "transactions", "INCOME": "income", "PAYMENT": "payments", "PERIODIC_BALANCE": "periodic balance",
}

// CallbackHandler answers one method of the callback route.
type CallbackHandler func(ctx context.Context, s domain.Scope, recordID domain.ID) (any, error)

// authCallbackData is GET callback?method=AUTH's data in Okra's shape.
type authCallbackData struct {
	Auth     *okraAuth            `json:"auth"`
	Product  string               `json:"product"`
	Record   string               `json:"record"`
	Products balance.ProductFlags `json:"products"`
	Status   authCallbackStatus   `json:"status"`
}

type authCallbackStatus struct {
	Record  domain.RecordStatus `json:"record"`
	Process balance.CBProcess   `json:"process"`
}

func authCallback(q Reader) CallbackHandler {
	return func(ctx context.Context, s domain.Scope, recordID domain.ID) (any, error) {
		rv, err := q.Record(ctx, s, recordID)
		if err != nil {
			return nil, err
		}
		out := authCallbackData{
			Product: "auth", Record: rv.Record.ID, Products: balance.Flags(rv.Record.Products),
			Status: authCallbackStatus{Record: rv.Record.Status, Process: balance.CBProcess{Completed: true}},
		}
		if rv.Auth != nil {
			av, err := q.AuthByRecord(ctx, s, recordID)
			if err != nil {
				return nil, err
			}
			a := presentAuth(av)
			out.Auth = &a
		}
		return out, nil
	}
}
