package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/webhooks"
)

// fakeWebhookAdmin records calls and answers from its fields.
type fakeWebhookAdmin struct {
	scope     domain.Scope
	url, tok  string
	setErr    error
	page      domain.Page
	events    []domain.OutboxEvent
	replayed  string
	replayErr error
}

func (f *fakeWebhookAdmin) Set(_ context.Context, s domain.Scope, url, token string) (webhooks.SetResult, error) {
	f.scope, f.url, f.tok = s, url, token
	if f.setErr != nil {
		return webhooks.SetResult{}, f.setErr
	}
	return webhooks.SetResult{URL: url, SigningSecret: "whsec_" + strings.Repeat("ab", 32)}, nil
}

func (f *fakeWebhookAdmin) Deliveries(_ context.Context, s domain.Scope, p domain.Page) ([]domain.OutboxEvent, int, error) {
	f.scope, f.page = s, p
	return f.events, len(f.events), nil
}

func (f *fakeWebhookAdmin) Replay(_ context.Context, s domain.Scope, id domain.ID) error {
	f.scope, f.replayed = s, id
	return f.replayErr
}

// callWebhookRoute runs one route's handler as an authenticated sandbox
// caller and decodes the answer.
func callWebhookRoute(t *testing.T, admin WebhookAdmin, path, body string) (int, map[string]any) {
	t.Helper()
	var route *Route
	for _, rt := range WebhookRoutes(admin, nil) {
		if rt.Path == path {
			route = &rt
		}
	}
	if route == nil {
		t.Fatalf("no route %s", path)
	}
	req := httptest.NewRequest(http.MethodPost, SandboxBase+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	caller := Caller{Company: domain.Company{ID: "0123456789abcdef01234567"}, Env: domain.EnvSandbox}
	req = req.WithContext(withCaller(req.Context(), caller))
	rec := httptest.NewRecorder()
	route.Handler(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s answered non-JSON %q", path, rec.Body.String())
	}
	return rec.Code, out
}

func TestWebhookSetRoute(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		setErr     error
		wantStatus int
		wantField  string
	}{
		{"url and token", `{"url":"https://hooks.example.com/x","token":"t0k"}`, nil, 200, ""},
		{"url only, extras ignored", `{"url":"https://hooks.example.com/x","record_id":"x"}`, nil, 200, ""},
		{"missing url", `{"token":"t0k"}`, nil, 400, "url"},
		{"empty body", ``, nil, 400, "url"},
		{"url of the wrong type", `{"url":42}`, nil, 400, "url"},
		{"token of the wrong type", `{"url":"https://hooks.example.com/x","token":1}`, nil, 400, "token"},
		{"refused by the service", `{"url":"http://10.0.0.1/"}`, domain.Invalid("url", "must not point to a private address"), 400, "url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			admin := &fakeWebhookAdmin{setErr: tc.setErr}
			status, out := callWebhookRoute(t, admin, "webhooks/set", tc.body)
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %v", status, tc.wantStatus, out)
			}
			if tc.wantField != "" {
				if out["field"] != tc.wantField || out["status"] != "error" {
					t.Errorf("error %v does not name %s", out, tc.wantField)
				}
				return
			}
			data, _ := out["data"].(map[string]any)
			if data["url"] != "https://hooks.example.com/x" || !strings.HasPrefix(data["signing_secret"].(string), "whsec_") {
				t.Errorf("data %v", data)
			}
			if admin.scope.Env != domain.EnvSandbox || admin.scope.CompanyID != "0123456789abcdef01234567" {
				t.Errorf("service called for %+v", admin.scope)
			}
		})
	}
}

