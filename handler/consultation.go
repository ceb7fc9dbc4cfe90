package handler

import (
	"net/http"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) consultationRoutes(authed, staff *gin.RouterGroup) {
	authed.GET("/consultations", a.listConsultations)
	authed.POST("/consultations", a.idempotent(), a.openConsultation)
	authed.GET("/consultations/:id", a.getConsultation)
	authed.POST("/consultations/:id/messages", a.idempotent(), a.writeConsultation)
	authed.POST("/consultations/:id/close", a.closeConsultation)

	staff.GET("/consultations", a.staffListConsultations)
	staff.GET("/consultations/:id", a.staffGetConsultation)
	staff.POST("/consultations/:id/messages", a.idempotent(), a.staffReplyConsultation)
	staff.POST("/consultations/:id/close", a.staffCloseConsultation)
}

// ConsultationRequest opens a consultation about a person of the caller's
// household with the team of the person's active contract.
type ConsultationRequest struct {
	PersonID  int64   `json:"person_id" binding:"required,min=1" example:"7"`
	Text      string  `json:"text" binding:"required,min=1,max=2000" example:"孩子这两天咳嗽，夜里比较厉害，需要来医院吗？"`
	UploadIDs []int64 `json:"upload_ids" binding:"max=9,dive,min=1"`
}

// ConsultMessageRequest is one more message.
type ConsultMessageRequest struct {
	Text      string  `json:"text" binding:"required,min=1,max=2000" example:"今天体温 37.8℃"`
	UploadIDs []int64 `json:"upload_ids" binding:"max=9,dive,min=1"`
}

// ConsultPersonDTO is the person a consultation is about.
type ConsultPersonDTO struct {
	ID       int64  `json:"id" example:"7"`
	Name     string `json:"name" example:"小宝"`
	Relation string `json:"relation" example:"child" enums:"self,spouse,child,parent,grandchild,grandparent,sibling,other"`
	Gender   string `json:"gender" example:"female" enums:"male,female,unknown"`
	AgeYears *int   `json:"age_years,omitempty" example:"3"`
}

// ConsultMessageDTO is one message. held: the content check flagged it; it
// is kept for the doctor team with held_reason (never published, never
// dropped).
type ConsultMessageDTO struct {
	ID         int64          `json:"id"`
	Side       string         `json:"side" example:"resident" enums:"resident,staff"`
	Text       string         `json:"text" example:"孩子这两天咳嗽"`
	Held       bool           `json:"held"`
	HeldReason string         `json:"held_reason,omitempty"`
	Images     []PostImageDTO `json:"images"`
	CreatedAt  time.Time      `json:"created_at"`
}

// ConsultationDTO is a conversation with the family-doctor team. unread is
// the caller's side's unread messages; overdue: the team's reply is past
// due_at (the response-time target).
type ConsultationDTO struct {
	ID            int64               `json:"id" example:"12"`
	Status        string              `json:"status" example:"open" enums:"open,answered,closed"`
	Person        ConsultPersonDTO    `json:"person"`
	TeamID        int64               `json:"team_id" example:"1"`
	ClinicID      int64               `json:"clinic_id" example:"3"`
	DueAt         *time.Time          `json:"due_at,omitempty"`
	Overdue       bool                `json:"overdue"`
	Unread        int                 `json:"unread" example:"1"`
	Reopens       int                 `json:"reopens"`
	LastMessageAt time.Time           `json:"last_message_at"`
	ClosedAt      *time.Time          `json:"closed_at,omitempty"`
	CreatedAt     time.Time           `json:"created_at"`
	Messages      []ConsultMessageDTO `json:"messages,omitempty"`
	History       []CareEventDTO      `json:"history,omitempty"`
}

