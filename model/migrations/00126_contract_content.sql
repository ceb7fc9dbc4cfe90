-- Contract content (issue 17): the service packages a contract names, the
-- agreement text version the family accepted and the responsible doctor.

-- +goose Up
ALTER TABLE `family_contracts`
  ADD COLUMN `packages` text DEFAULT NULL AFTER `reminded_at`,
  ADD COLUMN `agreement_version` varchar(32) NOT NULL DEFAULT '' AFTER `packages`,
  ADD COLUMN `responsible_doctor_id` bigint(20) NOT NULL DEFAULT 0 AFTER `agreement_version`;

CREATE TABLE IF NOT EXISTS `service_packages` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `clinic_id` bigint(20) NOT NULL DEFAULT 0,
  `code` varchar(32) NOT NULL,
  `name` varchar(64) NOT NULL,
  `description` varchar(500) NOT NULL DEFAULT '',
  `active` tinyint(1) NOT NULL DEFAULT 1,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_service_package` (`clinic_id`,`code`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `service_packages`;
ALTER TABLE `family_contracts` DROP COLUMN `responsible_doctor_id`, DROP COLUMN `agreement_version`, DROP COLUMN `packages`;
