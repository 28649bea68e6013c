package httpapi

// Schema helpers keep the component list short and readable.
func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		r := make([]any, len(required))
		for i, s := range required {
			r[i] = s
		}
		o["required"] = r
	}
	return o
}

func str() map[string]any { return map[string]any{"type": "string"} }

func objectID() map[string]any {
	return map[string]any{"type": "string", "pattern": "^[0-9a-f]{24}$"}
}

func integer() map[string]any { return map[string]any{"type": "integer"} }

// flexInteger is an integer a client may also send as a string of digits
// ("page":"1"), as Okra's documentation did.
func flexInteger(min, max int) map[string]any {
	o := map[string]any{"type": []any{"integer", "string"}, "pattern": "^[0-9]+$", "minimum": min}
	if max > 0 {
		o["maximum"] = max
	}
	return o
}

// money is an amount in major units with at most two decimals. The two
// places are a format, not multipleOf 0.01, which binary floating point
// cannot check (334080.59 / 0.01 is not a whole number in a double).
func money() map[string]any {
	return map[string]any{"type": "number", "format": "decimal",
		"description": "Major units with at most two decimals (1500.5 is 1,500.50)."}
}
func boolean() map[string]any { return map[string]any{"type": "boolean"} }
func number() map[string]any  { return money() }
func date() map[string]any    { return map[string]any{"type": "string", "format": "date"} }
func stamp() map[string]any   { return map[string]any{"type": "string", "format": "date-time"} }
func array(items map[string]any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}
func nullable(t string) map[string]any { return map[string]any{"type": []any{t, "null"}} }

func list(key, item string) map[string]any {
	return obj(map[string]any{"pagination": ref("Pagination"), key: array(ref(item))}, "pagination", key)
}

func withPage(props map[string]any, required ...string) map[string]any {
	props["page"] = flexInteger(1, 0)
	props["limit"] = flexInteger(1, 100)
	return obj(props, required...)
}

// productNames are every product name a session accepts.
func productNames() []any {
	return []any{"auth", "balance", "identity", "accounts", "transactions", "income", "payments", "payment",
		"direct-debit", "guarantors", "periodic-transactions", "periodic-balance", "spending-patterns",
		"liabilities", "investments", "insurance", "benefactors", "wallet", "kyc"}
}

// productFlags is a callback's products object.
func productFlags() map[string]any {
	return map[string]any{"type": "object", "additionalProperties": boolean(),
		"required": []any{"auth", "balance", "identity", "accounts", "transactions", "income", "direct-debit"}}
}

