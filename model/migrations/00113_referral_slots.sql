-- Referrals complete (issue 17): the reserved seats of a sliced session live
-- in its slots (session_slots.reserved, reserved_booked; the session's
-- counters are their sums), and the expiry job finds issued referrals by
-- (status, expires_at).
--
-- Data: a sliced session made before this keeps its reserved seats. Each
-- slot reserves the reserved seats its bookings already hold; the unused
-- rest of the session goes to its earliest slots, each up to its free seats
-- (the session had room for them: booked - reserved_booked <=
-- capacity - reserved). The session's counters become the sums.

-- +goose Up
ALTER TABLE `session_slots`
  ADD COLUMN `reserved` bigint(20) NOT NULL DEFAULT 0,
  ADD COLUMN `reserved_booked` bigint(20) NOT NULL DEFAULT 0;
ALTER TABLE `referrals`
  ADD KEY `ix_referral_status_expiry` (`status`,`expires_at`);

UPDATE `session_slots` SET `reserved_booked` = (
  SELECT COUNT(*) FROM `bookings` b
  WHERE b.`slot_id` = `session_slots`.`id` AND b.`reserved_seat` = 1 AND b.`status` IN ('pending', 'confirmed', 'checked_in'));
UPDATE `session_slots` SET `reserved` = `reserved_booked`;

UPDATE `session_slots` ss JOIN (
  SELECT x.`id`, LEAST(x.`free`, GREATEST(0, x.`rest` - (x.`cum` - x.`free`))) AS `extra` FROM (
    SELECT sl.`id`, sl.`capacity` - sl.`booked` AS `free`,
      s.`reserved` - (SELECT COALESCE(SUM(o.`reserved_booked`), 0) FROM `session_slots` o WHERE o.`session_id` = s.`id`) AS `rest`,
      SUM(sl.`capacity` - sl.`booked`) OVER (PARTITION BY sl.`session_id` ORDER BY sl.`starts_at`) AS `cum`
    FROM `session_slots` sl JOIN `sessions` s ON s.`id` = sl.`session_id`
    WHERE s.`reserved` > 0) x
) d ON d.`id` = ss.`id`
SET ss.`reserved` = ss.`reserved` + d.`extra`;

UPDATE `sessions` s JOIN (
  SELECT `session_id`, SUM(`reserved`) AS r, SUM(`reserved_booked`) AS rb FROM `session_slots` GROUP BY `session_id`
) t ON t.`session_id` = s.`id`
SET s.`reserved` = t.r, s.`reserved_booked` = t.rb;

-- +goose Down
ALTER TABLE `referrals` DROP KEY `ix_referral_status_expiry`;
ALTER TABLE `session_slots` DROP COLUMN `reserved_booked`, DROP COLUMN `reserved`;
