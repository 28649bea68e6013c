package httpapi

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/jobs"
	"github.com/bankauth/bankauth/core/okra"
)

// CallbackMethod answers one method of GET callback; features add theirs
// to the fx group "callbacks".
type CallbackMethod struct {
	Method  domain.EventMethod
	Handler CallbackHandler
}

// CallbackRoutes serve GET callback?record=&method=AUTH and the methods
// other features add.
func CallbackRoutes(q Reader, more []CallbackMethod) Routes {
	handlers := map[string]CallbackHandler{string(domain.MethodAuth): authCallback(q)}
	for _, m := range more {
		handlers[string(m.Method)] = m.Handler
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
	Auth     *okra.Auth         `json:"auth"`
	Product  string             `json:"product"`
	Record   string             `json:"record"`
	Products okra.ProductFlags  `json:"products"`
	Status   authCallbackStatus `json:"status"`
}

type authCallbackStatus struct {
	Record  domain.RecordStatus `json:"record"`
	Process jobs.Process        `json:"process"`
}

func authCallback(q Reader) CallbackHandler {
	return func(ctx context.Context, s domain.Scope, recordID domain.ID) (any, error) {
		rv, err := q.Record(ctx, s, recordID)
		if err != nil {
			return nil, err
		}
		out := authCallbackData{
			Product: "auth", Record: rv.Record.ID, Products: okra.Flags(rv.Record.Products),
			Status: authCallbackStatus{Record: rv.Record.Status, Process: jobs.Process{Completed: true}},
		}
		if rv.Auth != nil {
			av, err := q.AuthByRecord(ctx, s, recordID)
			if err != nil {
				return nil, err
			}
			a := okra.PresentAuth(av)
			out.Auth = &a
		}
		return out, nil
	}
}
