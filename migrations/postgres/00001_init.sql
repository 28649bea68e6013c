-- +goose Up
-- bankauth initial schema. Every tenant table carries company_id and env.
-- Timestamps are UTC (timestamptz, microsecond precision).

CREATE TABLE companies (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    duplicate_policy TEXT NOT NULL,
    frame_ancestors  TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    env        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    hash       BYTEA NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_company ON api_keys (company_id, created_at);

CREATE TABLE banks (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    country    TEXT NOT NULL,
    connector  TEXT NOT NULL,
    methods    TEXT NOT NULL,
    mfa_kinds  TEXT NOT NULL,
    products   TEXT NOT NULL,
    status     TEXT NOT NULL,
    production BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE registered_connectors (
    name       TEXT PRIMARY KEY,
    path       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    env        TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX customers_scope_created ON customers (company_id, env, created_at);

CREATE TABLE customer_identifiers (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL,
    env         TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    blind_index BYTEA NOT NULL,
    sealed      BYTEA,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (company_id, env, kind, blind_index)
);
CREATE INDEX customer_identifiers_customer ON customer_identifiers (customer_id);

CREATE TABLE records (
    id              TEXT PRIMARY KEY,
    company_id      TEXT NOT NULL,
    env             TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    bank_id         TEXT NOT NULL,
    status          TEXT NOT NULL,
    method          TEXT NOT NULL,
    products        TEXT NOT NULL,
    sealed_session  BYTEA,
    sealed_username BYTEA,
    login_key       BYTEA,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX records_scope_customer ON records (company_id, env, customer_id);
CREATE INDEX records_scope_created ON records (company_id, env, created_at);
CREATE UNIQUE INDEX records_login ON records (company_id, env, bank_id, login_key)
    WHERE login_key IS NOT NULL;

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    company_id    TEXT NOT NULL,
    env           TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    customer_id   TEXT NOT NULL,
    bank_id       TEXT NOT NULL,
    connector_ref TEXT NOT NULL,
    nuban         TEXT NOT NULL,
    name          TEXT NOT NULL,
    account_type  TEXT NOT NULL,
    currency      TEXT NOT NULL,
    connected     BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (company_id, env, bank_id, nuban)
);
CREATE INDEX accounts_record ON accounts (record_id);
CREATE INDEX accounts_scope_customer ON accounts (company_id, env, customer_id);
CREATE INDEX accounts_scope_created ON accounts (company_id, env, created_at);

CREATE TABLE auths (
    id              TEXT PRIMARY KEY,
    company_id      TEXT NOT NULL,
    env             TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    bank_id         TEXT NOT NULL,
    validated       BOOLEAN NOT NULL,
    validation_note TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (company_id, env, record_id)
);
CREATE INDEX auths_scope_created ON auths (company_id, env, created_at);

CREATE TABLE auth_accounts (
    auth_id    TEXT NOT NULL REFERENCES auths (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (auth_id, account_id)
);
CREATE INDEX auth_accounts_account ON auth_accounts (account_id);

CREATE TABLE balances (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL,
    env         TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    available   BIGINT NOT NULL,
    ledger      BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    as_of       TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX balances_account_created ON balances (account_id, created_at);
CREATE INDEX balances_scope_created ON balances (company_id, env, created_at);

CREATE TABLE link_sessions (
    id           TEXT PRIMARY KEY,
    company_id   TEXT NOT NULL,
    env          TEXT NOT NULL,
    token_hash   BYTEA,
    options      BYTEA,
    status       TEXT NOT NULL,
    bank_id      TEXT NOT NULL,
    method       TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    step         BYTEA,
    sealed_state BYTEA,
    attempts     INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX link_sessions_scope_customer ON link_sessions (company_id, env, customer_id);
CREATE INDEX link_sessions_expires ON link_sessions (expires_at);

CREATE TABLE short_links (
    code       TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    env        TEXT NOT NULL,
    options    BYTEA,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ
);

CREATE TABLE webhook_endpoints (
    company_id      TEXT NOT NULL,
    env             TEXT NOT NULL,
    url             TEXT NOT NULL,
    sealed_token    BYTEA,
    sealed_secret   BYTEA,
    sealed_previous BYTEA,
    previous_until  TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, env)
);

CREATE TABLE outbox_events (
    id           TEXT PRIMARY KEY,
    company_id   TEXT NOT NULL,
    env          TEXT NOT NULL,
    method       TEXT NOT NULL,
    code         TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    payload      BYTEA,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    next_attempt TIMESTAMPTZ NOT NULL,
    last_status  INTEGER NOT NULL,
    last_error   TEXT NOT NULL,
    claimed_by   TEXT NOT NULL,
    claimed_till TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbox_events_due ON outbox_events (status, next_attempt);
CREATE INDEX outbox_events_scope_created ON outbox_events (company_id, env, created_at);

CREATE TABLE delivery_attempts (
    id          TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL,
    company_id  TEXT NOT NULL,
    env         TEXT NOT NULL,
    url         TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    error_text  TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX delivery_attempts_event ON delivery_attempts (event_id, created_at);

CREATE TABLE idempotency_keys (
    company_id   TEXT NOT NULL,
    env          TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash BYTEA,
    state        TEXT NOT NULL,
    status_code  INTEGER NOT NULL,
    response     BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, env, idem_key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    env        TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     BYTEA,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_events_scope_created ON audit_events (company_id, env, created_at);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    company_id   TEXT NOT NULL,
    env          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    payload      BYTEA,
    result       BYTEA,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    run_after    TIMESTAMPTZ NOT NULL,
    claimed_by   TEXT NOT NULL,
    claimed_till TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_after);
CREATE INDEX jobs_subject ON jobs (company_id, env, kind, subject, created_at);

-- +goose Down
DROP TABLE jobs;
DROP TABLE audit_events;
DROP TABLE idempotency_keys;
DROP TABLE delivery_attempts;
DROP TABLE outbox_events;
DROP TABLE webhook_endpoints;
DROP TABLE short_links;
DROP TABLE link_sessions;
DROP TABLE balances;
DROP TABLE auth_accounts;
DROP TABLE auths;
DROP TABLE accounts;
DROP TABLE records;
DROP TABLE customer_identifiers;
DROP TABLE customers;
DROP TABLE registered_connectors;
DROP TABLE banks;
DROP TABLE api_keys;
DROP TABLE companies;
