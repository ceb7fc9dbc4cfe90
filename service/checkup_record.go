package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// Errors of check-up recording.
var (
	ErrCheckupAlreadyRecorded = newErr(KindConflict, "checkup_already_recorded", "该次儿保检查已登记，不能重复登记")
	ErrCheckupTooEarly        = newErr(KindInvalid, "checkup_too_early", "还没到这次儿保检查的时间")
	ErrBookingNotCheckedIn    = newErr(KindConflict, "booking_not_checked_in", "请先为该预约签到，再登记儿保检查")
)

// checkupEarlyDays: a check-up may be done (and recorded) from this many
// days before it is due — the same margin the plan uses to count staff's
// measurements as the visit.
const checkupEarlyDays = 14

// maxCheckupNotes caps the notes of a recorded check-up (runes).
const maxCheckupNotes = 1000

// NewCheckupRecord is a check-up to record: which visit of the plan (Code),
// when (zero: now), at which booking (0: at the counter), what staff
// measured (optional) and notes.
type NewCheckupRecord struct {
	Code      string
	DoneAt    time.Time
	BookingID int64
	Measure   NewMeasurement
	Notes     string
}

// CheckupRecordView is a recorded check-up with the plan's visit and the
// measurement taken (nil when none).
type CheckupRecordView struct {
	Record      model.CheckupRecord
	Notes       string
	Visit       CheckupItem
	Measurement *GrowthPoint
}

// RecordCheckup records a 儿保 check-up of person id (staff, within the
// caller's reach). With a booking, the booking must be this child's
// growth-assessment booking at one of the caller's clinics, checked in. The
// visit is refused when recorded before (409 checkup_already_recorded, with
// the date and clinic of the record), or more than checkupEarlyDays before
// it is due (422 checkup_too_early with details.earliest). Measurements are
// stored as a growth point measured by staff.
func (s *FirstDaysService) RecordCheckup(ctx context.Context, p Principal, id int64, in NewCheckupRecord) (CheckupRecordView, error) {
	in.Code = strings.TrimSpace(in.Code)
	in.Notes = strings.TrimSpace(in.Notes)
	visit, known := childCheckupByCode(in.Code)
	now := s.clock.Now()
	if in.DoneAt.IsZero() {
		in.DoneAt = now
	}
	in.Measure.MeasuredAt = in.DoneAt
	fields := s.measurementFields(in.Measure, false)
	if msg, ok := fields["measured_at"]; ok {
		delete(fields, "measured_at")
		fields["done_at"] = msg
	}
	if !known {
		fields["code"] = "应为儿保计划中的一次检查（如 newborn_visit、one_month、m3、m6、m8 …… y6）"
	}
	if len([]rune(in.Notes)) > maxCheckupNotes {
		fields["notes"] = "最长 1000 个字"
	}
	if in.BookingID < 0 {
		fields["booking_id"] = "无效"
	}
	if len(fields) > 0 {
		return CheckupRecordView{}, Invalid(fields)
	}
	sealed, err := s.pii.Seal(in.Notes)
	if err != nil {
		return CheckupRecordView{}, err
	}
	var out CheckupRecordView
	var personID int64
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		m, err := personFor(tx, p, id)
		if err != nil {
			return err
		}
		birth, ok := birthOf(m)
		if !ok {
			return ErrNoBirthDate
		}
		day := s.dateOf(in.DoneAt)
		if day.Before(birth) {
			return InvalidField("done_at", "检查日期早于出生日期")
		}
		due, _ := visit.window(birth)
		if earliest := due.AddDate(0, 0, -checkupEarlyDays); day.Before(earliest) {
			return ErrCheckupTooEarly.Msg("%s最早可在 %s 进行（应检日期 %s）", visit.Name, earliest.Format(dateLayout), due.Format(dateLayout)).
				With(map[string]any{"earliest": earliest.Format(dateLayout), "due_date": due.Format(dateLayout)})
		}
		var prior []model.CheckupRecord
		if err := tx.Where("person_id = ? AND code = ?", m.ID, in.Code).Limit(1).Find(&prior).Error; err != nil {
			return err
		}
		if len(prior) > 0 {
			return s.alreadyRecorded(visit.Name, prior[0])
		}
		clinicID := p.ClinicID
		var bookingID *int64
		if in.BookingID != 0 {
			b, err := s.checkupBooking(tx, p, m.ID, in.BookingID)
			if err != nil {
				return err
			}
			clinicID, bookingID = b.ClinicID, &b.ID
		}
		row := model.CheckupRecord{PersonID: m.ID, Code: in.Code, DoneAt: in.DoneAt.UTC(), ClinicID: clinicID, BookingID: bookingID,
			Notes: sealed, RecordedBy: p.UserID}
		if in.Measure.any() {
			if bad := s.implausible(m.Gender, day.Sub(birth).Hours()/24/daysPerMonth, in.Measure); len(bad) > 0 {
				return Invalid(bad)
			}
			g := model.GrowthMeasurement{PersonID: m.ID, MeasuredAt: in.DoneAt.UTC(), WeightKg: in.Measure.WeightKg,
				LengthCm: in.Measure.LengthCm, HeadCm: in.Measure.HeadCm, ClinicID: clinicID, RecordedBy: p.UserID}
			if err := tx.Create(&g).Error; err != nil {
				return err
			}
			row.MeasurementID = g.ID
			pt := s.growthView(m, []model.GrowthMeasurement{g}).Points[0]
			out.Measurement = &pt
		}
		personID = m.ID
		if err := tx.Create(&row).Error; err != nil {
			if isDuplicate(err) {
				return errCheckupDuplicate
			}
			return err
		}
		out.Record, out.Notes = row, in.Notes
		for _, it := range s.checkupPlan(m, nil, []model.CheckupRecord{row}).Child {
			if it.Code == in.Code {
				out.Visit = it
			}
		}
		return nil
	})
	if errors.Is(err, errCheckupDuplicate) {
		// Lost a race, or the booking carries another visit: say which,
		// reading what the other transaction committed.
		var prior []model.CheckupRecord
		if e := s.db.WithContext(ctx).Where("person_id = ? AND code = ?", personID, in.Code).Limit(1).Find(&prior).Error; e != nil {
			return out, e
		}
		if len(prior) > 0 {
			return out, s.alreadyRecorded(visit.Name, prior[0])
		}
		return out, ErrCheckupAlreadyRecorded.Msg("该预约已登记过儿保检查").With(map[string]any{"booking_id": in.BookingID})
	}
	return out, err
}

