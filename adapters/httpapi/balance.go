package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/bankauth/bankauth/core/balance"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/jobs"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/reads"
)

// BalanceService is what the balance routes need (core/balance.Service).
type BalanceService interface {
	Check(ctx context.Context, s domain.Scope, req balance.CheckRequest) (balance.CheckResult, error)
	Refresh(ctx context.Context, s domain.Scope, accountID domain.ID) (jobs.Started, error)
	RefreshResult(ctx context.Context, s domain.Scope, recordID domain.ID) (balance.Callback, error)
	Balances(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]reads.Balance, int, error)
	Balance(ctx context.Context, s domain.Scope, id domain.ID) (reads.Balance, error)
}

// needAccountID takes account_id, or account as okra-node 0.1 sent it.
var needAccountID = needID("account_id", func(b listBody) string {
	if b.AccountID != "" {
		return b.AccountID
	}
	return b.Account
}, func(f *domain.ListFilter, v string) { f.AccountID = v })

func balanceList(b BalanceService, need func(listBody, *domain.ListFilter) error) http.HandlerFunc {
	return okraListHandler("balance", "Balance retrieved successfully", need, b.Balances, okra.PresentBalance)
}

// checkBody is balance/check's body. Fields are decoded raw so a wrong
// type or value is refused naming the field.
type checkBody struct {
	AccountID json.RawMessage `json:"account_id"`
	RecordID  json.RawMessage `json:"record_id"`
	Amount    json.RawMessage `json:"amount"`
	Currency  json.RawMessage `json:"currency"`
	MaxAge    json.RawMessage `json:"max_age"`
}

func absent(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// rawString reads a JSON string field.
func rawString(field string, raw json.RawMessage) (string, error) {
	if absent(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", domain.Invalid(field, "must be a string")
	}
	return s, nil
}

// isJSONNumber reports whether raw is a JSON number, not a string or
// another value that happens to parse.
func isJSONNumber(raw string) bool {
	return raw != "" && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
}

// parseAmount reads amount: a JSON number in major units, 0 or more, with
// at most two decimals.
func parseAmount(raw json.RawMessage) (*domain.Minor, error) {
	if absent(raw) {
		return nil, nil
	}
	s := strings.TrimSpace(string(raw))
	if !isJSONNumber(s) {
		return nil, domain.Invalid("amount", "must be a number in major units (e.g. 1500.5), not "+jsonKind(s))
	}
	if strings.HasPrefix(s, "-") {
		return nil, domain.Invalid("amount", "must not be negative")
	}
	m, err := domain.ParseMajor(s)
	if err != nil {
		return nil, domain.Invalid("amount", "must be a number in major units with at most two decimals (e.g. 1500.5), without an exponent")
	}
	return &m, nil
}

// parseMaxAge reads max_age: a whole number of seconds, 0 or more.
func parseMaxAge(raw json.RawMessage) (*int, error) {
	if absent(raw) {
		return nil, nil
	}
	s := strings.TrimSpace(string(raw))
	bad := domain.Invalid("max_age", "must be a whole number of seconds, 0 or more")
	if !isJSONNumber(s) {
		return nil, bad
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return nil, bad
	}
	v := int(n)
	return &v, nil
}

func jsonKind(s string) string {
	switch {
	case strings.HasPrefix(s, `"`):
		return "a string"
	case s == "true" || s == "false":
		return "true or false"
	case strings.HasPrefix(s, "["):
		return "an array"
	case strings.HasPrefix(s, "{"):
		return "an object"
	}
	return s
}

// checkRequest turns the body into the service's request.
func (b checkBody) checkRequest() (balance.CheckRequest, error) {
	var req balance.CheckRequest
	id, err := rawString("account_id", b.AccountID)
	if err != nil {
		return req, err
	}
	if req.AccountID, err = requiredID("account_id", id); err != nil {
		return req, err
	}
	if req.RecordID, err = rawString("record_id", b.RecordID); err != nil {
		return req, err
	}
	if req.RecordID != "" && !domain.ValidID(req.RecordID) {
		return req, domain.Invalid("record_id", "must be a 24-character hex id")
	}
	if req.Amount, err = parseAmount(b.Amount); err != nil {
		return req, err
	}
	if req.Currency, err = rawString("currency", b.Currency); err != nil {
		return req, err
	}
	if req.MaxAge, err = parseMaxAge(b.MaxAge); err != nil {
		return req, err
	}
	return req, nil
}

// checkAnswer is balance/check's data.
type checkAnswer struct {
	Balance    okra.Balance  `json:"balance"`
	Sufficient *bool         `json:"sufficient,omitempty"`
	Shortfall  *domain.Minor `json:"shortfall,omitempty"`
	Amount     *domain.Minor `json:"amount,omitempty"`
}

func checkBalance(b BalanceService) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body checkBody
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		req, err := body.checkRequest()
		if err != nil {
			writeError(w, r, err)
			return
		}
		c, _ := callerFrom(r.Context())
		res, err := b.Check(r.Context(), c.Scope(), req)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, "Balance retrieved successfully", checkAnswer{Balance: okra.PresentBalance(res.View),
			Sufficient: res.Sufficient, Shortfall: res.Shortfall, Amount: req.Amount})
	}
}

