package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"familycare/config"
	"familycare/model"
	"familycare/pagination"
	"familycare/pii"

	"gorm.io/gorm"
)

// Booking errors (codes from API.md).
var (
	ErrSessionFull        = newErr(KindConflict, "session_full", "the session is full; ask to join the waitlist")
	ErrAlreadyBooked      = newErr(KindConflict, "already_booked", "this family member already holds a booking for the session")
	ErrSessionClosed      = newErr(KindConflict, "session_closed", "the session is cancelled or no longer takes bookings")
	ErrCancelWindowClosed = newErr(KindConflict, "cancel_window_closed", "it is too late to cancel online; please call the clinic")
	ErrBookingSuspended   = newErr(KindConflict, "booking_suspended", "booking is suspended after repeated no-shows")
	ErrSessionNotStarted  = newErr(KindConflict, "session_not_started", "a no-show can be recorded only after the session starts")
	ErrReasonRequired     = InvalidField("reason", "required")
)

// bookingMachine is the booking state machine. Moves into or out of a
// seat-holding status change the session's counters first (locking the
// session row, the same order in every booking transaction).
var bookingMachine = &Machine{
	Name: "booking", Table: "bookings",
	States: []string{model.BookingPending, model.BookingConfirmed, model.BookingCheckedIn, model.BookingWaitlisted,
		model.BookingCancelled, model.BookingRejected, model.BookingNoShow},
	Moves: []Move{
		{"", model.BookingPending, []string{SideResident, SideStaff}},
		{"", model.BookingWaitlisted, []string{SideResident}},
		{model.BookingPending, model.BookingConfirmed, []string{SideStaff, SideSystem}},
		{model.BookingPending, model.BookingRejected, []string{SideStaff}},
		{model.BookingPending, model.BookingCancelled, []string{SideResident, SideStaff, SideSystem}},
		{model.BookingConfirmed, model.BookingCheckedIn, []string{SideStaff}},
		{model.BookingConfirmed, model.BookingNoShow, []string{SideStaff}},
		{model.BookingConfirmed, model.BookingCancelled, []string{SideResident, SideStaff}},
		{model.BookingWaitlisted, model.BookingPending, []string{SideSystem}},
		{model.BookingWaitlisted, model.BookingCancelled, []string{SideResident, SideStaff}},
	},
	model: func() any { return &model.Booking{} },
	event: func(st Step, at time.Time) any {
		return &model.BookingEvent{BookingID: st.ID, Transition: st.record(at)}
	},
	before: takeOrFreeSeat,
	after:  referralFollow,
}

// sessionMachine: staff publish sessions and cancel them (every active
// booking is cancelled with it, see cancelSession).
var sessionMachine = &Machine{
	Name: "session", Table: "sessions",
	States: []string{model.SessionOpen, model.SessionCancelled},
	Moves: []Move{
		{"", model.SessionOpen, []string{SideStaff}},
		{model.SessionOpen, model.SessionCancelled, []string{SideStaff}},
	},
	model: func() any { return &model.Session{} },
	event: func(st Step, at time.Time) any {
		return &model.SessionEvent{SessionID: st.ID, Transition: st.record(at)}
	},
}

// takeOrFreeSeat changes the session's counters for a booking move: a seat
// is taken only while booked < capacity (409 session_full otherwise).
func takeOrFreeSeat(tx *gorm.DB, st Step, at time.Time) error {
	seat := boolInt(holdsSeat(st.To)) - boolInt(holdsSeat(st.From))
	wait := boolInt(st.To == model.BookingWaitlisted) - boolInt(st.From == model.BookingWaitlisted)
	if seat == 0 && wait == 0 {
		return nil
	}
	row := st.Row.(*model.Booking)
	q := tx.Model(&model.Session{}).Where("id = ?", row.SessionID)
	if seat > 0 { // a promotion takes a public seat
		q = q.Where("booked < capacity AND booked - reserved_booked < capacity - reserved")
	}
	fields := map[string]any{"booked": gorm.Expr("booked + ?", seat), "waitlisted": gorm.Expr("waitlisted + ?", wait), "updated_at": at}
	if row.ReservedSeat && seat != 0 {
		fields["reserved_booked"] = gorm.Expr("reserved_booked + ?", seat)
	}
	res := q.Updates(fields)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrSessionFull
	}
	if seat != 0 {
		return freeSlotSeat(tx, st.Row.(*model.Booking), seat)
	}
	return nil
}

// seatStatuses are the statuses counted in Session.Booked. A checked-in
// child sits in the seat, so checked_in keeps holding it.
var seatStatuses = []string{model.BookingPending, model.BookingConfirmed, model.BookingCheckedIn}

// holdsSeat reports whether status is one of seatStatuses.
func holdsSeat(status string) bool { return slices.Contains(seatStatuses, status) }

// isActive reports the statuses under the one-booking-per-member-per-session
// key.
func isActive(status string) bool {
	return holdsSeat(status) || status == model.BookingWaitlisted
}

// BookingService books seats, runs the booking state machine and the
// waitlist. Seat counts are changed only by conditional updates in the
// transaction that changes the booking, so they hold across replicas.
type BookingService struct {
	db      *gorm.DB
	clock   Clock
	loc     *time.Location
	cfg     config.Config
	catalog *CatalogService
	notify  *NotificationService
	log     *slog.Logger
	pii     *pii.Box
	// OnOutcome, when set, is told the outcome of every booking attempt
	// (metrics).
	OnOutcome func(outcome string)
}

// NewBookingService builds the booking service.
func NewBookingService(deps Deps, catalog *CatalogService, notify *NotificationService) *BookingService {
	return &BookingService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, cfg: deps.Config, catalog: catalog, notify: notify, log: deps.Log, pii: deps.PII}
}

