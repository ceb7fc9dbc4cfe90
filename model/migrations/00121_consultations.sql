-- Consultations (咨询, issue 17): a household's conversation with the team
-- of a person's active contract, its sealed messages (held ones keep the
-- content check's reason for the team) and its history.

-- +goose Up
CREATE TABLE IF NOT EXISTS `consultations` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `person_id` bigint(20) NOT NULL,
  `opened_by` bigint(20) NOT NULL,
  `team_id` bigint(20) NOT NULL,
  `clinic_id` bigint(20) NOT NULL,
  `contract_id` bigint(20) NOT NULL,
  `status` varchar(16) NOT NULL,
  `due_at` datetime(3) DEFAULT NULL,
  `last_message_at` datetime(3) NOT NULL,
  `reopens` bigint(20) NOT NULL DEFAULT 0,
  `closed_at` datetime(3) DEFAULT NULL,
  `resident_unread` bigint(20) NOT NULL DEFAULT 0,
  `staff_unread` bigint(20) NOT NULL DEFAULT 0,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_consultations_person_id` (`person_id`),
  KEY `ix_consult_team_status` (`team_id`,`status`),
  KEY `ix_consult_status_last` (`status`,`last_message_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `consultation_messages` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `consultation_id` bigint(20) NOT NULL,
  `side` varchar(16) NOT NULL,
  `user_id` bigint(20) NOT NULL,
  `body` text NOT NULL,
  `upload_ids` text DEFAULT NULL,
  `held` tinyint(1) NOT NULL DEFAULT 0,
  `held_reason` varchar(255) NOT NULL DEFAULT '',
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_consultation_messages_consultation_id` (`consultation_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `consultation_events` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `consultation_id` bigint(20) NOT NULL,
  `from_status` varchar(16) NOT NULL DEFAULT '',
  `to_status` varchar(16) NOT NULL,
  `at` datetime(3) NOT NULL,
  `by_user_id` bigint(20) NOT NULL DEFAULT 0,
  `by_role` varchar(16) NOT NULL,
  `reason` varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`),
  KEY `idx_consultation_events_consultation_id` (`consultation_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `consultation_events`;
DROP TABLE IF EXISTS `consultation_messages`;
DROP TABLE IF EXISTS `consultations`;
