package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// ExpireContracts ends every active contract whose period is over (valid
// until before today). Each contract is expired by a conditional update with
// its history row and notification in the same transaction, so processes
// running the job at once expire each contract exactly once. A scheduled
// renewal starts in the same transaction. It returns how many it expired.
func (s *ContractService) ExpireContracts(ctx context.Context) (int, error) {
	db := s.db.WithContext(ctx)
	today := s.today()
	var ids []int64
	if err := db.Model(&model.FamilyContract{}).Where("status = ? AND valid_until < ?", model.ContractActive, today).
		Order("id").Limit(contractJobBatch).Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		done := false
		err := transact(ctx, db, func(tx *gorm.DB) error {
			var c model.FamilyContract
			if err := tx.First(&c, id).Error; err != nil {
				return err
			}
			var err error
			done, err = s.expireOne(tx, &c, today)
			return err
		})
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	// Scheduled renewals whose predecessor ended otherwise.
	var due []int64
	if err := db.Model(&model.FamilyContract{}).Where("status = ? AND valid_from <= ?", model.ContractScheduled, today).
		Order("id").Limit(contractJobBatch).Pluck("id", &due).Error; err != nil {
		return n, err
	}
	for _, id := range due {
		err := transact(ctx, db, func(tx *gorm.DB) error {
			var c model.FamilyContract
			if err := tx.First(&c, id).Error; err != nil {
				return err
			}
			if c.RenewsID != nil {
				var prev model.FamilyContract
				if err := tx.Select("id", "status").First(&prev, *c.RenewsID).Error; err == nil && prev.Status == model.ContractActive {
					return nil // starts when its predecessor expires
				}
			}
			return s.startScheduled(tx, &c, today)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// expireOne expires c if it is active and over; false when it is not (or
// another process did it first).
func (s *ContractService) expireOne(tx *gorm.DB, c *model.FamilyContract, today string) (bool, error) {
	if c.Status != model.ContractActive || c.ValidUntil >= today {
		return false, nil
	}
	err := s.move(tx, c, Step{To: model.ContractExpired, By: systemActor, Reason: "valid until " + c.ValidUntil,
		Where: []any{"valid_until < ?", today}})
	if err != nil {
		if lostRace(err) {
			return false, nil
		}
		return false, err
	}
	if err := releaseContractCoverage(tx, c.ID); err != nil {
		return false, err
	}
	if err := s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractExpired, Title: "家庭医生签约已到期",
		Body: fmt.Sprintf("您家的家庭医生签约已于 %s 到期。", c.ValidUntil), RefType: "family_contract", RefID: c.ID}); err != nil {
		return false, err
	}
	if c.RenewedByID != nil {
		var next model.FamilyContract
		if err := tx.First(&next, *c.RenewedByID).Error; err != nil {
			return false, err
		}
		if next.Status == model.ContractScheduled && next.ValidFrom <= today {
			if err := s.startScheduled(tx, &next, today); err != nil {
				return false, err
			}
		}
	}
	s.log.Info("family contract expired", "contract_id", c.ID)
	return true, nil
}

// startScheduled makes a scheduled renewal active. Should a member have been
// covered by another contract meanwhile, the renewal is terminated instead
// of failing the job forever.
func (s *ContractService) startScheduled(tx *gorm.DB, c *model.FamilyContract, today string) error {
	if c.Status != model.ContractScheduled || c.ValidFrom > today {
		return nil
	}
	if err := s.move(tx, c, Step{To: model.ContractActive, By: systemActor}); err != nil {
		if lostRace(err) {
			return nil
		}
		return err
	}
	if err := s.claimCoverage(tx, c.ID); err != nil {
		if !errors.Is(err, ErrMemberAlreadyContracted) {
			return err
		}
		s.log.Warn("scheduled renewal could not start: a member is covered by another contract", "contract_id", c.ID)
		return s.terminateOne(tx, c, systemActor, "成员已有其他生效的签约")
	}
	return s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractActivated, Title: "家庭医生续约已生效",
		Body:    fmt.Sprintf("您家的家庭医生续约已生效，有效期 %s 至 %s。", c.ValidFrom, c.ValidUntil),
		RefType: "family_contract", RefID: c.ID})
}

// RemindExpiring tells residents, once, that their active contract ends
// within ContractReminderDays and has no renewal yet. The reminder is
// claimed by a conditional update of reminded_at, with the notification in
// the same transaction, so concurrent runs remind once. It returns how many
// it sent.
func (s *ContractService) RemindExpiring(ctx context.Context) (int, error) {
	db := s.db.WithContext(ctx)
	today := s.today()
	limit := contractAddDays(today, ContractReminderDays)
	var ids []int64
	if err := db.Model(&model.FamilyContract{}).
		Where("status = ? AND valid_until >= ? AND valid_until <= ? AND reminded_at IS NULL AND renewed_by_id IS NULL",
			model.ContractActive, today, limit).
		Order("id").Limit(contractJobBatch).Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		sent := false
		err := transact(ctx, db, func(tx *gorm.DB) error {
			res := tx.Model(&model.FamilyContract{}).
				Where("id = ? AND status = ? AND reminded_at IS NULL AND renewed_by_id IS NULL", id, model.ContractActive).
				Update("reminded_at", s.clock.Now())
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			var c model.FamilyContract
			if err := tx.First(&c, id).Error; err != nil {
				return err
			}
			sent = true
			return s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractExpiring, Title: "家庭医生签约即将到期",
				Body:    fmt.Sprintf("您家的家庭医生签约将于 %s 到期，可在小程序中一键续约，续约期与当前签约无缝衔接。", c.ValidUntil),
				RefType: "family_contract", RefID: c.ID})
		})
		if err != nil {
			return n, err
		}
		if sent {
			n++
		}
	}
	return n, nil
}

// today is the business date.
func (s *ContractService) today() string { return s.clock.Now().In(s.loc).Format(dateLayout) }

func contractAddDays(date string, n int) string {
	t, err := time.Parse(dateLayout, date)
	if err != nil {
		return date
	}
	return t.AddDate(0, 0, n).Format(dateLayout)
}

func contractAddYears(date string, n int) string {
	t, err := time.Parse(dateLayout, date)
	if err != nil {
		return date
	}
	return t.AddDate(n, 0, 0).Format(dateLayout)
}
