package service

import (
	"context"
	"errors"
	"time"

	"familycare/model"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Slot and overlap errors.
var (
	ErrSlotFull     = newErr(KindConflict, "slot_full", "this arrival slot is full; choose another")
	ErrTimeConflict = newErr(KindConflict, "time_conflict", "this person already holds a booking at an overlapping time")
)

// createSlots slices a new session of a sliced service into arrival slots of
// slotMinutes (the last may be shorter), sharing the session's capacity and
// its reserved seats out (the first slots take the remainders), so the slots
// add up to the session. Reserved ≤ capacity holds in every slot: the two
// are shared the same way and the session's reserved ≤ its capacity.
func createSlots(tx *gorm.DB, sess model.Session, slotMinutes int) error {
	if slotMinutes <= 0 {
		return nil
	}
	step := time.Duration(slotMinutes) * time.Minute
	var slots []model.SessionSlot
	for t := sess.StartsAt; t.Before(sess.EndsAt); t = t.Add(step) {
		end := t.Add(step)
		if end.After(sess.EndsAt) {
			end = sess.EndsAt
		}
		slots = append(slots, model.SessionSlot{SessionID: sess.ID, StartsAt: t, EndsAt: end})
	}
	capacity, reserved := shareOut(sess.Capacity, len(slots)), shareOut(sess.Reserved, len(slots))
	for i := range slots {
		slots[i].Capacity, slots[i].Reserved = capacity[i], reserved[i]
	}
	return tx.Create(&slots).Error
}

// shareOut shares capacity out over n slots, the first slots taking the
// remainder: the one rule by which slots are cut and re-cut.
func shareOut(capacity, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = capacity / n
		if i < capacity%n {
			out[i]++
		}
	}
	return out
}

// ErrSlotBelowBooked: a new capacity would give an arrival slot fewer
// seats than it holds.
var ErrSlotBelowBooked = newErr(KindConflict, "slot_below_booked", "the new capacity would leave an arrival slot with fewer seats than it holds")

// reshareSlots re-cuts a sliced session's slots for a new capacity by
// shareOut. A slot that would get fewer seats than it holds refuses the
// change (409 slot_below_booked naming each such slot), so no slot is ever
// overbooked. The caller holds the session's row lock, which every booking
// takes before its slot's, so the slots read here stay as they are until
// the transaction ends.
func reshareSlots(tx *gorm.DB, loc *time.Location, sessionID int64, capacity int) error {
	var slots []model.SessionSlot
	if err := forUpdate(tx).Where("session_id = ?", sessionID).Order("starts_at").Find(&slots).Error; err != nil {
		return err
	}
	if len(slots) == 0 {
		return nil
	}
	shares := shareOut(capacity, len(slots))
	var short []map[string]any
	for i, sl := range slots {
		if shares[i] < sl.Booked {
			short = append(short, map[string]any{"starts_at": sl.StartsAt.In(loc).Format(time.RFC3339),
				"ends_at": sl.EndsAt.In(loc).Format(time.RFC3339), "booked": sl.Booked, "capacity": shares[i]})
		}
	}
	if len(short) > 0 {
		return ErrSlotBelowBooked.With(map[string]any{"slots": short})
	}
	for i, sl := range slots {
		if shares[i] == sl.Capacity {
			continue
		}
		if err := tx.Model(&model.SessionSlot{}).Where("id = ?", sl.ID).Update("capacity", shares[i]).Error; err != nil {
			return err
		}
	}
	return nil
}

// Slots lists a session's arrival slots (none when it is not sliced).
func (s *CatalogService) Slots(ctx context.Context, sessionID int64) ([]model.SessionSlot, error) {
	db := s.db.WithContext(ctx)
	var n int64
	if err := db.Model(&model.Session{}).Where("id = ?", sessionID).Count(&n).Error; err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrNotFound
	}
	var out []model.SessionSlot
	err := db.Where("session_id = ?", sessionID).Order("starts_at").Find(&out).Error
	return out, err
}

// bookedTime is the time a booking of sess holds: its slot, or the session.
// A sliced session needs a slot (422 otherwise).
func bookedTime(tx *gorm.DB, sess model.Session, sliced bool, slotStart *time.Time) (*model.SessionSlot, time.Time, time.Time, error) {
	if !sliced {
		return nil, sess.StartsAt, sess.EndsAt, nil
	}
	if slotStart == nil {
		return nil, time.Time{}, time.Time{}, InvalidField("slot_starts_at", "required: this session is booked by arrival slot")
	}
	var slot model.SessionSlot
	// A locking read, after the session's (create): the latest slots, as a
	// move that committed since this transaction's first read left them.
	err := forUpdate(tx).Where("session_id = ? AND starts_at = ?", sess.ID, slotStart.UTC().Truncate(time.Second)).First(&slot).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, time.Time{}, time.Time{}, InvalidField("slot_starts_at", "is not a slot of this session")
	}
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	return &slot, slot.StartsAt, slot.EndsAt, nil
}

