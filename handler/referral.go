package handler

import (
	"net/http"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) referralRoutes(authed, staff *gin.RouterGroup) {
	staff.POST("/referrals", a.idempotent(), a.issueReferral)
	staff.GET("/referrals", a.staffListReferrals)
	staff.GET("/referrals/:id", a.staffGetReferral)
	staff.POST("/referrals/:id/cancel", a.staffCancelReferral)
	authed.GET("/referrals", a.listReferrals)
	authed.GET("/referrals/:id", a.getReferral)
	authed.POST("/referrals/:id/cancel", a.cancelReferral)
}

// ReferralListQuery filters the staff list of referrals.
type ReferralListQuery struct {
	Direction string `form:"direction" binding:"omitempty,oneof=incoming outgoing" enums:"incoming,outgoing"`
	Status    string `form:"status" binding:"omitempty,oneof=issued booked completed expired cancelled" enums:"issued,booked,completed,expired,cancelled"`
}

// ReferralRequest is a referral as a family doctor writes it.
type ReferralRequest struct {
	PersonID  int64  `json:"person_id" binding:"required,min=1"`
	ServiceID int64  `json:"service_id" binding:"omitempty,min=1"`
	ExpertID  int64  `json:"expert_id" binding:"omitempty,min=1"`
	Reason    string `json:"reason" binding:"required,min=1,max=500" example:"生长迟缓，建议总院儿科专家评估"`
	Urgency   string `json:"urgency" binding:"required,oneof=routine urgent" enums:"routine,urgent"`
}

// ReferralDTO is a referral.
type ReferralDTO struct {
	ID                int64             `json:"id"`
	PersonID          int64             `json:"person_id"`
	PersonName        string            `json:"person_name,omitempty" example:"张小宝"`
	FromClinicID      int64             `json:"from_clinic_id"`
	ToClinicID        int64             `json:"to_clinic_id"`
	ServiceID         int64             `json:"service_id,omitempty"`
	ExpertID          int64             `json:"expert_id,omitempty"`
	Reason            string            `json:"reason"`
	Urgency           string            `json:"urgency" enums:"routine,urgent"`
	PriorityAdmission bool              `json:"priority_admission"`
	Status            string            `json:"status" enums:"issued,booked,completed,expired,cancelled"`
	BookingID         int64             `json:"booking_id,omitempty"`
	ExpiresAt         time.Time         `json:"expires_at"`
	CreatedAt         time.Time         `json:"created_at"`
	History           []BookingEventDTO `json:"history,omitempty"`
}

// ReferralList lists referrals, newest first.
type ReferralList struct {
	Items []ReferralDTO `json:"items"`
}

// ReferralPage is a page of the staff list of referrals, newest first.
type ReferralPage struct {
	Items      []ReferralDTO `json:"items"`
	NextCursor string        `json:"next_cursor"`
}

func (a *API) toReferral(v service.ReferralView) ReferralDTO {
	d := ReferralDTO{ID: v.ID, PersonID: v.PersonID, PersonName: v.PersonName, FromClinicID: v.FromClinicID, ToClinicID: v.ToClinicID, ServiceID: v.ServiceID,
		ExpertID: v.ExpertID, Reason: v.Reason, Urgency: v.Urgency, PriorityAdmission: v.PriorityAdmission, Status: v.Status,
		BookingID: v.BookingID, ExpiresAt: a.timeIn(v.ExpiresAt), CreatedAt: a.timeIn(v.CreatedAt)}
	for _, e := range v.History {
		d.History = append(d.History, BookingEventDTO{From: e.FromStatus, Status: e.ToStatus, At: a.timeIn(e.At), ByRole: e.ByRole, Reason: e.Reason})
	}
	return d
}