// BookingView is a booking with its session, member and waitlist position.
type BookingView struct {
	model.Booking
	Session  SessionView
	Member   model.Person
	Position int // 1-based waitlist position; 0 unless waitlisted
	History  []model.BookingEvent
	// PlannedDoses are the vaccines planned for a vaccination booking.
	PlannedDoses []PlannedDose
	// Guardian is who made the booking, as a nurse calls them (staff
	// answers only): name and masked phone.
	Guardian *Guardian
}

// Guardian is the account behind a booking, for the staff queue.
type Guardian struct {
	Name, PhoneMasked string
}

// NewBooking is a booking request.
type NewBooking struct {
	SessionID, MemberID int64
	Note                string
	JoinWaitlist        bool
	// ReferralID books with a referral (a reserved seat when one is free).
	ReferralID int64
	// SlotStartsAt picks the arrival slot of a sliced session.
	SlotStartsAt *time.Time
	// PlannedDoses: vaccines planned (vaccination sessions only).
	PlannedDoses []PlannedDose
	// Answer renders the answer to a booking (its status and body), for an
	// Idempotency-Key recorded with the booking (IdemClaim).
	Answer func(BookingView) (int, []byte, error)
}

func (s *BookingService) outcome(o string) {
	if s.OnOutcome != nil {
		s.OnOutcome(o)
	}
}

// Create books a seat for one of the caller's members, or a waitlist place
// when the session is full and the caller asked for one. The common case
// takes the short transaction (createShort); everything else, and anything
// the short one cannot decide, the full one. An Idempotency-Key claim in
// ctx (WithClaim) is recorded in the short transaction, or else claimed
// before the full one.
func (s *BookingService) Create(ctx context.Context, p Principal, in NewBooking) (BookingView, error) {
	claim := claimOf(ctx)
	if claim != nil && in.Answer == nil {
		return BookingView{}, errors.New("booking: an Idempotency-Key claim needs the answer's renderer")
	}
	v, done, err := s.createShort(ctx, p, in, claim)
	if !done && claim != nil {
		if err = claim.begin(ctx); err != nil {
			return BookingView{}, err
		}
	}
	if !done {
		v, err = s.createFull(ctx, p, in)
	}
	if err != nil {
		var se *Error
		if errors.As(err, &se) {
			s.outcome(se.Code)
		} else {
			s.outcome("error")
		}
		return BookingView{}, err
	}
	s.outcome(v.Status)
	return v, nil
}

// createFull books in the transaction that decides every case: seats and
// reserved seats, arrival slots, referrals, the waitlist, and each refusal.
func (s *BookingService) createFull(ctx context.Context, p Principal, in NewBooking) (BookingView, error) {
	var (
		b       model.Booking
		sess    model.Session
		member  model.Person
		planned []PlannedDose
	)
	err := withRetry(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			b, sess, member, err = s.create(tx, p, in)
			if err == nil {
				planned, err = savePlannedDoses(tx, b, sess, in.PlannedDoses)
			}
			return err
		})
	})
	if err != nil {
		return BookingView{}, err
	}
	sv, err := s.catalog.views(ctx, []model.Session{sess})
	if err != nil {
		return BookingView{}, err
	}
	v := BookingView{Booking: b, Session: sv[0], Member: member, PlannedDoses: planned}
	if b.Status == model.BookingWaitlisted {
		// Our place in the queue at the moment we joined it.
		v.Position = sess.Waitlisted
	}
	return v, nil
}