// ConsultationList is a page of consultations.
type ConsultationList struct {
	Items      []ConsultationDTO `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

// ConsultationQuery filters consultations.
type ConsultationQuery struct {
	Status   string `form:"status" binding:"omitempty,oneof=open answered closed"`
	PersonID int64  `form:"person_id" binding:"omitempty,min=1"`
}

func (a *API) toConsultation(v service.ConsultationView, staffSide bool) ConsultationDTO {
	c := v.Consultation
	unread := c.ResidentUnread
	if staffSide {
		unread = c.StaffUnread
	}
	d := ConsultationDTO{ID: c.ID, Status: c.Status, TeamID: c.TeamID, ClinicID: c.ClinicID, DueAt: a.timePtr(c.DueAt),
		Overdue: v.Overdue, Unread: unread, Reopens: c.Reopens, LastMessageAt: a.timeIn(c.LastMessageAt),
		ClosedAt: a.timePtr(c.ClosedAt), CreatedAt: a.timeIn(c.CreatedAt),
		Person: ConsultPersonDTO{ID: v.Person.ID, Name: v.Person.Name, Relation: v.Person.Relation, Gender: v.Person.Gender,
			AgeYears: careAge(v.Person.AgeYears)}}
	for _, m := range v.Messages {
		md := ConsultMessageDTO{ID: m.Message.ID, Side: m.Message.Side, Text: m.Message.Body, Held: m.Message.Held,
			HeldReason: m.Message.HeldReason, CreatedAt: a.timeIn(m.Message.CreatedAt), Images: make([]PostImageDTO, 0, len(m.Images))}
		for _, im := range m.Images {
			md.Images = append(md.Images, PostImageDTO{UploadID: im.ID, URL: im.URL, Width: im.Width, Height: im.Height, Check: im.CheckState})
		}
		d.Messages = append(d.Messages, md)
	}
	for _, e := range v.History {
		d.History = append(d.History, a.toCareEvent(e.FromStatus, e.ToStatus, e.At, e.ByRole, e.Reason))
	}
	return d
}

func (a *API) consultationsOf(c *gin.Context) {
	var q ConsultationQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	pr := principal(c)
	vs, next, err := a.svc.Consultations.List(c.Request.Context(), pr, service.ConsultFilter{Status: q.Status, PersonID: q.PersonID}, p)
	reply(c, http.StatusOK, err, func() any {
		return ConsultationList{Items: listOf(vs, func(v service.ConsultationView) ConsultationDTO {
			return a.toConsultation(v, pr.Scope != service.ScopeSelf)
		}), NextCursor: next}
	})
}

func (a *API) consultationOne(c *gin.Context) {
	pr := principal(c)
	onID(c, http.StatusOK, a.svc.Consultations.Get, func(v service.ConsultationView) ConsultationDTO {
		return a.toConsultation(v, pr.Scope != service.ScopeSelf)
	})
}

func (a *API) consultationWrite(c *gin.Context) {
	var req ConsultMessageRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	pr := principal(c)
	v, err := a.svc.Consultations.Write(c.Request.Context(), pr, id, service.ConsultInput{Text: req.Text, UploadIDs: req.UploadIDs})
	reply(c, http.StatusCreated, err, func() any { return a.toConsultation(v, pr.Scope != service.ScopeSelf) })
}

func (a *API) consultationClose(c *gin.Context) {
	pr := principal(c)
	onID(c, http.StatusOK, a.svc.Consultations.Close, func(v service.ConsultationView) ConsultationDTO {
		return a.toConsultation(v, pr.Scope != service.ScopeSelf)
	})
}

// listConsultations godoc
// @Summary   Consultations (咨询) about the persons of the caller's household, newest first
// @Tags      consultations
// @Produce   json
// @Security  Bearer
// @Param     status    query string false "filter" Enums(open,answered,closed)
// @Param     person_id query int    false "one person"
// @Param     limit     query int    false "page size (1-100, default 20)"
// @Param     cursor    query string false "next_cursor of the previous page"
// @Success   200 {object} ConsultationList
// @Failure   401 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/consultations [get]
func (a *API) listConsultations(c *gin.Context) { a.consultationsOf(c) }

// openConsultation godoc
// @Summary      Ask the family doctor (咨询)
// @Description  About a person of the caller's household covered by an active contract (403 no_contract_team otherwise); the conversation goes to that contract's team. Photos are uploads of purpose consultation. The text passes the content check; a flagged message is never refused or published: it is held for the team with the reason (held, held_reason). The team's reply is due within the configured time (due_at). Send an Idempotency-Key to make retries safe.
// @Tags         consultations
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string false "retry key"
// @Param        body body ConsultationRequest true "the question"
// @Success      201 {object} ConsultationDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse "no_contract_team"
// @Failure      404 {object} ErrorResponse "person not found (or not of your household)"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/consultations [post]
func (a *API) openConsultation(c *gin.Context) {
	var req ConsultationRequest
	if !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Consultations.Open(c.Request.Context(), principal(c),
		service.ConsultInput{PersonID: req.PersonID, Text: req.Text, UploadIDs: req.UploadIDs})
	reply(c, http.StatusCreated, err, func() any { return a.toConsultation(v, false) })
}

// getConsultation godoc
// @Summary   One consultation with its messages and history (marks the team's messages read)
// @Tags      consultations
// @Produce   json
// @Security  Bearer
// @Param     id path int true "consultation id"
// @Success   200 {object} ConsultationDTO
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/consultations/{id} [get]
func (a *API) getConsultation(c *gin.Context) { a.consultationOne(c) }

// writeConsultation godoc
// @Summary      Write again in a consultation
// @Description  An answered consultation becomes open again (the reply is due anew); a closed one reopens when it closed within the reopening time and was reopened fewer times than the limit, otherwise 409 consultation_closed.
// @Tags         consultations
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string false "retry key"
// @Param        id   path int                   true "consultation id"
// @Param        body body ConsultMessageRequest true "the message"
// @Success      201 {object} ConsultationDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "consultation_closed"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/consultations/{id}/messages [post]
func (a *API) writeConsultation(c *gin.Context) { a.consultationWrite(c) }

// closeConsultation godoc
// @Summary   Close a consultation (the question is settled)
// @Tags      consultations
// @Produce   json
// @Security  Bearer
// @Param     id path int true "consultation id"
// @Success   200 {object} ConsultationDTO
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Router    /api/v1/consultations/{id}/close [post]
func (a *API) closeConsultation(c *gin.Context) { a.consultationClose(c) }

// staffListConsultations godoc
// @Summary      Consultations of the caller's doctor teams, most urgent first
// @Description  Only teams the caller is a member of: open ones first by due time (overdue at the top), then answered, then closed; ties by the latest message, then the newest. unread counts the family's unread messages for the team. next_cursor is a position in that order, so a consultation whose status changes between pages moves to its new place and no other is skipped or repeated; an offset cursor of the build before is 422.
// @Tags         consultations
// @Produce      json
// @Security     Bearer
// @Param        status    query string false "filter" Enums(open,answered,closed)
// @Param        person_id query int    false "one person"
// @Param        limit     query int    false "page size (1-100, default 20)"
// @Param        cursor    query string false "next_cursor of the previous page"
// @Success      200 {object} ConsultationList
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/consultations [get]
func (a *API) staffListConsultations(c *gin.Context) { a.consultationsOf(c) }

// staffGetConsultation godoc
// @Summary   One consultation of the caller's teams, with held messages and their reasons
// @Tags      consultations
// @Produce   json
// @Security  Bearer
// @Param     id path int true "consultation id"
// @Success   200 {object} ConsultationDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse "not found, or not a consultation of the caller's teams"
// @Router    /api/v1/staff/consultations/{id} [get]
func (a *API) staffGetConsultation(c *gin.Context) { a.consultationOne(c) }

// staffReplyConsultation godoc
// @Summary      Reply to a consultation (any member of the team)
// @Description  An open consultation becomes answered; the family is notified (subscribe message consultation_replied). A closed one is 409 invalid_transition.
// @Tags         consultations
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string false "retry key"
// @Param        id   path int                   true "consultation id"
// @Param        body body ConsultMessageRequest true "the reply"
// @Success      201 {object} ConsultationDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "invalid_transition"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/consultations/{id}/messages [post]
func (a *API) staffReplyConsultation(c *gin.Context) { a.consultationWrite(c) }

// staffCloseConsultation godoc
// @Summary   Close a consultation of the caller's teams
// @Tags      consultations
// @Produce   json
// @Security  Bearer
// @Param     id path int true "consultation id"
// @Success   200 {object} ConsultationDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Router    /api/v1/staff/consultations/{id}/close [post]
func (a *API) staffCloseConsultation(c *gin.Context) { a.consultationClose(c) }
