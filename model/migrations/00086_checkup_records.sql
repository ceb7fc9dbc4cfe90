-- 儿保 check-ups recorded by staff (issue 16): which visit of a child's
-- plan was done, when and where, at which booking, the measurement taken and
-- the sealed notes. One record per person and visit, one per booking.

-- +goose Up
CREATE TABLE IF NOT EXISTS `checkup_records` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `person_id` bigint(20) NOT NULL,
  `code` varchar(32) NOT NULL,
  `done_at` datetime(3) NOT NULL,
  `clinic_id` bigint(20) NOT NULL DEFAULT 0,
  `booking_id` bigint(20) DEFAULT NULL,
  `measurement_id` bigint(20) NOT NULL DEFAULT 0,
  `notes` text NOT NULL,
  `recorded_by` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_checkup_record` (`person_id`,`code`),
  UNIQUE KEY `idx_checkup_records_booking_id` (`booking_id`),
  KEY `idx_checkup_records_clinic_id` (`clinic_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `checkup_records`;
