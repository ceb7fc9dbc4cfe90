-- Stored idempotent answers are sealed with the personal-data keys (issue
-- 10): `sealed` tells a sealed body from one written in clear by an older
-- build; the SealLegacy job seals those. Keys become the SHA-256 of the
-- client's exact bytes in migration 00051.

-- +goose Up
ALTER TABLE `idempotency_records` ADD COLUMN `sealed` tinyint(1) NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE `idempotency_records` DROP COLUMN `sealed`;
