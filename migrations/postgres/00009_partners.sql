-- +goose Up
-- Payment partners: processors the operator registers, with their own
-- secret keys (only hashes kept). A partner's webhook endpoint and events
-- live in webhook_endpoints and outbox_events under the partner's id.
CREATE TABLE partners (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE partner_keys (
    id         TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    env        TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    hash       BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX partner_keys_partner ON partner_keys (partner_id, created_at);

-- Processor tokens: a company hands one to a partner instead of an account
-- number. Only the token's SHA-256 is kept.
CREATE TABLE processor_tokens (
    id           TEXT PRIMARY KEY,
    company_id   TEXT NOT NULL,
    env          TEXT NOT NULL,
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    account_id   TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    token_hash   BYTEA NOT NULL UNIQUE,
    redemptions  INTEGER NOT NULL DEFAULT 0,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX processor_tokens_scope_created ON processor_tokens (company_id, env, created_at);
CREATE INDEX processor_tokens_account ON processor_tokens (account_id);

-- Every redemption: which partner used which token for what, and when.
CREATE TABLE processor_token_redemptions (
    id         TEXT PRIMARY KEY,
    token_id   TEXT NOT NULL REFERENCES processor_tokens (id) ON DELETE CASCADE,
    company_id TEXT NOT NULL,
    env        TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    product    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX processor_token_redemptions_token ON processor_token_redemptions (token_id, created_at);

-- The 3-digit CBN code a bank's NUBANs' check digit is computed with.
ALTER TABLE banks ADD COLUMN code TEXT NOT NULL DEFAULT '';

-- A company that hides account numbers sees only masked NUBANs.
ALTER TABLE companies ADD COLUMN hide_account_numbers BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE companies DROP COLUMN hide_account_numbers;
ALTER TABLE banks DROP COLUMN code;
DROP TABLE processor_token_redemptions;
DROP TABLE processor_tokens;
DROP TABLE partner_keys;
DROP TABLE partners;
