-- Times past the year 2200 were accepted before issue 10 (an ETA, a mute or
-- a session in the year 9999): in the business time zone they are the year
-- 10000, which JSON cannot hold, so every list that reached them broke.
-- Repair what may be stored: such an ETA is forgotten, such a mute becomes
-- the "permanent" mute of today's rules (50 years), such a session is
-- cancelled and parked at the end of 2199 (nobody can have come to it).

-- +goose Up
UPDATE `medicine_orders` SET `eta` = NULL WHERE `eta` >= '2200-01-01';
UPDATE `circle_mutes` SET `ends_at` = '2076-01-01 00:00:00' WHERE `ends_at` >= '2200-01-01';
UPDATE `sessions` SET `status` = 'cancelled', `starts_at` = '2199-12-31 00:00:00', `ends_at` = '2199-12-31 01:00:00'
  WHERE `starts_at` >= '2200-01-01' OR `ends_at` >= '2200-01-01';

-- +goose Down
-- Nothing to undo: the times repaired could not be shown.
SELECT 1;