// issueReferral godoc
// @Summary      Refer a person of my clinic's work to a service or an expert (family doctor)
// @Description  Give service_id or expert_id. The family may then book a seat reserved for referrals (POST /bookings with referral_id); the receiving clinic sees priority_admission. Valid 30 days.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string          false "retry key"
// @Param        body            body   ReferralRequest true  "the referral"
// @Success      201 {object} ReferralDTO
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/referrals [post]
func (a *API) issueReferral(c *gin.Context) {
	var req ReferralRequest
	if !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Referrals.Issue(c.Request.Context(), principal(c), service.NewReferral{PersonID: req.PersonID, ServiceID: req.ServiceID,
		ExpertID: req.ExpertID, Reason: req.Reason, Urgency: req.Urgency})
	reply(c, http.StatusCreated, err, func() any { return a.toReferral(v) })
}

// listReferrals godoc
// @Summary   My family's referrals, newest first
// @Tags      referrals
// @Produce   json
// @Security  Bearer
// @Success   200 {object} ReferralList
// @Router    /api/v1/referrals [get]
func (a *API) listReferrals(c *gin.Context) {
	rows, err := a.svc.Referrals.List(c.Request.Context(), principal(c))
	reply(c, http.StatusOK, err, func() any { return ReferralList{Items: listOf(rows, a.toReferral)} })
}

// getReferral godoc
// @Summary   One of my family's referrals, with its history
// @Tags      referrals
// @Produce   json
// @Security  Bearer
// @Param     id path int true "referral id"
// @Success   200 {object} ReferralDTO
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/referrals/{id} [get]
func (a *API) getReferral(c *gin.Context) { onID(c, http.StatusOK, a.svc.Referrals.Get, a.toReferral) }

// staffListReferrals godoc
// @Summary      Referrals of my clinics, newest first (the receiving clinic's priority admissions)
// @Description  direction=incoming: referred to the caller's clinics, each with priority_admission and urgency; outgoing: issued by them; without it both. An admin sees every referral.
// @Tags         staff
// @Produce      json
// @Security     Bearer
// @Param        direction query string false "incoming or outgoing" Enums(incoming,outgoing)
// @Param        status    query string false "filter" Enums(issued,booked,completed,expired,cancelled)
// @Param        limit     query int    false "page size (1-100, default 20)"
// @Param        cursor    query string false "next_cursor of the previous page"
// @Success      200 {object} ReferralPage
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/referrals [get]
func (a *API) staffListReferrals(c *gin.Context) {
	var q ReferralListQuery
	pg, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	vs, next, err := a.svc.Referrals.ListStaff(c.Request.Context(), principal(c), service.ReferralFilter{Direction: q.Direction, Status: q.Status}, pg)
	reply(c, http.StatusOK, err, func() any { return ReferralPage{Items: listOf(vs, a.toReferral), NextCursor: next} })
}

// staffGetReferral godoc
// @Summary   A referral my clinics issued or receive, with its history
// @Tags      staff
// @Produce   json
// @Security  Bearer
// @Param     id path int true "referral id"
// @Success   200 {object} ReferralDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/staff/referrals/{id} [get]
func (a *API) staffGetReferral(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Referrals.Get, a.toReferral)
}

// staffCancelReferral godoc
// @Summary      Cancel an unused referral my clinics issued (issued → cancelled)
// @Description  The family is notified. A booked referral is 409 invalid_transition: cancel its booking first.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int           true  "referral id"
// @Param        body body ReasonRequest false "why"
// @Success      200 {object} ReferralDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Router       /api/v1/staff/referrals/{id}/cancel [post]
func (a *API) staffCancelReferral(c *gin.Context) { a.cancelReferralAs(c) }

// cancelReferral godoc
// @Summary      Decline one of my family's unused referrals (issued → cancelled)
// @Description  The issuing doctor is notified. A booked referral is 409 invalid_transition: cancel its booking first.
// @Tags         referrals
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int           true  "referral id"
// @Param        body body ReasonRequest false "why"
// @Success      200 {object} ReferralDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Router       /api/v1/referrals/{id}/cancel [post]
func (a *API) cancelReferral(c *gin.Context) { a.cancelReferralAs(c) }

func (a *API) cancelReferralAs(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Referrals.Cancel, func(r ReasonRequest) string { return r.Reason }, a.toReferral)
}
