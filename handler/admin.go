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
func (a *API) adminRoutes(authed, admin, managers, staff *gin.RouterGroup) {
	admin.POST("/clinics", a.idempotent(), a.createClinic)
	admin.PUT("/clinics/:id", a.updateClinic)
	managers.POST("/staff-invitations", a.idempotent(), a.createInvitation)
	managers.DELETE("/staff-invitations/:id", a.revokeInvitation)
	authed.POST("/staff-invitations/redeem", a.redeemInvitation)
	admin.GET("/users", a.listUsers)
	admin.PUT("/users/:id", a.updateUser)
	admin.POST("/experts", a.idempotent(), a.createExpert)
	admin.PUT("/experts/:id", a.updateExpert)
	staff.GET("/audit-logs", a.listAuditLogs)
}

// ClinicRequest changes a clinic (PUT): every field is optional and only the
// fields sent change (ClinicCreateRequest adds one).
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

// ClinicCreateRequest adds a clinic: name and kind are required.
type ClinicCreateRequest struct {
	Name      *string         `json:"name" validate:"required" binding:"omitempty,max=128" example:"城东分院"`
	Kind      *string         `json:"kind" validate:"required" binding:"omitempty,oneof=main_hospital branch station" example:"branch"`
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

func (r ClinicCreateRequest) input() service.ClinicInput { return ClinicRequest(r).input() }

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
// @Param        body            body   ClinicCreateRequest true  "the clinic"
// @Success      201 {object} ClinicDTO
// @Failure      403 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/clinics [post]
func (a *API) createClinic(c *gin.Context) {
	var req ClinicCreateRequest
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
	TargetType string         `json:"target_type" example:"clinic" enums:"clinic,user,invitation,expert,outreach_team,person,household,service_package,agreement"`
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
	TargetType string `form:"target_type" binding:"omitempty,oneof=clinic user invitation expert outreach_team person household service_package agreement"`
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
// @Param        target_type query string false "target kind" Enums(clinic,user,invitation,expert,outreach_team,person,household,service_package,agreement)
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
			// Times in the detail are shown in the business zone.
			z, err := a.zoned(d.Detail)
			if err != nil {
				fail(c, err)
				return
			}
			d.Detail = z.(map[string]any)
		}
		out.Items = append(out.Items, d)
	}
	ok(c, out)
}

// InvitationRequest invites staff to a clinic.
type InvitationRequest struct {
	ClinicID int64  `json:"clinic_id" binding:"required,min=1" example:"3"`
	Position string `json:"position" binding:"required,oneof=nurse doctor pharmacist moderator manager" example:"nurse"`
	// ValidHours overrides the configured validity (STAFF_INVITE_TTL).
	ValidHours int `json:"valid_hours" binding:"omitempty,min=1,max=720" example:"72"`
}

// InvitationDTO is a staff invitation; code is shown only in this answer.
type InvitationDTO struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code" example:"K7QX3M9TRA"`
	ClinicID  int64     `json:"clinic_id"`
	Position  string    `json:"position" example:"nurse" enums:"nurse,doctor,pharmacist,moderator,manager"`
	ExpiresAt time.Time `json:"expires_at"`
	// SharePath is the mini-program page a share card opens (the code in
	// its query).
	SharePath string `json:"share_path" example:"/pages/staff/join?code=K7QX3M9TRA"`
}

// createInvitation godoc
// @Summary      Invite staff to a clinic with a one-time code (admins; clinic managers for their own clinic)
// @Description  The invited person opens the mini-program and redeems the code (POST /staff-invitations/redeem) or the share card (share_path). The code is shown once (only its hash is kept) and expires after valid_hours (default STAFF_INVITE_TTL, 72 h). Managers invite to their own clinic (a branch's also to its stations), not as manager; other staff 403. Audited.
// @Tags         admin
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string            false "retry key"
// @Param        body            body   InvitationRequest true  "clinic and position"
// @Success      201 {object} InvitationDTO
// @Failure      403 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "clinic_closed"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/staff-invitations [post]
func (a *API) createInvitation(c *gin.Context) {
	var req InvitationRequest
	if !bindJSON(c, &req) {
		return
	}
	inv, err := a.svc.Admin.CreateInvitation(c.Request.Context(), principal(c), service.NewInvitation{ClinicID: req.ClinicID,
		Position: req.Position, ValidFor: time.Duration(req.ValidHours) * time.Hour})
	reply(c, http.StatusCreated, err, func() any {
		return InvitationDTO{ID: inv.ID, Code: inv.Code, ClinicID: inv.ClinicID, Position: inv.Position, ExpiresAt: a.timeIn(inv.ExpiresAt),
			SharePath: "/pages/staff/join?code=" + inv.Code}
	})
}

