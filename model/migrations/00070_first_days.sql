-- The first 1000 days (issue 16): vaccination doses given (one row per
-- person, vaccine and dose: the unique key refuses a dose recorded twice),
-- growth measurements, the doses planned for a vaccination booking, admins' 自费 vaccines, and the claims of reminders (the unique claim key
-- makes each reminder go out once across replicas). person_id holds
-- members.id until persons replace members (persons keep the same ids).

-- +goose Up
CREATE TABLE IF NOT EXISTS `vaccination_doses` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `person_id` bigint(20) NOT NULL,
  `vaccine` varchar(32) NOT NULL,
  `dose` bigint(20) NOT NULL,
  `given_at` datetime(3) NOT NULL,
  `lot` varchar(64) NOT NULL DEFAULT '',
  `manufacturer` varchar(128) NOT NULL DEFAULT '',
  `site` varchar(32) NOT NULL DEFAULT '',
  `clinic_id` bigint(20) NOT NULL DEFAULT 0,
  `booking_id` bigint(20) NOT NULL DEFAULT 0,
  `recorded_by` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_vacc_dose` (`person_id`,`vaccine`,`dose`),
  KEY `idx_vaccination_doses_clinic_id` (`clinic_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `growth_measurements` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `person_id` bigint(20) NOT NULL,
  `measured_at` datetime(3) NOT NULL,
  `weight_kg` double DEFAULT NULL,
  `length_cm` double DEFAULT NULL,
  `head_cm` double DEFAULT NULL,
  `self_reported` tinyint(1) NOT NULL DEFAULT 0,
  `clinic_id` bigint(20) NOT NULL DEFAULT 0,
  `recorded_by` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_growth_person` (`person_id`,`measured_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `care_reminders` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `claim_key` varchar(128) NOT NULL,
  `person_id` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_care_reminders_claim_key` (`claim_key`),
  KEY `idx_care_reminders_person_id` (`person_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `booking_planned_doses` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `booking_id` bigint(20) NOT NULL,
  `vaccine` varchar(32) NOT NULL,
  `dose` bigint(20) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_booking_planned` (`booking_id`,`vaccine`,`dose`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `custom_vaccines` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `code` varchar(32) NOT NULL,
  `name` varchar(64) NOT NULL,
  `doses` text DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_custom_vaccines_code` (`code`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `custom_vaccines`;
DROP TABLE IF EXISTS `booking_planned_doses`;
DROP TABLE IF EXISTS `care_reminders`;
DROP TABLE IF EXISTS `growth_measurements`;
DROP TABLE IF EXISTS `vaccination_doses`;
