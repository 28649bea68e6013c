-- +goose Up
-- One identity per record, refreshed in place. Every personal value lives
-- in the sealed column (the row id is its associated data); the plain
-- columns are ids, the source, the link-time match and times.
CREATE TABLE identities (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL,
    env         TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    bank_id     TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    source      TEXT NOT NULL,
    verified    INTEGER,
    score       INTEGER,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (company_id, env, record_id)
);
CREATE INDEX identities_scope_created ON identities (company_id, env, created_at);
CREATE INDEX identities_customer ON identities (company_id, env, customer_id);

-- When an identity changed and which fields (names only, never values).
CREATE TABLE identity_changes (
    id          TEXT PRIMARY KEY,
    identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    company_id  TEXT NOT NULL,
    env         TEXT NOT NULL,
    fields      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX identity_changes_identity ON identity_changes (identity_id, created_at);

-- +goose Down
DROP TABLE identity_changes;
DROP TABLE identities;
