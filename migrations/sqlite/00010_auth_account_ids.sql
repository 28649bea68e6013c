-- +goose Up
-- The account ids an auth covers, in order, on the auth row itself, so a
-- page of auths is one query; auth_accounts stays for the account filter
-- and its integrity, and is written in the same transaction.
ALTER TABLE auths ADD COLUMN account_ids TEXT NOT NULL DEFAULT '';
UPDATE auths SET account_ids = COALESCE((SELECT group_concat(aa.account_id, ',' ORDER BY aa.position)
    FROM auth_accounts aa WHERE aa.auth_id = auths.id), '');

-- +goose Down
ALTER TABLE auths DROP COLUMN account_ids;
