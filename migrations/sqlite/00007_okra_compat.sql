-- +goose Up
-- customers/flag: a flagged customer cannot link until customers/unflag.
ALTER TABLE customers ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE customers DROP COLUMN flagged;
