-- History of posts and comments: every status change, the author's own
-- deletes included, written by the lifecycle helper (service/lifecycle.go).

-- +goose Up
CREATE TABLE IF NOT EXISTS `text_events` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `target_type` varchar(16) NOT NULL,
  `target_id` bigint(20) NOT NULL,
  `from_status` varchar(16) NOT NULL DEFAULT '',
  `to_status` varchar(16) NOT NULL,
  `at` datetime(3) NOT NULL,
  `by_user_id` bigint(20) NOT NULL DEFAULT 0,
  `by_role` varchar(16) NOT NULL,
  `reason` varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`),
  KEY `ix_text_event_target` (`target_type`,`target_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `text_events`;
