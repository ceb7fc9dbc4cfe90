-- Long-term medication lists (issue 17): the drugs a covered chronic
-- patient takes, kept by the contract team.

-- +goose Up
CREATE TABLE IF NOT EXISTS `medications` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `person_id` bigint(20) NOT NULL,
  `position` bigint(20) NOT NULL,
  `drug` varchar(64) NOT NULL,
  `strength` varchar(32) NOT NULL DEFAULT '',
  `form` varchar(32) NOT NULL DEFAULT '',
  `dose` varchar(64) NOT NULL DEFAULT '',
  `quantity_per_refill` bigint(20) NOT NULL,
  `refill_interval_days` bigint(20) NOT NULL,
  `last_prescribed` varchar(10) NOT NULL DEFAULT '',
  `updated_by` bigint(20) NOT NULL DEFAULT 0,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_medications_person_id` (`person_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `medications`;