func TestWebhookDeliveriesRoute(t *testing.T) {
	created := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	admin := &fakeWebhookAdmin{events: []domain.OutboxEvent{
		{ID: "aaaaaaaaaaaaaaaaaaaaaaaa", Method: domain.MethodAuth, Code: domain.CodeAuthSuccess, RecordID: "bbbbbbbbbbbbbbbbbbbbbbbb",
			Status: domain.OutboxPending, Attempts: 2, LastStatus: 500, LastError: "the receiver answered 500",
			NextAttempt: created.Add(time.Minute), CreatedAt: created, UpdatedAt: created.Add(time.Second)},
		{ID: "cccccccccccccccccccccccc", Method: domain.MethodBalance, Code: domain.CodeBalanceSuccess,
			Status: domain.OutboxDelivered, Attempts: 1, LastStatus: 200, NextAttempt: created, CreatedAt: created, UpdatedAt: created},
	}}
	status, out := callWebhookRoute(t, admin, "webhooks/deliveries", `{"page":2,"limit":5}`)
	if status != 200 {
		t.Fatalf("status %d: %v", status, out)
	}
	if admin.page != (domain.Page{Number: 2, Limit: 5}) {
		t.Errorf("page %+v", admin.page)
	}
	data := out["data"].(map[string]any)
	if p := data["pagination"].(map[string]any); p["page"] != 2.0 || p["limit"] != 5.0 || p["totalDocs"] != 2.0 {
		t.Errorf("pagination %v", p)
	}
	rows := data["deliveries"].([]any)
	if len(rows) != 2 {
		t.Fatalf("%d deliveries", len(rows))
	}
	first, second := rows[0].(map[string]any), rows[1].(map[string]any)
	want := map[string]any{
		"event_id": "aaaaaaaaaaaaaaaaaaaaaaaa", "method": "AUTH", "code": "AUTH_SUCCESS", "record": "bbbbbbbbbbbbbbbbbbbbbbbb",
		"attempts": 2.0, "status": "pending", "last_status": 500.0, "last_error": "the receiver answered 500",
		"next_attempt": "2026-03-01T10:01:00.000Z", "created_at": "2026-03-01T10:00:00.000Z", "last_updated": "2026-03-01T10:00:01.000Z",
	}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("%s = %v, want %v", k, first[k], v)
		}
	}
	if second["next_attempt"] != nil || second["last_error"] != nil || second["status"] != "delivered" {
		t.Errorf("delivered row %v", second)
	}
	for _, body := range []string{`{"limit":101}`, `{"page":-1}`, `{"page":"one"}`} {
		if status, out := callWebhookRoute(t, admin, "webhooks/deliveries", body); status != 400 || out["field"] == nil {
			t.Errorf("%s: %d %v, want 400 naming the field", body, status, out)
		}
	}
}

func TestWebhookReplayRoute(t *testing.T) {
	id := "dddddddddddddddddddddddd"
	tests := []struct {
		name       string
		body       string
		replayErr  error
		wantStatus int
		wantField  string
	}{
		{"queued", `{"event_id":"` + id + `"}`, nil, 200, ""},
		{"missing", `{}`, nil, 400, "event_id"},
		{"not an id", `{"event_id":"nope"}`, nil, 400, "event_id"},
		{"wrong type", `{"event_id":7}`, nil, 400, "event_id"},
		{"not found or another company's", `{"event_id":"` + id + `"}`, domain.NotFound("event"), 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			admin := &fakeWebhookAdmin{replayErr: tc.replayErr}
			status, out := callWebhookRoute(t, admin, "webhooks/replay", tc.body)
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %v", status, tc.wantStatus, out)
			}
			switch {
			case tc.wantField != "":
				if out["field"] != tc.wantField {
					t.Errorf("error %v does not name %s", out, tc.wantField)
				}
			case status == 200:
				data := out["data"].(map[string]any)
				if data["event_id"] != id || data["status"] != "pending" || admin.replayed != id {
					t.Errorf("data %v, replayed %q", data, admin.replayed)
				}
			default:
				if out["message"] != "event not found" {
					t.Errorf("error %v", out)
				}
			}
		})
	}
}

func TestWebhookRoutesDescribeThemselves(t *testing.T) {
	known := webhookSchemas()
	for name := range schemas() {
		known[name] = true
	}
	for _, rt := range WebhookRoutes(&fakeWebhookAdmin{}, nil) {
		if rt.Access != SecretKey || rt.Tag != "webhooks" || rt.Summary == "" || rt.Method != http.MethodPost {
			t.Errorf("route %s: %+v", rt.Path, rt)
		}
		for _, name := range []string{rt.Request, rt.Response} {
			if _, ok := known[name]; !ok || name == "" {
				t.Errorf("route %s names schema %q, which is not defined", rt.Path, name)
			}
		}
	}
	// Every local $ref in the webhook schemas resolves.
	b, _ := json.Marshal(webhookSchemas())
	for _, part := range strings.Split(string(b), `"$ref":"#/components/schemas/`)[1:] {
		name := part[:strings.IndexByte(part, '"')]
		if _, ok := known[name]; !ok {
			t.Errorf("dangling $ref %s", name)
		}
	}
}

// sealerStub marks which sealer a route was given.
type sealerStub struct{ ports.Sealer }

func TestWebhookSetSealsItsReplays(t *testing.T) {
	sealer := &sealerStub{}
	for _, rt := range WebhookRoutes(&fakeWebhookAdmin{}, sealer) {
		if rt.Path != "webhooks/set" {
			continue
		}
		// Without the sealer the answer would not be kept, and a retry with
		// the same Idempotency-Key would set the endpoint (and a new
		// secret) again.
		if !rt.Sensitive || rt.ReplaySealer != sealer {
			t.Errorf("webhooks/set: sensitive %v, replay sealer %v; want both, so retries replay the first secret", rt.Sensitive, rt.ReplaySealer)
		}
		return
	}
	t.Fatal("no webhooks/set route")
}
