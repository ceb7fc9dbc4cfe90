-- History of sessions (published, cancelled), written by the lifecycle
-- helper (service/lifecycle.go).

-- +goose Up
CREATE TABLE IF NOT EXISTS `session_events` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `session_id` bigint(20) NOT NULL,
  `from_status` varchar(16) NOT NULL DEFAULT '',
  `to_status` varchar(16) NOT NULL,
  `at` datetime(3) NOT NULL,
  `by_user_id` bigint(20) NOT NULL DEFAULT 0,
  `by_role` varchar(16) NOT NULL,
  `reason` varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`),
  KEY `idx_session_events_session_id` (`session_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `session_events`;
