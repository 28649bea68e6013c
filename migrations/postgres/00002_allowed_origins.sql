-- +goose Up
-- The web origins that may embed a company's widget (space-separated).
ALTER TABLE companies ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE companies DROP COLUMN allowed_origins;