// checkOverlap refuses (409 time_conflict) a second seat-holding booking of
// the person whose time overlaps [start, end). The caller holds the person's
// row lock, so two bookings of one person are decided one after the other.
func checkOverlap(tx *gorm.DB, personID, sessionID int64, start, end time.Time) error {
	clash, err := overlapping(tx, personID, sessionID, start, end)
	if err != nil {
		return err
	}
	if clash.ID != 0 {
		return ErrTimeConflict.With(map[string]any{"booking_id": clash.ID, "session_id": clash.SessionID})
	}
	return nil
}

// bookingClash names a booking that overlaps another (ID 0: none).
type bookingClash struct {
	ID        int64
	SessionID int64
}

// overlapping finds a seat-holding booking of the person, in another
// session than sessionID, whose time overlaps [start, end).
func overlapping(tx *gorm.DB, personID, sessionID int64, start, end time.Time) (bookingClash, error) {
	var clash bookingClash
	err := tx.Model(&model.Booking{}).Select("bookings.id, bookings.session_id").
		Joins("JOIN sessions ON sessions.id = bookings.session_id").
		Where("bookings.member_id = ? AND bookings.session_id <> ? AND bookings.status IN ?", personID, sessionID,
			seatStatuses).
		Where("COALESCE(bookings.arrival_at, sessions.starts_at) < ? AND COALESCE(bookings.ends_at, sessions.ends_at) > ?", end, start).
		// A booking's starts_at is its session's start: before our end and,
		// sessions lasting at most maxSessionLength, after our start minus
		// that. One range of ix_booking_member_next, not every booking the
		// person ever held.
		Where("bookings.active = ? AND bookings.starts_at > ? AND bookings.starts_at < ?", true, start.Add(-maxSessionLength), end).
		Order("bookings.id").Limit(1).Scan(&clash).Error
	return clash, err
}

// freeSlotSeat changes a slot's counts with its booking's seat (delta ±1;
// a reserved seat moves reserved_booked too). A seat taken back (a
// promotion, public) needs a public seat free in the slot.
func freeSlotSeat(tx *gorm.DB, b *model.Booking, delta int) error {
	if b == nil || b.SlotID == 0 || delta == 0 {
		return nil
	}
	q := tx.Model(&model.SessionSlot{}).Where("id = ?", b.SlotID)
	if delta > 0 {
		q = q.Where("booked < capacity AND booked - reserved_booked < capacity - reserved")
	}
	fields := map[string]any{"booked": gorm.Expr("booked + ?", delta)}
	if b.ReservedSeat {
		fields["reserved_booked"] = gorm.Expr("reserved_booked + ?", delta)
	}
	res := q.Updates(fields)
	if res.Error == nil && res.RowsAffected == 0 && delta > 0 {
		return ErrSlotFull
	}
	return res.Error
}

// assignQueueNo gives a checked-in booking the next queue number (排队号) of
// its clinic and business day. The counter row is created once (a duplicate
// insert does nothing) and moved by a conditional update that holds its row
// lock to the end of the transaction; the unique key (clinic, day, number)
// backs it.
func (s *BookingService) assignQueueNo(tx *gorm.DB, b *model.Booking) error {
	at := b.StartsAt
	if b.ArrivalAt != nil {
		at = *b.ArrivalAt
	}
	day := at.In(s.loc).Format(dateLayout)
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&model.QueueCounter{ClinicID: b.ClinicID, Day: day}).Error; err != nil {
		return err
	}
	if err := tx.Model(&model.QueueCounter{}).Where("clinic_id = ? AND day = ?", b.ClinicID, day).
		Update("last", gorm.Expr("last + 1")).Error; err != nil {
		return err
	}
	var c model.QueueCounter
	if err := tx.Where("clinic_id = ? AND day = ?", b.ClinicID, day).First(&c).Error; err != nil {
		return err
	}
	if err := tx.Model(&model.Booking{}).Where("id = ?", b.ID).Updates(map[string]any{"queue_day": day, "queue_no": c.Last}).Error; err != nil {
		return err
	}
	b.QueueDay, b.QueueNo = &day, &c.Last
	return nil
}

// ConfirmResult is the outcome of one booking of a bulk confirmation.
type ConfirmResult struct {
	ID      int64
	Booking BookingView
	Err     error
}

// ConfirmMany confirms several pending bookings at once, each in its own
// transaction like Confirm. Every id must name a booking in the caller's
// scope (else 404 and nothing changes); a booking that cannot be confirmed
// (no longer pending) carries its error and does not stop the others.
func (s *BookingService) ConfirmMany(ctx context.Context, p Principal, ids []int64, reason string) ([]ConfirmResult, error) {
	var uniq []int64
	seen := map[int64]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	var n int64
	if err := p.Apply(s.db.WithContext(ctx).Model(&model.Booking{}).Where("id IN ?", uniq), ownerClinic).Count(&n).Error; err != nil {
		return nil, err
	}
	if int(n) != len(uniq) {
		return nil, ErrNotFound.Msg("some of these bookings do not exist at your clinic")
	}
	out := make([]ConfirmResult, 0, len(uniq))
	for _, id := range uniq {
		v, err := s.Confirm(ctx, p, id, reason)
		var se *Error
		if err != nil && !errors.As(err, &se) {
			return nil, err
		}
		out = append(out, ConfirmResult{ID: id, Booking: v, Err: err})
	}
	return out, nil
}
