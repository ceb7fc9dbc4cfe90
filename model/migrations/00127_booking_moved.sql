-- Moving a session (issue 15): when staff last moved a booking's session to
-- another time, so a booking moved inside the cancel window of its new time
-- may still be cancelled online. Bookings never moved keep NULL.

-- +goose Up
ALTER TABLE `bookings`
  ADD COLUMN `moved_at` datetime(3) DEFAULT NULL;

-- +goose Down
ALTER TABLE `bookings` DROP COLUMN `moved_at`;
