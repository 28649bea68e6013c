-- +goose Up
-- customers/flag: a flagged customer cannot link until customers/unflag.
ALTER TABLE customers ADD COLUMN flagged BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE customers DROP COLUMN flagged;