func (s *BookingService) create(tx *gorm.DB, p Principal, in NewBooking) (model.Booking, model.Session, model.Person, error) {
	var (
		sess model.Session
		none model.Booking
	)
	now := s.clock.Now()
	// The member row is locked first: deleting the member (or the account)
	// takes the same lock, so a booking and a delete never both succeed.
	member, err := bookedPerson(tx, p, in.MemberID, in.ReferralID)
	if err != nil {
		return none, sess, member, err
	}
	lineage, err := memberLineage(tx, member)
	if err != nil {
		return none, sess, member, err
	}
	var susp model.BookingSuspension
	err = tx.Where("member_id IN ? AND ends_at > ?", lineage, now).Order("ends_at DESC").Limit(1).Find(&susp).Error
	if err != nil {
		return none, sess, member, err
	}
	if susp.ID != 0 {
		return none, sess, member, ErrBookingSuspended.With(map[string]any{"until": susp.EndsAt.In(s.loc).Format(time.RFC3339)}).
			Msg("booking is suspended until %s after repeated no-shows", susp.EndsAt.In(s.loc).Format("2006-01-02"))
	}
	// The service's rules, checked on what the session is now: a locking
	// read (the session's row lock comes after the member's in every
	// booking), so a move of the session (UpdateSession, which holds the
	// same lock) is either seen whole here or waits for this booking.
	var target model.Session
	if err := forUpdate(tx).First(&target, in.SessionID).Error; err != nil {
		return none, sess, member, notFound(err)
	}
	if in.ReferralID == 0 && !p.booksAt(target.ClinicID) {
		return none, sess, member, ErrNotFound.Msg("no such session in your clinics")
	}
	var sv model.Service
	if err := tx.First(&sv, target.ServiceID).Error; err != nil {
		return none, sess, member, err
	}
	if err := checkEligible(tx, s.loc, sv, member, target.StartsAt); err != nil {
		return none, sess, member, err
	}
	var slotCount int64
	if err := tx.Model(&model.SessionSlot{}).Where("session_id = ?", target.ID).Count(&slotCount).Error; err != nil {
		return none, sess, member, err
	}
	slot, from, until, err := bookedTime(tx, target, slotCount > 0, in.SlotStartsAt)
	if err != nil {
		return none, sess, member, err
	}
	if err := checkOverlap(tx, member.ID, target.ID, from, until); err != nil {
		return none, sess, member, err
	}
	if slot != nil { // a sliced session has no waitlist: slots are chosen
		in.JoinWaitlist = false
	}
	// A referral is checked (and its row locked) before the seat is taken.
	var ref model.Referral
	if in.ReferralID != 0 {
		if ref, err = useReferral(tx, in.ReferralID, member.ID, target, now); err != nil {
			return none, sess, member, err
		}
		in.JoinWaitlist = false
	}
	seated, reservedSeat, err := s.takeSeat(tx, target, slot, ref.ID != 0, now)
	if err != nil {
		return none, sess, member, err
	}
	placed := seated
	if !seated && in.JoinWaitlist {
		res := tx.Model(&model.Session{}).Where("id = ? AND status = ? AND starts_at > ?", in.SessionID, model.SessionOpen, now.Add(s.cfg.BookingCutoff)).
			Updates(map[string]any{"waitlisted": gorm.Expr("waitlisted + 1"), "waitlist_seq": gorm.Expr("waitlist_seq + 1"), "updated_at": now})
		if res.Error != nil {
			return none, sess, member, res.Error
		}
		placed = res.RowsAffected == 1
	}
	// Read the session after our update: the row is ours (locked), so what we
	// read includes every committed change and ours.
	if err := tx.First(&sess, in.SessionID).Error; err != nil {
		return none, sess, member, notFound(err)
	}
	if !placed {
		if sess.Status != model.SessionOpen || !now.Before(sess.StartsAt.Add(-s.cfg.BookingCutoff)) {
			return none, sess, member, ErrSessionClosed
		}
		var mine int64
		if err := tx.Model(&model.Booking{}).Where("session_id = ? AND member_id = ? AND active = ?", sess.ID, member.ID, true).Count(&mine).Error; err != nil {
			return none, sess, member, err
		}
		if mine > 0 {
			return none, sess, member, ErrAlreadyBooked
		}
		return none, sess, member, ErrSessionFull
	}
	owner, bookedBy := bookedFor(p, member)
	b := model.Booking{SessionID: sess.ID, MemberID: member.ID, UserID: owner, BookedBy: bookedBy, ClinicID: sess.ClinicID,
		Status: model.BookingPending, Active: ptrTrue(), Note: strings.TrimSpace(in.Note), StartsAt: sess.StartsAt}
	if slot != nil {
		b.SlotID, b.ArrivalAt, b.EndsAt = slot.ID, &slot.StartsAt, &slot.EndsAt
	}
	b.ReferralID, b.ReservedSeat = ref.ID, reservedSeat
	if !seated {
		b.Status, b.WaitSeq = model.BookingWaitlisted, sess.WaitlistSeq
	}
	// The unique key (session, member, active) refuses a second active
	// booking of the member, whatever the concurrency.
	if err := tx.Create(&b).Error; err != nil {
		if isDuplicate(err) {
			return none, sess, member, ErrAlreadyBooked
		}
		return none, sess, member, err
	}
	if err := bookingMachine.Start(tx, now, Step{ID: b.ID, To: b.Status, By: actorOf(p)}); err != nil {
		return none, sess, member, err
	}
	if ref.ID != 0 {
		if err := referralMachine.Apply(tx, now, Step{ID: ref.ID, From: model.ReferralIssued, To: model.ReferralBooked, By: actorOf(p),
			Set: map[string]any{"booking_id": b.ID}}); err != nil {
			return none, sess, member, err
		}
	}
	// Staff of the session's clinic confirm what they book as they book it
	// (they are who confirms); services that confirm themselves confirm at
	// booking; anything else waits for the clinic.
	switch {
	case b.Status == model.BookingPending && p.Sees(sess.ClinicID):
		if err := s.move(tx, &b, model.BookingConfirmed, actorOf(p), "工作人员代为预约并确认"); err != nil {
			return none, sess, member, err
		}
	case b.Status == model.BookingPending && sv.Confirmation == model.ConfirmAuto:
		if err := s.move(tx, &b, model.BookingConfirmed, systemActor, "自动确认"); err != nil {
			return none, sess, member, err
		}
	}
	if b.UserID != p.UserID && b.UserID != 0 { // booked for the family by staff
		if err := s.notifyBookedForFamily(tx, b, sess); err != nil {
			return none, sess, member, err
		}
	}
	return b, sess, member, nil
}

// bookedFor is whose a new booking is and who made it: a family booking for
// itself owns it (booked_by 0); staff book for the person's owner
// (personOwner, who gets the notices and sees it in GET /bookings) and are
// recorded in booked_by.
func bookedFor(p Principal, m model.Person) (owner, bookedBy int64) {
	if p.Scope == ScopeSelf {
		return p.UserID, 0
	}
	return personOwner(m), p.UserID
}

// notifyBookedForFamily tells the family that staff booked a seat for one
// of its persons, and in which status.
func (s *BookingService) notifyBookedForFamily(tx *gorm.DB, b model.Booking, sess model.Session) error {
	label, err := s.bookingLabel(tx, b, sess)
	if err != nil {
		return err
	}
	state := "待确认"
	if b.Status == model.BookingConfirmed {
		state = "已确认"
	}
	return s.notify.Notify(tx, Notice{UserID: b.UserID, Event: EventBookingMadeByStaff, Title: "工作人员已为您预约",
		Body: "工作人员已为您预约：" + label + "（" + state + "），请按时到达。", RefType: "booking", RefID: b.ID})
}