func refreshBalance(b BalanceService) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			AccountID json.RawMessage `json:"account_id"`
		}
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		id, err := rawString("account_id", body.AccountID)
		if err == nil {
			id, err = requiredID("account_id", id)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		c, _ := callerFrom(r.Context())
		started, err := b.Refresh(r.Context(), c.Scope(), id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, "Balance checking...", started)
	}
}

// byTypeBody is balance/getByType's body. Okra never documented what
// type and value mean; here type names a field of the balance and value
// the threshold: available_balance or ledger_balance at least value (major
// units, a number or a numeric string), or currency equal to value.
type byTypeBody struct {
	pageRequest
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

func (b byTypeBody) filter() (domain.ListFilter, error) {
	page, err := b.page()
	if err != nil {
		return domain.ListFilter{}, err
	}
	f := domain.ListFilter{Page: page}
	if absent(b.Value) {
		return f, domain.Invalid("value", "is required")
	}
	switch b.Type {
	case "available_balance", "ledger_balance":
		s := strings.TrimSpace(string(b.Value))
		if strings.HasPrefix(s, `"`) {
			if err := json.Unmarshal(b.Value, &s); err != nil {
				return f, domain.Invalid("value", "must be an amount")
			}
		}
		m, err := domain.ParseMajor(strings.TrimSpace(s))
		if err != nil || m < 0 {
			return f, domain.Invalid("value", "must be an amount in major units, 0 or more, with at most two decimals (e.g. 1500.5)")
		}
		if b.Type == "available_balance" {
			f.MinAvailable = &m
		} else {
			f.MinLedger = &m
		}
	case "currency":
		c, err := rawString("value", b.Value)
		if err != nil || len(c) != 3 {
			return f, domain.Invalid("value", "must be a three-letter currency code")
		}
		f.Currency = strings.ToUpper(c)
	case "":
		return f, domain.Invalid("type", "is required (available_balance, ledger_balance or currency)")
	default:
		return f, domain.Invalid("type", "must be available_balance, ledger_balance or currency")
	}
	return f, nil
}

func balancesByType(b BalanceService) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body byTypeBody
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		f, err := body.filter()
		if err != nil {
			writeError(w, r, err)
			return
		}
		c, _ := callerFrom(r.Context())
		list, total, err := b.Balances(r.Context(), c.Scope(), f)
		if err != nil {
			writeError(w, r, err)
			return
		}
		out := make([]okra.Balance, 0, len(list))
		for _, v := range list {
			out = append(out, okra.PresentBalance(v))
		}
		ok(w, "Balance retrieved successfully", map[string]any{"pagination": domain.NewPageInfo(f.Page, total), "balance": out})
	}
}

// BalanceRoutes are the Okra balance routes.
func BalanceRoutes(b BalanceService) Routes {
	get := getByID("id", "balance", "Balance retrieved successfully",
		func(ctx context.Context, s domain.Scope, id domain.ID) (okra.Balance, error) {
			v, err := b.Balance(ctx, s, id)
			return okra.PresentBalance(v), err
		})
	const list = "BalanceList"
	return Routes{
		{Method: http.MethodPost, Path: "products/balances", Access: SecretKey, Tag: "balance", Summary: "List stored balances (snapshots are kept as history).",
			Request: "PageRequest", Response: list, Handler: balanceList(b, nil)},
		{Method: http.MethodPost, Path: "balance/getById", Access: SecretKey, Tag: "balance", Summary: "One stored balance by id.",
			Request: "IDRequest", Response: list, Handler: get},
		{Method: http.MethodPost, Path: "balance/getByCustomer", Access: SecretKey, Tag: "balance", Summary: "Stored balances of a customer.",
			Request: "CustomerPageRequest", Response: list, Handler: balanceList(b, needCustomer)},
		{Method: http.MethodPost, Path: "balance/getByAccount", Access: SecretKey, Tag: "balance", Summary: "Stored balances of an account, newest first.",
			Request: "AccountPageRequest", Response: list, Handler: balanceList(b, needAccountID)},
		{Method: http.MethodPost, Path: "balance/getByDate", Access: SecretKey, Tag: "balance", Summary: "Stored balances taken between two dates (inclusive).",
			Request: "DatePageRequest", Response: list, Handler: balanceList(b, needDates)},
		{Method: http.MethodPost, Path: "balance/getByCustomerDate", Access: SecretKey, Tag: "balance", Summary: "Stored balances of a customer between two dates.",
			Request: "CustomerDatePageRequest", Response: list, Handler: balanceList(b, both(needCustomer, needDates))},
		{Method: http.MethodPost, Path: "balance/getByType", Access: SecretKey, Tag: "balance",
			Summary: "Stored balances by a field: type available_balance or ledger_balance with value the minimum (major units), or type currency with value the code.",
			Request: "BalanceTypeRequest", Response: list, Handler: balancesByType(b)},
		{Method: http.MethodPost, Path: "accounts/getByBalance", Access: SecretKey, Tag: "accounts",
			Summary: "The account a stored balance belongs to.", Request: "BalanceIDRequest", Response: "AccountList",
			Handler: getByID("balance", "accounts", "Account retrieved successfully",
				func(ctx context.Context, s domain.Scope, id domain.ID) (okra.Account, error) {
					v, err := b.Balance(ctx, s, id)
					return okra.PresentAccount(reads.Account{Account: v.Account, Bank: v.Bank, Customer: v.Customer}), err
				})},
		{Method: http.MethodPost, Path: "balance/check", Access: SecretKey, Tag: "balance",
			Summary: "A connected account's balance: the stored one if younger than max_age seconds (default 300; 0 forces a live pull), else pulled live from the bank. With amount (major units) it says whether the available balance covers it and the shortfall.",
			Request: "BalanceCheckRequest", Response: "BalanceCheck", Handler: checkBalance(b)},
		{Method: http.MethodPost, Path: "balance/refresh", Access: SecretKey, Tag: "balance",
			Summary: "Start a live pull of a connected account's balance; the result is served by GET callback?record=…&method=BALANCE and sent as a BALANCE webhook.",
			Request: "BalanceRefreshRequest", Response: "BalanceRefresh", Handler: refreshBalance(b)},
	}
}