// schemas are the component schemas of the OpenAPI document.
func schemas() map[string]any {
	bankRef := obj(map[string]any{"_id": objectID(), "name": str(), "slug": str(), "icon": str(), "logo": str(), "status": str()})
	customerRef := obj(map[string]any{"_id": objectID(), "name": str()})
	out := map[string]any{
		"Envelope": obj(map[string]any{"status": map[string]any{"const": "success"}, "message": str(), "data": map[string]any{}}, "status", "message", "data"),
		"Error": obj(map[string]any{
			"status": map[string]any{"const": "error"}, "message": str(), "type": str(), "code": str(),
			"field": str(), "retryable": boolean(), "request_id": str(),
		}, "status", "message", "type", "code", "request_id"),
		"Health": obj(map[string]any{"status": str(), "checks": map[string]any{"type": "object", "additionalProperties": str()}}, "status"),
		"Pagination": obj(map[string]any{
			"totalDocs": integer(), "limit": integer(), "hasPrevPage": boolean(), "hasNextPage": boolean(),
			"page": integer(), "totalPages": integer(), "pagingCounter": integer(),
			"prevPage": nullable("integer"), "nextPage": nullable("integer"),
		}, "totalDocs", "limit", "page", "totalPages"),
		"PageRequest":             withPage(map[string]any{}),
		"IDRequest":               obj(map[string]any{"id": objectID()}, "id"),
		"RecordIDRequest":         obj(map[string]any{"record_id": objectID()}, "record_id"),
		"CustomerPageRequest":     withPage(map[string]any{"customer": objectID()}),
		"BankPageRequest":         withPage(map[string]any{"bank": objectID()}),
		"DatePageRequest":         withPage(map[string]any{"from": date(), "to": date()}),
		"CustomerDatePageRequest": withPage(map[string]any{"customer": objectID(), "from": date(), "to": date()}),
		"BankRef":                 bankRef,
		"CustomerRef":             customerRef,
		"Auth": obj(map[string]any{
			"id": objectID(), "_id": objectID(), "validated": boolean(), "validation_note": str(),
			"bank": ref("BankRef"), "customer": ref("CustomerRef"), "record": objectID(), "owner": objectID(),
			"env":      map[string]any{"enum": []any{"production", "production-sandbox"}},
			"accounts": array(objectID()), "created_at": stamp(), "last_updated": stamp(),
		}, "id", "_id", "validated", "bank", "customer", "record", "owner", "env", "created_at", "last_updated"),
		"AuthList": list("auths", "Auth"),
		"Customer": obj(map[string]any{
			"id": objectID(), "_id": objectID(), "name": str(), "owner": objectID(), "env": str(),
			"created_at": stamp(), "last_updated": stamp(),
		}, "id", "_id", "name", "env"),
		"CustomerList": list("customers", "Customer"),
		"Record": obj(map[string]any{
			"id": objectID(), "_id": objectID(),
			"status": map[string]any{"enum": []any{"pending", "processing", "success", "failed", "invalid", "token_required", "removed"}},
			"method": str(), "bank": ref("BankRef"), "customer": ref("CustomerRef"), "owner": objectID(), "env": str(),
			"products": array(str()), "accounts": array(objectID()), "auth": nullable("string"),
			"created_at": stamp(), "last_updated": stamp(),
		}, "id", "_id", "status", "bank", "env"),
		"RecordList":   list("records", "Record"),
		"RecordDetail": map[string]any{"allOf": []any{ref("Record"), obj(map[string]any{"usedProduct": productFlags()}, "usedProduct")}},
		"RecordOne":    obj(map[string]any{"pagination": map[string]any{"type": "null"}, "records": ref("RecordDetail")}, "pagination", "records"),
		"ProductFlags": productFlags(),
		"AuthCallback": obj(map[string]any{
			"auth": map[string]any{"oneOf": []any{ref("Auth"), map[string]any{"type": "null"}}}, "product": map[string]any{"const": "auth"},
			"record": objectID(), "products": ref("ProductFlags"),
			"status": obj(map[string]any{"record": str(), "process": obj(map[string]any{"running": boolean(), "completed": boolean()}, "running", "completed")}, "record", "process"),
		}, "auth", "product", "record", "products", "status"),
		"Callback": map[string]any{"oneOf": []any{ref("AuthCallback"), ref("BalanceCallback")}},
		"Amount":   number(),
		"Bank": obj(map[string]any{
			"id": objectID(), "_id": objectID(), "name": str(), "slug": str(), "icon": str(), "logo": str(),
			"v2_icon": str(), "v2_logo": str(),
			"status":  map[string]any{"enum": []any{"operational", "degraded", "down"}},
			"country": str(), "countries": array(str()), "methods": array(str()), "mfa_kinds": array(str()),
			"products": array(str()), "secret_question_or_otp": boolean(), "secret_question_or_otp_mobile": boolean(),
			"ussd": boolean(), "individual": boolean(), "corporate": boolean(),
			"created_at": stamp(), "last_updated": stamp(),
		}, "id", "_id", "name", "slug", "status", "methods"),
		"BankList": list("banks", "Bank"),
		"Account": obj(map[string]any{
			"id": objectID(), "_id": objectID(), "name": str(), "nuban": str(), "type": str(), "currency": str(),
			"connected": boolean(), "customer": ref("CustomerRef"), "bank": ref("BankRef"), "record": objectID(),
			"owner": objectID(), "env": str(), "created_at": stamp(), "last_updated": stamp(),
		}, "id", "_id", "nuban", "connected"),
		"AccountList":     list("accounts", "Account"),
		"FindCustomers":   obj(map[string]any{"key": map[string]any{"enum": []any{"name", "bvn", "nin", "phone", "email", "id", "_id"}}, "value": str()}, "key", "value"),
		"CustomerRequest": obj(map[string]any{"customer": objectID()}, "customer"),
		"CustomerGetRequest": map[string]any{"oneOf": []any{
			obj(map[string]any{"customer": objectID()}, "customer"),
			obj(map[string]any{"type": map[string]any{"enum": []any{"bvn", "nin", "phone", "email", "id", "_id", "name"}}, "value": str()}, "type", "value"),
		}},
		"CustomerRemoved":  obj(map[string]any{"customer": objectID(), "removed": boolean()}, "customer", "removed"),
		"FlagRequest":      obj(map[string]any{"customer": objectID(), "bank": str(), "unflag": map[string]any{}}, "customer"),
		"Flag":             obj(map[string]any{"customer": objectID(), "bank": str(), "flagged": boolean()}, "customer", "flagged"),
		"AccountRequest":   obj(map[string]any{"account": objectID()}, "account"),
		"NamePageRequest":  withPage(map[string]any{"name": str()}, "name"),
		"BalanceIDRequest": obj(map[string]any{"balance": objectID()}, "balance"),
		"SandboxCreate": func() map[string]any {
			one := obj(map[string]any{"name": str(), "bank": str(), "username": str(), "password": str(),
				"noOfAccount": flexInteger(0, 5), "type": str(), "volume": str(), "identity": map[string]any{}, "internetSpeed": map[string]any{}}, "username")
			return map[string]any{"oneOf": []any{one, map[string]any{"type": "array", "items": one, "minItems": 1, "maxItems": 10}}}
		}(),
		"SandboxGenerate": obj(map[string]any{"number": flexInteger(1, 10), "bank": str(), "create": map[string]any{}}),
		"SandboxLogins": obj(map[string]any{"customers": array(obj(map[string]any{
			"name": str(), "bank": str(), "bank_id": objectID(), "username": str(), "password": str(), "note": str(),
		}, "bank", "bank_id", "username", "password"))}, "customers"),
		"CustomerInput": obj(map[string]any{"id": str(), "bvn": str(), "nin": str(), "phone": str(), "email": str()}),
		"OpenSession": obj(map[string]any{
			"key": str(), "token": objectID(), "env": map[string]any{"enum": []any{"production", "production-sandbox"}},
			"okraKey":  map[string]any{"type": "string", "description": "okra-js's README name for key."},
			"exp":      map[string]any{"type": "string", "description": "Expiry of these options: YYYY-MM-DD (through that day, UTC) or an RFC 3339 time."},
			"products": array(map[string]any{"enum": productNames()}),
			"customer": ref("CustomerInput"), "reauth_account": str(), "reauth_bank": str(),
			"filter": obj(map[string]any{"banks": array(str())}), "isCorporate": boolean(),
			"options": map[string]any{"type": "object"}, "meta": map[string]any{},
			"callback_url": str(), "redirect_url": str(), "name": str(), "color": str(), "logo": str(),
			"short_url": str(), "link_token": str(), "parent_origin": str(),
		}),
		"SessionBank": obj(map[string]any{
			"id": objectID(), "slug": str(), "name": str(), "icon": str(), "status": str(),
			"methods": array(str()), "mfa_kinds": array(str()), "products": array(str()),
			"accounts": array(ref("StepAccount")), "quick_login": array(str()), "country": str(),
		}, "id", "slug", "name", "methods"),
		"Opened": obj(map[string]any{
			"session_id": objectID(), "session_token": str(), "expires_at": stamp(), "returning": boolean(),
			"customer_id": objectID(), "company": str(), "env": str(), "products": array(str()),
			"products_unavailable": array(str()),
			"banks":                array(ref("SessionBank")),
		}, "session_id", "session_token", "expires_at", "returning", "products", "products_unavailable", "banks"),
		"StepAccount": obj(map[string]any{
			"id": objectID(), "nuban": str(), "name": str(), "type": str(), "currency": str(), "already_connected": boolean(),
		}, "id", "nuban", "name"),
		"Step": obj(map[string]any{
			"session_id": objectID(),
			"status":     map[string]any{"enum": []any{"start", "challenge", "pending", "accounts", "failed", "done", "cancelled"}},
			"bank":       str(),
			"challenge": obj(map[string]any{
				"type": map[string]any{"enum": []any{"otp", "security_question", "ussd"}}, "prompt": str(),
				"ussd_code": str(), "attempts_left": integer(), "expires_at": stamp(), "wrong": boolean(),
			}),
			"poll_after_ms": integer(),
			"accounts":      array(ref("StepAccount")),
			"error": obj(map[string]any{"type": str(), "code": str(), "message": str(), "retryable": boolean(), "kind": str(),
				"fallback": map[string]any{"type": "string", "description": "What the widget offers instead, e.g. full_login when a stored bank session is refused."}}),
			"payload":   ref("SuccessPayload"),
			"record_id": objectID(), "customer_id": objectID(),
		}, "session_id", "status"),
		"FailedStep": map[string]any{"allOf": []any{ref("Step"),
			obj(map[string]any{"status": map[string]any{"const": "failed"}}, "status", "error")}},
		"Login": obj(map[string]any{
			"bank": str(), "method": map[string]any{"enum": []any{"internet_banking", "mobile_banking", "ussd", "returning"}},
			"credentials": obj(map[string]any{"username": str(), "password": str(), "phone": str()}),
		}, "bank", "method"),
		"Answer": obj(map[string]any{"answer": str()}),
		"Choose": obj(map[string]any{"accounts": array(objectID()), "consent": boolean()}, "accounts", "consent"),
		"PayloadAuth": obj(map[string]any{
			"id": objectID(), "_id": objectID(), "validated": boolean(), "validation_note": str(),
			"bank": objectID(), "bank_id": objectID(), "customer": objectID(), "customer_id": objectID(),
			"record": objectID(), "owner": objectID(), "env": str(), "accounts": array(objectID()),
			"status": boolean(), "type": str(),
			"bank_details": obj(map[string]any{"_id": objectID(), "name": str(), "slug": str(), "logo": str(), "icon": str()}),
			"created_at":   stamp(), "last_updated": stamp(),
		}, "id", "_id", "validated", "bank", "customer", "record", "bank_details", "created_at", "last_updated"),
		"PayloadAccount": obj(map[string]any{
			"id": objectID(), "accountId": objectID(), "name": str(), "nuban": str(), "type": str(), "currency": str(),
			"connected": boolean(), "available_balance": number(), "ledger_balance": number(), "env": str(), "customer": objectID(),
		}, "id", "nuban", "connected"),
		"SuccessPayload": obj(map[string]any{
			"record_id": objectID(), "record": objectID(), "customer_id": objectID(), "bank_id": objectID(),
			"accounts": array(ref("PayloadAccount")), "auth": ref("PayloadAuth"), "identity": map[string]any{"oneOf": []any{ref("Identity"), map[string]any{"type": "null"}}},
			"callback_url": str(), "meta": map[string]any{}, "returning": boolean(), "duplicate": boolean(),
			"merged":  map[string]any{"type": "boolean", "description": "The account belonged to another customer and this link was merged into theirs."},
			"success": boolean(), "done": boolean(),
		}, "record_id", "customer_id", "bank_id", "accounts", "auth", "success", "done"),
	}
	for _, more := range []map[string]any{webhookSchemas(), widgetSchemas(), balanceSchemas(), linkTokenSchemas(), identitySchemas(), partnerSchemas()} {
		for name, schema := range more {
			out[name] = schema
		}
	}
	return out
}
