package handler

import (
	"net/http"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) followUpRoutes(authed, staff *gin.RouterGroup) {
	authed.GET("/persons/:id/follow-ups", a.personFollowUps)
	staff.POST("/follow-ups/:id/record", a.recordFollowUp)
}

// FollowUpRecordDTO is what a visit recorded.
type FollowUpRecordDTO struct {
	Systolic    *int     `json:"systolic,omitempty" example:"138"`
	Diastolic   *int     `json:"diastolic,omitempty" example:"86"`
	GlucoseMmol *float64 `json:"glucose_mmol,omitempty" example:"6.8"`
	WeightKg    *float64 `json:"weight_kg,omitempty" example:"61.5"`
	Notes       string   `json:"notes,omitempty" example:"血压控制尚可，按时服药"`
	NextStep    string   `json:"next_step,omitempty" example:"三个月后复查"`
}

// FollowUpDTO is one follow-up visit (随访) of a person's plan.
type FollowUpDTO struct {
	ID       int64              `json:"id" example:"5"`
	PersonID int64              `json:"person_id" example:"7"`
	Rule     string             `json:"rule" example:"hypertension"`
	RuleName string             `json:"rule_name" example:"高血压患者随访"`
	DueDate  string             `json:"due_date" example:"2027-02-20"`
	Status   string             `json:"status" example:"planned" enums:"planned,done,cancelled"`
	Overdue  bool               `json:"overdue"`
	TeamID   int64              `json:"team_id" example:"1"`
	Method   string             `json:"method,omitempty" example:"home" enums:"home,clinic,phone"`
	DoneAt   *time.Time         `json:"done_at,omitempty"`
	Record   *FollowUpRecordDTO `json:"record,omitempty"`
}

// FollowUpList is a person's visits by due date.
type FollowUpList struct {
	Items []FollowUpDTO `json:"items"`
}

// FollowUpRecordRequest records a visit: how it was done and what was found.
type FollowUpRecordRequest struct {
	Method      string   `json:"method" binding:"required,oneof=home clinic phone" example:"home"`
	Systolic    *int     `json:"systolic" binding:"omitempty,min=50,max=260" example:"138"`
	Diastolic   *int     `json:"diastolic" binding:"omitempty,min=30,max=160" example:"86"`
	GlucoseMmol *float64 `json:"glucose_mmol" binding:"omitempty,min=1,max=40" example:"6.8"`
	WeightKg    *float64 `json:"weight_kg" binding:"omitempty,min=0.5,max=300" example:"61.5"`
	Notes       string   `json:"notes" binding:"max=1000" example:"血压控制尚可，按时服药"`
	NextStep    string   `json:"next_step" binding:"max=255" example:"三个月后复查"`
}

func (a *API) toFollowUp(v service.FollowUpView) FollowUpDTO {
	d := FollowUpDTO{ID: v.Visit.ID, PersonID: v.Visit.PersonID, Rule: v.Visit.RuleCode, RuleName: v.RuleName, DueDate: v.Visit.DueDate,
		Status: v.Visit.Status, Overdue: v.Overdue, TeamID: v.Visit.TeamID, Method: v.Visit.Method, DoneAt: a.timePtr(v.Visit.DoneAt)}
	if r := v.Record; r != nil {
		d.Record = &FollowUpRecordDTO{Systolic: r.Systolic, Diastolic: r.Diastolic, GlucoseMmol: r.GlucoseMmol, WeightKg: r.WeightKg,
			Notes: r.Notes, NextStep: r.NextStep}
	}
	return d
}

// personFollowUps godoc
// @Summary      A person's follow-up visits (随访): the plan and the records
// @Description  For a person of the caller's household: visits planned by the rules (hypertension and type 2 diabetes every 90 days through the contract year, high-risk children monthly, postpartum at 7 and 42 days), by due date; overdue: planned and past its due date.
// @Tags         follow-ups
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Success      200 {object} FollowUpList
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/persons/{id}/follow-ups [get]
func (a *API) personFollowUps(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.FollowUps.ForPerson, func(vs []service.FollowUpView) FollowUpList {
		return FollowUpList{Items: listOf(vs, a.toFollowUp)}
	})
}

// recordFollowUp godoc
// @Summary      Record a follow-up visit (a member of the visit's team)
// @Description  A planned visit becomes done: home, clinic or phone, with blood pressure, glucose, weight, notes and the next step (sealed at rest). Staff outside the visit's team get 404; a visit already done is 409 invalid_transition.
// @Tags         follow-ups
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int                   true "visit id"
// @Param        body body FollowUpRecordRequest true "the record"
// @Success      200 {object} FollowUpDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "invalid_transition"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/follow-ups/{id}/record [post]
func (a *API) recordFollowUp(c *gin.Context) {
	var req FollowUpRecordRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.FollowUps.Record(c.Request.Context(), principal(c), id, service.FollowUpInput{Method: req.Method,
		FollowUpRecord: service.FollowUpRecord{Systolic: req.Systolic, Diastolic: req.Diastolic, GlucoseMmol: req.GlucoseMmol,
			WeightKg: req.WeightKg, Notes: req.Notes, NextStep: req.NextStep}})
	reply(c, http.StatusOK, err, func() any { return a.toFollowUp(v) })
}
