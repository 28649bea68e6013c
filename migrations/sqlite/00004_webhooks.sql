-- +goose Up
-- Per-endpoint backoff: after a receiver times out, refuses connections or
-- answers 5xx/429, none of its events is claimed before retry_after, so one
-- failing receiver is not hammered by every new event. Setting the endpoint
-- again clears both.
ALTER TABLE webhook_endpoints ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_endpoints ADD COLUMN retry_after TEXT;
-- The claim counts each endpoint's events in flight.
CREATE INDEX outbox_events_scope_claimed ON outbox_events (company_id, env, claimed_till);

-- +goose Down
DROP INDEX outbox_events_scope_claimed;
ALTER TABLE webhook_endpoints DROP COLUMN retry_after;
ALTER TABLE webhook_endpoints DROP COLUMN failures;
