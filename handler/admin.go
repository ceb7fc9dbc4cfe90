package handler

import (
	"encoding/json"
	"net/http"
	"time"

	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

// adminRoutes mounts the network administration. managers is /admin for
// staff and admins: the service lets clinic managers through for their own
// clinic (403 for other staff).
func (a *API) adminRoutes(admin, managers, staff *gin.RouterGroup) {
	admin.POST("/clinics", a.idempotent(), a.createClinic)
	admin.PUT("/clinics/:id", a.updateClinic)
	staff.GET("/audit-logs", a.listAuditLogs)
	_ = managers
}

// ClinicRequest creates or changes a clinic. On PUT every field is
// optional and only the fields sent change.
type ClinicRequest struct {
	Name      *string         `json:"name" binding:"omitempty,max=128" example:"城东分院"`
	Kind      *string         `json:"kind" binding:"omitempty,oneof=main_hospital branch station" example:"branch"`
	ParentID  *int64          `json:"parent_id" binding:"omitempty,min=0" example:"1"`
	Address   *string         `json:"address" binding:"omitempty,max=255" example:"城东街道健康路 8 号"`
	Phone     *string         `json:"phone" binding:"omitempty,max=32" example:"0571-88886666"`
	OpenHours *string         `json:"open_hours" binding:"omitempty,max=255" example:"周一至周日 08:00-17:30"`
	Offers    *[]string       `json:"offers" binding:"omitempty,max=16,dive,oneof=child_health_centre care_guidance_centre vaccination expert_studio family_doctor pediatric_massage parent_child_play" example:"child_health_centre,vaccination"`
	Catchment *[]string       `json:"catchment" binding:"omitempty,max=200,dive,max=64" example:"石桥村,东港社区"`
	Hours     *[]OpenHoursDTO `json:"hours" binding:"omitempty,max=32,dive"`
	Location  *LocationDTO    `json:"location"`
	Status    *string         `json:"status" binding:"omitempty,oneof=open closed" example:"open"`
}

func (r ClinicRequest) input() service.ClinicInput {
	in := service.ClinicInput{Name: r.Name, Kind: r.Kind, ParentID: r.ParentID, Address: r.Address, Phone: r.Phone,
		OpenHours: r.OpenHours, Offers: r.Offers, Catchment: r.Catchment, Status: r.Status}
	if r.Hours != nil {
		hours := make([]model.OpenHours, 0, len(*r.Hours))
		for _, h := range *r.Hours {
			hours = append(hours, model.OpenHours{Weekdays: h.Weekdays, Start: h.Start, End: h.End, Offer: h.Offer})
		}
		in.Hours = &hours
	}
	if r.Location != nil {
		in.Lat, in.Lng = &r.Location.Lat, &r.Location.Lng
	}
	return in
}

// createClinic godoc
// @Summary      Add a clinic to the network (admins)
// @Description  kind main_hospital has no parent; a branch hangs under a main hospital, a station under a branch. offers say what it runs, catchment the villages and communities it serves, hours its opening hours (noon and weekend rules included; a rule may be for one offer, e.g. vaccination). Audited.
// @Tags         admin
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string        false "retry key"
// @Param        body            body   ClinicRequest true  "the clinic"
// @Success      201 {object} ClinicDTO
// @Failure      403 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/clinics [post]
func (a *API) createClinic(c *gin.Context) {
	var req ClinicRequest
	if !bindJSON(c, &req) {
		return
	}
	cl, err := a.svc.Admin.CreateClinic(c.Request.Context(), principal(c), req.input())
	reply(c, http.StatusCreated, err, func() any { return toClinic(cl) })
}

// updateClinic godoc
// @Summary      Change or close a clinic (admins)
// @Description  Only the fields sent change. status closed takes the clinic off the public lists and cancels its sessions that have not started (bookers are notified); clinics under it must be closed first (409 clinic_has_open_children). status open reopens it (its parent must be open). Audited.
// @Tags         admin
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int           true "clinic id"
// @Param        body body ClinicRequest true "the fields to change"
// @Success      200 {object} ClinicDTO
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/clinics/{id} [put]
func (a *API) updateClinic(c *gin.Context) {
	var req ClinicRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	cl, err := a.svc.Admin.UpdateClinic(c.Request.Context(), principal(c), id, req.input())
	reply(c, http.StatusOK, err, func() any { return toClinic(cl) })
}

// AuditLogDTO is one audited change to the network.
type AuditLogDTO struct {
	ID         int64          `json:"id"`
	ActorID    int64          `json:"actor_id"`
	ActorName  string         `json:"actor_name" example:"李主任"`
	ActorRole  string         `json:"actor_role" example:"admin" enums:"resident,staff,admin"`
	Action     string         `json:"action" example:"clinic.close"`
	TargetType string         `json:"target_type" example:"clinic" enums:"clinic,user,invitation,expert"`
	TargetID   int64          `json:"target_id"`
	ClinicID   int64          `json:"clinic_id"`
	Detail     map[string]any `json:"detail"`
	CreatedAt  time.Time      `json:"created_at"`
}

// AuditLogList is a page of the audit log.
type AuditLogList struct {
	Items      []AuditLogDTO `json:"items"`
	NextCursor string        `json:"next_cursor"`
}

// AuditLogQuery filters the audit log.
type AuditLogQuery struct {
	Action     string `form:"action" binding:"omitempty,max=32"`
	TargetType string `form:"target_type" binding:"omitempty,oneof=clinic user invitation expert"`
	TargetID   int64  `form:"target_id" binding:"omitempty,min=1"`
	ActorID    int64  `form:"actor_id" binding:"omitempty,min=1"`
	ClinicID   int64  `form:"clinic_id" binding:"omitempty,min=1"`
}

// listAuditLogs godoc
// @Summary      The audit log of network administration, newest first
// @Description  Admins see every change; a clinic manager the changes concerning their clinic (and the stations under a branch); other staff 403. Actions: clinic.create/update/close/reopen, staff_invitation.create/revoke/redeem, user.suspend/unsuspend/move/position/remove_staff, expert.create/update.
// @Tags         admin
// @Produce      json
// @Security     Bearer
// @Param        action      query string false "e.g. clinic.close"
// @Param        target_type query string false "clinic, user, invitation or expert"
// @Param        target_id   query int    false "target id"
// @Param        actor_id    query int    false "who made the change"
// @Param        clinic_id   query int    false "the clinic concerned"
// @Param        limit       query int    false "page size (1-100, default 20)"
// @Param        cursor      query string false "next_cursor of the previous page"
// @Success      200 {object} AuditLogList
// @Failure      403 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/audit-logs [get]
func (a *API) listAuditLogs(c *gin.Context) {
	var q AuditLogQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	rows, next, err := a.svc.Admin.AuditLogs(c.Request.Context(), principal(c), service.AuditFilter{Action: q.Action,
		TargetType: q.TargetType, TargetID: q.TargetID, ActorID: q.ActorID, ClinicID: q.ClinicID}, p)
	if err != nil {
		fail(c, err)
		return
	}
	out := AuditLogList{Items: make([]AuditLogDTO, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		d := AuditLogDTO{ID: r.ID, ActorID: r.ActorID, ActorName: r.ActorName, ActorRole: r.ActorRole, Action: r.Action,
			TargetType: r.TargetType, TargetID: r.TargetID, ClinicID: r.ClinicID, Detail: map[string]any{}, CreatedAt: a.timeIn(r.CreatedAt)}
		if r.Detail != "" {
			if err := json.Unmarshal([]byte(r.Detail), &d.Detail); err != nil {
				fail(c, err)
				return
			}
		}
		out.Items = append(out.Items, d)
	}
	ok(c, out)
}
