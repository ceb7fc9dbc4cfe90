package service

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// Moving a session to another time (README "Time slots").
var (
	ErrSessionStarted = newErr(KindConflict, "session_started",
		"the session has started (or a booking of it is checked in); it can no longer be moved")
	ErrSlotResizeBooked = newErr(KindConflict, "slot_resize_booked",
		"this session is booked by arrival slot: keep its length when moving it, or contact the families first")
)

// movedLabel is a time range as a notice shows it: 12月05日 14:00–14:30.
func (s *BookingService) movedLabel(from, until time.Time) string {
	f, u := from.In(s.loc), until.In(s.loc)
	if f.Format(dateLayout) == u.Format(dateLayout) {
		return f.Format("01月02日 15:04") + "–" + u.Format("15:04")
	}
	return f.Format("01月02日 15:04") + "–" + u.Format("01月02日 15:04")
}

// movedInsideWindow reports whether booking b was moved (with its session)
// inside the cancel window of its new time: the family could not have
// cancelled in time, so they still may. A booking made after the move
// knew the time: its MovedAt is NULL.
func (s *BookingService) movedInsideWindow(b model.Booking, sess model.Session) bool {
	return b.MovedAt != nil && !b.MovedAt.Before(sess.StartsAt.Add(-s.cfg.CancelWindow))
}

// moveSession moves sess to [start, end) in the caller's transaction, which
// holds the session's row lock (taken before any booking's, as in every
// booking transaction): the session is open and not started (checked by the
// caller), no booking of it is checked in, and the times passed
// sessionFields. The slots of a sliced session shift with it when its
// length stays (each booking keeps its slot, shifted by the same delta); a
// new length re-cuts them, which only a session without bookings allows.
// Every active booking's denormalized times follow by a conditional update
// (with moved_at, for the cancel window), its booker is notified (session_moved) with the new time, and an overlap
// the move makes with another booking of the same person is said, not
// resolved. The session's history gets an open → open row naming both
// times.
func (s *BookingService) moveSession(tx *gorm.DB, p Principal, sess model.Session, start, end time.Time, reason string, now time.Time) error {
	start, end = start.UTC().Truncate(time.Second), end.UTC().Truncate(time.Second)
	if start.Equal(sess.StartsAt) && end.Equal(sess.EndsAt) {
		return nil
	}
	var checkedIn int64
	if err := tx.Model(&model.Booking{}).Where("session_id = ? AND status = ?", sess.ID, model.BookingCheckedIn).
		Count(&checkedIn).Error; err != nil {
		return err
	}
	if checkedIn > 0 {
		return ErrSessionStarted.With(map[string]any{"checked_in": checkedIn})
	}
	var bookings []model.Booking
	if err := forUpdate(tx).Where("session_id = ? AND active = ?", sess.ID, true).Order("id").Find(&bookings).Error; err != nil {
		return err
	}
	var slots []model.SessionSlot
	if err := forUpdate(tx).Where("session_id = ?", sess.ID).Order("starts_at").Find(&slots).Error; err != nil {
		return err
	}
	delta := start.Sub(sess.StartsAt)
	sameLength := end.Sub(start) == sess.EndsAt.Sub(sess.StartsAt)
	if len(slots) > 0 && !sameLength && len(bookings) > 0 {
		return ErrSlotResizeBooked.With(map[string]any{"bookings": len(bookings)})
	}

	// The session first: the unique slot key (service, expert, start)
	// refuses a time another session of the same service and expert has.
	res := tx.Model(&model.Session{}).Where("id = ? AND status = ? AND starts_at > ?", sess.ID, model.SessionOpen, now).
		Updates(map[string]any{"starts_at": start, "ends_at": end, "updated_at": now})
	if res.Error != nil {
		if isDuplicate(res.Error) {
			return ErrSessionExists
		}
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrSessionStarted
	}
	was := sess
	sess.StartsAt, sess.EndsAt = start, end

	// The slots: shifted in place (the latest first when moving later, so
	// no two share a start on the way), or re-cut with the same slot length.
	newSlot := map[int64]model.SessionSlot{}
	if len(slots) > 0 && sameLength {
		order := slices.Clone(slots)
		if delta > 0 {
			slices.Reverse(order)
		}
		for _, sl := range order {
			sl.StartsAt, sl.EndsAt = sl.StartsAt.Add(delta), sl.EndsAt.Add(delta)
			res := tx.Model(&model.SessionSlot{}).Where("id = ? AND session_id = ?", sl.ID, sess.ID).
				Updates(map[string]any{"starts_at": sl.StartsAt, "ends_at": sl.EndsAt})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("move session %d: slot %d changed under the session's lock", sess.ID, sl.ID)
			}
			newSlot[sl.ID] = sl
		}
	} else if len(slots) > 0 {
		minutes := int(slots[0].EndsAt.Sub(slots[0].StartsAt) / time.Minute)
		if err := tx.Where("session_id = ?", sess.ID).Delete(&model.SessionSlot{}).Error; err != nil {
			return err
		}
		if err := createSlots(tx, sess, max(minutes, 1)); err != nil {
			return err
		}
	}

	// The service's rules at the new date: a member they no longer admit
	// (an age or pregnancy window passed) is told, like an overlap; the
	// booking stays for the clinic and the family to settle.
	var svc model.Service
	if len(bookings) > 0 {
		if err := tx.Unscoped().First(&svc, sess.ServiceID).Error; err != nil {
			return err
		}
	}
	insideWindow := !now.Before(start.Add(-s.cfg.CancelWindow))
	for _, b := range bookings {
		oldFrom, oldUntil := bookedSpan(b, was)
		from, until := start, end
		set := map[string]any{"starts_at": start, "moved_at": now, "updated_at": now}
		if sl, ok := newSlot[b.SlotID]; ok {
			from, until = sl.StartsAt, sl.EndsAt
		} else if b.ArrivalAt != nil && b.EndsAt != nil {
			from, until = oldFrom.Add(delta), oldUntil.Add(delta)
		}
		if b.ArrivalAt != nil {
			set["arrival_at"], set["ends_at"] = from, until
		}
		if b.StartsAt.In(s.loc).Format(dateLayout) != start.In(s.loc).Format(dateLayout) {
			set["reminded_at"] = nil // reminded again the day before the new date
		}
		res := tx.Model(&model.Booking{}).Where("id = ? AND session_id = ? AND status = ?", b.ID, sess.ID, b.Status).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("move session %d: booking %d changed under the session's lock", sess.ID, b.ID)
		}
		label, err := s.bookingLabel(tx, b, sess)
		if err != nil {
			return err
		}
		body := fmt.Sprintf("您预约的 %s 已改期：新时间 %s（原定 %s）。", label, s.movedLabel(from, until), s.movedLabel(oldFrom, oldUntil))
		if b.Status == model.BookingWaitlisted {
			body = fmt.Sprintf("您候补的 %s 已改期：新时间 %s（原定 %s），候补顺序不变。", label, s.movedLabel(from, until), s.movedLabel(oldFrom, oldUntil))
		}
		if r := strings.TrimSpace(reason); r != "" {
			body += "原因：" + r + "。"
		}
		if holdsSeat(b.Status) {
			clash, err := overlapping(tx, b.MemberID, sess.ID, from, until)
			if err != nil {
				return err
			}
			if clash.ID != 0 {
				other, err := s.clashLabel(tx, clash.ID)
				if err != nil {
					return err
				}
				body += "注意：新时间与该成员的另一项预约（" + other + "）时间重叠，两项预约都已保留，请取消其中一项或联系门诊。"
			}
		}
		note, err := s.moveEligibility(tx, svc, b.MemberID, start)
		if err != nil {
			return err
		}
		body += note
		if insideWindow {
			body += "如新时间不便，可在小程序中直接取消，不受取消时限限制。"
		} else {
			body += "如新时间不便，请及时取消。"
		}
		if err := s.notify.Notify(tx, Notice{UserID: b.UserID, Event: EventSessionMoved, Title: "预约改期",
			Body: body, RefType: "booking", RefID: b.ID}); err != nil {
			return err
		}
	}
	why := "改期：" + s.movedLabel(was.StartsAt, was.EndsAt) + " → " + s.movedLabel(start, end)
	if r := strings.TrimSpace(reason); r != "" {
		why += "；" + r
	}
	by := actorOf(p)
	return tx.Create(&model.SessionEvent{SessionID: sess.ID, Transition: model.Transition{FromStatus: model.SessionOpen,
		ToStatus: model.SessionOpen, At: now, ByUserID: by.UserID, ByRole: by.Role, Reason: truncate(why, 255)}}).Error
}

