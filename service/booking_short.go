package service

import (
	"context"
	"errors"
	"strings"
	"sync"

	"familycare/model"

	"gorm.io/gorm"
)

// errSlowPath rolls the short booking transaction back: this booking needs
// the full one (create), which decides it and gives the answer.
var errSlowPath = errors.New("booking: take the full path")

// bookingPerson is the member read with its locks, and whether a
// suspension of any record of the same person (memberLineage) runs.
type bookingPerson struct {
	model.Person
	Suspended bool
}

// bookingTarget is what the short path reads of a session, in one plain
// read: the session, its service's rules, whether it is sliced into arrival
// slots, and whether the member already holds a seat at an overlapping time.
type bookingTarget struct {
	model.Session
	Service model.Service `gorm:"embedded;embeddedPrefix:svc_"`
	Sliced  bool
	Clash   bool
}

// createShort books the common case in the fewest statements, the seat
// taken last so the session's row lock is held only to COMMIT:
//
//	BEGIN
//	SELECT member + acting household link + running suspension   (locks the member)
//	SELECT session + service + sliced? + overlapping booking?     (plain read)
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
	// The member, the link that lets the caller act for it, and a running
	// suspension of any record of the same person, in one locking read that
	// locks the member's row only (MariaDB and MySQL lock the FROM table's
	// rows, not a subquery's), the first lock of every booking and removal
	// (actedPerson), so the short and the full path take locks in one order;
	// the subqueries read after that lock is granted, so they see a racing
	// removal committed.
	var m bookingPerson
	lineage := `SELECT l.id FROM persons AS l WHERE l.name = persons.name AND l.birth_date = persons.birth_date AND
		(l.user_id = persons.user_id OR l.id IN (SELECT x.person_id FROM household_persons AS x WHERE x.household_id IN
			(SELECT y.household_id FROM household_persons AS y WHERE y.person_id = persons.id)))`
	res := forUpdate(tx).Model(&model.Person{}).
		Select("persons.*, EXISTS (SELECT 1 FROM booking_suspensions AS bs WHERE bs.ends_at > ? AND (bs.member_id = persons.id OR bs.member_id IN ("+lineage+"))) AS suspended", now).
		Where("persons.id = ? AND EXISTS (SELECT 1 FROM household_persons AS hp JOIN household_accounts AS ha ON ha.household_id = hp.household_id"+
			" WHERE hp.person_id = persons.id AND hp.deleted_at IS NULL AND (ha.role = ? OR ha.person_id = hp.person_id) AND ha.user_id = ?)",
			in.MemberID, model.HouseholdGuardian, p.UserID).Limit(1).Scan(&m)
	if res.Error != nil {
		return none, res.Error
	}
	if res.RowsAffected == 0 || m.Suspended {
		return none, errSlowPath
	}
	// The session with its service's rules, whether it is sliced, and a
	// seat-holding booking of the member at an overlapping time: a plain
	// read after the member's lock, so it sees the member's other
	// bookings committed (checkOverlap).
	var t bookingTarget
	res = tx.Model(&model.Session{}).
		Select("sessions.*, "+serviceColumns(tx)+
			", EXISTS (SELECT 1 FROM session_slots AS sl WHERE sl.session_id = sessions.id) AS sliced"+
			", EXISTS (SELECT 1 FROM bookings AS ob JOIN sessions AS os ON os.id = ob.session_id WHERE ob.member_id = ? AND ob.session_id <> sessions.id"+
			" AND ob.status IN ? AND COALESCE(ob.arrival_at, os.starts_at) < sessions.ends_at AND COALESCE(ob.ends_at, os.ends_at) > sessions.starts_at) AS clash",
			m.ID, []string{model.BookingPending, model.BookingConfirmed, model.BookingCheckedIn}).
		Joins("JOIN services ON services.id = sessions.service_id").
		Where("sessions.id = ?", in.SessionID).Limit(1).Scan(&t)
	if res.Error != nil {
		return none, res.Error
	}
	if res.RowsAffected == 0 || t.Sliced || t.Clash || t.Status != model.SessionOpen || !t.StartsAt.After(now.Add(s.cfg.BookingCutoff)) {
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
	res = tx.Model(&model.Session{}).
		Where("id = ? AND status = ? AND booked < capacity AND starts_at > ?", sess.ID, model.SessionOpen, now.Add(s.cfg.BookingCutoff)).
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
