-- Uploads (photos for posts, comments, consultations, avatars, article
-- covers), WeChat message-push events (unique dedup key: a retried delivery
-- changes nothing) and what WeChat says of each user's subscriptions.

-- +goose Up
CREATE TABLE IF NOT EXISTS `uploads` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `user_id` bigint(20) NOT NULL,
  `purpose` varchar(16) NOT NULL,
  `blob_key` varchar(80) NOT NULL,
  `content_type` varchar(32) NOT NULL,
  `size` bigint(20) NOT NULL,
  `width` bigint(20) NOT NULL,
  `height` bigint(20) NOT NULL,
  `check_state` varchar(16) NOT NULL DEFAULT 'none',
  `check_trace_id` varchar(64) NOT NULL DEFAULT '',
  `ref_type` varchar(32) NOT NULL DEFAULT '',
  `ref_id` bigint(20) NOT NULL DEFAULT 0,
  `created_at` datetime(3) NOT NULL,
  `attached_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_uploads_user_id` (`user_id`),
  KEY `idx_uploads_blob_key` (`blob_key`),
  KEY `idx_uploads_check_trace_id` (`check_trace_id`),
  KEY `ix_upload_ref` (`ref_type`,`ref_id`),
  KEY `idx_uploads_created_at` (`created_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `push_events` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `dedup_key` varchar(128) NOT NULL,
  `event` varchar(64) NOT NULL,
  `open_id` varchar(64) NOT NULL DEFAULT '',
  `created_at` datetime(3) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_push_events_dedup_key` (`dedup_key`),
  KEY `idx_push_events_created_at` (`created_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

CREATE TABLE IF NOT EXISTS `subscription_states` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `user_id` bigint(20) NOT NULL,
  `template_id` varchar(64) NOT NULL,
  `status` varchar(16) NOT NULL,
  `updated_at` datetime(3) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_substate_user_tpl` (`user_id`,`template_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `subscription_states`;
DROP TABLE IF EXISTS `push_events`;
DROP TABLE IF EXISTS `uploads`;