// revokeInvitation godoc
// @Summary      Revoke an unused staff invitation (admins; managers for their clinic)
// @Description  Revoking twice is fine; a redeemed invitation is 409 invitation_used. Audited.
// @Tags         admin
// @Security     Bearer
// @Param        id path int true "invitation id"
// @Success      204
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "invitation_used"
// @Router       /api/v1/admin/staff-invitations/{id} [delete]
func (a *API) revokeInvitation(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	if err := a.svc.Admin.RevokeInvitation(c.Request.Context(), principal(c), id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// RedeemRequest redeems a staff invitation code.
type RedeemRequest struct {
	Code string `json:"code" binding:"required,max=32" example:"K7QX-3M9T-RA"`
}

// redeemInvitation godoc
// @Summary      Become staff by an invitation code
// @Description  Makes the caller staff of the invitation's clinic with its position and answers a new token carrying the role (older tokens of a staff member moved to another clinic or position stop working). Case, spaces and dashes in the code do not matter. A code works once: 404 invitation_invalid (unknown or revoked), 409 invitation_used, 409 invitation_expired; admins 403.
// @Tags         auth
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        body body RedeemRequest true "the code"
// @Success      200 {object} LoginResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse "invitation_invalid"
// @Failure      409 {object} ErrorResponse "invitation_used, invitation_expired"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff-invitations/redeem [post]
func (a *API) redeemInvitation(c *gin.Context) {
	var req RedeemRequest
	if !bindJSON(c, &req) {
		return
	}
	s, err := a.svc.Admin.RedeemInvitation(c.Request.Context(), principal(c), req.Code)
	reply(c, http.StatusOK, err, func() any { return a.toLogin(s) })
}

// DirectoryUserDTO is a user in the admins' directory; the phone is masked.
type DirectoryUserDTO struct {
	ID         int64     `json:"id"`
	Nickname   string    `json:"nickname" example:"小雨妈妈"`
	RealName   string    `json:"real_name" example:"王芳"`
	Phone      string    `json:"phone" example:"138****1234"`
	Role       string    `json:"role" example:"staff" enums:"resident,staff,admin"`
	Position   string    `json:"position" example:"nurse" enums:",nurse,doctor,pharmacist,moderator,manager"`
	ClinicID   *int64    `json:"clinic_id" extensions:"x-nullable"`
	ClinicName string    `json:"clinic_name" example:"石桥镇卫生院"`
	Suspended  bool      `json:"suspended"`
	CreatedAt  time.Time `json:"created_at"`
}

func (a *API) toDirectoryUser(e service.DirectoryEntry) DirectoryUserDTO {
	return DirectoryUserDTO{ID: e.ID, Nickname: e.Nickname, RealName: e.RealName, Phone: maskPhone(e.Phone), Role: e.Role,
		Position: e.Position, ClinicID: e.ClinicID, ClinicName: e.ClinicName, Suspended: e.SuspendedAt != nil, CreatedAt: a.timeIn(e.CreatedAt)}
}

// DirectoryUserList is a page of the users directory.
type DirectoryUserList struct {
	Items      []DirectoryUserDTO `json:"items"`
	NextCursor string             `json:"next_cursor"`
}

// UserQuery filters the users directory.
type UserQuery struct {
	Q        string `form:"q" binding:"omitempty,max=64"`
	ClinicID int64  `form:"clinic_id" binding:"omitempty,min=1"`
	Role     string `form:"role" binding:"omitempty,oneof=resident staff admin"`
}

// listUsers godoc
// @Summary      The users directory (admins), by id
// @Description  q matches a nickname or real name (contains), a whole 11-digit phone number or a user id.
// @Tags         admin
// @Produce      json
// @Security     Bearer
// @Param        q         query string false "name, phone or id"
// @Param        clinic_id query int    false "staff of this clinic"
// @Param        role      query string false "role" Enums(resident,staff,admin)
// @Param        limit     query int    false "page size (1-100, default 20)"
// @Param        cursor    query string false "next_cursor of the previous page"
// @Success      200 {object} DirectoryUserList
// @Failure      403 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/users [get]
func (a *API) listUsers(c *gin.Context) {
	var q UserQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	rows, next, err := a.svc.Admin.Users(c.Request.Context(), service.UserFilter{Q: q.Q, ClinicID: q.ClinicID, Role: q.Role}, p)
	if err != nil {
		fail(c, err)
		return
	}
	out := DirectoryUserList{Items: make([]DirectoryUserDTO, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		out.Items = append(out.Items, a.toDirectoryUser(r))
	}
	ok(c, out)
}

// UserChangeRequest changes an account: any of suspend or lift a
// suspension, move staff to another clinic, change their position, or take
// the staff role away.
type UserChangeRequest struct {
	Suspended   *bool   `json:"suspended" example:"true"`
	ClinicID    *int64  `json:"clinic_id" binding:"omitempty,min=1" example:"2"`
	Position    *string `json:"position" binding:"omitempty,oneof=nurse doctor pharmacist moderator manager" example:"doctor"`
	RemoveStaff bool    `json:"remove_staff" example:"false"`
	Reason      string  `json:"reason" binding:"max=255" example:"调岗"`
}

// updateUser godoc
// @Summary      Suspend, move or remove staff (admins)
// @Description  Every change raises the account's auth version: tokens issued before stop working (401) and a suspended account cannot sign in (403 account_suspended). Moving or changing the position applies to staff only (409 invalid_transition otherwise); remove_staff makes the account a resident. Not on your own account (403). Audited (a move twice: for the clinic left and the clinic joined).
// @Tags         admin
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int               true "user id"
// @Param        body body UserChangeRequest true "the change"
// @Success      200 {object} DirectoryUserDTO
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/users/{id} [put]
func (a *API) updateUser(c *gin.Context) {
	var req UserChangeRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	e, err := a.svc.Admin.UpdateUser(c.Request.Context(), principal(c), id, service.UserChange{Suspended: req.Suspended,
		ClinicID: req.ClinicID, Position: req.Position, RemoveStaff: req.RemoveStaff, Reason: req.Reason})
	reply(c, http.StatusOK, err, func() any { return a.toDirectoryUser(e) })
}

// StudioDTO is a 名医工作室: a named place at one of the expert's sitting
// clinics, with a weekly sitting.
type StudioDTO struct {
	ClinicID  int64  `json:"clinic_id" binding:"required,min=1" example:"3"`
	Name      string `json:"name" binding:"required,max=128" example:"王建华儿科名医工作室"`
	Weekdays  []int  `json:"weekdays" binding:"required,min=1,max=7,dive,min=1,max=7" example:"2"`
	StartTime string `json:"start_time" binding:"required" example:"08:30"`
	EndTime   string `json:"end_time" binding:"required" example:"11:30"`
}

// ExpertRequest changes an expert (PUT): every field is optional;
// sitting_clinic_ids (with studios) replaces the expert's sittings
// (ExpertCreateRequest adds one).
type ExpertRequest struct {
	Name         *string `json:"name" binding:"omitempty,max=64" example:"王建华"`
	Title        *string `json:"title" binding:"omitempty,max=64" example:"主任医师 · 儿科主任"`
	Specialty    *string `json:"specialty" binding:"omitempty,max=128" example:"儿童生长发育"`
	Bio          *string `json:"bio" binding:"omitempty,max=2000"`
	HomeClinicID *int64  `json:"home_clinic_id" binding:"omitempty,min=1" example:"1"`
	// SittingClinicIDs is required when studios is sent (422 otherwise).
	SittingClinicIDs *[]int64     `json:"sitting_clinic_ids" binding:"omitempty,max=20,dive,min=1" example:"3"`
	Studios          *[]StudioDTO `json:"studios" binding:"omitempty,max=20,dive"`
}

// ExpertCreateRequest adds an expert: name, home_clinic_id and sitting_clinic_ids are required.
type ExpertCreateRequest struct {
	Name             *string      `json:"name" validate:"required" binding:"omitempty,max=64" example:"王建华"`
	Title            *string      `json:"title" binding:"omitempty,max=64" example:"主任医师 · 儿科主任"`
	Specialty        *string      `json:"specialty" binding:"omitempty,max=128" example:"儿童生长发育"`
	Bio              *string      `json:"bio" binding:"omitempty,max=2000"`
	HomeClinicID     *int64       `json:"home_clinic_id" validate:"required" binding:"omitempty,min=1" example:"1"`
	SittingClinicIDs *[]int64     `json:"sitting_clinic_ids" validate:"required" binding:"omitempty,max=20,dive,min=1" example:"3"`
	Studios          *[]StudioDTO `json:"studios" binding:"omitempty,max=20,dive"`
}

func (r ExpertCreateRequest) input() (service.ExpertInput, error) { return ExpertRequest(r).input() }

func (r ExpertRequest) input() (service.ExpertInput, error) {
	in := service.ExpertInput{Name: r.Name, Title: r.Title, Specialty: r.Specialty, Bio: r.Bio, HomeClinicID: r.HomeClinicID}
	if r.Studios != nil && r.SittingClinicIDs == nil {
		return in, service.InvalidField("sitting_clinic_ids", "required with studios")
	}
	if r.SittingClinicIDs == nil {
		return in, nil
	}
	studios := map[int64]StudioDTO{}
	if r.Studios != nil {
		for _, st := range *r.Studios {
			studios[st.ClinicID] = st
		}
	}
	sittings := make([]service.Sitting, 0, len(*r.SittingClinicIDs))
	for _, id := range *r.SittingClinicIDs {
		st := service.Sitting{ClinicID: id}
		if s, ok := studios[id]; ok {
			st.StudioName, st.Weekdays, st.StartTime, st.EndTime = s.Name, s.Weekdays, s.StartTime, s.EndTime
			delete(studios, id)
		}
		sittings = append(sittings, st)
	}
	if len(studios) > 0 {
		return in, service.InvalidField("studios", "each studio must be at one of sitting_clinic_ids, once")
	}
	in.Sittings = &sittings
	return in, nil
}

// createExpert godoc
// @Summary      Add an expert (admins)
// @Description  home_clinic_id is the hospital the expert belongs to (a main-hospital expert is published under its name); sitting_clinic_ids the clinics where they sit (the first is clinic_id); studios make a sitting a 名医工作室 with its weekly time (e.g. Tuesday 08:30–11:30). Audited.
// @Tags         admin
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string        false "retry key"
// @Param        body            body   ExpertCreateRequest true  "the expert"
// @Success      201 {object} ExpertDTO
// @Failure      403 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "clinic_closed"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/experts [post]
func (a *API) createExpert(c *gin.Context) {
	var req ExpertCreateRequest
	if !bindJSON(c, &req) {
		return
	}
	in, err := req.input()
	if err != nil {
		fail(c, err)
		return
	}
	e, err := a.svc.Admin.CreateExpert(c.Request.Context(), principal(c), in)
	reply(c, http.StatusCreated, err, func() any { return toExpert(e) })
}

// updateExpert godoc
// @Summary      Change an expert (admins)
// @Description  Only the fields sent change; sitting_clinic_ids (with studios) replaces the sittings. Audited.
// @Tags         admin
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int           true "expert id"
// @Param        body body ExpertRequest true "the fields to change"
// @Success      200 {object} ExpertDTO
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "clinic_closed"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/experts/{id} [put]
func (a *API) updateExpert(c *gin.Context) {
	onIDInput[ExpertRequest](c, http.StatusOK, a.svc.Admin.UpdateExpert, toExpert)
}
