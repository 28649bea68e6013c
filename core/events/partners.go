package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/ports"
)

// PartnerBody is the JSON a payment partner's webhook receives about one
// of its processor tokens. It names the token by id (every partner answer
// carries processor_token_id), never by the token itself.
type PartnerBody struct {
	EventID          string             `json:"event_id"`
	Method           domain.EventMethod `json:"method"`
	Code             string             `json:"code"`
	Env              domain.Env         `json:"env"`
	ProcessorTokenID string             `json:"processor_token_id"`
	AccountID        string             `json:"account_id"`
	CompanyID        string             `json:"company_id"`
	Message          string             `json:"message,omitempty"`
	CreatedAt        string             `json:"created_at"`
}

// EmitToPartner writes a PROCESSOR_TOKEN event about t to the outbox of
// t's partner (call it inside the transaction of the change it reports).
// The partner stands in the company's place in the outbox and the webhook
// endpoints (domain.PartnerScope), so the delivery worker signs and sends
// it like any company event.
func EmitToPartner(ctx context.Context, tx ports.Repos, ids ports.IDs, now time.Time, t domain.ProcessorToken, recordID domain.ID, code, message string) error {
	id := ids.NewID()
	payload, err := json.Marshal(PartnerBody{
		EventID: id, Method: domain.MethodProcessorToken, Code: code, Env: t.Env, ProcessorTokenID: t.ID,
		AccountID: t.AccountID, CompanyID: t.CompanyID, Message: message, CreatedAt: okra.Time(now),
	})
	if err != nil {
		return fmt.Errorf("encode %s partner event: %w", code, err)
	}
	scope := domain.PartnerScope(t.PartnerID, t.Env)
	err = tx.Outbox().Add(ctx, domain.OutboxEvent{
		ID: id, CompanyID: scope.CompanyID, Env: scope.Env, Method: domain.MethodProcessorToken, Code: code,
		RecordID: recordID, Payload: payload, Status: domain.OutboxPending, NextAttempt: now, CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		return fmt.Errorf("write %s partner event to the outbox: %w", code, err)
	}
	return nil
}

// notifyPartners tells the partner of every live processor token on a
// record that has become token_required: their redemptions fail until the
// customer logs in again.
func notifyPartners(ctx context.Context, tx ports.Repos, ids ports.IDs, now time.Time, e Event) error {
	if e.Method != domain.MethodRecord || e.Code != domain.CodeTokenRequired || e.Record.ID == "" {
		return nil
	}
	tokens, err := tx.ProcessorTokens().ActiveByRecord(ctx, e.Scope, e.Record.ID)
	if err != nil {
		return fmt.Errorf("list the processor tokens of record %s: %w", e.Record.ID, err)
	}
	for _, t := range tokens {
		if err := EmitToPartner(ctx, tx, ids, now, t, e.Record.ID, domain.CodeTokenRequired,
			"the bank needs the customer to log in again; the token answers 409 TOKEN_REQUIRED until the company reauthenticates the account"); err != nil {
			return err
		}
	}
	return nil
}

// shownTo masks the NUBANs ("nuban" fields at any depth) of a company
// event's body when the company hides account numbers.
func shownTo(ctx context.Context, tx ports.Repos, scope domain.Scope, payload []byte) ([]byte, error) {
	c, err := tx.Companies().Get(ctx, scope.CompanyID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return payload, nil
	case err != nil:
		return nil, fmt.Errorf("load company %s: %w", scope.CompanyID, err)
	case !c.HideAccountNumbers:
		return payload, nil
	}
	var body any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber() // amounts stay exactly as written
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("decode event body: %w", err)
	}
	return json.Marshal(maskNUBANs(body, c))
}

func maskNUBANs(v any, c domain.Company) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, isString := val.(string); isString && k == "nuban" {
				x[k] = c.ShowNUBAN(s)
			} else {
				x[k] = maskNUBANs(val, c)
			}
		}
	case []any:
		for i := range x {
			x[i] = maskNUBANs(x[i], c)
		}
	}
	return v
}
