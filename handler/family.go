package handler

import (
	"net/http"
	"time"

	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) familyRoutes(authed *gin.RouterGroup) {
	authed.GET("/me", a.getMe)
	authed.GET("/me/export", a.exportMe)
	authed.DELETE("/me", a.deleteMe)
	putWithPatchAlias(authed, "/me", a.patchMe)
	authed.GET("/me/members", a.listMembers)
	authed.POST("/me/members", a.createMember)
	authed.GET("/me/members/:id", a.getMember)
	putWithPatchAlias(authed, "/me/members/:id", a.patchMember)
	authed.DELETE("/me/members/:id", a.deleteMember)
}

// getMe godoc
// @Summary   The caller's profile
// @Tags      profile
// @Produce   json
// @Security  Bearer
// @Success   200 {object} UserDTO
// @Failure   401 {object} ErrorResponse
// @Router    /api/v1/me [get]
func (a *API) getMe(c *gin.Context) {
	u, err := a.svc.Family.Me(c.Request.Context(), principal(c).UserID)
	reply(c, http.StatusOK, err, func() any { return a.toUser(u) })
}

// ProfileRequest changes the caller's profile; absent fields stay.
type ProfileRequest struct {
	Nickname  *string `json:"nickname" binding:"omitempty,max=64"`
	RealName  *string `json:"real_name" binding:"omitempty,max=64"`
	AvatarURL *string `json:"avatar_url" binding:"omitempty,max=512,url,startswith=https://"`
	// An upload of purpose avatar: it becomes avatar_url once WeChat's
	// image check passes it.
	AvatarUploadID *int64 `json:"avatar_upload_id" binding:"omitempty,min=1"`
}

// patchMe godoc
// @Summary   Change the caller's profile
// @Tags      profile
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     body body ProfileRequest true "fields to change"
// @Success   200 {object} UserDTO
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/me [put]
// @Router    /api/v1/me [patch]
func (a *API) patchMe(c *gin.Context) {
	var req ProfileRequest
	if !bindJSON(c, &req) {
		return
	}
	u, err := a.svc.Family.UpdateProfile(c.Request.Context(), principal(c).UserID,
		service.ProfileUpdate{Nickname: req.Nickname, RealName: req.RealName, AvatarURL: req.AvatarURL, AvatarUploadID: req.AvatarUploadID})
	reply(c, http.StatusOK, err, func() any { return a.toUser(u) })
}

// MemberDTO is a family member.
type MemberDTO struct {
	ID                int64     `json:"id" example:"7"`
	Name              string    `json:"name" example:"小宝"`
	Relation          string    `json:"relation" example:"child" enums:"self,spouse,child,parent,grandchild,grandparent,sibling,other"`
	Gender            string    `json:"gender" example:"female" enums:"male,female,unknown"`
	BirthDate         string    `json:"birth_date,omitempty" example:"2026-04-01"`
	DueDate           string    `json:"due_date,omitempty"`
	AgeYears          *int      `json:"age_years,omitempty"`
	ChronicConditions []string  `json:"chronic_conditions"`
	CreatedAt         time.Time `json:"created_at"`
}

func (a *API) toMember(m model.Person) MemberDTO {
	d := MemberDTO{ID: m.ID, Name: m.Name, Relation: m.Relation, Gender: m.Gender, BirthDate: m.BirthDate,
		DueDate: m.DueDate, ChronicConditions: m.ChronicConditions, CreatedAt: a.timeIn(m.CreatedAt)}
	if d.ChronicConditions == nil {
		d.ChronicConditions = []string{}
	}
	if age := service.AgeYears(m.BirthDate, a.opts.Clock.Now(), a.loc); age >= 0 {
		d.AgeYears = &age
	}
	return d
}

// MemberList is the caller's family.
type MemberList struct {
	Items []MemberDTO `json:"items"`
}

// MemberRequest changes a member (absent fields stay); MemberCreateRequest
// adds one.
type MemberRequest struct {
	Name              *string   `json:"name" binding:"omitempty,min=1,max=64" example:"小宝"`
	Relation          *string   `json:"relation" binding:"omitempty,oneof=self spouse child parent grandchild grandparent sibling other" example:"child"`
	Gender            *string   `json:"gender" binding:"omitempty,oneof=male female unknown" example:"female"`
	BirthDate         *string   `json:"birth_date" example:"2026-04-01"`
	DueDate           *string   `json:"due_date" example:""`
	ChronicConditions *[]string `json:"chronic_conditions" binding:"omitempty,max=20,dive,min=1,max=64"`
}