// takeSeat takes a seat of the session, and of its slot when it is
// sliced, for a new booking: the conditions are checked by the database on
// the latest rows under their row locks (session row first, then the slot,
// as in every booking transaction), so concurrent requests through any
// replica cannot overbook. A referral takes a reserved seat when one is
// free (else a public one); everyone else takes a public seat — booked -
// reserved_booked < capacity - reserved — or any seat once the reserved
// ones open (REFERRAL_SEATS_OPEN before the session starts). In a sliced
// session the reserved seats live in the slots (the session's counters are
// their sums): the slot decides, and the session only checks capacity.
// seated false (nothing changed) means the session is full or closed; a
// full slot is 409 slot_full.
func (s *BookingService) takeSeat(tx *gorm.DB, sess model.Session, slot *model.SessionSlot, referral bool, now time.Time) (seated, reserved bool, err error) {
	open := !now.Add(s.cfg.ReferralSeatsOpen).Before(sess.StartsAt)
	// take adds a seat (and a reserved one) to the row q names, if q's
	// conditions hold on it.
	take := func(q *gorm.DB, withReserved bool, extra map[string]any) (bool, error) {
		fields := map[string]any{"booked": gorm.Expr("booked + 1")}
		if withReserved {
			fields["reserved_booked"] = gorm.Expr("reserved_booked + 1")
		}
		for k, v := range extra {
			fields[k] = v
		}
		res := q.Updates(fields)
		return res.RowsAffected == 1, res.Error
	}
	stamp := map[string]any{"updated_at": now}
	sessQ := func() *gorm.DB {
		return tx.Model(&model.Session{}).
			Where("id = ? AND status = ? AND booked < capacity AND starts_at > ?", sess.ID, model.SessionOpen, now.Add(s.cfg.BookingCutoff))
	}
	publicSeat := "booked - reserved_booked < capacity - reserved"
	if slot == nil {
		if referral {
			if reserved, err = take(sessQ().Where("reserved_booked < reserved"), true, stamp); err != nil || reserved {
				return reserved, reserved, err
			}
		}
		q := sessQ()
		if !open {
			q = q.Where(publicSeat)
		}
		seated, err = take(q, false, stamp)
		return seated, false, err
	}
	if seated, err = take(sessQ(), false, stamp); err != nil || !seated {
		return false, false, err
	}
	slotQ := func() *gorm.DB {
		return tx.Model(&model.SessionSlot{}).Where("id = ? AND booked < capacity", slot.ID)
	}
	if referral {
		if reserved, err = take(slotQ().Where("reserved_booked < reserved"), true, nil); err != nil {
			return false, false, err
		}
		if reserved {
			err = tx.Model(&model.Session{}).Where("id = ?", sess.ID).Update("reserved_booked", gorm.Expr("reserved_booked + 1")).Error
			return true, true, err
		}
	}
	q := slotQ()
	if !open {
		q = q.Where(publicSeat)
	}
	ok, err := take(q, false, nil)
	if err == nil && !ok {
		err = ErrSlotFull
	}
	return ok, false, err
}

func ptrTrue() *bool { t := true; return &t }

// Get returns one booking in the caller's scope with its history.
func (s *BookingService) Get(ctx context.Context, p Principal, id int64) (BookingView, error) {
	var b model.Booking
	q := p.Apply(s.db.WithContext(ctx).Where("id = ?", id), ownerClinic)
	if err := q.First(&b).Error; err != nil {
		return BookingView{}, notFound(err)
	}
	v, err := s.view(ctx, b, true)
	if err != nil || p.Scope == ScopeSelf {
		return v, err
	}
	vs := []BookingView{v}
	err = s.withGuardians(ctx, vs)
	return vs[0], err
}

// withGuardians adds to staff answers the account that made each booking:
// its real name (else nickname) and masked phone, in one query.
func (s *BookingService) withGuardians(ctx context.Context, vs []BookingView) error {
	ids := make([]int64, 0, len(vs))
	for _, v := range vs {
		ids = append(ids, v.UserID)
	}
	var users []model.User
	if err := s.db.WithContext(ctx).Unscoped().Select("id", "real_name", "nickname", "phone").Where("id IN ?", ids).Find(&users).Error; err != nil {
		return err
	}
	byID := indexBy(users, func(u model.User) int64 { return u.ID })
	for i := range vs {
		u, ok := byID[vs[i].UserID]
		if !ok {
			continue
		}
		phone, err := s.pii.Open(u.Phone)
		if err != nil {
			return err
		}
		name := u.RealName
		if name == "" {
			name = u.Nickname
		}
		vs[i].Guardian = &Guardian{Name: name, PhoneMasked: MaskPhone(phone)}
	}
	return nil
}

// BookingFilter filters booking lists.
type BookingFilter struct {
	Status    string
	SessionID int64
	Date      string // business date of the session, YYYY-MM-DD
	ClinicID  int64  // admin only
}

type bookingCursor struct {
	StartsAt time.Time `json:"t"`
	ID       int64     `json:"id"`
}

// List lists the bookings in the caller's scope: its own (latest session
// first), or its clinic's or the network's (earliest session first).
func (s *BookingService) List(ctx context.Context, p Principal, f BookingFilter, pg pagination.Page) ([]BookingView, string, error) {
	var cur bookingCursor
	if err := decodeCursor(pg.Cursor, &cur); err != nil {
		return nil, "", err
	}
	limit := pageLimit(pg.Limit)
	staffView := p.Scope != ScopeSelf
	q := s.db.WithContext(ctx).Model(&model.Booking{})
	if p.Scope != ScopeSelf {
		q = filterBy(q, "clinic_id", f.ClinicID)
	}
	q = filterBy(q, "status", f.Status, "session_id", f.SessionID)
	if f.Date != "" {
		day, err := time.ParseInLocation(dateLayout, f.Date, s.loc)
		if err != nil || !SaneTime(day) {
			return nil, "", InvalidField("date", "must be a date YYYY-MM-DD, from 1900 to 2199")
		}
		q = q.Where("starts_at >= ? AND starts_at < ?", day.UTC(), day.AddDate(0, 0, 1).UTC())
	}
	order := "starts_at DESC, id DESC"
	before := func(a, b model.Booking) bool {
		return a.StartsAt.After(b.StartsAt) || (a.StartsAt.Equal(b.StartsAt) && a.ID > b.ID)
	}
	if staffView {
		order = "starts_at, id"
		before = func(a, b model.Booking) bool {
			return a.StartsAt.Before(b.StartsAt) || (a.StartsAt.Equal(b.StartsAt) && a.ID < b.ID)
		}
	}
	if cur.ID != 0 {
		if staffView {
			q = q.Where("(starts_at > ? OR (starts_at = ? AND id > ?))", cur.StartsAt, cur.StartsAt, cur.ID)
		} else {
			q = q.Where("(starts_at < ? OR (starts_at = ? AND id < ?))", cur.StartsAt, cur.StartsAt, cur.ID)
		}
	}
	// A branch's staff: one range of ix_booking_clinic_start per clinic,
	// merged.
	rows, err := mergePage(p.ApplyEach(q, ownerClinic), order, limit+1, before, func(b model.Booking) int64 { return b.ID })
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = pagination.Encode(bookingCursor{StartsAt: last.StartsAt, ID: last.ID})
	}
	out, err := s.views(ctx, rows)
	if err == nil && staffView {
		err = s.withGuardians(ctx, out)
	}
	return out, next, err
}

