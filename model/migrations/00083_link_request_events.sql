-- The history of link requests (issue 14): every state machine writes its
-- steps through the one lifecycle helper.

-- +goose Up
CREATE TABLE IF NOT EXISTS `link_request_events` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `link_request_id` bigint(20) NOT NULL,
  `from_status` varchar(16) NOT NULL DEFAULT '',
  `to_status` varchar(16) NOT NULL,
  `at` datetime(3) NOT NULL,
  `by_user_id` bigint(20) NOT NULL DEFAULT 0,
  `by_role` varchar(16) NOT NULL,
  `reason` varchar(255) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`),
  KEY `idx_link_request_events_link_request_id` (`link_request_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `link_request_events`;
