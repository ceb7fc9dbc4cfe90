package handler

import (
	"net/http"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) teamRoutes(admin *gin.RouterGroup) {
	admin.POST("/doctor-teams", a.idempotent(), a.createDoctorTeam)
	admin.GET("/doctor-teams/:id", a.getDoctorTeam)
	admin.PUT("/doctor-teams/:id", a.updateDoctorTeam)
}

// TeamMemberRequest is one staff account of a team.
type TeamMemberRequest struct {
	UserID int64  `json:"user_id" binding:"required,min=1" example:"12"`
	Role   string `json:"role" binding:"required,oneof=lead doctor nurse public_health pharmacist child_health" example:"lead" enums:"lead,doctor,nurse,public_health,pharmacist,child_health"`
}

// DoctorTeamRequest creates or replaces a family-doctor team: members are
// staff accounts of the team's clinic, the branch above it or the stations
// under it, with exactly one lead.
type DoctorTeamRequest struct {
	ClinicID    int64               `json:"clinic_id" binding:"required,min=1" example:"3"`
	Name        string              `json:"name" binding:"required,min=1,max=64" example:"石桥镇家庭医生二团队"`
	Description string              `json:"description" binding:"max=255" example:"负责柳树村、杏花村签约居民"`
	Members     []TeamMemberRequest `json:"members" binding:"required,min=1,max=30,dive"`
}

func (r DoctorTeamRequest) input() service.TeamInput {
	in := service.TeamInput{ClinicID: r.ClinicID, Name: r.Name, Description: r.Description,
		Members: make([]service.TeamMemberInput, len(r.Members))}
	for i, m := range r.Members {
		in.Members[i] = service.TeamMemberInput{UserID: m.UserID, Role: m.Role}
	}
	return in
}

// TeamMemberDTO is a staff account in a team.
type TeamMemberDTO struct {
	UserID   int64  `json:"user_id" example:"12"`
	Name     string `json:"name" example:"赵立新"`
	ClinicID int64  `json:"clinic_id" example:"3"`
	Role     string `json:"role" example:"lead" enums:"lead,doctor,nurse,public_health,pharmacist,child_health"`
}

// DoctorTeamAdminDTO is a team with its member accounts.
type DoctorTeamAdminDTO struct {
	ID          int64           `json:"id" example:"3"`
	ClinicID    int64           `json:"clinic_id" example:"3"`
	Name        string          `json:"name" example:"石桥镇家庭医生二团队"`
	Description string          `json:"description"`
	Members     []TeamMemberDTO `json:"members"`
}

func toDoctorTeamAdmin(v service.TeamAdminView) DoctorTeamAdminDTO {
	return DoctorTeamAdminDTO{ID: v.Team.ID, ClinicID: v.Team.ClinicID, Name: v.Team.Name, Description: v.Team.Description,
		Members: listOf(v.Members, func(m service.TeamMemberView) TeamMemberDTO {
			return TeamMemberDTO{UserID: m.UserID, Name: m.Name, ClinicID: m.ClinicID, Role: m.Role}
		})}
}

// createDoctorTeam godoc
// @Summary      Build a family-doctor team from staff accounts (admin)
// @Description  Members must be staff accounts of the team's clinic, of the branch above it or of the stations under it, each once, with exactly one lead. A doctor is a staff account that is a member of a team: it then sees its families (GET /staff/worklist) and its consultations. Send an Idempotency-Key to make retries safe.
// @Tags         admin
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string false "retry key"
// @Param        body body DoctorTeamRequest true "the team"
// @Success      201 {object} DoctorTeamAdminDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/doctor-teams [post]
func (a *API) createDoctorTeam(c *gin.Context) {
	var req DoctorTeamRequest
	if !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Teams.Create(c.Request.Context(), principal(c), req.input())
	reply(c, http.StatusCreated, err, func() any { return toDoctorTeamAdmin(v) })
}

// getDoctorTeam godoc
// @Summary   A family-doctor team with its member accounts (admin)
// @Tags      admin
// @Produce   json
// @Security  Bearer
// @Param     id path int true "team id"
// @Success   200 {object} DoctorTeamAdminDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/admin/doctor-teams/{id} [get]
func (a *API) getDoctorTeam(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Teams.Get, toDoctorTeamAdmin)
}

// updateDoctorTeam godoc
// @Summary      Replace a family-doctor team's clinic, name and members (admin)
// @Description  The same rules as creating one; the member list replaces the old one.
// @Tags         admin
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int               true "team id"
// @Param        body body DoctorTeamRequest true "the team"
// @Success      200 {object} DoctorTeamAdminDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/doctor-teams/{id} [put]
func (a *API) updateDoctorTeam(c *gin.Context) {
	var req DoctorTeamRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Teams.Update(c.Request.Context(), principal(c), id, req.input())
	reply(c, http.StatusOK, err, func() any { return toDoctorTeamAdmin(v) })
}