// view loads what a booking response shows.
func (s *BookingService) view(ctx context.Context, b model.Booking, withHistory bool) (BookingView, error) {
	vs, err := s.views(ctx, []model.Booking{b})
	if err != nil {
		return BookingView{}, err
	}
	v := vs[0]
	if withHistory {
		if err := s.db.WithContext(ctx).Where("booking_id = ?", b.ID).Order("id").Find(&v.History).Error; err != nil {
			return BookingView{}, err
		}
	}
	return v, nil
}

func (s *BookingService) views(ctx context.Context, rows []model.Booking) ([]BookingView, error) {
	if len(rows) == 0 {
		return []BookingView{}, nil
	}
	db := s.db.WithContext(ctx)
	sessIDs, memberIDs := make([]int64, 0, len(rows)), make([]int64, 0, len(rows))
	for _, b := range rows {
		sessIDs = append(sessIDs, b.SessionID)
		memberIDs = append(memberIDs, b.MemberID)
	}
	var sessions []model.Session
	if err := db.Where("id IN ?", sessIDs).Find(&sessions).Error; err != nil {
		return nil, err
	}
	sviews, err := s.catalog.views(ctx, sessions)
	if err != nil {
		return nil, err
	}
	byID := indexBy(sviews, func(v SessionView) int64 { return v.ID })
	var members []model.Person
	if err := db.Unscoped().Where("id IN ?", memberIDs).Find(&members).Error; err != nil {
		return nil, err
	}
	mByID := indexBy(members, func(m model.Person) int64 { return m.ID })
	positions, err := waitlistPositions(db, rows)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(rows))
	for i, b := range rows {
		ids[i] = b.ID
	}
	planned, err := plannedDosesOf(db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]BookingView, len(rows))
	for i, b := range rows {
		out[i] = BookingView{Booking: b, Session: byID[b.SessionID], Member: mByID[b.MemberID], Position: positions[b.ID],
			PlannedDoses: planned[b.ID]}
	}
	return out, nil
}

// waitlistPositions gives each waitlisted booking of rows its 1-based place
// in its session's queue (by wait_seq), reading those queues in one query.
func waitlistPositions(db *gorm.DB, rows []model.Booking) (map[int64]int, error) {
	var sessions []int64
	for _, b := range rows {
		if b.Status == model.BookingWaitlisted {
			sessions = append(sessions, b.SessionID)
		}
	}
	out := map[int64]int{}
	if len(sessions) == 0 {
		return out, nil
	}
	var queue []model.Booking
	if err := db.Select("id", "session_id", "wait_seq").Where("session_id IN ? AND status = ?", sessions, model.BookingWaitlisted).
		Order("session_id, wait_seq").Find(&queue).Error; err != nil {
		return nil, err
	}
	place := map[int64]int{}
	for _, q := range queue {
		place[q.SessionID]++
		out[q.ID] = place[q.SessionID]
	}
	return out, nil
}

// Cancel cancels one of the caller's bookings. Too late to cancel online,
// the answer names the clinic and its phone (details clinic_name,
// clinic_phone; the message shows the phone).
func (s *BookingService) Cancel(ctx context.Context, p Principal, id int64, reason string) (BookingView, error) {
	var clinicID int64
	v, err := s.transition(ctx, p, id, model.BookingCancelled, reason, func(b model.Booking, sess model.Session, now time.Time) error {
		if b.Status != model.BookingWaitlisted && now.After(sess.StartsAt.Add(-s.cfg.CancelWindow)) && !s.movedInsideWindow(b, sess) {
			clinicID = sess.ClinicID
			return ErrCancelWindowClosed
		}
		if b.Status == model.BookingWaitlisted && !now.Before(sess.StartsAt) {
			return ErrSessionClosed
		}
		return nil
	})
	if errors.Is(err, ErrCancelWindowClosed) {
		details := map[string]any{"window_hours": s.cfg.CancelWindow.Hours()}
		var clinic model.Clinic
		if e := s.db.WithContext(ctx).Unscoped().Select("id", "name", "phone").First(&clinic, clinicID).Error; e == nil {
			details["clinic_name"] = clinic.Name
			if clinic.Phone != "" {
				details["clinic_phone"] = clinic.Phone
			}
		} else if !errors.Is(e, gorm.ErrRecordNotFound) {
			return BookingView{}, e
		}
		return BookingView{}, ErrCancelWindowClosed.With(details)
	}
	return v, err
}

// Confirm, Reject, CheckIn and NoShow are the staff actions.
func (s *BookingService) Confirm(ctx context.Context, p Principal, id int64, reason string) (BookingView, error) {
	return s.transition(ctx, p, id, model.BookingConfirmed, reason, func(b model.Booking, sess model.Session, now time.Time) error {
		if !now.Before(sess.EndsAt) {
			return ErrSessionClosed.Msg("the session is over")
		}
		return nil
	})
}

