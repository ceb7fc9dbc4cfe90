package handler

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) bookingRoutes(authed, staff *gin.RouterGroup) {
	authed.POST("/bookings", a.idempotentInTx(), a.createBooking)
	authed.GET("/bookings", a.listBookings)
	authed.GET("/bookings/:id", a.getBooking)
	authed.POST("/bookings/:id/cancel", a.cancelBooking)

	staff.POST("/bookings", a.idempotentInTx(), a.staffCreateBooking)
	staff.GET("/bookings", a.staffListBookings)
	staff.GET("/bookings/:id", a.staffGetBooking)
	staff.POST("/bookings/:id/confirm", a.confirmBooking)
	staff.POST("/bookings/confirm", a.confirmBookings)
	staff.POST("/bookings/:id/reject", a.rejectBooking)
	staff.POST("/bookings/:id/check-in", a.checkInBooking)
	staff.POST("/bookings/:id/no-show", a.noShowBooking)
	staff.POST("/sessions", a.idempotent(), a.createSession)
	putWithPatchAlias(staff, "/sessions/:id", a.patchSession)
	staff.POST("/schedules", a.idempotent(), a.createSchedule)
}

// BookingMemberDTO is the family member a booking is for.
type BookingMemberDTO struct {
	ID       int64  `json:"id"`
	Name     string `json:"name" example:"小宝"`
	Relation string `json:"relation" example:"child" enums:"self,spouse,child,parent,grandchild,grandparent,sibling,other"`
	Gender   string `json:"gender" example:"male" enums:"male,female,unknown"`
	// Age as the clinic says it (7月龄).
	Age *AgeDTO `json:"age,omitempty"`
	// GuardianName and GuardianPhoneMasked: who made the booking (staff
	// answers only).
	GuardianName        string `json:"guardian_name,omitempty" example:"王丽"`
	GuardianPhoneMasked string `json:"guardian_phone_masked,omitempty" example:"138****1234"`
}

// BookingEventDTO is one step of a booking's (or a referral's) history; its
// statuses are both machines' (enum from handler.SpecEnums).
type BookingEventDTO struct {
	From   string    `json:"from,omitempty" example:"pending"`
	Status string    `json:"status" example:"confirmed"`
	At     time.Time `json:"at"`
	ByRole string    `json:"by_role" example:"staff" enums:"resident,staff,admin,system"`
	Reason string    `json:"reason,omitempty"`
}

