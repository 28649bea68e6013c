-- +goose Up
-- Per-endpoint backoff: after a receiver times out, refuses connections or
-- answers 5xx/429, none of its events is claimed before retry_after, so one
-- failing receiver is not hammered by every new event. Setting the endpoint
-- again clears both.
ALTER TABLE webhook_endpoints ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_endpoints ADD COLUMN retry_after TIMESTAMPTZ;
-- The claim counts each endpoint's events in flight.
CREATE INDEX outbox_events_scope_claimed ON outbox_events (company_id, env, claimed_till);

-- The delivery log used to keep the client's error text (dial errors name
-- internal addresses and ports: a port-scan oracle); keep only the generic
-- reason the worker records now.
UPDATE outbox_events SET last_error = CASE
    WHEN last_error LIKE 'timed out after %' THEN 'timeout'
    WHEN last_error LIKE 'refused to connect to %' THEN 'refused: private address'
    WHEN last_error LIKE 'the receiver answered %' THEN 'HTTP ' || last_status
    WHEN last_error = 'could not open the endpoint''s signing secret' THEN 'signing secret unavailable'
    WHEN last_error = 'the endpoint URL is not usable' THEN 'invalid URL'
    ELSE 'connection failed'
END
WHERE last_error <> '' AND last_error NOT IN
    ('no webhook endpoint set', 'connection failed', 'timeout', 'refused: private address', 'invalid URL', 'signing secret unavailable')
    AND last_error NOT LIKE 'HTTP %';
UPDATE delivery_attempts SET error_text = CASE
    WHEN error_text LIKE 'timed out after %' THEN 'timeout'
    WHEN error_text LIKE 'refused to connect to %' THEN 'refused: private address'
    WHEN error_text LIKE 'the receiver answered %' THEN 'HTTP ' || http_status
    WHEN error_text = 'could not open the endpoint''s signing secret' THEN 'signing secret unavailable'
    WHEN error_text = 'the endpoint URL is not usable' THEN 'invalid URL'
    ELSE 'connection failed'
END
WHERE error_text <> '' AND error_text NOT IN
    ('no webhook endpoint set', 'connection failed', 'timeout', 'refused: private address', 'invalid URL', 'signing secret unavailable')
    AND error_text NOT LIKE 'HTTP %';

-- +goose Down
DROP INDEX outbox_events_scope_claimed;
ALTER TABLE webhook_endpoints DROP COLUMN retry_after;
ALTER TABLE webhook_endpoints DROP COLUMN failures;
