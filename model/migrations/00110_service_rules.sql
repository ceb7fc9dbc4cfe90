-- Services with rules (issue 15): arrival slots, a price shown, eligibility
-- (age range in one unit, gender, pregnancy with a 孕周 range, verified
-- person, family-doctor contract), the confirmation policy and the seats
-- kept for referrals; and the kinds admins add to the built-in ones.

-- +goose Up
ALTER TABLE `services`
  ADD COLUMN `slot_minutes` bigint(20) NOT NULL DEFAULT 0 AFTER `clinic_id`,
  ADD COLUMN `price_text` varchar(32) NOT NULL DEFAULT '' AFTER `slot_minutes`,
  ADD COLUMN `min_age` bigint(20) DEFAULT NULL AFTER `price_text`,
  ADD COLUMN `max_age` bigint(20) DEFAULT NULL AFTER `min_age`,
  ADD COLUMN `age_unit` varchar(8) NOT NULL DEFAULT '' AFTER `max_age`,
  ADD COLUMN `gender` varchar(16) NOT NULL DEFAULT '' AFTER `age_unit`,
  ADD COLUMN `pregnancy_required` tinyint(1) NOT NULL DEFAULT 0 AFTER `gender`,
  ADD COLUMN `preg_min_week` bigint(20) DEFAULT NULL AFTER `pregnancy_required`,
  ADD COLUMN `preg_max_week` bigint(20) DEFAULT NULL AFTER `preg_min_week`,
  ADD COLUMN `verified_required` tinyint(1) NOT NULL DEFAULT 0 AFTER `preg_max_week`,
  ADD COLUMN `contract_required` tinyint(1) NOT NULL DEFAULT 0 AFTER `verified_required`,
  ADD COLUMN `confirmation` varchar(8) NOT NULL DEFAULT 'staff' AFTER `contract_required`,
  ADD COLUMN `confirm_by_minutes` bigint(20) NOT NULL DEFAULT 0 AFTER `confirmation`,
  ADD COLUMN `unconfirmed_action` varchar(8) NOT NULL DEFAULT 'cancel' AFTER `confirm_by_minutes`,
  ADD COLUMN `reserved_seats` bigint(20) NOT NULL DEFAULT 0 AFTER `unconfirmed_action`;

CREATE TABLE IF NOT EXISTS `service_kinds` (
  `code` varchar(32) NOT NULL,
  `name` varchar(64) NOT NULL,
  `created_by` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`code`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `service_kinds`;
ALTER TABLE `services`
  DROP COLUMN `slot_minutes`, DROP COLUMN `price_text`, DROP COLUMN `min_age`, DROP COLUMN `max_age`,
  DROP COLUMN `age_unit`, DROP COLUMN `gender`, DROP COLUMN `pregnancy_required`, DROP COLUMN `preg_min_week`,
  DROP COLUMN `preg_max_week`, DROP COLUMN `verified_required`, DROP COLUMN `contract_required`,
  DROP COLUMN `confirmation`, DROP COLUMN `confirm_by_minutes`, DROP COLUMN `unconfirmed_action`,
  DROP COLUMN `reserved_seats`;