// BookingDTO is a booking.
type BookingDTO struct {
	ID        int64             `json:"id"`
	Session   SessionDTO        `json:"session"`
	Member    BookingMemberDTO  `json:"member"`
	Status    string            `json:"status" example:"pending" enums:"pending,confirmed,checked_in,cancelled,rejected,no_show,waitlisted"`
	Position  int               `json:"position,omitempty" example:"3"`
	Note      string            `json:"note,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	History   []BookingEventDTO `json:"history,omitempty"`
	// ArrivalAt is when to arrive: the slot's start, else the session's.
	ArrivalAt time.Time `json:"arrival_at"`
	// QueueNo is the 排队号 given at check-in (per clinic and day).
	QueueNo *int `json:"queue_no,omitempty" example:"12"`
	// ReferralID and ReservedSeat: booked with a referral (priority
	// admission for the receiving clinic), in a reserved seat.
	ReferralID   int64 `json:"referral_id,omitempty"`
	ReservedSeat bool  `json:"reserved_seat"`
	// BookedBy says who made the booking: the family itself, or staff for
	// the family (POST /staff/bookings).
	BookedBy string `json:"booked_by" example:"family" enums:"family,staff"`
	// PlannedVaccines are the doses the family plans at a vaccination session.
	PlannedVaccines []PlannedVaccineDTO `json:"planned_vaccines,omitempty"`
}

// PlannedVaccineDTO is a dose planned for a vaccination booking.
type PlannedVaccineDTO struct {
	Vaccine string `json:"vaccine" binding:"required,min=1,max=32" example:"MMR"`
	Dose    int    `json:"dose" binding:"required,min=1,max=10" example:"1"`
}

func (a *API) toBooking(v service.BookingView) BookingDTO {
	d := BookingDTO{ID: v.ID, Session: a.toSession(v.Session),
		Member: BookingMemberDTO{ID: v.Member.ID, Name: v.Member.Name, Relation: v.Member.Relation, Gender: v.Member.Gender},
		Status: v.Status, Position: v.Position, Note: v.Note, Reason: v.Reason,
		CreatedAt: a.timeIn(v.CreatedAt), UpdatedAt: a.timeIn(v.UpdatedAt), ArrivalAt: a.timeIn(v.StartsAt), QueueNo: v.QueueNo,
		ReferralID: v.ReferralID, ReservedSeat: v.ReservedSeat, BookedBy: "family"}
	if v.BookedBy != 0 {
		d.BookedBy = "staff"
	}
	if v.ArrivalAt != nil {
		d.ArrivalAt = a.timeIn(*v.ArrivalAt)
	}
	if age, ok := service.AgeOf(v.Member.BirthDate, a.opts.Clock.Now().In(a.loc)); ok {
		d.Member.Age = &AgeDTO{Days: age.Days, Months: age.Months, Years: age.Years, Text: age.Text}
	}
	if v.Guardian != nil {
		d.Member.GuardianName, d.Member.GuardianPhoneMasked = v.Guardian.Name, v.Guardian.PhoneMasked
	}
	for _, e := range v.History {
		d.History = append(d.History, BookingEventDTO{From: e.FromStatus, Status: e.ToStatus, At: a.timeIn(e.At), ByRole: e.ByRole, Reason: e.Reason})
	}
	for _, p := range v.PlannedDoses {
		d.PlannedVaccines = append(d.PlannedVaccines, PlannedVaccineDTO{Vaccine: p.Vaccine, Dose: p.Dose})
	}
	return d
}

// BookingList is a page of bookings.
type BookingList struct {
	Items      []BookingDTO `json:"items"`
	NextCursor string       `json:"next_cursor"`
}

func (a *API) toBookingList(rows []service.BookingView, next string) BookingList {
	return BookingList{Items: listOf(rows, a.toBooking), NextCursor: next}
}

// BookingRequest books a session for a family member.
type BookingRequest struct {
	SessionID    int64  `json:"session_id" binding:"required,min=1"`
	MemberID     int64  `json:"member_id" binding:"required,min=1"`
	Note         string `json:"note" binding:"max=255"`
	JoinWaitlist bool   `json:"join_waitlist"`
	// ReferralID books with a referral: a seat reserved for referrals when
	// one is free, else a public one (409 referral_not_usable when the
	// referral is used, expired or for another service or expert).
	ReferralID int64 `json:"referral_id" binding:"omitempty,min=1"`
	// SlotStartsAt is the arrival slot of a sliced session (starts_at of one
	// of GET /sessions/{id}/slots); required for those sessions.
	SlotStartsAt string `json:"slot_starts_at" example:"2026-12-01T08:50:00+08:00"`
	// PlannedVaccines: the doses to get at a vaccination session (e.g. the
	// next due doses of GET /persons/{id}/vaccinations); 422 on other sessions.
	PlannedVaccines []PlannedVaccineDTO `json:"planned_vaccines" binding:"max=8,dive"`
}

// createBooking godoc
// @Summary      Book a session for one of my family members
// @Description  201 with status pending (staff confirm it) or, when the session is full and join_waitlist is true, waitlisted with a position. Send an Idempotency-Key to make retries safe.
// @Tags         bookings
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string         false "retry key (same key + same body within 24 h returns the first answer)"
// @Param        body            body   BookingRequest true  "what to book"
// @Success      201 {object} BookingDTO
// @Failure      404 {object} ErrorResponse "session or member not found"
// @Failure      409 {object} ErrorResponse "session_full, slot_full, time_conflict, already_booked, session_closed, booking_suspended"
// @Failure      422 {object} ErrorResponse "not_eligible, invalid_request"
// @Router       /api/v1/bookings [post]
func (a *API) createBooking(c *gin.Context) {
	var req BookingRequest
	if !bindJSON(c, &req) {
		return
	}
	planned := make([]service.PlannedDose, len(req.PlannedVaccines))
	for i, p := range req.PlannedVaccines {
		planned[i] = service.PlannedDose{Vaccine: p.Vaccine, Dose: p.Dose}
	}
	slot, ok := slotTime(c, req.SlotStartsAt)
	if !ok {
		return
	}
	a.book(c, service.NewBooking{SessionID: req.SessionID, MemberID: req.MemberID, Note: req.Note, JoinWaitlist: req.JoinWaitlist,
		PlannedDoses: planned, SlotStartsAt: slot, ReferralID: req.ReferralID})
}

// slotTime parses the optional slot_starts_at of a booking request; false
// when it answered 422.
func slotTime(c *gin.Context, s string) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		fail(c, service.InvalidField("slot_starts_at", "must be an RFC 3339 time"))
		return nil, false
	}
	return &t, true
}

// book makes the booking in for the caller as its route group acts (its
// family, or staff for a family) and answers 201; with an Idempotency-Key
// the answer is the one recorded in the booking's transaction.
func (a *API) book(c *gin.Context, in service.NewBooking) {
	ctx := c.Request.Context()
	in.Answer = func(v service.BookingView) (int, []byte, error) {
		body, err := json.Marshal(a.toBooking(v)) // what c.JSON would send
		return http.StatusCreated, body, err
	}
	v, err := a.svc.Bookings.Create(ctx, principal(c), in)
	if body := service.StoredAnswer(ctx); err == nil && body != nil {
		// Recorded with the Idempotency-Key in the booking's transaction:
		// sent byte for byte as it will be replayed.
		c.Data(http.StatusCreated, "application/json; charset=utf-8", body)
		return
	}
	reply(c, http.StatusCreated, err, func() any { return a.toBooking(v) })
}

// StaffBookingRequest books a seat for a person, as staff.
type StaffBookingRequest struct {
	SessionID int64 `json:"session_id" binding:"required,min=1"`
	PersonID  int64 `json:"person_id" binding:"required,min=1"`
	// ReferralID books the seat with the person's referral: a seat reserved
	// for referrals when one is free, else a public one; the referral moves
	// issued → booked.
	ReferralID int64 `json:"referral_id" binding:"omitempty,min=1"`
	// SlotStartsAt is the arrival slot of a sliced session; required for
	// those sessions.
	SlotStartsAt string `json:"slot_starts_at" example:"2026-12-01T08:50:00+08:00"`
	Note         string `json:"note" binding:"max=255"`
}

// staffCreateBooking godoc
// @Summary      Book a seat for a person (staff)
// @Description  Staff book for a family: at a session of their clinics for a person within their clinics' work, or, with referral_id, with a referral their clinics issued or receive (the referring doctor books the seat at the receiving clinic; the receiving clinic books its referred patient). The seat, eligibility, overlap and referral rules are those of POST /bookings (no waitlist). A booking staff of the session's clinic make starts confirmed; one made from another clinic with a referral follows the service's confirmation. The family sees it in GET /bookings and is notified (booking_made_by_staff). Send an Idempotency-Key to make retries safe.
// @Tags         bookings
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string              false "retry key (same key + same body within 24 h returns the first answer)"
// @Param        body            body   StaffBookingRequest true  "what to book, for whom"
// @Success      201 {object} BookingDTO
// @Failure      403 {object} ErrorResponse "not staff"
// @Failure      404 {object} ErrorResponse "session, person or referral not found in the caller's reach"
// @Failure      409 {object} ErrorResponse "session_full, slot_full, time_conflict, already_booked, session_closed, booking_suspended, referral_not_usable"
// @Failure      422 {object} ErrorResponse "not_eligible, invalid_request"
// @Router       /api/v1/staff/bookings [post]
func (a *API) staffCreateBooking(c *gin.Context) {
	var req StaffBookingRequest
	if !bindJSON(c, &req) {
		return
	}
	slot, ok := slotTime(c, req.SlotStartsAt)
	if !ok {
		return
	}
	a.book(c, service.NewBooking{SessionID: req.SessionID, MemberID: req.PersonID, Note: req.Note, SlotStartsAt: slot,
		ReferralID: req.ReferralID})
}

// BookingQuery filters a resident's bookings.
type BookingQuery struct {
	Status string `form:"status" binding:"omitempty,oneof=pending confirmed checked_in cancelled rejected no_show waitlisted"`
}

// listBookings godoc
// @Summary   My bookings, latest session first
// @Tags      bookings
// @Produce   json
// @Security  Bearer
// @Param     status query string false "booking status" Enums(pending,confirmed,checked_in,cancelled,rejected,no_show,waitlisted)
// @Param     limit  query int    false "page size (1-100, default 20)"
// @Param     cursor query string false "next_cursor of the previous page"
// @Success   200 {object} BookingList
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/bookings [get]
func (a *API) listBookings(c *gin.Context) {
	var q BookingQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	rows, next, err := a.svc.Bookings.List(c.Request.Context(), principal(c), service.BookingFilter{Status: q.Status}, p)
	reply(c, http.StatusOK, err, func() any { return a.toBookingList(rows, next) })
}

// getBooking godoc
// @Summary   One of my bookings, with its history
// @Tags      bookings
// @Produce   json
// @Security  Bearer
// @Param     id path int true "booking id"
// @Success   200 {object} BookingDTO
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/bookings/{id} [get]
func (a *API) getBooking(c *gin.Context) { onID(c, http.StatusOK, a.svc.Bookings.Get, a.toBooking) }

// ReasonRequest carries an optional reason.
type ReasonRequest struct {
	Reason string `json:"reason" binding:"max=255"`
}

// RejectRequest gives the required reason of a rejection.
type RejectRequest struct {
	Reason string `json:"reason" binding:"max=255" validate:"required,min=1" example:"当天专家停诊"`
}

// cancelBooking godoc
// @Summary   Cancel one of my bookings
// @Tags      bookings
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int           true  "booking id"
// @Param     body body ReasonRequest false "why"
// @Success   200 {object} BookingDTO
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "cancel_window_closed, invalid_transition"
// @Router    /api/v1/bookings/{id}/cancel [post]
func (a *API) cancelBooking(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Bookings.Cancel, func(r ReasonRequest) string { return r.Reason }, a.toBooking)
}

// StaffBookingQuery filters a clinic's bookings.
type StaffBookingQuery struct {
	Status    string `form:"status" binding:"omitempty,oneof=pending confirmed checked_in cancelled rejected no_show waitlisted"`
	SessionID int64  `form:"session_id" binding:"omitempty,min=1"`
	Date      string `form:"date" binding:"omitempty,datetime=2006-01-02"`
	ClinicID  int64  `form:"clinic_id" binding:"omitempty,min=1"`
}

// staffListBookings godoc
// @Summary   Bookings of my clinic (admin: all, or ?clinic_id=), earliest session first
// @Tags      staff
// @Produce   json
// @Security  Bearer
// @Param     status     query string false "booking status" Enums(pending,confirmed,checked_in,cancelled,rejected,no_show,waitlisted)
// @Param     session_id query int    false "session"
// @Param     date       query string false "business date of the session (YYYY-MM-DD)" format(date)
// @Param     clinic_id  query int    false "admin only"
// @Param     limit      query int    false "page size (1-100, default 20)"
// @Param     cursor     query string false "next_cursor of the previous page"
// @Success   200 {object} BookingList
// @Failure   403 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/bookings [get]
func (a *API) staffListBookings(c *gin.Context) {
	var q StaffBookingQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	rows, next, err := a.svc.Bookings.List(c.Request.Context(), principal(c),
		service.BookingFilter{Status: q.Status, SessionID: q.SessionID, Date: q.Date, ClinicID: q.ClinicID}, p)
	reply(c, http.StatusOK, err, func() any { return a.toBookingList(rows, next) })
}

// staffGetBooking godoc
// @Summary   One booking of my clinic, with its history
// @Tags      staff
// @Produce   json
// @Security  Bearer
// @Param     id path int true "booking id"
// @Success   200 {object} BookingDTO
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/staff/bookings/{id} [get]
func (a *API) staffGetBooking(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Bookings.Get, a.toBooking)
}

// staffTransition serves confirm, reject, check-in and no-show.
func (a *API) staffTransition(c *gin.Context, act func(ctx context.Context, p service.Principal, id int64, reason string) (service.BookingView, error)) {
	onIDText(c, http.StatusOK, act, func(r ReasonRequest) string { return r.Reason }, a.toBooking)
}

// confirmBooking godoc
// @Summary   Confirm a pending booking (staff of its clinic)
// @Tags      staff
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int           true  "booking id"
// @Param     body body ReasonRequest false "note"
// @Success   200 {object} BookingDTO
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Router    /api/v1/staff/bookings/{id}/confirm [post]
func (a *API) confirmBooking(c *gin.Context) { a.staffTransition(c, a.svc.Bookings.Confirm) }

// rejectBooking godoc
// @Summary   Reject a pending booking; a reason is required
// @Tags      staff
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int           true "booking id"
// @Param     body body RejectRequest true "why"
// @Success   200 {object} BookingDTO
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Failure   422 {object} ErrorResponse "reason required"
// @Router    /api/v1/staff/bookings/{id}/reject [post]
func (a *API) rejectBooking(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Bookings.Reject, func(r RejectRequest) string { return r.Reason }, a.toBooking)
}

// checkInBooking godoc
// @Summary   Check in a confirmed booking
// @Tags      staff
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int           true  "booking id"
// @Param     body body ReasonRequest false "note"
// @Success   200 {object} BookingDTO
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Router    /api/v1/staff/bookings/{id}/check-in [post]
func (a *API) checkInBooking(c *gin.Context) { a.staffTransition(c, a.svc.Bookings.CheckIn) }

// noShowBooking godoc
// @Summary   Record a no-show (after the session starts)
// @Tags      staff
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int           true  "booking id"
// @Param     body body ReasonRequest false "note"
// @Success   200 {object} BookingDTO
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition, session_not_started"
// @Router    /api/v1/staff/bookings/{id}/no-show [post]
func (a *API) noShowBooking(c *gin.Context) { a.staffTransition(c, a.svc.Bookings.NoShow) }

// SessionRequest publishes one session.
type SessionRequest struct {
	ServiceID int64  `json:"service_id" binding:"required,min=1"`
	ExpertID  int64  `json:"expert_id" binding:"omitempty,min=1"`
	StartsAt  string `json:"starts_at" binding:"required" example:"2026-12-01T09:00:00+08:00"`
	EndsAt    string `json:"ends_at" binding:"required" example:"2026-12-01T11:30:00+08:00"`
	Capacity  int    `json:"capacity" binding:"required,min=1,max=1000" example:"20"`
}

// createSession godoc
// @Summary   Publish one session at my clinic
// @Tags      staff
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     body body SessionRequest true "the session"
// @Success   201 {object} SessionDTO
// @Failure   409 {object} ErrorResponse "session_exists"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/sessions [post]
func (a *API) createSession(c *gin.Context) {
	var req SessionRequest
	if !bindJSON(c, &req) {
		return
	}
	starts, err1 := time.Parse(time.RFC3339, req.StartsAt)
	ends, err2 := time.Parse(time.RFC3339, req.EndsAt)
	if err1 != nil || err2 != nil {
		f := map[string]string{}
		if err1 != nil {
			f["starts_at"] = "must be an RFC 3339 time"
		}
		if err2 != nil {
			f["ends_at"] = "must be an RFC 3339 time"
		}
		fail(c, service.Invalid(f))
		return
	}
	v, err := a.svc.Catalog.CreateSession(c.Request.Context(), principal(c), service.NewSession{
		ServiceID: req.ServiceID, ExpertID: req.ExpertID, StartsAt: starts, EndsAt: ends, Capacity: req.Capacity})
	reply(c, http.StatusCreated, err, func() any { return a.toSession(v) })
}

// SessionPatch changes capacity or cancels a session.
type SessionPatch struct {
	Capacity *int   `json:"capacity" binding:"omitempty,min=1,max=1000"`
	Status   string `json:"status" binding:"omitempty,oneof=cancelled"`
	Reason   string `json:"reason" binding:"max=255"`
}

// patchSession godoc
// @Summary      Change a session's capacity, or cancel it
// @Description  Lowering capacity below the seats held is 409 capacity_below_booked; raising it promotes the waitlist. A session cut into arrival slots is re-cut with the new capacity (shared out over its slots, the first taking the remainder); a slot that would get fewer seats than it holds refuses the change with 409 slot_below_booked, details.slots naming each (starts_at, ends_at, booked, capacity). Cancelling (status=cancelled, reason required) cancels every active booking and notifies each booker.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int          true "session id"
// @Param        body body SessionPatch true "changes"
// @Success      200 {object} SessionDTO
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "capacity_below_booked, slot_below_booked, session_cancelled"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/sessions/{id} [put]
// @Router       /api/v1/staff/sessions/{id} [patch]
func (a *API) patchSession(c *gin.Context) {
	var req SessionPatch
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	if req.Capacity == nil && req.Status == "" {
		fail(c, service.ErrInvalid.Msg("nothing to change: send capacity or status"))
		return
	}
	v, err := a.svc.Bookings.UpdateSession(c.Request.Context(), principal(c), id, service.SessionChange{
		Capacity: req.Capacity, Cancel: req.Status == model.SessionCancelled, Reason: req.Reason})
	reply(c, http.StatusOK, err, func() any { return a.toSession(v) })
}

// ScheduleRequest is a recurring schedule.
type ScheduleRequest struct {
	ServiceID int64  `json:"service_id" binding:"required,min=1"`
	ExpertID  int64  `json:"expert_id" binding:"omitempty,min=1"`
	Weekdays  []int  `json:"weekdays" binding:"required,min=1,max=7,dive,min=1,max=7" example:"2"`
	StartTime string `json:"start_time" binding:"required" example:"09:00"`
	EndTime   string `json:"end_time" binding:"required" example:"11:30"`
	Capacity  int    `json:"capacity" binding:"required,min=1,max=1000" example:"15"`
	FromDate  string `json:"from_date" binding:"required" example:"2026-12-01"`
	ToDate    string `json:"to_date" binding:"required" example:"2026-12-31"`
}

// ScheduleDTO is a created schedule with the sessions it made.
type ScheduleDTO struct {
	ID        int64        `json:"id"`
	ServiceID int64        `json:"service_id"`
	ExpertID  int64        `json:"expert_id,omitempty"`
	Weekdays  []int        `json:"weekdays"`
	StartTime string       `json:"start_time"`
	EndTime   string       `json:"end_time"`
	Capacity  int          `json:"capacity"`
	FromDate  string       `json:"from_date"`
	ToDate    string       `json:"to_date"`
	Sessions  []SessionDTO `json:"sessions"`
	Skipped   int          `json:"skipped"`
}

// createSchedule godoc
// @Summary      Publish a recurring schedule at my clinic
// @Description  Creates a session on each chosen weekday (1 = Monday … 7 = Sunday) between the dates, in the business time zone. Sessions that already exist (same service, expert and start) are skipped, so re-running a schedule creates no duplicates.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        body body ScheduleRequest true "the schedule"
// @Success      201 {object} ScheduleDTO
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/schedules [post]
func (a *API) createSchedule(c *gin.Context) {
	var req ScheduleRequest
	if !bindJSON(c, &req) {
		return
	}
	res, err := a.svc.Catalog.CreateSchedule(c.Request.Context(), principal(c), service.NewSchedule{
		ServiceID: req.ServiceID, ExpertID: req.ExpertID, Weekdays: req.Weekdays, StartTime: req.StartTime,
		EndTime: req.EndTime, Capacity: req.Capacity, FromDate: req.FromDate, ToDate: req.ToDate})
	if err != nil {
		fail(c, err)
		return
	}
	out := ScheduleDTO{ID: res.Schedule.ID, ServiceID: res.Schedule.ServiceID, ExpertID: res.Schedule.ExpertID, Weekdays: req.Weekdays,
		StartTime: res.Schedule.StartTime, EndTime: res.Schedule.EndTime, Capacity: res.Schedule.Capacity,
		FromDate: res.Schedule.FromDate, ToDate: res.Schedule.ToDate, Sessions: make([]SessionDTO, 0, len(res.Sessions)), Skipped: res.Skipped}
	for _, s := range res.Sessions {
		out.Sessions = append(out.Sessions, a.toSession(s))
	}
	created(c, out)
}

// ConfirmManyRequest names the bookings to confirm at once.
type ConfirmManyRequest struct {
	IDs    []int64 `json:"ids" binding:"required,min=1,max=100,dive,min=1"`
	Reason string  `json:"reason" binding:"max=255"`
}

// ConfirmOutcomeDTO is one booking's outcome: the booking, or the error.
type ConfirmOutcomeDTO struct {
	ID      int64       `json:"id"`
	Booking *BookingDTO `json:"booking,omitempty"`
	Error   *ErrorBody  `json:"error,omitempty"`
}

// ConfirmManyDTO lists the outcomes in the order asked.
type ConfirmManyDTO struct {
	Items     []ConfirmOutcomeDTO `json:"items"`
	Confirmed int                 `json:"confirmed"`
}

// confirmBookings godoc
// @Summary      Confirm several pending bookings of my clinic at once
// @Description  Every id must be a booking of my clinic (else 404, nothing changes). Each is confirmed on its own (like /staff/bookings/{id}/confirm); one that cannot be (no longer pending) carries its error and does not stop the others.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        body body ConfirmManyRequest true "bookings"
// @Success      200 {object} ConfirmManyDTO
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/bookings/confirm [post]
func (a *API) confirmBookings(c *gin.Context) {
	var req ConfirmManyRequest
	if !bindJSON(c, &req) {
		return
	}
	res, err := a.svc.Bookings.ConfirmMany(c.Request.Context(), principal(c), req.IDs, req.Reason)
	if err != nil {
		fail(c, err)
		return
	}
	out := ConfirmManyDTO{Items: make([]ConfirmOutcomeDTO, 0, len(res))}
	for _, r := range res {
		o := ConfirmOutcomeDTO{ID: r.ID}
		var se *service.Error
		switch {
		case errors.As(r.Err, &se):
			o.Error = &ErrorBody{Code: se.Code, Message: localize(c, se.Code, se.Message, se.Details), Details: se.Details}
		case r.Err != nil:
			fail(c, r.Err)
			return
		default:
			d := a.toBooking(r.Booking)
			o.Booking = &d
			out.Confirmed++
		}
		out.Items = append(out.Items, o)
	}
	ok(c, out)
}
