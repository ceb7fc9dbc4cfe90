-- Follow-up visits (随访, issue 17): rules stored as data, the visits of
-- each covered person's plan (one per person, rule and due date) with a
-- sealed record, and their history.

-- +goose Up
CREATE TABLE IF NOT EXISTS `follow_up_rules` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `code` varchar(32) NOT NULL,
  `name` varchar(64) NOT NULL,
  `kind` varchar(16) NOT NULL,
  `keyword` varchar(32) NOT NULL DEFAULT '',
  `interval_days` bigint(20) NOT NULL DEFAULT 0,
  `offset_days` text DEFAULT NULL,
  `active` tinyint(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_follow_up_rules_code` (`code`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `follow_up_visits` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `person_id` bigint(20) NOT NULL,
  `rule_code` varchar(32) NOT NULL,
  `due_date` varchar(10) NOT NULL,
  `team_id` bigint(20) NOT NULL,
  `contract_id` bigint(20) NOT NULL,
  `status` varchar(16) NOT NULL,
  `method` varchar(16) NOT NULL DEFAULT '',
  `record` text NOT NULL,
  `done_at` datetime(3) DEFAULT NULL,
  `recorded_by` bigint(20) NOT NULL DEFAULT 0,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_followup_visit` (`person_id`,`rule_code`,`due_date`),
  KEY `ix_followup_team_status` (`team_id`,`status`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `follow_up_events` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `visit_id` bigint(20) NOT NULL,
  `from_status` varchar(16) NOT NULL DEFAULT '',
  `to_status` varchar(16) NOT NULL,
  `at` datetime(3) NOT NULL,
  `by_user_id` bigint(20) NOT NULL DEFAULT 0,
  `by_role` varchar(16) NOT NULL,
  `reason` varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`),
  KEY `idx_follow_up_events_visit_id` (`visit_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `follow_up_events`;
DROP TABLE IF EXISTS `follow_up_visits`;
DROP TABLE IF EXISTS `follow_up_rules`;
