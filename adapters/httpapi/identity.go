package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/identity"
	"github.com/bankauth/bankauth/core/jobs"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/reads"
)

// IdentityService is what the identity routes need (core/identity.Service).
type IdentityService interface {
	Identities(ctx context.Context, s domain.Scope, f domain.ListFilter) ([]reads.Identity, int, error)
	Identity(ctx context.Context, s domain.Scope, id domain.ID) (reads.Identity, error)
	Process(ctx context.Context, s domain.Scope, recordID domain.ID) (jobs.Started, error)
	Result(ctx context.Context, s domain.Scope, recordID domain.ID) (identity.Callback, error)
	Match(ctx context.Context, s domain.Scope, req identity.MatchRequest) (map[string]identity.Result, error)
}

// matchBody is identity/match's body.
type matchBody struct {
	CustomerID string `json:"customer_id"`
	RecordID   string `json:"record_id"`
	identity.Claim
}

// request checks the body: whose identity, and at least one field, each
// of the shape it must have.
func (b matchBody) request() (identity.MatchRequest, error) {
	req := identity.MatchRequest{CustomerID: strings.TrimSpace(b.CustomerID), RecordID: strings.TrimSpace(b.RecordID), Claim: b.Claim}
	switch {
	case req.CustomerID == "" && req.RecordID == "":
		return req, domain.Invalid("customer_id", "give customer_id or record_id")
	case req.CustomerID != "" && !domain.ValidID(req.CustomerID):
		return req, domain.Invalid("customer_id", "must be a 24-character hex id")
	case req.RecordID != "" && !domain.ValidID(req.RecordID):
		return req, domain.Invalid("record_id", "must be a 24-character hex id")
	}
	c := b.Claim
	if c == (identity.Claim{}) {
		return req, domain.Invalid("name", "give at least one of name, phone, email, dob, bvn, nin, address to compare")
	}
	for _, f := range []struct{ field, v string }{{"name", c.Name}, {"address", c.Address}} {
		if utf8.RuneCountInString(f.v) > 300 {
			return req, domain.Invalid(f.field, "must be at most 300 characters")
		}
	}
	if c.DOB != "" {
		if _, err := time.Parse(time.DateOnly, strings.TrimSpace(c.DOB)); err != nil {
			return req, domain.Invalid("dob", "must be a date, YYYY-MM-DD")
		}
	}
	for _, f := range []struct {
		kind domain.IdentifierKind
		v    string
	}{{domain.IdentBVN, c.BVN}, {domain.IdentNIN, c.NIN}, {domain.IdentPhone, c.Phone}, {domain.IdentEmail, c.Email}} {
		if f.v == "" {
			continue
		}
		if _, err := domain.NormalizeIdentifier(f.kind, f.v, string(f.kind)); err != nil {
			return req, err
		}
	}
	return req, nil
}

func matchIdentity(svc IdentityService) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body matchBody
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		req, err := body.request()
		if err != nil {
			writeError(w, r, err)
			return
		}
		c, _ := callerFrom(r.Context())
		res, err := svc.Match(r.Context(), c.Scope(), req)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, "Identity matched", res)
	}
}

func processIdentity(svc IdentityService) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			RecordID string `json:"record_id"`
		}
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		id, err := requiredID("record_id", body.RecordID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		c, _ := callerFrom(r.Context())
		started, err := svc.Process(r.Context(), c.Scope(), id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, "Identity processing...", started)
	}
}

