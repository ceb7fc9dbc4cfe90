-- 流动专家 teams (issue 15): experts of a home hospital touring the
-- branches; each visit is a session of the visited clinic's service.

-- +goose Up
CREATE TABLE IF NOT EXISTS `outreach_teams` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `name` varchar(64) NOT NULL,
  `home_clinic_id` bigint(20) NOT NULL,
  `description` varchar(500) NOT NULL DEFAULT '',
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_outreach_teams_home_clinic_id` (`home_clinic_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `outreach_members` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `team_id` bigint(20) NOT NULL,
  `expert_id` bigint(20) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_outreach_member` (`team_id`,`expert_id`),
  KEY `idx_outreach_members_expert_id` (`expert_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `outreach_visits` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `team_id` bigint(20) NOT NULL,
  `clinic_id` bigint(20) NOT NULL,
  `session_id` bigint(20) NOT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_outreach_visits_session_id` (`session_id`),
  KEY `idx_outreach_visits_team_id` (`team_id`),
  KEY `idx_outreach_visits_clinic_id` (`clinic_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `outreach_visits`;
DROP TABLE IF EXISTS `outreach_members`;
DROP TABLE IF EXISTS `outreach_teams`;
