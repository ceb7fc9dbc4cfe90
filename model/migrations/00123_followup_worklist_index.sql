-- The worklist reads a team's planned follow-ups grouped by person: one
-- covering index (team, status, person, due date, rule) instead of
-- (team, status) and a row lookup per visit.

-- +goose Up
CREATE INDEX `ix_followup_team_work` ON `follow_up_visits` (`team_id`, `status`, `person_id`, `due_date`, `rule_code`);
DROP INDEX `ix_followup_team_status` ON `follow_up_visits`;

-- +goose Down
CREATE INDEX `ix_followup_team_status` ON `follow_up_visits` (`team_id`, `status`);
DROP INDEX `ix_followup_team_work` ON `follow_up_visits`;
