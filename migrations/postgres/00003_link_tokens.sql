-- +goose Up
-- Link tokens: what a company's server vouches for before a session opens.
-- Only the token's SHA-256 is kept.
CREATE TABLE link_tokens (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL,
    env         TEXT NOT NULL,
    token_hash  BYTEA NOT NULL UNIQUE,
    options     BYTEA,
    expires_at  TIMESTAMPTZ NOT NULL,
    consumed_at TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX link_tokens_expires ON link_tokens (expires_at);

-- Quick-login failures per record, across sessions and instances.
ALTER TABLE records ADD COLUMN quick_login_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN quick_login_locked_until TIMESTAMPTZ;

-- +goose Down
ALTER TABLE records DROP COLUMN quick_login_locked_until;
ALTER TABLE records DROP COLUMN quick_login_failures;
DROP TABLE link_tokens;
