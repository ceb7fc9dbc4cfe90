-- A child's birth record on the person (issue 16): birth weight in grams and
-- gestational age at birth in weeks; 早产 and 低出生体重 flags come from them.

-- +goose Up
ALTER TABLE `persons`
  ADD COLUMN `birth_weight_g` bigint(20) DEFAULT NULL,
  ADD COLUMN `birth_weeks` bigint(20) DEFAULT NULL;

-- +goose Down
ALTER TABLE `persons` DROP COLUMN `birth_weeks`, DROP COLUMN `birth_weight_g`;
