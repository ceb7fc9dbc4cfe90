package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// errSlowPath rolls the short booking transaction back: this booking needs
// the full one (create), which decides it and gives the answer.
var errSlowPath = errors.New("booking: take the full path")

// bookingTarget is what the short path reads after the member's lock, in
// one plain read: the session, its service's rules, whether it is sliced
// into arrival slots, whether the member already holds a seat at an
// overlapping time, whether the caller may act for the member, and whether
// a suspension may run for the member's person.
type bookingTarget struct {
	model.Session
	Service   model.Service `gorm:"embedded;embeddedPrefix:svc_"`
	Sliced    bool
	Clash     bool
	Acting    bool
	Suspended bool
}

// createShort books the common case in the fewest statements, the seat
// taken last so the session's row lock is held only to COMMIT:
//
//	BEGIN
//	SELECT member                                   (locks the member's row)
//	SELECT session + service + sliced? + overlapping booking?
//	       + acting household link? + suspension?   (plain read)
//	INSERT booking, INSERT its history row
//	[INSERT the Idempotency-Key record with the answer]
//	UPDATE sessions SET booked = booked + 1 WHERE … booked < capacity …
//	COMMIT
//
// ok is false when the booking is anything but a plain seat in a session
// that is not sliced, without a referral (suspended, ineligible, not
// found, full, closed, already booked, waitlist, overlap, a taken key): the
// transaction is rolled back and create decides it in full. The answer is
// computed from what was read and written (no re-read): the session's
// counters as read plus our seat.
func (s *BookingService) createShort(ctx context.Context, p Principal, in NewBooking, claim *IdemClaim) (BookingView, bool, error) {
	// A referral, or staff booking for a family (any scope but the caller's
	// own), takes the full path.
	if in.ReferralID != 0 || p.Scope != ScopeSelf {
		return BookingView{}, false, nil
	}
	// The catalog (service, clinic, expert) for the answer, from its cache,
	// before the transaction: nothing inside it waits for another connection.
	refs, err := s.catalog.references(ctx)
	if err != nil {
		return BookingView{}, false, err
	}
	var v BookingView
	err = withRetry(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			v, err = s.short(tx, p, in, refs, claim)
			return err
		})
	})
	if errors.Is(err, errSlowPath) {
		return BookingView{}, false, nil
	}
	if err != nil {
		return BookingView{}, true, err
	}
	if claim != nil {
		claim.state = claimStored
	}
	return v, true, nil
}

