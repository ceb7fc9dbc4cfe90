-- Referrals with reserved seats (issue 17): seats of a session kept for
-- referrals, the referral a booking was made with, referrals and their
-- history. referrals.reason is sealed (pii.Box).

-- +goose Up
ALTER TABLE `sessions`
  ADD COLUMN `reserved` bigint(20) NOT NULL DEFAULT 0,
  ADD COLUMN `reserved_booked` bigint(20) NOT NULL DEFAULT 0;
ALTER TABLE `bookings`
  ADD COLUMN `referral_id` bigint(20) NOT NULL DEFAULT 0,
  ADD COLUMN `reserved_seat` tinyint(1) NOT NULL DEFAULT 0,
  ADD KEY `idx_bookings_referral_id` (`referral_id`);

CREATE TABLE IF NOT EXISTS `referrals` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `person_id` bigint(20) NOT NULL,
  `user_id` bigint(20) NOT NULL,
  `from_clinic_id` bigint(20) NOT NULL,
  `to_clinic_id` bigint(20) NOT NULL,
  `service_id` bigint(20) NOT NULL DEFAULT 0,
  `expert_id` bigint(20) NOT NULL DEFAULT 0,
  `reason` text DEFAULT NULL,
  `urgency` varchar(16) NOT NULL,
  `priority_admission` tinyint(1) NOT NULL DEFAULT 1,
  `status` varchar(16) NOT NULL,
  `booking_id` bigint(20) NOT NULL DEFAULT 0,
  `issued_by` bigint(20) NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_referrals_person_id` (`person_id`),
  KEY `idx_referrals_user_id` (`user_id`),
  KEY `idx_referrals_from_clinic_id` (`from_clinic_id`),
  KEY `idx_referrals_to_clinic_id` (`to_clinic_id`),
  KEY `idx_referrals_status` (`status`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `referral_events` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `referral_id` bigint(20) NOT NULL,
  `from_status` varchar(16) NOT NULL DEFAULT '',
  `to_status` varchar(16) NOT NULL,
  `at` datetime(3) NOT NULL,
  `by_user_id` bigint(20) NOT NULL DEFAULT 0,
  `by_role` varchar(16) NOT NULL,
  `reason` varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`),
  KEY `idx_referral_events_referral_id` (`referral_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `referral_events`;
DROP TABLE IF EXISTS `referrals`;
ALTER TABLE `bookings` DROP KEY `idx_bookings_referral_id`, DROP COLUMN `reserved_seat`, DROP COLUMN `referral_id`;
ALTER TABLE `sessions` DROP COLUMN `reserved_booked`, DROP COLUMN `reserved`;