// Reject refuses a pending booking; a reason is required.
func (s *BookingService) Reject(ctx context.Context, p Principal, id int64, reason string) (BookingView, error) {
	if strings.TrimSpace(reason) == "" {
		return BookingView{}, ErrReasonRequired
	}
	return s.transition(ctx, p, id, model.BookingRejected, reason, nil)
}

// CheckIn records that the member arrived.
// Check-in is open from CheckInOpens before the start (never before the
// session's day begins in the business zone) until the session ends.
func (s *BookingService) CheckIn(ctx context.Context, p Principal, id int64, reason string) (BookingView, error) {
	return s.transition(ctx, p, id, model.BookingCheckedIn, reason, func(b model.Booking, sess model.Session, now time.Time) error {
		opens := sess.StartsAt.Add(-s.cfg.CheckInOpens)
		local := sess.StartsAt.In(s.loc)
		if day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.loc); opens.Before(day) {
			opens = day
		}
		if now.Before(opens) || !now.Before(sess.EndsAt) {
			return ErrCheckInClosed.With(map[string]any{"opens": opens.In(s.loc).Format("15:04"),
				"opens_at": opens.In(s.loc).Format(time.RFC3339), "closes_at": sess.EndsAt.In(s.loc).Format(time.RFC3339)})
		}
		return nil
	})
}

// ErrCheckInClosed: check-in outside its window.
var ErrCheckInClosed = newErr(KindConflict, "check_in_closed", "check-in is open from shortly before the session starts until it ends")

// NoShow records that the member did not come; repeated no-shows suspend
// booking for the member.
func (s *BookingService) NoShow(ctx context.Context, p Principal, id int64, reason string) (BookingView, error) {
	return s.transition(ctx, p, id, model.BookingNoShow, reason, func(b model.Booking, sess model.Session, now time.Time) error {
		if now.Before(sess.StartsAt) {
			return ErrSessionNotStarted
		}
		return nil
	})
}

// transition applies one state change: scope check, state-machine check,
// rule check, then seat counters (locking the session row first, the same
// order everywhere), the conditional booking update, history, notification
// and waitlist promotion — all in one transaction.
func (s *BookingService) transition(ctx context.Context, p Principal, id int64, to, reason string,
	check func(model.Booking, model.Session, time.Time) error) (BookingView, error) {
	var b model.Booking
	err := withRetry(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := p.Apply(tx.Where("id = ?", id), ownerClinic).First(&b).Error; err != nil {
				return notFound(err)
			}
			// Lock the session row first (the same order in every booking
			// transaction), then read the latest booking state.
			var sess model.Session
			if err := forUpdate(tx).First(&sess, b.SessionID).Error; err != nil {
				return err
			}
			if err := forUpdate(tx).First(&b, b.ID).Error; err != nil {
				return err
			}
			from, by := b.Status, actorOf(p)
			if !bookingMachine.Allowed(from, to, by.Side) {
				return bookingMachine.refuse(from, to)
			}
			now := s.clock.Now()
			if check != nil {
				if err := check(b, sess, now); err != nil {
					return err
				}
			}
			if err := s.move(tx, &b, to, by, reason); err != nil {
				return err
			}
			if to == model.BookingCheckedIn {
				if err := s.assignQueueNo(tx, &b); err != nil {
					return err
				}
			}
			if to == model.BookingNoShow {
				if err := s.suspendIfRepeated(tx, b, now); err != nil {
					return err
				}
			}
			if p.UserID != b.UserID {
				if err := s.notifyBooker(tx, b, sess, reason); err != nil {
					return err
				}
			}
			if holdsSeat(from) && !holdsSeat(to) {
				return s.promote(tx, b.SessionID)
			}
			return nil
		})
	})
	if err != nil {
		return BookingView{}, err
	}
	return s.view(ctx, b, true)
}

// cancelInTx cancels booking id inside the caller's transaction (account
// deletion), with the locks and seat accounting of every other move; a
// booking that no longer holds or waits for a seat is left as it is.
func (s *BookingService) cancelInTx(tx *gorm.DB, id int64, by Actor, reason string) error {
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
	from := b.Status
	if !bookingMachine.Allowed(from, model.BookingCancelled, by.Side) {
		return nil
	}
	if err := s.move(tx, &b, model.BookingCancelled, by, reason); err != nil {
		return err
	}
	if holdsSeat(from) {
		return s.promote(tx, b.SessionID)
	}
	return nil
}