// moveEligibility is the notice's sentence when the service's rules no
// longer admit the member at a moved session's new start ("" when they do).
func (s *BookingService) moveEligibility(tx *gorm.DB, svc model.Service, memberID int64, start time.Time) (string, error) {
	var m model.Person
	if err := tx.Unscoped().First(&m, memberID).Error; err != nil {
		return "", err
	}
	err := checkEligible(tx, s.loc, svc, m, start)
	var refused *Error
	if errors.As(err, &refused) {
		reason, _ := refused.Details["reason"].(string)
		return "注意：按新日期，该成员不再符合本服务的要求（" + reason + "），预约仍保留，请联系门诊确认或取消。", nil
	}
	return "", err
}

// clashLabel names another booking of a notice: the service, the clinic and
// its time.
func (s *BookingService) clashLabel(tx *gorm.DB, bookingID int64) (string, error) {
	var b model.Booking
	if err := tx.First(&b, bookingID).Error; err != nil {
		return "", err
	}
	var other model.Session
	if err := tx.Unscoped().First(&other, b.SessionID).Error; err != nil {
		return "", err
	}
	from, until := bookedSpan(b, other)
	var svc model.Service
	if err := tx.Unscoped().Select("id", "name").First(&svc, other.ServiceID).Error; err != nil {
		return "", err
	}
	return svc.Name + " " + s.movedLabel(from, until), nil
}

// bookedSpan is the time booking b of session sess holds: its arrival slot
// when it has one, else the session's.
func bookedSpan(b model.Booking, sess model.Session) (from, until time.Time) {
	if b.ArrivalAt != nil && b.EndsAt != nil {
		return *b.ArrivalAt, *b.EndsAt
	}
	return sess.StartsAt, sess.EndsAt
}
