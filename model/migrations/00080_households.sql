-- Households and persons (issue 14). members becomes persons (same ids, so
-- every member_id column now names a person) with an identity document
-- (sealed number, masked copy, keyed blind index: one number, one person);
-- households hold accounts (guardian / self_only) and persons; one-time
-- invitations, link requests for persons known to another household, and
-- consents. The data of the build before moves in migration 00081.

-- +goose Up
ALTER TABLE `members` RENAME TO `persons`;
ALTER TABLE `persons` RENAME INDEX `idx_members_user_id` TO `idx_persons_user_id`;
ALTER TABLE `persons` RENAME INDEX `idx_members_birth_date` TO `idx_persons_birth_date`;
ALTER TABLE `persons` RENAME INDEX `idx_members_deleted_at` TO `idx_persons_deleted_at`;
ALTER TABLE `persons`
  ADD COLUMN `id_type` varchar(24) NOT NULL DEFAULT '',
  ADD COLUMN `id_number` varchar(255) NOT NULL DEFAULT '',
  ADD COLUMN `id_masked` varchar(32) NOT NULL DEFAULT '',
  ADD COLUMN `id_hash` varchar(64) DEFAULT NULL,
  ADD COLUMN `verified` tinyint(1) NOT NULL DEFAULT 0,
  ADD UNIQUE KEY `idx_persons_id_hash` (`id_hash`);

CREATE TABLE IF NOT EXISTS `households` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `name` varchar(64) NOT NULL DEFAULT '',
  `created_by` bigint(20) NOT NULL,
  `clinic_id` bigint(20) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_households_created_by` (`created_by`),
  KEY `idx_households_clinic_id` (`clinic_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `household_accounts` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `household_id` bigint(20) NOT NULL,
  `user_id` bigint(20) NOT NULL,
  `role` varchar(16) NOT NULL,
  `person_id` bigint(20) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_household_account` (`household_id`,`user_id`),
  KEY `idx_household_accounts_user_id` (`user_id`),
  KEY `idx_household_accounts_person_id` (`person_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `household_persons` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `household_id` bigint(20) NOT NULL,
  `person_id` bigint(20) NOT NULL,
  `relation` varchar(16) NOT NULL,
  `added_by` bigint(20) NOT NULL DEFAULT 0,
  `created_at` datetime(3) DEFAULT NULL,
  `deleted_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_household_person` (`household_id`,`person_id`),
  KEY `idx_household_persons_person_id` (`person_id`),
  KEY `idx_household_persons_deleted_at` (`deleted_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `household_invitations` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `household_id` bigint(20) NOT NULL,
  `code_hash` varchar(64) NOT NULL,
  `role` varchar(16) NOT NULL,
  `person_id` bigint(20) DEFAULT NULL,
  `created_by` bigint(20) NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  `used_by` bigint(20) DEFAULT NULL,
  `used_at` datetime(3) DEFAULT NULL,
  `revoked_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_household_invitations_code_hash` (`code_hash`),
  KEY `idx_household_invitations_household_id` (`household_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `link_requests` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `person_id` bigint(20) NOT NULL,
  `household_id` bigint(20) NOT NULL,
  `relation` varchar(16) NOT NULL,
  `requested_by` bigint(20) NOT NULL,
  `status` varchar(16) NOT NULL,
  `decided_by` bigint(20) DEFAULT NULL,
  `decided_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_link_requests_person_id` (`person_id`),
  KEY `idx_link_requests_household_id` (`household_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `consents` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `person_id` bigint(20) NOT NULL,
  `purpose` varchar(32) NOT NULL,
  `method` varchar(16) NOT NULL,
  `given_by` bigint(20) NOT NULL DEFAULT 0,
  `recorded_by` bigint(20) NOT NULL DEFAULT 0,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_consents_person_id` (`person_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `consents`;
DROP TABLE IF EXISTS `link_requests`;
DROP TABLE IF EXISTS `household_invitations`;
DROP TABLE IF EXISTS `household_persons`;
DROP TABLE IF EXISTS `household_accounts`;
DROP TABLE IF EXISTS `households`;
ALTER TABLE `persons` DROP INDEX `idx_persons_id_hash`,
  DROP COLUMN `verified`, DROP COLUMN `id_hash`, DROP COLUMN `id_masked`, DROP COLUMN `id_number`, DROP COLUMN `id_type`;
ALTER TABLE `persons` RENAME INDEX `idx_persons_deleted_at` TO `idx_members_deleted_at`;
ALTER TABLE `persons` RENAME INDEX `idx_persons_birth_date` TO `idx_members_birth_date`;
ALTER TABLE `persons` RENAME INDEX `idx_persons_user_id` TO `idx_members_user_id`;
ALTER TABLE `persons` RENAME TO `members`;
