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

// bookingPerson is the member as the short path's locking read gives it,
// with what about the member would send the booking down the full path.
type bookingPerson struct {
	model.Person
	Acting    bool
	Suspended bool
	Clash     bool
}

// bookingTarget is the session as the short path's plain read gives it:
// with its service's rules, and whether it is sliced into arrival slots.
type bookingTarget struct {
	model.Session
	Service model.Service `gorm:"embedded;embeddedPrefix:svc_"`
	Sliced  bool
}

// createShort books the common case in the fewest statements, the seat
// taken last so the session's row lock is held only to COMMIT:
//
//	BEGIN
//	SELECT member + acting household link? + suspension? + overlapping
//	       booking?                                 (locks the member's row)
//	SELECT session + service + sliced?              (plain read)
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
	// order. What is asked about the member rides in the same statement,
	// each an EXISTS of a few index reads, read once the lock is granted
	// (MariaDB and MySQL evaluate the select list's subqueries after the
	// row's lock; TiDB reads a locking statement at its for-update
	// timestamp), so a racing removal, suspension or booking of the member
	// is seen committed; the subqueries lock nothing:
	//   - acting: a household link that lets the caller act for the member
	//     (guardian of one of its households, or the member's own account);
	//   - suspended: a running suspension of any record with the member's
	//     name and birth date (ix_person_lineage), a superset of its lineage
	//     (memberLineage), so none is missed; the full path decides exactly;
	//   - clash: a seat-holding booking of the member at a time overlapping
	//     the session's (checkOverlap): a booking's starts_at is its
	//     session's start, so it lies before the session's end and, sessions
	//     lasting at most maxSessionLength, after its start minus that (one
	//     range of ix_booking_member_next).
	var m bookingPerson
	res := forUpdate(tx).Model(&model.Person{}).
		Select("persons.*"+
			", EXISTS (SELECT 1 FROM household_persons AS hp JOIN household_accounts AS ha ON ha.household_id = hp.household_id"+
			" WHERE hp.person_id = persons.id AND hp.deleted_at IS NULL AND (ha.role = ? OR ha.person_id = hp.person_id) AND ha.user_id = ?) AS acting"+
			", EXISTS (SELECT 1 FROM persons AS sp JOIN booking_suspensions AS bs ON bs.member_id = sp.id"+
			" WHERE sp.birth_date = persons.birth_date AND sp.name = persons.name AND bs.ends_at > ?) AS suspended"+
			", EXISTS (SELECT 1 FROM sessions AS ns JOIN bookings AS ob ON ob.member_id = persons.id AND ob.active = ?"+
			sessionsSince(tx, "ob.starts_at", "ns.starts_at", maxSessionLength)+" AND ob.starts_at < ns.ends_at AND ob.session_id <> ns.id"+
			" JOIN sessions AS os ON os.id = ob.session_id WHERE ns.id = ? AND ob.status IN ?"+
			" AND COALESCE(ob.arrival_at, os.starts_at) < ns.ends_at AND COALESCE(ob.ends_at, os.ends_at) > ns.starts_at) AS clash",
			model.HouseholdGuardian, p.UserID, now, true, in.SessionID,
			seatStatuses).
		Where("persons.id = ?", in.MemberID).Limit(1).Scan(&m)
	if res.Error != nil {
		return none, res.Error
	}
	if res.RowsAffected == 0 || !m.Acting || m.Suspended || m.Clash {
		return none, errSlowPath
	}
	// The session with its service's rules, a plain read: the seat UPDATE
	// below checks again on the latest row what decides the seat (open,
	// not full, the times as read).
	var t bookingTarget
	res = tx.Model(&model.Session{}).
		Select("sessions.*, "+serviceColumns(tx)+
			", EXISTS (SELECT 1 FROM session_slots AS sl WHERE sl.session_id = sessions.id) AS sliced").
		Joins("JOIN services ON services.id = sessions.service_id").
		Where("sessions.id = ?", in.SessionID).Limit(1).Scan(&t)
	if res.Error != nil {
		return none, res.Error
	}
	if res.RowsAffected == 0 || t.Sliced || t.Status != model.SessionOpen || !t.StartsAt.After(now.Add(s.cfg.BookingCutoff)) {
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
	if err := checkEligible(tx, s.loc, t.Service, m.Person, t.StartsAt); err != nil {
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
	v := BookingView{Booking: b, Session: s.catalog.viewOf(refs, sess, now), Member: m.Person, PlannedDoses: planned}
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

// sessionsSince is the condition "col > from - d" that bounds the short
// path's overlap check to one index range (d bounds a session's length;
// the full path's overlapping computes the same bound in Go): on MySQL,
// MariaDB and TiDB with the database's time arithmetic (from is a column);
// on SQLite, where nothing is measured, no condition (the rest of the check
// decides).
func sessionsSince(db *gorm.DB, col, from string, d time.Duration) string {
	if db.Dialector.Name() != "mysql" {
		return ""
	}
	return fmt.Sprintf(" AND %s > %s - INTERVAL %d SECOND", col, from, int64(d/time.Second))
}
