-- The records of one person share a name and a birth date (memberLineage).
-- A booking asks whether a suspension runs for any record with the
-- member's name and birth date (service/booking_short.go, issue 18): one
-- range read of (birth_date, name), which also serves every birth-date
-- lookup the single-column index served.

-- +goose Up
CREATE INDEX `ix_person_lineage` ON `persons` (`birth_date`, `name`);
DROP INDEX `idx_persons_birth_date` ON `persons`;

-- +goose Down
CREATE INDEX `idx_persons_birth_date` ON `persons` (`birth_date`);
DROP INDEX `ix_person_lineage` ON `persons`;
