-- Indexes the EXPLAIN test of every list (handler/explain_lists_test.go,
-- issue 18) asked for: each of these lists reads one range of an index in
-- its order and stops after a page, instead of sorting every row of an
-- expert, a circle, a post, a clinic or the review queue. InnoDB appends
-- the primary key to a secondary index, so (x) serves `WHERE x = ? ORDER
-- BY id`.

-- +goose Up
CREATE INDEX `ix_session_expert_start` ON `sessions` (`expert_id`, `starts_at`);
DROP INDEX `idx_sessions_expert_id` ON `sessions`;
CREATE INDEX `ix_post_circle` ON `posts` (`circle_id`);
CREATE INDEX `ix_comment_post_id` ON `post_comments` (`post_id`);
CREATE INDEX `ix_audit_clinic_id` ON `audit_logs` (`clinic_id`);
CREATE INDEX `ix_upload_check` ON `uploads` (`check_state`, `created_at`);

-- +goose Down
DROP INDEX `ix_upload_check` ON `uploads`;
DROP INDEX `ix_audit_clinic_id` ON `audit_logs`;
DROP INDEX `ix_comment_post_id` ON `post_comments`;
DROP INDEX `ix_post_circle` ON `posts`;
CREATE INDEX `idx_sessions_expert_id` ON `sessions` (`expert_id`);
DROP INDEX `ix_session_expert_start` ON `sessions`;
