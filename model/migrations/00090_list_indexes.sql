-- Composite indexes for the lists the API serves (issue 18): each list
-- reads a range of one index in its order and stops after a page, instead
-- of scanning and sorting a clinic's, a kind's or a queue's rows. Indexes
-- that became a prefix of a new one are dropped.

-- +goose Up
CREATE INDEX `ix_booking_clinic_start` ON `bookings` (`clinic_id`, `starts_at`);
DROP INDEX `idx_bookings_clinic_id` ON `bookings`;
CREATE INDEX `ix_session_kind_start` ON `sessions` (`kind`, `starts_at`);
DROP INDEX `idx_sessions_kind` ON `sessions`;
CREATE INDEX `ix_post_circle_time` ON `posts` (`circle_id`, `created_at`);
CREATE INDEX `ix_comment_post_time` ON `post_comments` (`post_id`, `created_at`);
CREATE INDEX `ix_report_status_time` ON `post_reports` (`status`, `created_at`);
DROP INDEX `ix_report_status` ON `post_reports`;

-- +goose Down
CREATE INDEX `ix_report_status` ON `post_reports` (`status`);
DROP INDEX `ix_report_status_time` ON `post_reports`;
DROP INDEX `ix_comment_post_time` ON `post_comments`;
DROP INDEX `ix_post_circle_time` ON `posts`;
CREATE INDEX `idx_sessions_kind` ON `sessions` (`kind`);
DROP INDEX `ix_session_kind_start` ON `sessions`;
CREATE INDEX `idx_bookings_clinic_id` ON `bookings` (`clinic_id`);
DROP INDEX `ix_booking_clinic_start` ON `bookings`;
