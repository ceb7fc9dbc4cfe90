-- Agreement versions (issue 17): the published versions of the agreement
-- text a family accepts when signing. 00115 moves the versions contracts
-- recorded as text into it.

-- +goose Up
CREATE TABLE IF NOT EXISTS `agreement_versions` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `version` varchar(32) NOT NULL,
  `title` varchar(128) NOT NULL,
  `body` text NOT NULL,
  `published_at` datetime(3) NOT NULL,
  `created_by` bigint(20) NOT NULL DEFAULT 0,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_agreement_version` (`version`),
  KEY `ix_agreement_published` (`published_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */;

-- +goose Down
DROP TABLE IF EXISTS `agreement_versions`;