// IdentityRoutes are the Okra identity routes. Their answers carry
// personal data, so an Idempotency-Key's stored answer is sealed.
func IdentityRoutes(svc IdentityService, sealer ports.Sealer) Routes {
	const (
		key     = "identity"
		message = "Identity retrieved successfully"
		list    = "IdentityList"
	)
	ls := func(need func(listBody, *domain.ListFilter) error) http.HandlerFunc {
		return listHandler(key, message, need, svc.Identities, okra.PresentIdentity)
	}
	get := getByID("id", key, message, func(ctx context.Context, s domain.Scope, id domain.ID) (okra.Identity, error) {
		v, err := svc.Identity(ctx, s, id)
		return okra.PresentIdentity(v), err
	})
	rt := func(path, summary, request, response string, h http.HandlerFunc) Route {
		return Route{Method: http.MethodPost, Path: path, Access: SecretKey, Tag: "identity", Summary: summary,
			Request: request, Response: response, Handler: h, Sensitive: true, ReplaySealer: sealer}
	}
	return Routes{
		rt("products/identities", "List identities (one per record, as the bank last reported it).", "PageRequest", list, ls(nil)),
		rt("identity/getById", "One identity by id.", "IDRequest", list, get),
		rt("identity/getByCustomer", "Identities of a customer.", "CustomerPageRequest", list, ls(needCustomer)),
		rt("identity/getByDate", "Identities first pulled between two dates (inclusive).", "DatePageRequest", list, ls(needDates)),
		rt("identity/getByCustomerDate", "Identities of a customer first pulled between two dates.", "CustomerDatePageRequest", list, ls(both(needCustomer, needDates))),
		rt("identity/process", "Pull a record's identity from the bank again; the result is served by GET callback?record=…&method=IDENTITY and sent as an IDENTITY webhook.",
			"IdentityProcessRequest", "IdentityProcess", processIdentity(svc)),
		rt("identity/match", "Compare what you know of a customer (name, phone, email, dob, bvn, nin, address) with the identity the bank reports: a score from 0 to 100 and a match per field supplied.",
			"IdentityMatchRequest", "IdentityMatch", matchIdentity(svc)),
	}
}

// IdentityCallback answers GET callback?record=…&method=IDENTITY.
func IdentityCallback(svc IdentityService) CallbackMethod {
	return CallbackMethod{Method: domain.MethodIdentity, Handler: func(ctx context.Context, s domain.Scope, recordID domain.ID) (any, error) {
		return svc.Result(ctx, s, recordID)
	}}
}

// identitySchemas are the OpenAPI component schemas of the identity routes.
func identitySchemas() map[string]any {
	strOrNull := nullable("string")
	result := obj(map[string]any{"score": map[string]any{"type": "integer", "minimum": 0, "maximum": 100}, "match": boolean()}, "score", "match")
	fields := map[string]any{}
	for _, f := range []string{identity.FieldName, identity.FieldPhone, identity.FieldEmail, identity.FieldDOB, identity.FieldBVN, identity.FieldNIN, identity.FieldAddress} {
		fields[f] = ref("MatchResult")
	}
	return map[string]any{
		"Identity": obj(map[string]any{
			"id": objectID(), "_id": objectID(), "firstname": str(), "middlename": str(), "lastname": str(), "fullname": str(),
			"dob": map[string]any{"type": []any{"string", "null"}, "format": "date"}, "gender": strOrNull, "bvn": strOrNull, "nin": strOrNull,
			"phone": array(str()), "email": array(str()), "address": array(str()),
			"customer": objectID(), "bank": objectID(), "record": objectID(), "owner": objectID(),
			"env":      map[string]any{"enum": []any{"production", "production-sandbox"}},
			"source":   map[string]any{"enum": []any{domain.IdentitySourceBank, domain.IdentitySourceLogin}},
			"verified": boolean(), "score": map[string]any{"type": "integer", "minimum": 0, "maximum": 100},
			"created_at": stamp(), "last_updated": stamp(),
		}, "id", "_id", "firstname", "middlename", "lastname", "fullname", "dob", "gender", "bvn", "nin", "phone", "email", "address",
			"customer", "bank", "record", "env", "created_at", "last_updated"),
		"IdentityList":           list("identity", "Identity"),
		"IdentityProcessRequest": obj(map[string]any{"record_id": objectID()}, "record_id"),
		"IdentityProcess": obj(map[string]any{
			"callback_url": map[string]any{"type": "string", "format": "uri"}, "record": objectID(),
			"method": map[string]any{"const": domain.MethodIdentity},
		}, "callback_url", "record", "method"),
		"IdentityMatchRequest": obj(map[string]any{
			"customer_id": objectID(), "record_id": objectID(), "name": str(), "phone": str(), "email": str(),
			"dob": date(), "bvn": map[string]any{"type": "string", "pattern": "^[0-9]{11}$"},
			"nin": map[string]any{"type": "string", "pattern": "^[0-9]{11}$"}, "address": str(),
		}),
		"MatchResult":   result,
		"IdentityMatch": obj(fields),
	}
}
