package handler

import (
	"net/http"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) worklistRoutes(staff *gin.RouterGroup) {
	staff.GET("/worklist", a.worklist)
}

// WorklistItemDTO is one person of the doctor's families. attention lists
// what needs doing, most urgent first.
type WorklistItemDTO struct {
	Person               ConsultPersonDTO `json:"person"`
	ContractID           int64            `json:"contract_id" example:"4"`
	TeamID               int64            `json:"team_id" example:"1"`
	ValidUntil           string           `json:"valid_until" example:"2027-11-30"`
	Attention            []string         `json:"attention" enums:"consultation_overdue,consultation_unanswered,follow_up_overdue,high_risk_child,medicine_order_pending,contract_expiring"`
	ConsultationsOpen    int              `json:"consultations_open" example:"1"`
	ConsultationsOverdue int              `json:"consultations_overdue" example:"0"`
	OldestDueAt          *time.Time       `json:"oldest_due_at,omitempty"`
	FollowUpsOverdue     int              `json:"follow_ups_overdue" example:"1"`
	NextFollowUp         string           `json:"next_follow_up,omitempty" example:"2027-02-20"`
	HighRisk             bool             `json:"high_risk"`
	MedicineOrders       int              `json:"medicine_orders_pending" example:"0"`
	ContractExpiring     bool             `json:"contract_expiring"`
}

// WorklistDTO is a page of the worklist; total counts the doctor's persons.
type WorklistDTO struct {
	Items      []WorklistItemDTO `json:"items"`
	NextCursor string            `json:"next_cursor"`
	Total      int               `json:"total" example:"2000"`
}

// WorklistQuery narrows the worklist to one of the caller's teams.
type WorklistQuery struct {
	TeamID int64 `form:"team_id" binding:"omitempty,min=1"`
}

// worklist godoc
// @Summary      A doctor's families (我的签约居民) and what needs attention first
// @Description  The persons covered by the active contracts of the caller's doctor teams (a staff account in no team has none): overdue, then unanswered consultations; overdue follow-ups; high-risk children (a child-health follow-up plan); pending medicine orders; contracts ending within 30 days; then the rest. Within each: the oldest reply due, then the nearest next follow-up (persons with one first), then the person. One paged request.
// @Tags         family-doctor
// @Produce      json
// @Security     Bearer
// @Param        team_id query int    false "one of the caller's teams"
// @Param        limit   query int    false "page size (1-100, default 20)"
// @Param        cursor  query string false "next_cursor of the previous page"
// @Success      200 {object} WorklistDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/worklist [get]
func (a *API) worklist(c *gin.Context) {
	var q WorklistQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	w, err := a.svc.Worklist.Worklist(c.Request.Context(), principal(c), q.TeamID, p)
	reply(c, http.StatusOK, err, func() any {
		return WorklistDTO{Total: w.Total, NextCursor: w.Next, Items: listOf(w.Items, func(it service.WorklistItem) WorklistItemDTO {
			return WorklistItemDTO{Person: ConsultPersonDTO{ID: it.Person.ID, Name: it.Person.Name, Relation: it.Person.Relation,
				Gender: it.Person.Gender, AgeYears: careAge(it.Person.AgeYears)}, ContractID: it.ContractID, TeamID: it.TeamID,
				ValidUntil: it.ValidUntil, Attention: it.Attention, ConsultationsOpen: it.ConsultationsOpen,
				ConsultationsOverdue: it.ConsultationsOverdue, OldestDueAt: a.timePtr(it.OldestDueAt), FollowUpsOverdue: it.FollowUpsOverdue,
				NextFollowUp: it.NextFollowUp, HighRisk: it.HighRisk, MedicineOrders: it.MedicineOrders, ContractExpiring: it.ContractExpiring}
		})}
	})
}
