-- +goose Up
-- An in-flight idempotency key is held until lease_until; after that a
-- retry may take it over. Blind indexes need no column: each carries the id
-- of the key that made it, and bankauth keys rotate re-indexes the first
-- release's per-installation indexes per company.
ALTER TABLE idempotency_keys ADD COLUMN lease_until TEXT;
-- Entries left in flight by an older release may be taken over at once.
UPDATE idempotency_keys SET lease_until = created_at;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN lease_until;