// BalanceCallback answers GET callback?record=…&method=BALANCE.
func BalanceCallback(b BalanceService) CallbackMethod {
	return CallbackMethod{Method: domain.MethodBalance, Handler: func(ctx context.Context, s domain.Scope, recordID domain.ID) (any, error) {
		return b.RefreshResult(ctx, s, recordID)
	}}
}

// balanceSchemas are the OpenAPI component schemas of the balance routes.
// The lead merges them into schemas(); until then the routes name none.
func balanceSchemas() map[string]any {
	amount := money()
	amount["minimum"] = 0
	balanceObj := obj(map[string]any{
		"id": objectID(), "_id": objectID(), "available_balance": number(), "ledger_balance": number(),
		"currency": str(),
		"account": obj(map[string]any{"_id": objectID(), "nuban": str(), "name": str(), "type": str(),
			"bank": obj(map[string]any{"_id": objectID(), "name": str(), "slug": str(), "icon": str(), "logo": str()})}),
		"connected": boolean(),
		"customer":  obj(map[string]any{"_id": objectID(), "name": str()}),
		"record":    objectID(), "owner": objectID(),
		"env":        map[string]any{"enum": []any{"production", "production-sandbox"}},
		"created_at": stamp(), "last_updated": stamp(), "as_of": stamp(),
		"source": map[string]any{"enum": []any{domain.SourceCached, domain.SourceLive}},
	}, "id", "_id", "available_balance", "ledger_balance", "currency", "account", "connected", "record", "env", "as_of", "source")
	return map[string]any{
		"Balance":            balanceObj,
		"BalanceList":        list("balance", "Balance"),
		"AccountPageRequest": withPage(map[string]any{"account_id": objectID(), "account": objectID()}),
		"BalanceCheckRequest": obj(map[string]any{
			"account_id": objectID(), "record_id": objectID(), "amount": amount,
			"currency": map[string]any{"type": "string", "pattern": "^[A-Za-z]{3}$"},
			"max_age":  map[string]any{"type": "integer", "minimum": 0},
		}, "account_id"),
		"BalanceCheck": obj(map[string]any{
			"balance": ref("Balance"), "sufficient": boolean(), "shortfall": amount, "amount": amount,
		}, "balance"),
		"BalanceRefreshRequest": obj(map[string]any{"account_id": objectID()}, "account_id"),
		"BalanceTypeRequest": withPage(map[string]any{
			"type":  map[string]any{"enum": []any{"available_balance", "ledger_balance", "currency"}},
			"value": map[string]any{"type": []any{"number", "string"}},
		}, "type", "value"),
		"BalanceCallback": obj(map[string]any{
			"balance":  map[string]any{"oneOf": []any{ref("Balance"), map[string]any{"type": "null"}}},
			"balances": array(ref("Balance")), "product": map[string]any{"const": "balance"}, "record": objectID(),
			"products": ref("ProductFlags"),
			"status": obj(map[string]any{
				"record":       str(),
				"refresh":      map[string]any{"enum": []any{"none", "pending", "running", "done", "failed"}},
				"process":      obj(map[string]any{"running": boolean(), "completed": boolean()}, "running", "completed"),
				"requested_at": stamp(), "finished_at": stamp(),
			}, "record", "refresh", "process"),
			"error": obj(map[string]any{"type": str(), "code": str(), "message": str()}, "type", "code", "message"),
		}, "balance", "balances", "product", "record", "products", "status"),
		"BalanceRefresh": obj(map[string]any{
			"callback_url": map[string]any{"type": "string", "format": "uri"}, "record": objectID(),
			"method": map[string]any{"const": domain.MethodBalance},
		}, "callback_url", "record", "method"),
	}
}
