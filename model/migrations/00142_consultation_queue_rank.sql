-- The staff consultation queue (GET /api/v1/staff/consultations, issue 18)
-- ordered by CASE status, which no index can serve: every consultation of a
-- team was sorted for each page. queue_rank stores that rank (open 0,
-- answered 1, closed 2; model.ConsultQueueRank), written with the status by
-- the consultation machine, and ix_consult_queue holds the list's whole
-- order, so each team's page is one range read in order, continued by a
-- keyset cursor. The UPDATE gives existing rows the rank of their status
-- (model.ConsultQueueRankFill, which the SQLite path runs once too).
-- last_message_at and id are descending key parts: the order mixes
-- directions (MariaDB 10.8+ and MySQL 8 keep them; an older server or TiDB
-- makes them ascending and sorts a team's rows, with the same answers).

-- +goose Up
ALTER TABLE `consultations` ADD COLUMN `queue_rank` smallint(6) NOT NULL DEFAULT 0;
UPDATE consultations SET queue_rank = CASE status WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END;
CREATE INDEX `ix_consult_queue` ON `consultations` (`team_id`, `queue_rank`, `due_at`, `last_message_at` DESC, `id` DESC);

-- +goose Down
DROP INDEX `ix_consult_queue` ON `consultations`;
ALTER TABLE `consultations` DROP COLUMN `queue_rank`;
