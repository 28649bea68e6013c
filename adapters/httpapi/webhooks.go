package httpapi

import (
	"context"
	"net/http"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/ports"
	"github.com/bankauth/bankauth/core/webhooks"
)

// WebhookAdmin is what the webhook routes need (core/webhooks.Service).
type WebhookAdmin interface {
	Set(ctx context.Context, s domain.Scope, url, token string) (webhooks.SetResult, error)
	Deliveries(ctx context.Context, s domain.Scope, p domain.Page) ([]domain.OutboxEvent, int, error)
	Replay(ctx context.Context, s domain.Scope, eventID domain.ID) error
}

// webhookDelivery is one row of the delivery log on the wire.
type webhookDelivery struct {
	EventID     string  `json:"event_id"`
	Method      string  `json:"method"`
	Code        string  `json:"code"`
	Record      string  `json:"record"`
	Attempts    int     `json:"attempts"`
	Status      string  `json:"status"`
	LastStatus  *int    `json:"last_status"`
	LastError   *string `json:"last_error"`
	NextAttempt *string `json:"next_attempt"`
	CreatedAt   string  `json:"created_at"`
	LastUpdated string  `json:"last_updated"`
}

func presentDelivery(e domain.OutboxEvent) webhookDelivery {
	d := webhookDelivery{
		EventID: e.ID, Method: string(e.Method), Code: e.Code, Record: e.RecordID, Attempts: e.Attempts, Status: e.Status,
		CreatedAt: okra.Time(e.CreatedAt), LastUpdated: okra.Time(e.UpdatedAt),
	}
	if e.LastStatus != 0 {
		st := e.LastStatus
		d.LastStatus = &st
	}
	if e.LastError != "" {
		msg := e.LastError
		d.LastError = &msg
	}
	if e.Status == domain.OutboxPending {
		next := okra.Time(e.NextAttempt)
		d.NextAttempt = &next
	}
	return d
}

// WebhookRoutes are webhooks/set, webhooks/deliveries and webhooks/replay.
// webhooks/set's answer carries the signing secret: for Idempotency-Key
// replays it is stored sealed with sealer, so a client whose first answer
// was lost gets the same secret again, never a second one.
func WebhookRoutes(s WebhookAdmin, sealer ports.Sealer) Routes {
	return Routes{
		{Method: http.MethodPost, Path: "webhooks/set", Access: SecretKey, Sensitive: true, ReplaySealer: sealer, Tag: "webhooks",
			Summary: "Set the webhook endpoint of this environment; returns a new signing secret, shown once (a retry with the same Idempotency-Key and body replays that answer for 24 hours). Setting it again rotates the secret; the previous one stays valid for 24 hours.",
			Request: "WebhookSetRequest", Response: "WebhookSet", Handler: setWebhook(s)},
		{Method: http.MethodPost, Path: "webhooks/deliveries", Access: SecretKey, Tag: "webhooks",
			Summary: "The webhook delivery log: events, newest first, with attempts and the last outcome.",
			Request: "PageRequest", Response: "WebhookDeliveryList",
			Handler: listHandler("deliveries", "Webhook deliveries retrieved successfully", nil,
				func(ctx context.Context, sc domain.Scope, f domain.ListFilter) ([]domain.OutboxEvent, int, error) {
					return s.Deliveries(ctx, sc, f.Page)
				}, presentDelivery)},
		{Method: http.MethodPost, Path: "webhooks/replay", Access: SecretKey, Tag: "webhooks",
			Summary: "Send one event again, with the same event id.",
			Request: "WebhookReplayRequest", Response: "WebhookReplay", Handler: replayWebhook(s)},
	}
}

func setWebhook(s WebhookAdmin) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			URL   *string `json:"url"`
			Token *string `json:"token"`
		}
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		if body.URL == nil || *body.URL == "" {
			writeError(w, r, domain.Invalid("url", "is required"))
			return
		}
		token := ""
		if body.Token != nil {
			token = *body.Token
		}
		c, _ := callerFrom(r.Context())
		res, err := s.Set(r.Context(), c.Scope(), *body.URL, token)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, "Webhook set successfully; store the signing secret now, it is not shown again",
			map[string]any{"url": res.URL, "signing_secret": res.SigningSecret})
	}
}

func replayWebhook(s WebhookAdmin) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			EventID *string `json:"event_id"`
		}
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, err)
			return
		}
		switch {
		case body.EventID == nil || *body.EventID == "":
			writeError(w, r, domain.Invalid("event_id", "is required"))
			return
		case !domain.ValidID(*body.EventID):
			writeError(w, r, domain.Invalid("event_id", "must be a 24-character hex id"))
			return
		}
		c, _ := callerFrom(r.Context())
		if err := s.Replay(r.Context(), c.Scope(), *body.EventID); err != nil {
			writeError(w, r, err)
			return
		}
		ok(w, "Webhook event queued for delivery", map[string]any{"event_id": *body.EventID, "status": domain.OutboxPending})
	}
}

// webhookSchemas are the OpenAPI component schemas of the webhook routes.
func webhookSchemas() map[string]any {
	status := map[string]any{"enum": []any{domain.OutboxPending, domain.OutboxDelivered, domain.OutboxFailed}}
	return map[string]any{
		"WebhookSetRequest": obj(map[string]any{
			"url":   map[string]any{"type": "string", "format": "uri", "maxLength": webhooks.MaxURLLength},
			"token": map[string]any{"type": "string", "maxLength": webhooks.MaxTokenLength},
		}, "url"),
		"WebhookSet": obj(map[string]any{
			"url":            str(),
			"signing_secret": map[string]any{"type": "string", "pattern": "^whsec_[0-9a-f]{64}$"},
		}, "url", "signing_secret"),
		"WebhookDelivery": obj(map[string]any{
			"event_id": objectID(), "method": str(), "code": str(), "record": str(),
			"attempts": integer(), "status": status,
			"last_status": nullable("integer"), "last_error": nullable("string"),
			"next_attempt": map[string]any{"type": []any{"string", "null"}, "format": "date-time"},
			"created_at":   stamp(), "last_updated": stamp(),
		}, "event_id", "method", "code", "record", "attempts", "status", "last_status", "last_error", "next_attempt", "created_at", "last_updated"),
		"WebhookDeliveryList":  list("deliveries", "WebhookDelivery"),
		"WebhookReplayRequest": obj(map[string]any{"event_id": objectID()}, "event_id"),
		"WebhookReplay": obj(map[string]any{
			"event_id": objectID(), "status": map[string]any{"const": domain.OutboxPending},
		}, "event_id", "status"),
	}
}
