-- +goose Up
-- The account ids an auth covers, in order, on the auth row itself, so a
-- page of auths is one query; auth_accounts stays for the account filter
-- and its integrity, and is written in the same transaction.
ALTER TABLE auths ADD COLUMN account_ids TEXT NOT NULL DEFAULT '';
UPDATE auths SET account_ids = l.ids
FROM (SELECT auth_id, string_agg(account_id, ',' ORDER BY position) AS ids FROM auth_accounts GROUP BY auth_id) l
WHERE l.auth_id = auths.id;

-- +goose Down
ALTER TABLE auths DROP COLUMN account_ids;