// move applies one booking move through the machine (seat counters,
// conditional update, history) and reads b again.
func (s *BookingService) move(tx *gorm.DB, b *model.Booking, to string, by Actor, reason string) error {
	var active *bool
	if isActive(to) {
		active = ptrTrue()
	}
	return bookingMachine.Apply(tx, s.clock.Now(), Step{ID: b.ID, From: b.Status, To: to, By: by, Reason: reason, Row: b,
		Set: map[string]any{"active": active, "reason": truncate(reason, 255)}})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// promote moves the oldest waitlisted bookings of a session to pending while
// seats are free, notifying their owners. It runs inside the transaction
// that freed the seat, after the session row is locked by its update.
func (s *BookingService) promote(tx *gorm.DB, sessionID int64) error {
	for {
		var sess model.Session
		if err := forUpdate(tx).First(&sess, sessionID).Error; err != nil {
			return err
		}
		if sess.Status != model.SessionOpen || sess.Booked >= sess.Capacity || !s.clock.Now().Before(sess.StartsAt) {
			return nil
		}
		var next model.Booking
		err := forUpdate(tx).Where("session_id = ? AND status = ?", sessionID, model.BookingWaitlisted).Order("wait_seq").First(&next).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		err = s.move(tx, &next, model.BookingPending, systemActor, "a seat became free")
		if errors.Is(err, ErrSessionFull) { // only reserved seats are free
			return nil
		}
		if err != nil {
			return err
		}
		label, err := s.bookingLabel(tx, next, sess)
		if err != nil {
			return err
		}
		if err := s.notify.Notify(tx, Notice{UserID: next.UserID, Event: EventBookingPromoted, Title: "候补成功",
			Body: "有名额空出，您的候补预约已转为待确认：" + label, RefType: "booking", RefID: next.ID}); err != nil {
			return err
		}
	}
}

func (s *BookingService) sessionLabel(sess model.Session) string {
	return sess.StartsAt.In(s.loc).Format("01月02日 15:04")
}

// bookingLabel names what a booking notice is about: the family member,
// the service, the clinic and the time — 小宝 · 儿童保健 · 石桥镇卫生院 ·
// 11月24日 09:00 — so a parent with several children knows which one.
func (s *BookingService) bookingLabel(tx *gorm.DB, b model.Booking, sess model.Session) (string, error) {
	var parts []string
	var person model.Person
	if err := tx.Unscoped().Select("id", "name").First(&person, b.MemberID).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", err
	}
	var svc model.Service
	if err := tx.Unscoped().Select("id", "name").First(&svc, sess.ServiceID).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", err
	}
	var clinic model.Clinic
	if err := tx.Unscoped().Select("id", "name").First(&clinic, sess.ClinicID).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", err
	}
	for _, n := range []string{person.Name, svc.Name, clinic.Name} {
		if n != "" {
			parts = append(parts, n)
		}
	}
	return strings.Join(append(parts, s.sessionLabel(sess)), " · "), nil
}

// notifyBooker tells the booker about a change made by staff.
func (s *BookingService) notifyBooker(tx *gorm.DB, b model.Booking, sess model.Session, reason string) error {
	n := Notice{UserID: b.UserID, RefType: "booking", RefID: b.ID}
	when, err := s.bookingLabel(tx, b, sess)
	if err != nil {
		return err
	}
	switch b.Status {
	case model.BookingConfirmed:
		n.Event, n.Title, n.Body = EventBookingConfirmed, "预约已确认", "您的预约已确认："+when+"，请按时到达。"
	case model.BookingRejected:
		n.Event, n.Title, n.Body = EventBookingRejected, "预约未通过", "您的预约未通过："+when+"。原因："+reason
	case model.BookingNoShow:
		n.Event, n.Title, n.Body = EventBookingNoShow, "爽约记录", "您预约的"+when+"未到场，已记录一次爽约。"
	default:
		return nil
	}
	return s.notify.Notify(tx, n)
}

// suspendIfRepeated suspends booking for a member who reached the no-show
// limit within the window.
func (s *BookingService) suspendIfRepeated(tx *gorm.DB, b model.Booking, now time.Time) error {
	if s.cfg.NoShowLimit <= 0 {
		return nil
	}
	var member model.Person
	if err := tx.Unscoped().First(&member, b.MemberID).Error; err != nil {
		return err
	}
	lineage, err := memberLineage(tx, member)
	if err != nil {
		return err
	}
	var n int64
	if err := tx.Model(&model.Booking{}).Where("member_id IN ? AND status = ? AND starts_at >= ?", lineage, model.BookingNoShow, now.Add(-s.cfg.NoShowWindow)).
		Count(&n).Error; err != nil {
		return err
	}
	if int(n) < s.cfg.NoShowLimit {
		return nil
	}
	var active int64
	if err := tx.Model(&model.BookingSuspension{}).Where("member_id IN ? AND ends_at > ?", lineage, now).Count(&active).Error; err != nil {
		return err
	}
	if active > 0 {
		return nil
	}
	until := now.Add(s.cfg.NoShowSuspension)
	if err := tx.Create(&model.BookingSuspension{MemberID: b.MemberID, EndsAt: until}).Error; err != nil {
		return err
	}
	return s.notify.Notify(tx, Notice{UserID: b.UserID, Event: EventBookingNoShow, Title: "预约暂停",
		Body:    fmt.Sprintf("因 %d 天内爽约 %d 次，该家庭成员 %s 前不能预约。", int(s.cfg.NoShowWindow.Hours()/24), n, until.In(s.loc).Format("2006-01-02")),
		RefType: "member", RefID: b.MemberID})
}

// memberLineage is every record, deleted ones included, of the same person
// as m: a person with an identity number is one record (the blind index);
// without one, records with the same name and birth date added by the same
// account or ever in a household m is or was in (removed links count). No-shows
// and suspensions count across it, so removing and re-adding a child, by
// the same guardian or another one of the family, sheds neither.
func memberLineage(tx *gorm.DB, m model.Person) ([]int64, error) {
	var ids []int64
	households := tx.Session(&gorm.Session{NewDB: true}).Unscoped().Model(&model.HouseholdPerson{}).
		Select("household_id").Where("person_id = ?", m.ID)
	inThem := tx.Session(&gorm.Session{NewDB: true}).Unscoped().Model(&model.HouseholdPerson{}).
		Select("person_id").Where("household_id IN (?)", households)
	err := tx.Unscoped().Model(&model.Person{}).
		Where("name = ? AND birth_date = ? AND (user_id = ? OR id IN (?))", m.Name, m.BirthDate, m.UserID, inThem).Pluck("id", &ids).Error
	if err == nil && len(ids) == 0 {
		ids = []int64{m.ID}
	}
	return ids, err
}

// SessionChange is a staff edit of a session. StartsAt and EndsAt, given
// together, move it.
type SessionChange struct {
	Capacity         *int
	Cancel           bool
	Reason           string
	StartsAt, EndsAt *time.Time
}

