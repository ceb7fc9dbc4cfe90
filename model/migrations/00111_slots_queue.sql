-- Time slots and queue numbers (issue 15): a booking's arrival slot and
-- time, the 排队号 given at check-in (unique per clinic and day), the slots
-- of sliced sessions and the per-clinic-day queue counters.

-- +goose Up
ALTER TABLE `bookings`
  ADD COLUMN `slot_id` bigint(20) NOT NULL DEFAULT 0,
  ADD COLUMN `arrival_at` datetime(3) DEFAULT NULL,
  ADD COLUMN `ends_at` datetime(3) DEFAULT NULL,
  ADD COLUMN `queue_day` varchar(10) DEFAULT NULL,
  ADD COLUMN `queue_no` bigint(20) DEFAULT NULL,
  ADD KEY `idx_bookings_slot_id` (`slot_id`),
  ADD UNIQUE KEY `ux_booking_queue` (`clinic_id`,`queue_day`,`queue_no`);

CREATE TABLE IF NOT EXISTS `session_slots` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `session_id` bigint(20) NOT NULL,
  `starts_at` datetime(3) NOT NULL,
  `ends_at` datetime(3) NOT NULL,
  `capacity` bigint(20) NOT NULL,
  `booked` bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_slot_session_start` (`session_id`,`starts_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `queue_counters` (
  `clinic_id` bigint(20) NOT NULL,
  `day` varchar(10) NOT NULL,
  `last` bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY (`clinic_id`,`day`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `queue_counters`;
DROP TABLE IF EXISTS `session_slots`;
ALTER TABLE `bookings` DROP KEY `ux_booking_queue`, DROP KEY `idx_bookings_slot_id`,
  DROP COLUMN `queue_no`, DROP COLUMN `queue_day`, DROP COLUMN `ends_at`, DROP COLUMN `arrival_at`, DROP COLUMN `slot_id`;
