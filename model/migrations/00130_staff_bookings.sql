-- Staff book for a family (issue 17, POST /staff/bookings): the staff
-- account that made a booking (0: the family booked itself).

-- +goose Up
ALTER TABLE `bookings`
  ADD COLUMN `booked_by` bigint(20) NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE `bookings` DROP COLUMN `booked_by`;
