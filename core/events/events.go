// Package events builds the webhook events the core writes to the outbox in
// the same transaction as the change they report.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
	"github.com/bankauth/bankauth/core/ports"
)

// Body is the JSON a webhook receiver gets, one per event.
type Body struct {
	EventID    string             `json:"event_id"`
	Method     domain.EventMethod `json:"method"`
	Code       string             `json:"code"`
	Env        domain.Env         `json:"env"`
	Record     string             `json:"record"`
	CustomerID string             `json:"customerId"`
	BankID     string             `json:"bankId"`
	BankName   string             `json:"bankName"`
	Auth       any                `json:"auth,omitempty"`
	Balance    any                `json:"balance,omitempty"`
	Identity   any                `json:"identity,omitempty"`
	Message    string             `json:"message,omitempty"`
	CreatedAt  string             `json:"created_at"`
}

// Event is what a service wants to tell the company.
type Event struct {
	Scope   domain.Scope
	Method  domain.EventMethod
	Code    string
	Record  domain.Record
	Bank    domain.Bank
	Auth    any // the Okra-shaped auth, for AUTH events
	Balance any // the Okra-shaped balance, for BALANCE events
	// Identity is the identity's reference (never its personal values),
	// for IDENTITY events.
	Identity any
	Message  string
}

// Emit writes e to the outbox through repos (call it inside the
// transaction of the change it reports).
func Emit(ctx context.Context, tx ports.Repos, ids ports.IDs, now time.Time, e Event) (domain.OutboxEvent, error) {
	id := ids.NewID()
	body := Body{
		EventID: id, Method: e.Method, Code: e.Code, Env: e.Scope.Env, Record: e.Record.ID,
		CustomerID: e.Record.CustomerID, BankID: e.Bank.ID, BankName: e.Bank.Name,
		Auth: e.Auth, Balance: e.Balance, Identity: e.Identity, Message: e.Message,
		CreatedAt: okra.Time(now),
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return domain.OutboxEvent{}, fmt.Errorf("encode %s event: %w", e.Code, err)
	}
	if payload, err = shownTo(ctx, tx, e.Scope, payload); err != nil {
		return domain.OutboxEvent{}, err
	}
	ev := domain.OutboxEvent{
		ID: id, CompanyID: e.Scope.CompanyID, Env: e.Scope.Env, Method: e.Method, Code: e.Code,
		RecordID: e.Record.ID, Payload: payload, Status: domain.OutboxPending,
		NextAttempt: now, CreatedAt: now, UpdatedAt: now,
	}
	if err := tx.Outbox().Add(ctx, ev); err != nil {
		return domain.OutboxEvent{}, fmt.Errorf("write %s event to the outbox: %w", e.Code, err)
	}
	if err := notifyPartners(ctx, tx, ids, now, e); err != nil {
		return domain.OutboxEvent{}, err
	}
	return ev, nil
}

// MarkTokenRequired records, through tx, that the bank needs the customer
// again: the record's status token_required and its RECORD webhook event.
// A record already marked is left alone (one webhook per expiry); marked
// says whether this call marked it, so the caller adds what is its own
// (an audit line) and nudges the delivery worker after the commit.
func MarkTokenRequired(ctx context.Context, tx ports.Repos, ids ports.IDs, now time.Time, s domain.Scope, recordID domain.ID, bank domain.Bank) (r domain.Record, marked bool, err error) {
	r, err = tx.Records().Get(ctx, s, recordID)
	if err != nil {
		return r, false, fmt.Errorf("load record %s: %w", recordID, err)
	}
	if r.Status == domain.RecordTokenRequired {
		return r, false, nil
	}
	r.Status, r.UpdatedAt = domain.RecordTokenRequired, now
	if err := tx.Records().Update(ctx, r); err != nil {
		return r, false, fmt.Errorf("mark record %s token_required: %w", r.ID, err)
	}
	if _, err := Emit(ctx, tx, ids, now, Event{
		Scope: s, Method: domain.MethodRecord, Code: domain.CodeTokenRequired, Record: r, Bank: bank,
		Message: "the bank session expired; the customer must log in again (reauthenticate this record)",
	}); err != nil {
		return r, false, err
	}
	return r, true, nil
}