// MemberCreateRequest adds a family member: name and relation are required.
type MemberCreateRequest struct {
	Name              *string   `json:"name" binding:"omitempty,min=1,max=64" validate:"required" example:"小宝"`
	Relation          *string   `json:"relation" binding:"omitempty,oneof=self spouse child parent grandchild grandparent sibling other" validate:"required" example:"child"`
	Gender            *string   `json:"gender" binding:"omitempty,oneof=male female unknown" example:"female"`
	BirthDate         *string   `json:"birth_date" example:"2026-04-01"`
	DueDate           *string   `json:"due_date" example:""`
	ChronicConditions *[]string `json:"chronic_conditions" binding:"omitempty,max=20,dive,min=1,max=64"`
}

func (r MemberCreateRequest) input() service.MemberInput { return MemberRequest(r).input() }

func (r MemberRequest) input() service.MemberInput {
	return service.MemberInput{Name: r.Name, Relation: r.Relation, Gender: r.Gender, BirthDate: r.BirthDate,
		DueDate: r.DueDate, ChronicConditions: r.ChronicConditions}
}

// listMembers godoc
// @Summary   The caller's family members
// @Tags      profile
// @Produce   json
// @Security  Bearer
// @Success   200 {object} MemberList
// @Router    /api/v1/me/members [get]
func (a *API) listMembers(c *gin.Context) {
	ms, err := a.svc.Family.Members(c.Request.Context(), principal(c).UserID)
	if err != nil {
		fail(c, err)
		return
	}
	out := MemberList{Items: make([]MemberDTO, 0, len(ms))}
	for _, m := range ms {
		out.Items = append(out.Items, a.toMember(m))
	}
	ok(c, out)
}

// createMember godoc
// @Summary   Add a family member
// @Tags      profile
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     body body MemberCreateRequest true "the member"
// @Success   201 {object} MemberDTO
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/me/members [post]
func (a *API) createMember(c *gin.Context) {
	var req MemberCreateRequest
	if !bindJSON(c, &req) {
		return
	}
	m, err := a.svc.Family.AddMember(c.Request.Context(), principal(c).UserID, req.input())
	reply(c, http.StatusCreated, err, func() any { return a.toMember(m) })
}

// getMember godoc
// @Summary   One family member
// @Tags      profile
// @Produce   json
// @Security  Bearer
// @Param     id path int true "member id"
// @Success   200 {object} MemberDTO
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/me/members/{id} [get]
func (a *API) getMember(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	m, err := a.svc.Family.Member(c.Request.Context(), principal(c).UserID, id)
	reply(c, http.StatusOK, err, func() any { return a.toMember(m) })
}

// patchMember godoc
// @Summary   Change a family member
// @Tags      profile
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int           true "member id"
// @Param     body body MemberRequest true "fields to change"
// @Success   200 {object} MemberDTO
// @Failure   404 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/me/members/{id} [put]
// @Router    /api/v1/me/members/{id} [patch]
func (a *API) patchMember(c *gin.Context) {
	var req MemberRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	m, err := a.svc.Family.UpdateMember(c.Request.Context(), principal(c).UserID, id, req.input())
	reply(c, http.StatusOK, err, func() any { return a.toMember(m) })
}

// deleteMember godoc
// @Summary   Remove a family member
// @Tags      profile
// @Security  Bearer
// @Param     id path int true "member id"
// @Success   204
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "member_has_active_bookings"
// @Router    /api/v1/me/members/{id} [delete]
func (a *API) deleteMember(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	if err := a.svc.Family.DeleteMember(c.Request.Context(), principal(c).UserID, id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// exportMe godoc
// @Summary      Everything familycare holds about me (PIPL right of access)
// @Description  Profile with the full phone number, family members, bookings, contracts, medicine orders with addresses, posts, comments and notifications.
// @Tags         profile
// @Produce      json
// @Security     Bearer
// @Success      200 {object} service.AccountExport
// @Failure      401 {object} ErrorResponse
// @Router       /api/v1/me/export [get]
func (a *API) exportMe(c *gin.Context) {
	out, err := a.svc.Accounts.Export(c.Request.Context(), principal(c).UserID)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := a.zoned(out)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="familycare-export.json"`)
	ok(c, body)
}

// deleteMe godoc
// @Summary      Delete my account (PIPL right to deletion)
// @Description  Cancels future bookings, deletes posts and comments, ends contracts, cancels open medicine orders and removes personal data; anonymised rows stay for the clinics' aggregate figures. 409 delivery_in_progress while medicine is on its way.
// @Tags         profile
// @Security     Bearer
// @Success      204
// @Failure      401 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "delivery_in_progress"
// @Router       /api/v1/me [delete]
func (a *API) deleteMe(c *gin.Context) {
	if err := a.svc.Accounts.Delete(c.Request.Context(), principal(c).UserID); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
