-- Indexes of the lists that read one ordered range per part and merge the
-- parts (service/page.go mergePage, issue 18): a branch's staff read each
-- of their clinics' contracts and medicine orders as a range of (clinic_id)
-- in id order (InnoDB appends the primary key; (clinic_id, status) serves
-- only a status filter). Bookings, articles, referrals, posts and
-- consultations already had theirs. Two more the EXPLAIN test named:
-- bookings (member_id, active, starts_at), a household's next steps (the
-- future active bookings of its persons, by time), replacing (member_id);
-- household_persons (person_id, household_id), a person's first household
-- link (GET /persons/:id), replacing (person_id).

-- +goose Up
CREATE INDEX `ix_contract_clinic` ON `family_contracts` (`clinic_id`);
CREATE INDEX `ix_medicine_clinic` ON `medicine_orders` (`clinic_id`);
CREATE INDEX `ix_booking_member_next` ON `bookings` (`member_id`, `active`, `starts_at`);
DROP INDEX `idx_bookings_member_id` ON `bookings`;
CREATE INDEX `ix_household_person_links` ON `household_persons` (`person_id`, `household_id`);
DROP INDEX `idx_household_persons_person_id` ON `household_persons`;

-- +goose Down
CREATE INDEX `idx_household_persons_person_id` ON `household_persons` (`person_id`);
DROP INDEX `ix_household_person_links` ON `household_persons`;
CREATE INDEX `idx_bookings_member_id` ON `bookings` (`member_id`);
DROP INDEX `ix_booking_member_next` ON `bookings`;
DROP INDEX `ix_medicine_clinic` ON `medicine_orders`;
DROP INDEX `ix_contract_clinic` ON `family_contracts`;