// UpdateSession moves a session to another time (moveSession: not once it
// started; the times checked as a new session's), changes its capacity
// (never below the seats held, nor, in a sliced session, below the seats
// any slot holds once the slots are re-cut; raising it promotes the
// waitlist) or cancels it (every active booking is cancelled with the
// reason and its booker notified).
func (s *BookingService) UpdateSession(ctx context.Context, p Principal, id int64, ch SessionChange) (SessionView, error) {
	if ch.Capacity != nil && (*ch.Capacity < 1 || *ch.Capacity > maxCapacity) {
		return SessionView{}, InvalidField("capacity", fmt.Sprintf("must be between 1 and %d", maxCapacity))
	}
	if ch.Cancel && strings.TrimSpace(ch.Reason) == "" {
		return SessionView{}, ErrReasonRequired
	}
	moving := ch.StartsAt != nil || ch.EndsAt != nil
	if moving {
		switch {
		case ch.StartsAt == nil:
			return SessionView{}, InvalidField("starts_at", "send starts_at with ends_at to move the session")
		case ch.EndsAt == nil:
			return SessionView{}, InvalidField("ends_at", "send ends_at with starts_at to move the session")
		case ch.Cancel:
			return SessionView{}, InvalidField("status", "a session is either moved or cancelled, not both at once")
		}
		if fields := sessionFields(NewSession{StartsAt: *ch.StartsAt, EndsAt: *ch.EndsAt, Capacity: 1}, s.clock.Now()); len(fields) > 0 {
			return SessionView{}, Invalid(fields)
		}
	}
	err := withRetry(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var sess model.Session
			if err := p.Apply(forUpdate(tx).Where("id = ?", id), Cols{Clinic: "clinic_id"}).First(&sess).Error; err != nil {
				return notFound(err)
			}
			if sess.Status == model.SessionCancelled {
				return ErrSessionCancelled
			}
			now := s.clock.Now()
			if moving {
				if !now.Before(sess.StartsAt) {
					return ErrSessionStarted
				}
				if err := s.moveSession(tx, p, sess, *ch.StartsAt, *ch.EndsAt, ch.Reason, now); err != nil {
					return err
				}
			}
			if ch.Capacity != nil {
				res := tx.Model(&model.Session{}).Where("id = ? AND booked <= ? AND status = ?", id, *ch.Capacity, model.SessionOpen).
					Updates(map[string]any{"capacity": *ch.Capacity, "updated_at": now})
				if res.Error != nil {
					return res.Error
				}
				if res.RowsAffected == 0 {
					var cur model.Session
					if err := forUpdate(tx).First(&cur, id).Error; err != nil { // the latest, on TiDB too
						return err
					}
					return ErrCapacityBelowBooked.With(map[string]any{"booked": cur.Booked})
				}
				if err := reshareSlots(tx, s.loc, id, *ch.Capacity); err != nil {
					return err
				}
				if err := s.promote(tx, id); err != nil {
					return err
				}
			}
			if ch.Cancel {
				return s.cancelSession(tx, p, sess, ch.Reason, now)
			}
			return nil
		})
	})
	if err != nil {
		return SessionView{}, err
	}
	return s.catalog.Session(ctx, id)
}

func (s *BookingService) cancelSession(tx *gorm.DB, p Principal, sess model.Session, reason string, now time.Time) error {
	var active []model.Booking
	if err := forUpdate(tx).Where("session_id = ? AND active = ? AND status <> ?", sess.ID, true, model.BookingCheckedIn).Order("id").Find(&active).Error; err != nil {
		return err
	}
	for i := range active {
		b := &active[i]
		if err := s.move(tx, b, model.BookingCancelled, actorOf(p), reason); err != nil {
			return err
		}
		label, err := s.bookingLabel(tx, *b, sess)
		if err != nil {
			return err
		}
		if err := s.notify.Notify(tx, Notice{UserID: b.UserID, Event: EventSessionCancelled, Title: "活动取消",
			Body: "很抱歉，" + label + " 的场次已取消。原因：" + reason, RefType: "booking", RefID: b.ID}); err != nil {
			return err
		}
	}
	return sessionMachine.Apply(tx, now, Step{ID: sess.ID, From: sess.Status, To: model.SessionCancelled, By: actorOf(p), Reason: reason,
		Set: map[string]any{"cancel_reason": truncate(reason, 255), "booked": 0, "waitlisted": 0, "reserved_booked": 0}})
}

// SendReminders notifies, once, every confirmed booking whose session is
// tomorrow (business date). Each booking is claimed with a conditional
// update, so several processes running the job remind each booking once.
func (s *BookingService) SendReminders(ctx context.Context) (int, error) {
	now := s.clock.Now().In(s.loc)
	tomorrow := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, s.loc)
	var due []model.Booking
	if err := s.db.WithContext(ctx).Where("status = ? AND reminded_at IS NULL AND starts_at >= ? AND starts_at < ?",
		model.BookingConfirmed, tomorrow.UTC(), tomorrow.AddDate(0, 0, 1).UTC()).Order("id").Limit(500).Find(&due).Error; err != nil {
		return 0, err
	}
	sent := 0
	for _, b := range due {
		won := false
		err := transact(ctx, s.db, func(tx *gorm.DB) error {
			res := tx.Model(&model.Booking{}).Where("id = ? AND reminded_at IS NULL AND status = ?", b.ID, model.BookingConfirmed).
				Update("reminded_at", s.clock.Now())
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			won = true
			var sess model.Session
			if err := tx.Unscoped().First(&sess, b.SessionID).Error; err != nil {
				return err
			}
			label, err := s.bookingLabel(tx, b, sess)
			if err != nil {
				return err
			}
			return s.notify.Notify(tx, Notice{UserID: b.UserID, Event: EventBookingReminder, Title: "明日预约提醒",
				Body: "您预约的 " + label + " 就在明天，请按时到达。", RefType: "booking", RefID: b.ID})
		})
		if err != nil {
			return sent, err
		}
		if won {
			sent++
		}
	}
	return sent, nil
}
