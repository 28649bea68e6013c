package httpapi

import (
	"context"
	"net/http"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

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
		return okraListHandler("accounts", "Accounts retrieved successfully", need, q.Accounts, okra.PresentAccount)
	}
	get := func(ctx context.Context, s domain.Scope, id domain.ID) (okra.Account, error) {
		v, err := q.Account(ctx, s, id)
		return okra.PresentAccount(v), err
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
