package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

// CustomerAdmin finds and removes customers (core/auth.Customers).
type CustomerAdmin interface {
	FindBy(ctx context.Context, s domain.Scope, key, value string) ([]domain.Customer, error)
	Remove(ctx context.Context, s domain.Scope, id domain.ID) error
	SetFlagged(ctx context.Context, s domain.Scope, id domain.ID, flagged bool) (domain.Customer, error)
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
		out := make([]okra.Customer, 0, len(list))
		for _, cu := range list {
			out = append(out, okra.PresentCustomer(cu))
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
		one(w, "customers", "Customer retrieved successfully", okra.PresentCustomer(cu))
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