// errCheckupDuplicate: the insert hit a unique key (the visit, or the
// booking, recorded by another transaction).
var errCheckupDuplicate = errors.New("checkup record: duplicate")

// alreadyRecorded is the refusal of a visit recorded before, naming when and
// where.
func (s *FirstDaysService) alreadyRecorded(name string, r model.CheckupRecord) error {
	on := s.dateOf(r.DoneAt).Format(dateLayout)
	return ErrCheckupAlreadyRecorded.Msg("%s已于 %s 登记，不能重复登记", name, on).
		With(map[string]any{"done_on": on, "clinic_id": r.ClinicID, "record_id": r.ID})
}

// checkupBooking loads booking id for recording a check-up of person
// personID: one of the caller's clinics' bookings (404 otherwise), of this
// child (422), for a growth-assessment session (422), checked in (409).
func (s *FirstDaysService) checkupBooking(tx *gorm.DB, p Principal, personID, id int64) (model.Booking, error) {
	var b model.Booking
	if err := p.Apply(tx.Where("id = ?", id), ownerClinic).Limit(1).Find(&b).Error; err != nil {
		return b, err
	}
	if b.ID == 0 {
		return b, ErrNotFound.Msg("booking not found")
	}
	if b.MemberID != personID {
		return b, InvalidField("booking_id", "该预约不是这个孩子的")
	}
	var sess model.Session
	if err := tx.Where("id = ?", b.SessionID).First(&sess).Error; err != nil {
		return b, err
	}
	if sess.Kind != model.ServiceGrowthAssessment {
		return b, InvalidField("booking_id", "只有儿童保健（生长发育评估）的预约可以登记儿保检查")
	}
	if b.Status != model.BookingCheckedIn {
		return b, ErrBookingNotCheckedIn.With(map[string]any{"status": b.Status})
	}
	return b, nil
}

// childCheckup is one visit of the 儿保 plan.
type childCheckup struct {
	Code       string
	Name       string
	Months     int
	Days, Span int
}

// window is the visit's due date and the last day of its window.
func (c childCheckup) window(birth time.Time) (time.Time, time.Time) {
	due := addMonths(birth, c.Months).AddDate(0, 0, c.Days)
	end := addMonths(due, 1).AddDate(0, 0, -1)
	if c.Span > 0 {
		end = due.AddDate(0, 0, c.Span-1)
	}
	return due, end
}

func childCheckupByCode(code string) (childCheckup, bool) {
	for _, c := range childCheckups {
		if c.Code == code {
			return c, true
		}
	}
	return childCheckup{}, false
}
