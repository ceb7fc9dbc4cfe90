package service

import (
	"context"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// SettleUnconfirmed ends the wait of every pending booking of a
// staff-confirmed service that staff have not confirmed by the service's
// deadline (ConfirmByMinutes before the start, or the configured ConfirmBy):
// it is cancelled, or confirmed when the service says so, and the family is
// told. The status move is a conditional update, so any number of replicas
// running the job settle each booking once; it returns how many this run
// settled.
func (s *BookingService) SettleUnconfirmed(ctx context.Context) (int, error) {
	db := s.db.WithContext(ctx)
	var deadlines []int
	if err := db.Model(&model.Service{}).Where("confirmation = ?", model.ConfirmByStaff).Distinct().Pluck("confirm_by_minutes", &deadlines).Error; err != nil {
		return 0, err
	}
	now := s.clock.Now()
	settled := 0
	for _, minutes := range deadlines {
		by := time.Duration(minutes) * time.Minute
		if minutes == 0 {
			by = s.cfg.ConfirmBy
		}
		var due []struct {
			ID     int64
			Action string
		}
		if err := db.Model(&model.Booking{}).Select("bookings.id, services.unconfirmed_action AS action").
			Joins("JOIN sessions ON sessions.id = bookings.session_id").
			Joins("JOIN services ON services.id = sessions.service_id").
			Where("bookings.status = ? AND bookings.starts_at <= ? AND services.confirmation = ? AND services.confirm_by_minutes = ?",
				model.BookingPending, now.Add(by), model.ConfirmByStaff, minutes).
			Order("bookings.starts_at, bookings.id").Limit(500).Scan(&due).Error; err != nil {
			return settled, err
		}
		for _, d := range due {
			won, err := s.settle(ctx, d.ID, d.Action)
			if err != nil {
				return settled, err
			}
			if won {
				settled++
			}
		}
	}
	return settled, nil
}

// settle moves one unconfirmed booking (cancel or confirm) as the system; a
// booking another replica or staff moved first is skipped.
func (s *BookingService) settle(ctx context.Context, id int64, action string) (bool, error) {
	won := false
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		won = false
		var b model.Booking
		if err := tx.First(&b, id).Error; err != nil {
			return err
		}
		var sess model.Session
		if err := forUpdate(tx).First(&sess, b.SessionID).Error; err != nil {
			return err
		}
		if err := forUpdate(tx).First(&b, id).Error; err != nil {
			return err
		}
		if b.Status != model.BookingPending {
			return nil
		}
		to, reason := model.BookingCancelled, "工作人员未在规定时间内确认，预约已自动取消"
		n := Notice{UserID: b.UserID, Event: EventBookingRejected, Title: "预约已取消", RefType: "booking", RefID: b.ID}
		if action == model.UnconfirmedConfirm {
			to, reason = model.BookingConfirmed, "已自动确认"
			n.Event, n.Title = EventBookingConfirmed, "预约已确认"
		}
		err := s.move(tx, &b, to, systemActor, reason)
		if lostRace(err) {
			return nil
		}
		if err != nil {
			return err
		}
		won = true
		label, err := s.bookingLabel(tx, b, sess)
		if err != nil {
			return err
		}
		n.Body = label + " 的预约：" + reason + "。"
		if to == model.BookingConfirmed {
			n.Body = "您的预约已确认：" + label + "，请按时到达。"
		}
		if err := s.notify.Notify(tx, n); err != nil {
			return err
		}
		if to == model.BookingCancelled {
			return s.promote(tx, b.SessionID)
		}
		return nil
	})
	return won, err
}