func (s *BookingService) short(tx *gorm.DB, p Principal, in NewBooking, refs *refData, claim *IdemClaim) (BookingView, error) {
	now := s.clock.Now()
	var none BookingView
	// The member, locked: the first lock of every booking and removal
	// (actedPerson), so the short and the full path take locks in one
	// order, and the plain read below, after it, sees a racing removal or
	// booking of the member committed.
	var m model.Person
	res := forUpdate(tx).Where("id = ?", in.MemberID).Limit(1).Find(&m)
	if res.Error != nil {
		return none, res.Error
	}
	if res.RowsAffected == 0 {
		return none, errSlowPath
	}
	// The session with its service's rules, and what would send the
	// booking down the full path, each an EXISTS of a few index reads:
	//   - sliced: the session has arrival slots;
	//   - clash: a seat-holding booking of the member at an overlapping time
	//     (checkOverlap): its booking's starts_at is its session's start, so
	//     it lies before our end and, sessions lasting at most
	//     maxSessionLength, after our start minus that (the range read of
	//     ix_booking_member_next);
	//   - acting: a household link that lets the caller act for the member
	//     (guardian of one of its households, or the member's own account);
	//   - suspended: a running suspension of any record with the member's
	//     name and birth date, a superset of its lineage (memberLineage), so
	//     no suspension is missed; the full path decides exactly.
	var t bookingTarget
	res = tx.Model(&model.Session{}).
		Select("sessions.*, "+serviceColumns(tx)+
			", EXISTS (SELECT 1 FROM session_slots AS sl WHERE sl.session_id = sessions.id) AS sliced"+
			", EXISTS (SELECT 1 FROM bookings AS ob JOIN sessions AS os ON os.id = ob.session_id WHERE ob.member_id = ? AND ob.active = ?"+
			sessionsSince(tx, "ob.starts_at", "sessions.starts_at", maxSessionLength)+" AND ob.starts_at < sessions.ends_at"+
			" AND ob.session_id <> sessions.id AND ob.status IN ? AND COALESCE(ob.arrival_at, os.starts_at) < sessions.ends_at"+
			" AND COALESCE(ob.ends_at, os.ends_at) > sessions.starts_at) AS clash"+
			", EXISTS (SELECT 1 FROM household_persons AS hp JOIN household_accounts AS ha ON ha.household_id = hp.household_id"+
			" WHERE hp.person_id = ? AND hp.deleted_at IS NULL AND (ha.role = ? OR ha.person_id = hp.person_id) AND ha.user_id = ?) AS acting"+
			", EXISTS (SELECT 1 FROM persons AS sp JOIN booking_suspensions AS bs ON bs.member_id = sp.id"+
			" WHERE sp.birth_date = ? AND sp.name = ? AND bs.ends_at > ?) AS suspended",
			m.ID, true, []string{model.BookingPending, model.BookingConfirmed, model.BookingCheckedIn},
			m.ID, model.HouseholdGuardian, p.UserID, m.BirthDate, m.Name, now).
		Joins("JOIN services ON services.id = sessions.service_id").
		Where("sessions.id = ?", in.SessionID).Limit(1).Scan(&t)
	if res.Error != nil {
		return none, res.Error
	}
	if res.RowsAffected == 0 || t.Sliced || t.Clash || !t.Acting || t.Suspended ||
		t.Status != model.SessionOpen || !t.StartsAt.After(now.Add(s.cfg.BookingCutoff)) {
		return none, errSlowPath
	}
	if _, ok := refs.services[t.ServiceID]; !ok {
		return none, errSlowPath
	}
	// Full as read: the full path decides (waitlist, session_full) without
	// a booking written and rolled back first. The seat UPDATE below still
	// decides on the latest row.
	public := t.Booked-t.ReservedBooked < t.Capacity-t.Reserved || !t.StartsAt.After(now.Add(s.cfg.ReferralSeatsOpen))
	if t.Booked >= t.Capacity || !public {
		return none, errSlowPath
	}
	if err := checkEligible(tx, s.loc, t.Service, m, t.StartsAt); err != nil {
		var se *Error
		if errors.As(err, &se) { // refused: the full path answers it
			return none, errSlowPath
		}
		return none, err
	}
	sess := t.Session
	b := model.Booking{SessionID: sess.ID, MemberID: m.ID, UserID: p.UserID, ClinicID: sess.ClinicID,
		Status: model.BookingPending, Active: ptrTrue(), Note: strings.TrimSpace(in.Note), StartsAt: sess.StartsAt}
	if err := tx.Create(&b).Error; err != nil {
		if isDuplicate(err) {
			return none, errSlowPath
		}
		return none, err
	}
	if err := bookingMachine.Start(tx, now, Step{ID: b.ID, To: b.Status, By: actorOf(p)}); err != nil {
		return none, err
	}
	planned, err := savePlannedDoses(tx, b, sess, in.PlannedDoses)
	if err != nil {
		return none, err
	}
	if t.Service.Confirmation == model.ConfirmAuto {
		if err := s.move(tx, &b, model.BookingConfirmed, systemActor, "自动确认"); err != nil {
			return none, err
		}
	}
	// Our seat, as the answer shows it: the counters read plus ours.
	sess.Booked++
	sess.UpdatedAt = now
	v := BookingView{Booking: b, Session: s.catalog.viewOf(refs, sess, now), Member: m, PlannedDoses: planned}
	if claim != nil {
		status, body, err := in.Answer(v)
		if err != nil {
			return none, err
		}
		if err := claim.record(tx, status, body); err != nil {
			return none, err
		}
	}
	// The seat, last: the condition is checked by the database on the latest
	// row, under its row lock, so concurrent requests cannot overbook; the
	// lock is held from here to COMMIT only.
	// The times as read: a session moved since (UpdateSession) sends the
	// booking down the full path, which reads the session under its lock.
	res = tx.Model(&model.Session{}).
		Where("id = ? AND status = ? AND booked < capacity AND starts_at > ?", sess.ID, model.SessionOpen, now.Add(s.cfg.BookingCutoff)).
		Where("starts_at = ? AND ends_at = ?", sess.StartsAt, sess.EndsAt).
		Where("(booked - reserved_booked < capacity - reserved OR starts_at <= ?)", now.Add(s.cfg.ReferralSeatsOpen)).
		Updates(map[string]any{"booked": gorm.Expr("booked + 1"), "updated_at": now})
	if res.Error != nil {
		return none, res.Error
	}
	if res.RowsAffected == 0 {
		return none, errSlowPath
	}
	return v, nil
}

var (
	serviceColsOnce sync.Once
	serviceCols     string
)

// serviceColumns selects every column of services as svc_<column>, for
// bookingTarget's embedded Service.
func serviceColumns(db *gorm.DB) string {
	serviceColsOnce.Do(func() {
		stmt := &gorm.Statement{DB: db}
		if err := stmt.Parse(&model.Service{}); err != nil {
			panic(err)
		}
		var cols []string
		for _, f := range stmt.Schema.Fields {
			if f.DBName != "" {
				cols = append(cols, "services."+f.DBName+" AS svc_"+f.DBName)
			}
		}
		serviceCols = strings.Join(cols, ", ")
	})
	return serviceCols
}

// sessionsSince is the condition "col > from - d" for the overlap checks'
// range reads, where d bounds a session's length: on MySQL and MariaDB,
// with the time arithmetic of the database (from is a column); on SQLite,
// where nothing is measured, no condition (the rest of the check decides).
func sessionsSince(db *gorm.DB, col, from string, d time.Duration) string {
	if db.Dialector.Name() != "mysql" {
		return ""
	}
	return fmt.Sprintf(" AND %s > %s - INTERVAL %d SECOND", col, from, int64(d/time.Second))
}
