-- +goose Up
-- The read side pages newest first by (created_at, id) within a scope and
-- counts the same rows: with id in the index the page is read in index
-- order and the count from the index alone.
CREATE INDEX auths_scope_created_id ON auths (company_id, env, created_at, id);
DROP INDEX auths_scope_created;
CREATE INDEX auths_scope_customer_created ON auths (company_id, env, customer_id, created_at, id);
CREATE INDEX auths_scope_bank_created ON auths (company_id, env, bank_id, created_at, id);
CREATE INDEX accounts_scope_created_id ON accounts (company_id, env, created_at, id);
DROP INDEX accounts_scope_created;
CREATE INDEX customers_scope_created_id ON customers (company_id, env, created_at, id);
DROP INDEX customers_scope_created;
CREATE INDEX records_scope_created_id ON records (company_id, env, created_at, id);
DROP INDEX records_scope_created;
CREATE INDEX balances_scope_created_id ON balances (company_id, env, created_at, id);
DROP INDEX balances_scope_created;
CREATE INDEX balances_scope_customer_created ON balances (company_id, env, customer_id, created_at, id);

-- +goose Down
DROP INDEX balances_scope_customer_created;
CREATE INDEX balances_scope_created ON balances (company_id, env, created_at);
DROP INDEX balances_scope_created_id;
CREATE INDEX records_scope_created ON records (company_id, env, created_at);
DROP INDEX records_scope_created_id;
CREATE INDEX customers_scope_created ON customers (company_id, env, created_at);
DROP INDEX customers_scope_created_id;
CREATE INDEX accounts_scope_created ON accounts (company_id, env, created_at);
DROP INDEX accounts_scope_created_id;
DROP INDEX auths_scope_bank_created;
DROP INDEX auths_scope_customer_created;
CREATE INDEX auths_scope_created ON auths (company_id, env, created_at);
DROP INDEX auths_scope_created_id;
