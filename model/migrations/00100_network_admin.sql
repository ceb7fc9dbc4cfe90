-- Network administration (issue 15): clinics gain a status (closed clinics
-- leave the public lists), offers, catchment, opening-hour rules and a map
-- location; staff accounts a position and a suspension; experts a home
-- clinic and their sittings (名医工作室); staff invitations keep only the
-- code's hash; every admin change writes an audit row.

-- +goose Up
ALTER TABLE `clinics`
  ADD COLUMN `status` varchar(16) NOT NULL DEFAULT 'open' AFTER `open_hours`,
  ADD COLUMN `offers` text DEFAULT NULL AFTER `status`,
  ADD COLUMN `catchment` text DEFAULT NULL AFTER `offers`,
  ADD COLUMN `hours` text DEFAULT NULL AFTER `catchment`,
  ADD COLUMN `lat` double DEFAULT NULL AFTER `hours`,
  ADD COLUMN `lng` double DEFAULT NULL AFTER `lat`;

ALTER TABLE `users`
  ADD COLUMN `position` varchar(16) NOT NULL DEFAULT '' AFTER `clinic_id`,
  ADD COLUMN `suspended_at` datetime(3) DEFAULT NULL AFTER `position`;

ALTER TABLE `experts`
  ADD COLUMN `home_clinic_id` bigint(20) NOT NULL DEFAULT 0 AFTER `clinic_id`;

CREATE TABLE IF NOT EXISTS `expert_sittings` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `expert_id` bigint(20) NOT NULL,
  `clinic_id` bigint(20) NOT NULL,
  `studio_name` varchar(128) NOT NULL DEFAULT '',
  `weekdays` varchar(32) NOT NULL DEFAULT '',
  `start_time` varchar(5) NOT NULL DEFAULT '',
  `end_time` varchar(5) NOT NULL DEFAULT '',
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_expert_sitting` (`expert_id`,`clinic_id`),
  KEY `idx_expert_sittings_clinic_id` (`clinic_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `audit_logs` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `actor_id` bigint(20) NOT NULL,
  `actor_role` varchar(16) NOT NULL,
  `action` varchar(32) NOT NULL,
  `target_type` varchar(16) NOT NULL,
  `target_id` bigint(20) NOT NULL,
  `clinic_id` bigint(20) NOT NULL DEFAULT 0,
  `detail` text DEFAULT NULL,
  `created_at` datetime(3) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_audit_logs_actor_id` (`actor_id`),
  KEY `ix_audit_target` (`target_type`,`target_id`),
  KEY `ix_audit_clinic` (`clinic_id`,`created_at`),
  KEY `idx_audit_logs_created_at` (`created_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `staff_invitations` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `code_hash` varchar(64) NOT NULL,
  `clinic_id` bigint(20) NOT NULL,
  `position` varchar(16) NOT NULL,
  `created_by` bigint(20) NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  `redeemed_by` bigint(20) DEFAULT NULL,
  `redeemed_at` datetime(3) DEFAULT NULL,
  `revoked_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_staff_invitations_code_hash` (`code_hash`),
  KEY `idx_staff_invitations_clinic_id` (`clinic_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `staff_invitations`;
DROP TABLE IF EXISTS `audit_logs`;
DROP TABLE IF EXISTS `expert_sittings`;
ALTER TABLE `experts` DROP COLUMN `home_clinic_id`;
ALTER TABLE `users` DROP COLUMN `suspended_at`, DROP COLUMN `position`;
ALTER TABLE `clinics` DROP COLUMN `lng`, DROP COLUMN `lat`, DROP COLUMN `hours`, DROP COLUMN `catchment`, DROP COLUMN `offers`, DROP COLUMN `status`;
