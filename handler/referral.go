package handler

import (
	"net/http"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) referralRoutes(authed, staff *gin.RouterGroup) {
	staff.POST("/referrals", a.idempotent(), a.issueReferral)
	authed.GET("/referrals", a.listReferrals)
	authed.GET("/referrals/:id", a.getReferral)
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

func (a *API) toReferral(v service.ReferralView) ReferralDTO {
	d := ReferralDTO{ID: v.ID, PersonID: v.PersonID, FromClinicID: v.FromClinicID, ToClinicID: v.ToClinicID, ServiceID: v.ServiceID,
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
