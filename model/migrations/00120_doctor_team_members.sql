-- Doctor teams built from staff accounts (issue 17): a doctor is a staff
-- account that is a member of a team, with its role there (one lead).

-- +goose Up
CREATE TABLE IF NOT EXISTS `doctor_team_members` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `team_id` bigint(20) NOT NULL,
  `user_id` bigint(20) NOT NULL,
  `role` varchar(16) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_team_member` (`team_id`,`user_id`),
  KEY `idx_doctor_team_members_user_id` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `doctor_team_members`;
