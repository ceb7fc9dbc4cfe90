package handler

import (
	"fmt"
	"net/http"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

// outreachRoutes mounts the 流动专家 teams: admins build them, everyone
// sees where they sit next.
func (a *API) outreachRoutes(public, admin *gin.RouterGroup) {
	admin.POST("/outreach-teams", a.idempotent(), a.createOutreachTeam)
	admin.PUT("/outreach-teams/:id", a.updateOutreachTeam)
	public.GET("/outreach-teams/:id", a.getOutreachTeam)
	public.GET("/outreach-visits", a.listOutreachVisits)
}

// OutreachVisitRequest is a sitting of the team: a session of a service of
// the visited clinic (the clinic is the service's), with one of the team's
// experts (default: the first).
type OutreachVisitRequest struct {
	ServiceID int64  `json:"service_id" binding:"required,min=1" example:"7"`
	ExpertID  int64  `json:"expert_id" binding:"omitempty,min=1" example:"4"`
	StartsAt  string `json:"starts_at" binding:"required" example:"2026-12-08T08:30:00+08:00"`
	EndsAt    string `json:"ends_at" binding:"required" example:"2026-12-08T11:30:00+08:00"`
	Capacity  int    `json:"capacity" binding:"required,min=1,max=1000" example:"20"`
}

// OutreachTeamRequest changes an outreach team (PUT): only the fields sent
// change; expert_ids replaces the members; visits are added to the tour
// (a visit is called off by cancelling its session).
type OutreachTeamRequest struct {
	Name         *string                `json:"name" binding:"omitempty,max=64" example:"总院儿科流动专家队"`
	Description  *string                `json:"description" binding:"omitempty,max=500" example:"骨龄、足底筛查与儿童保健咨询"`
	HomeClinicID *int64                 `json:"home_clinic_id" binding:"omitempty,min=1" example:"1"`
	ExpertIDs    *[]int64               `json:"expert_ids" binding:"omitempty,max=20,dive,min=1" example:"4"`
	Visits       []OutreachVisitRequest `json:"visits" binding:"omitempty,max=60,dive"`
}

// OutreachTeamCreateRequest adds an outreach team: name, home_clinic_id and expert_ids are required.
type OutreachTeamCreateRequest struct {
	Name         *string                `json:"name" validate:"required" binding:"omitempty,max=64" example:"总院儿科流动专家队"`
	Description  *string                `json:"description" binding:"omitempty,max=500" example:"骨龄、足底筛查与儿童保健咨询"`
	HomeClinicID *int64                 `json:"home_clinic_id" validate:"required" binding:"omitempty,min=1" example:"1"`
	ExpertIDs    *[]int64               `json:"expert_ids" validate:"required" binding:"omitempty,max=20,dive,min=1" example:"4"`
	Visits       []OutreachVisitRequest `json:"visits" binding:"omitempty,max=60,dive"`
}

func (r OutreachTeamRequest) input() (service.OutreachInput, error) {
	in := service.OutreachInput{Name: r.Name, Description: r.Description, HomeClinicID: r.HomeClinicID, ExpertIDs: r.ExpertIDs}
	bad := map[string]string{}
	for i, v := range r.Visits {
		starts, err1 := time.Parse(time.RFC3339, v.StartsAt)
		ends, err2 := time.Parse(time.RFC3339, v.EndsAt)
		if err1 != nil {
			bad[visitField(i, "starts_at")] = "must be an RFC 3339 time"
		}
		if err2 != nil {
			bad[visitField(i, "ends_at")] = "must be an RFC 3339 time"
		}
		in.Visits = append(in.Visits, service.NewSession{ServiceID: v.ServiceID, ExpertID: v.ExpertID, StartsAt: starts, EndsAt: ends, Capacity: v.Capacity})
	}
	if len(bad) > 0 {
		return in, service.Invalid(bad)
	}
	return in, nil
}

func visitField(i int, f string) string { return fmt.Sprintf("visits[%d].%s", i, f) }

// OutreachVisitDTO is a sitting of an outreach team: a bookable session at
// the visited clinic.
type OutreachVisitDTO struct {
	ID       int64      `json:"id"`
	TeamID   int64      `json:"team_id"`
	TeamName string     `json:"team_name" example:"总院儿科流动专家队"`
	ClinicID int64      `json:"clinic_id" example:"3"`
	Session  SessionDTO `json:"session"`
}

// OutreachTeamDTO is a 流动专家 team with its experts and its visits ahead.
type OutreachTeamDTO struct {
	ID             int64              `json:"id"`
	Name           string             `json:"name" example:"总院儿科流动专家队"`
	Description    string             `json:"description"`
	HomeClinicID   int64              `json:"home_clinic_id" example:"1"`
	HomeClinicName string             `json:"home_clinic_name" example:"青山县人民医院"`
	Experts        []ExpertDTO        `json:"experts"`
	Visits         []OutreachVisitDTO `json:"visits"`
}

// OutreachVisitList is the visits ahead.
type OutreachVisitList struct {
	Items []OutreachVisitDTO `json:"items"`
}

func (a *API) toOutreachVisits(vs []service.OutreachVisitView) []OutreachVisitDTO {
	out := make([]OutreachVisitDTO, 0, len(vs))
	for _, v := range vs {
		out = append(out, OutreachVisitDTO{ID: v.ID, TeamID: v.TeamID, TeamName: v.TeamName, ClinicID: v.ClinicID, Session: a.toSession(v.Session)})
	}
	return out
}

func (a *API) toOutreachTeam(t service.OutreachTeamView) OutreachTeamDTO {
	d := OutreachTeamDTO{ID: t.ID, Name: t.Name, Description: t.Description, HomeClinicID: t.HomeClinicID, HomeClinicName: t.HomeClinicName,
		Experts: make([]ExpertDTO, 0, len(t.Experts)), Visits: a.toOutreachVisits(t.Visits)}
	for _, e := range t.Experts {
		d.Experts = append(d.Experts, toExpert(e))
	}
	return d
}

// createOutreachTeam godoc
// @Summary      Add a 流动专家 outreach team (admins)
// @Description  home_clinic_id is the hospital the team comes from; expert_ids its experts; visits its sittings at the branches, each a session of a service of the visited clinic (families book it like any session; cut into arrival slots when the service is). All or nothing. Audited.
// @Tags         admin
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string                    false "retry key"
// @Param        body            body   OutreachTeamCreateRequest true  "the team"
// @Success      201 {object} OutreachTeamDTO
// @Failure      403 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "clinic_closed, session_exists"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/outreach-teams [post]
func (a *API) createOutreachTeam(c *gin.Context) {
	var req OutreachTeamCreateRequest
	if !bindJSON(c, &req) {
		return
	}
	in, err := OutreachTeamRequest(req).input()
	if err != nil {
		fail(c, err)
		return
	}
	t, err := a.svc.Admin.CreateOutreachTeam(c.Request.Context(), principal(c), in)
	reply(c, http.StatusCreated, err, func() any { return a.toOutreachTeam(t) })
}

// updateOutreachTeam godoc
// @Summary      Change an outreach team, or add visits to its tour (admins)
// @Description  Only the fields sent change; expert_ids replaces the experts (published visits keep theirs); visits are added. A visit is called off by cancelling its session (PUT /staff/sessions/{id}, which notifies the booked families). Audited.
// @Tags         admin
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int                 true "team id"
// @Param        body body OutreachTeamRequest true "the changes"
// @Success      200 {object} OutreachTeamDTO
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "clinic_closed, session_exists"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/outreach-teams/{id} [put]
func (a *API) updateOutreachTeam(c *gin.Context) {
	onIDInput[OutreachTeamRequest](c, http.StatusOK, a.svc.Admin.UpdateOutreachTeam, a.toOutreachTeam)
}

// getOutreachTeam godoc
// @Summary  A 流动专家 team with its experts and its visits ahead
// @Tags     catalogue
// @Produce  json
// @Param    id path int true "team id"
// @Success  200 {object} OutreachTeamDTO
// @Failure  404 {object} ErrorResponse
// @Router   /api/v1/outreach-teams/{id} [get]
func (a *API) getOutreachTeam(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	t, err := a.svc.Catalog.OutreachTeam(c.Request.Context(), id)
	reply(c, http.StatusOK, err, func() any { return a.toOutreachTeam(t) })
}

// OutreachVisitQuery filters the visits ahead.
type OutreachVisitQuery struct {
	ClinicID int64 `form:"clinic_id" binding:"omitempty,min=1"`
	Limit    int   `form:"limit" binding:"omitempty,min=1,max=100"`
}

// listOutreachVisits godoc
// @Summary  Outreach (流动专家) sittings ahead, soonest first
// @Description  Open sessions of outreach teams still to come, at a clinic (or anywhere): each is booked like any session (POST /bookings).
// @Tags     catalogue
// @Produce  json
// @Param    clinic_id query int false "sittings at this clinic"
// @Param    limit     query int false "at most (1-100, default 100)"
// @Success  200 {object} OutreachVisitList
// @Failure  422 {object} ErrorResponse
// @Router   /api/v1/outreach-visits [get]
func (a *API) listOutreachVisits(c *gin.Context) {
	var q OutreachVisitQuery
	if !bindQuery(c, &q) {
		return
	}
	vs, err := a.svc.Catalog.OutreachVisits(c.Request.Context(), q.ClinicID, 0, q.Limit)
	reply(c, http.StatusOK, err, func() any { return OutreachVisitList{Items: a.toOutreachVisits(vs)} })
}
