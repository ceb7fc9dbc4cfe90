-- The doctor's worklist (GET /api/v1/staff/worklist, issue 18) reads all of
-- a team's active contracts and their members, its open consultations and
-- its clinics' pending medicine orders. Each read found its rows through an
-- index and then read every row from the table: on a province's tables a
-- team's rows lie one on a page of their own, so a page per row. These
-- indexes hold what the worklist asks for, so it reads the indexes alone
-- (EXPLAIN: Using index), as it already did for follow-ups
-- (ix_followup_team_work):
--   family_contracts (team_id, status, valid_until, clinic_id), replacing
--     (team_id), which only the worklist used;
--   contract_members (contract_id, active, member_id), replacing
--     (contract_id);
--   consultations ix_consult_team_status gains person_id and due_at;
--   medicine_orders ix_medicine_clinic_status gains id and member_id: id
--     keeps the staff list's order (a clinic's orders of a status by id,
--     which InnoDB gave by appending the primary key), member_id is what the
--     worklist counts.

-- +goose Up
ALTER TABLE `family_contracts` ADD INDEX `ix_contract_team_work` (`team_id`, `status`, `valid_until`, `clinic_id`),
  DROP INDEX `idx_family_contracts_team_id`;
ALTER TABLE `contract_members` ADD INDEX `ix_contract_members_of` (`contract_id`, `active`, `member_id`),
  DROP INDEX `idx_contract_members_contract_id`;
ALTER TABLE `consultations` DROP INDEX `ix_consult_team_status`,
  ADD INDEX `ix_consult_team_status` (`team_id`, `status`, `person_id`, `due_at`);
ALTER TABLE `medicine_orders` DROP INDEX `ix_medicine_clinic_status`,
  ADD INDEX `ix_medicine_clinic_status` (`clinic_id`, `status`, `id`, `member_id`);

-- +goose Down
ALTER TABLE `medicine_orders` DROP INDEX `ix_medicine_clinic_status`,
  ADD INDEX `ix_medicine_clinic_status` (`clinic_id`, `status`);
ALTER TABLE `consultations` DROP INDEX `ix_consult_team_status`,
  ADD INDEX `ix_consult_team_status` (`team_id`, `status`);
ALTER TABLE `contract_members` ADD INDEX `idx_contract_members_contract_id` (`contract_id`),
  DROP INDEX `ix_contract_members_of`;
ALTER TABLE `family_contracts` ADD INDEX `idx_family_contracts_team_id` (`team_id`),
  DROP INDEX `ix_contract_team_work`;
