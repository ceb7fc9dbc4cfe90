-- Medicine orders from the medication list (issue 17): items name the list
-- entry they were picked from, free-text items flag the order for the
-- pharmacist's review, early refills carry a reason, and staff record phone
-- orders with how the resident asked.

-- +goose Up
ALTER TABLE `medicine_orders`
  ADD COLUMN `needs_review` tinyint(1) NOT NULL DEFAULT 0 AFTER `reorder_of_id`,
  ADD COLUMN `refill_reason` varchar(255) NOT NULL DEFAULT '' AFTER `needs_review`,
  ADD COLUMN `requested_via` varchar(16) NOT NULL DEFAULT 'app' AFTER `refill_reason`,
  ADD COLUMN `placed_by` bigint(20) NOT NULL DEFAULT 0 AFTER `requested_via`;

ALTER TABLE `medicine_order_items`
  ADD COLUMN `medication_id` bigint(20) DEFAULT NULL AFTER `position`;

-- +goose Down
ALTER TABLE `medicine_order_items` DROP COLUMN `medication_id`;
ALTER TABLE `medicine_orders` DROP COLUMN `placed_by`, DROP COLUMN `requested_via`, DROP COLUMN `refill_reason`, DROP COLUMN `needs_review`;
