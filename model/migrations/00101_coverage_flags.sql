-- Coverage figures that mean what the policy means (issue 15): persons carry
-- the 失能 (disabled) and 特困 (special hardship) flags staff record, and a
-- household the village or community (one of a clinic's catchment names) it
-- lives in. 00102 moves what the build before knew into them.

-- +goose Up
ALTER TABLE `persons`
  ADD COLUMN `disabled` tinyint(1) NOT NULL DEFAULT 0 AFTER `birth_weeks`,
  ADD COLUMN `special_hardship` tinyint(1) NOT NULL DEFAULT 0 AFTER `disabled`;

ALTER TABLE `households`
  ADD COLUMN `village` varchar(64) NOT NULL DEFAULT '' AFTER `clinic_id`,
  ADD KEY `idx_households_village` (`village`);

-- +goose Down
ALTER TABLE `households` DROP KEY `idx_households_village`, DROP COLUMN `village`;
ALTER TABLE `persons` DROP COLUMN `special_hardship`, DROP COLUMN `disabled`;
