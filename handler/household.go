package handler

import (
	"net/http"
	"time"

	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

// Households and persons: an account sees the households it belongs to and
// acts for their persons (all of them as a guardian, itself as self_only);
// staff reach persons within their clinic's work.
func (a *API) householdRoutes(authed, staff *gin.RouterGroup) {
	authed.GET("/households", a.listHouseholds)
	authed.POST("/households", a.idempotent(), a.createHousehold)
	authed.POST("/households/join", a.joinHousehold)
	authed.GET("/households/:id", a.getHousehold)
	authed.PUT("/households/:id", a.renameHousehold)
	authed.POST("/households/:id/invitations", a.inviteToHousehold)
	authed.DELETE("/households/:id/invitations/:code", a.revokeHouseholdInvitation)
	authed.GET("/households/:id/persons", a.listHouseholdPersons)
	authed.POST("/households/:id/persons", a.idempotent(), a.addHouseholdPerson)
	authed.GET("/persons/:id", a.getPerson)
	authed.PUT("/persons/:id", a.updatePerson)
	authed.DELETE("/persons/:id", a.removePerson)
	authed.POST("/persons/:id/link-requests", a.requestLink)
	authed.GET("/link-requests", a.listLinkRequests)
	authed.POST("/link-requests/:id/approve", a.approveLink)
	authed.GET("/me/person", a.mePerson)

	staff.GET("/persons", a.staffFindPersons)
	staff.POST("/households", a.idempotent(), a.staffCreateHousehold)
	staff.GET("/households/:id", a.staffGetHousehold)
	staff.POST("/households/:id/persons", a.idempotent(), a.staffAddPerson)
	staff.POST("/households/:id/invitations", a.staffInvite)
	staff.POST("/persons/:id/verify", a.staffVerifyPerson)
	staff.POST("/link-requests/:id/approve", a.staffApproveLink)
}

// AgeDTO is an age the way a clinic says it.
type AgeDTO struct {
	Days   int `json:"days" example:"213"`
	Months int `json:"months" example:"7"`
	Years  int `json:"years" example:"0"`
	// Text: 12天 for a newborn, 7月龄 under 3 years, 4岁3个月 under 6, 78岁 after.
	Text string `json:"text" example:"7月龄"`
}

// PersonDTO is a person as one household sees them.
type PersonDTO struct {
	ID          int64  `json:"id" example:"7"`
	HouseholdID int64  `json:"household_id" example:"3"`
	Name        string `json:"name" example:"豆豆"`
	Relation    string `json:"relation" example:"grandchild" enums:"self,spouse,child,parent,grandchild,grandparent,sibling,other"`
	Gender      string `json:"gender" example:"male" enums:"male,female,unknown"`
	BirthDate   string `json:"birth_date,omitempty" format:"date" example:"2026-05-01"`
	DueDate     string `json:"due_date,omitempty" format:"date"`
	IDType      string `json:"id_type,omitempty" enums:"resident_id,birth_certificate,hmt_permit,passport"`
	// IDNumberMasked keeps the first and last four characters.
	IDNumberMasked    string        `json:"id_number_masked,omitempty" example:"3307**********1234"`
	Verified          bool          `json:"verified"`
	BirthWeightG      *int          `json:"birth_weight_g,omitempty" example:"3150"`
	BirthWeeks        *int          `json:"birth_weeks,omitempty" example:"39"`
	Age               *AgeDTO       `json:"age,omitempty"`
	Gestation         *GestationDTO `json:"gestation,omitempty"`
	ChronicConditions []string      `json:"chronic_conditions"`
	// Flags: newborn (under 28 days), pregnant, elderly (60+), very_old
	// (80+), chronic, unverified.
	Flags []string `json:"flags"`
}

func toPerson(v service.PersonView) PersonDTO {
	p := v.Person
	d := PersonDTO{ID: p.ID, HouseholdID: v.HouseholdID, Name: p.Name, Relation: v.Relation, Gender: p.Gender,
		BirthDate: p.BirthDate, DueDate: p.DueDate, IDType: p.IDType, IDNumberMasked: p.IDMasked, Verified: p.Verified,
		BirthWeightG: p.BirthWeightG, BirthWeeks: p.BirthWeeks,
		ChronicConditions: p.ChronicConditions, Flags: []string{}}
	if d.ChronicConditions == nil {
		d.ChronicConditions = []string{}
	}
	if v.Age != nil {
		d.Age = &AgeDTO{Days: v.Age.Days, Months: v.Age.Months, Years: v.Age.Years, Text: v.Age.Text}
		switch {
		case v.Age.Days < 28:
			d.Flags = append(d.Flags, "newborn")
		case v.Age.Years >= 80:
			d.Flags = append(d.Flags, "elderly", "very_old")
		case v.Age.Years >= 60:
			d.Flags = append(d.Flags, "elderly")
		}
	}
	if v.Gestation != nil {
		d.Gestation = &GestationDTO{Weeks: v.Gestation.Weeks, Days: v.Gestation.Days, Text: v.Gestation.Text}
		d.Flags = append(d.Flags, "pregnant")
	}
	if len(d.ChronicConditions) > 0 {
		d.Flags = append(d.Flags, "chronic")
	}
	if !p.Verified {
		d.Flags = append(d.Flags, "unverified")
	}
	return d
}

// PersonList is a list of persons.
type PersonList struct {
	Items []PersonDTO `json:"items"`
}

// AccountRefDTO is an account of a household.
type AccountRefDTO struct {
	ID       int64  `json:"id" example:"12"`
	Nickname string `json:"nickname" example:"豆豆奶奶"`
}

// HouseholdMemberDTO is an account's place in a household.
type HouseholdMemberDTO struct {
	Account AccountRefDTO `json:"account"`
	Role    string        `json:"role" enums:"guardian,self_only" example:"guardian"`
	// PersonID: the account is this person of the household.
	PersonID *int64 `json:"person_id,omitempty"`
}

// HouseholdDTO is a household with its accounts and the persons the caller
// sees in it.
type HouseholdDTO struct {
	ID   int64  `json:"id" example:"3"`
	Name string `json:"name" example:"豆豆一家"`
	// Role is the caller's role (empty for staff).
	Role    string               `json:"role,omitempty" enums:"guardian,self_only"`
	Members []HouseholdMemberDTO `json:"members"`
	Persons []PersonDTO          `json:"persons"`
}

func toHousehold(v service.HouseholdView) HouseholdDTO {
	d := HouseholdDTO{ID: v.Household.ID, Name: v.Household.Name, Role: v.Role, Members: []HouseholdMemberDTO{},
		Persons: listOf(v.Persons, toPerson)}
	for _, m := range v.Accounts {
		d.Members = append(d.Members, HouseholdMemberDTO{Account: AccountRefDTO{ID: m.UserID, Nickname: m.Nickname}, Role: m.Role, PersonID: m.PersonID})
	}
	return d
}

// HouseholdList is the caller's households.
type HouseholdList struct {
	Items []HouseholdDTO `json:"items"`
}

// HouseholdRequest names a household.
type HouseholdRequest struct {
	Name string `json:"name" binding:"required,min=1,max=64" example:"豆豆一家"`
}

// listHouseholds godoc
// @Summary      The caller's households
// @Tags         households
// @Produce      json
// @Security     Bearer
// @Success      200 {object} HouseholdList
// @Failure      401 {object} ErrorResponse
// @Router       /api/v1/households [get]
func (a *API) listHouseholds(c *gin.Context) {
	hs, err := a.svc.Households.Households(c.Request.Context(), principal(c))
	reply(c, http.StatusOK, err, func() any { return HouseholdList{Items: listOf(hs, toHousehold)} })
}

// createHousehold godoc
// @Summary      Make a household
// @Description  The caller becomes its guardian. Accepts Idempotency-Key.
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        body body HouseholdRequest true "the household"
// @Success      201 {object} HouseholdDTO
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/households [post]
func (a *API) createHousehold(c *gin.Context) {
	var req HouseholdRequest
	if !bindJSON(c, &req) {
		return
	}
	h, err := a.svc.Households.Create(c.Request.Context(), principal(c), req.Name)
	reply(c, http.StatusCreated, err, func() any { return toHousehold(h) })
}

// getHousehold godoc
// @Summary      One of the caller's households
// @Tags         households
// @Produce      json
// @Security     Bearer
// @Param        id path int true "household id"
// @Success      200 {object} HouseholdDTO
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/households/{id} [get]
func (a *API) getHousehold(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Households.Household, toHousehold)
}

// renameHousehold godoc
// @Summary      Rename a household (guardians)
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int              true "household id"
// @Param        body body HouseholdRequest true "the new name"
// @Success      200 {object} HouseholdDTO
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/households/{id} [put]
func (a *API) renameHousehold(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Households.Rename, func(r HouseholdRequest) string { return r.Name }, toHousehold)
}

// HouseholdInvitationRequest makes a one-time code to join a household.
type HouseholdInvitationRequest struct {
	Role string `json:"role" binding:"required,oneof=guardian self_only" example:"self_only"`
	// PersonID: the joining account becomes this person of the household
	// (required for self_only).
	PersonID *int64 `json:"person_id" binding:"omitempty,min=1" example:"9"`
}

// HouseholdInvitationDTO is a code to join a household; share it or show it as a
// share card. It works once.
type HouseholdInvitationDTO struct {
	Code      string    `json:"code" example:"K7Q2M4XZ9B3DPW6T"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (a *API) toInvitation(inv service.Invitation) HouseholdInvitationDTO {
	return HouseholdInvitationDTO{Code: inv.Code, ExpiresAt: a.timeIn(inv.ExpiresAt)}
}

// inviteToHousehold godoc
// @Summary      Invite an account into a household (guardians)
// @Description  A one-time code valid for 72 hours. With person_id the joining account becomes that person (the father on his own phone sees his contract, orders and hand-over code); self_only accounts see and act only for themselves.
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int               true "household id"
// @Param        body body HouseholdInvitationRequest true "role and person"
// @Success      201 {object} HouseholdInvitationDTO
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/households/{id}/invitations [post]
func (a *API) inviteToHousehold(c *gin.Context) {
	var req HouseholdInvitationRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	inv, err := a.svc.Households.Invite(c.Request.Context(), principal(c), id, req.Role, req.PersonID)
	reply(c, http.StatusCreated, err, func() any { return a.toInvitation(inv) })
}

// revokeHouseholdInvitation godoc
// @Summary      Revoke an unused invitation (guardians)
// @Tags         households
// @Security     Bearer
// @Param        id   path int    true "household id"
// @Param        code path string true "the code"
// @Success      204
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/households/{id}/invitations/{code} [delete]
func (a *API) revokeHouseholdInvitation(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	err := a.svc.Households.RevokeInvitation(c.Request.Context(), principal(c), id, c.Param("code"))
	reply(c, http.StatusNoContent, err, nil)
}

// JoinRequest redeems an invitation.
type JoinRequest struct {
	Code string `json:"code" binding:"required,min=8,max=64" example:"K7Q2M4XZ9B3DPW6T"`
}

// joinHousehold godoc
// @Summary      Join a household with an invitation code
// @Description  A code works once (404 invitation_invalid when wrong, used, revoked or expired); 409 already_in_household.
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        body body JoinRequest true "the code"
// @Success      200 {object} HouseholdDTO
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Router       /api/v1/households/join [post]
func (a *API) joinHousehold(c *gin.Context) {
	var req JoinRequest
	if !bindJSON(c, &req) {
		return
	}
	h, err := a.svc.Households.Join(c.Request.Context(), principal(c), req.Code)
	reply(c, http.StatusOK, err, func() any { return toHousehold(h) })
}

// listHouseholdPersons godoc
// @Summary      The persons of one of the caller's households
// @Description  All of them for a guardian; a self_only account sees itself.
// @Tags         households
// @Produce      json
// @Security     Bearer
// @Param        id path int true "household id"
// @Success      200 {object} PersonList
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/households/{id}/persons [get]
func (a *API) listHouseholdPersons(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Households.PersonsOf, func(ps []service.PersonView) PersonList {
		return PersonList{Items: listOf(ps, toPerson)}
	})
}

// PersonRequest changes a person (absent fields stay); PersonCreateRequest
// adds one.
type PersonRequest struct {
	Name              *string   `json:"name" binding:"omitempty,min=1,max=64" example:"豆豆"`
	Relation          *string   `json:"relation" binding:"omitempty,oneof=self spouse child parent grandchild grandparent sibling other" example:"grandchild"`
	Gender            *string   `json:"gender" binding:"omitempty,oneof=male female unknown" example:"male"`
	BirthDate         *string   `json:"birth_date" example:"2026-05-01"`
	DueDate           *string   `json:"due_date" example:""`
	ChronicConditions *[]string `json:"chronic_conditions" binding:"omitempty,max=20,dive,min=1,max=64"`
	IDType            *string   `json:"id_type" binding:"omitempty,oneof=resident_id birth_certificate hmt_permit passport" example:"resident_id"`
	// IDNumber is stored encrypted and answered masked; a resident ID's check
	// digit, birth date and sex must agree (422 invalid_id_number).
	IDNumber *string `json:"id_number" binding:"omitempty,max=32" example:"330726202605010017"`
	// BirthWeightG (grams) and BirthWeeks (gestational age at birth) are a
	// child's birth record: under 37 weeks is 早产, under 2500 g 低出生体重
	// (flags of the growth answer); 0 clears.
	BirthWeightG *int `json:"birth_weight_g" binding:"omitempty,min=0,max=7000" example:"3150"`
	BirthWeeks   *int `json:"birth_weeks" binding:"omitempty,min=0,max=45" example:"39"`
}

// PersonCreateRequest adds a person: name and relation are required.
type PersonCreateRequest struct {
	Name              *string   `json:"name" binding:"omitempty,min=1,max=64" validate:"required" example:"豆豆"`
	Relation          *string   `json:"relation" binding:"omitempty,oneof=self spouse child parent grandchild grandparent sibling other" validate:"required" example:"grandchild"`
	Gender            *string   `json:"gender" binding:"omitempty,oneof=male female unknown" example:"male"`
	BirthDate         *string   `json:"birth_date" example:"2026-05-01"`
	DueDate           *string   `json:"due_date" example:""`
	ChronicConditions *[]string `json:"chronic_conditions" binding:"omitempty,max=20,dive,min=1,max=64"`
	IDType            *string   `json:"id_type" binding:"omitempty,oneof=resident_id birth_certificate hmt_permit passport" example:"resident_id"`
	// IDNumber is stored encrypted and answered masked; a resident ID's check
	// digit, birth date and sex must agree (422 invalid_id_number).
	IDNumber *string `json:"id_number" binding:"omitempty,max=32" example:"330726202605010017"`
	// BirthWeightG (grams) and BirthWeeks (gestational age at birth) are a
	// child's birth record: under 37 weeks is 早产, under 2500 g 低出生体重
	// (flags of the growth answer); 0 clears.
	BirthWeightG *int `json:"birth_weight_g" binding:"omitempty,min=0,max=7000" example:"3150"`
	BirthWeeks   *int `json:"birth_weeks" binding:"omitempty,min=0,max=45" example:"39"`
}

// input: the conversion fails to compile when PersonRequest gains a field
// this type lacks, so the two stay the same but for required.
func (r PersonCreateRequest) input() service.PersonInput { return PersonRequest(r).input() }

func (r PersonRequest) input() service.PersonInput {
	return service.PersonInput{Name: r.Name, Relation: r.Relation, Gender: r.Gender, BirthDate: r.BirthDate, DueDate: r.DueDate,
		ChronicConditions: r.ChronicConditions, IDType: r.IDType, IDNumber: r.IDNumber, BirthWeightG: r.BirthWeightG, BirthWeeks: r.BirthWeeks}
}

// addHouseholdPerson godoc
// @Summary      Add a person to a household (guardians)
// @Description  A person whose identity number is already known is not made twice: 409 person_exists, details.person_id and details.link_request (POST /persons/{id}/link-requests). Accepts Idempotency-Key.
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int           true "household id"
// @Param        body body PersonCreateRequest true "the person"
// @Success      201 {object} PersonDTO
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/households/{id}/persons [post]
func (a *API) addHouseholdPerson(c *gin.Context) {
	var req PersonCreateRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Households.AddPerson(c.Request.Context(), principal(c), id, service.AddPersonInput{PersonInput: req.input()})
	reply(c, http.StatusCreated, err, func() any { return toPerson(v) })
}

// getPerson godoc
// @Summary      A person the caller acts for
// @Tags         households
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Success      200 {object} PersonDTO
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/persons/{id} [get]
func (a *API) getPerson(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Households.Person, toPerson)
}

// updatePerson godoc
// @Summary      Change a person the caller acts for
// @Description  A verified person's name, birth date and identity are changed at the clinic (422).
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int           true "person id"
// @Param        body body PersonRequest true "fields to change"
// @Success      200 {object} PersonDTO
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/persons/{id} [put]
func (a *API) updatePerson(c *gin.Context) {
	var req PersonRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Households.UpdatePerson(c.Request.Context(), principal(c), id, req.input())
	reply(c, http.StatusOK, err, func() any { return toPerson(v) })
}

// removePerson godoc
// @Summary      Take a person out of the caller's households
// @Description  The person's record and history stay with the clinic; 409 member_has_active_bookings or member_suspended.
// @Tags         households
// @Security     Bearer
// @Param        id path int true "person id"
// @Success      204
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Router       /api/v1/persons/{id} [delete]
func (a *API) removePerson(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	err := a.svc.Households.RemovePerson(c.Request.Context(), principal(c), id)
	reply(c, http.StatusNoContent, err, nil)
}

// LinkRequestBody asks to add a person known elsewhere to a household; the
// identity document proves the caller knows the person.
type LinkRequestBody struct {
	HouseholdID int64  `json:"household_id" binding:"required,min=1" example:"3"`
	Relation    string `json:"relation" binding:"required,oneof=self spouse child parent grandchild grandparent sibling other" example:"grandchild"`
	IDType      string `json:"id_type" binding:"required,oneof=resident_id birth_certificate hmt_permit passport" example:"resident_id"`
	IDNumber    string `json:"id_number" binding:"required,max=32" example:"330726202605010017"`
}

// LinkRequestDTO is a request to link a person to a household.
type LinkRequestDTO struct {
	ID          int64     `json:"id" example:"5"`
	PersonID    int64     `json:"person_id" example:"7"`
	HouseholdID int64     `json:"household_id" example:"3"`
	Relation    string    `json:"relation" example:"grandchild" enums:"self,spouse,child,parent,grandchild,grandparent,sibling,other"`
	Status      string    `json:"status" enums:"pending,approved,rejected" example:"pending"`
	CreatedAt   time.Time `json:"created_at"`
}

// LinkRequestList is a list of link requests.
type LinkRequestList struct {
	Items []LinkRequestDTO `json:"items"`
}

func (a *API) toLinkRequest(l model.LinkRequest) LinkRequestDTO {
	return LinkRequestDTO{ID: l.ID, PersonID: l.PersonID, HouseholdID: l.HouseholdID, Relation: l.Relation, Status: l.Status,
		CreatedAt: a.timeIn(l.CreatedAt)}
}

// requestLink godoc
// @Summary      Ask to add a person known to another household
// @Description  After 409 person_exists. A guardian of a household holding the person, or staff at the counter, approves it. 404 when the document does not match the person.
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int             true "person id"
// @Param        body body LinkRequestBody true "household, relation, document"
// @Success      201 {object} LinkRequestDTO
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/persons/{id}/link-requests [post]
func (a *API) requestLink(c *gin.Context) {
	var req LinkRequestBody
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	l, err := a.svc.Households.RequestLink(c.Request.Context(), principal(c), id, req.HouseholdID, req.Relation, req.IDType, req.IDNumber)
	reply(c, http.StatusCreated, err, func() any { return a.toLinkRequest(l) })
}

// listLinkRequests godoc
// @Summary      Pending link requests for persons the caller acts for
// @Tags         households
// @Produce      json
// @Security     Bearer
// @Success      200 {object} LinkRequestList
// @Router       /api/v1/link-requests [get]
func (a *API) listLinkRequests(c *gin.Context) {
	ls, err := a.svc.Households.LinkRequests(c.Request.Context(), principal(c))
	reply(c, http.StatusOK, err, func() any { return LinkRequestList{Items: listOf(ls, a.toLinkRequest)} })
}

// approveLink godoc
// @Summary      Approve a link request (a guardian of a household holding the person)
// @Tags         households
// @Produce      json
// @Security     Bearer
// @Param        id path int true "link request id"
// @Success      200 {object} LinkRequestDTO
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Router       /api/v1/link-requests/{id}/approve [post]
func (a *API) approveLink(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Households.ApproveLink, a.toLinkRequest)
}

// staffApproveLink godoc
// @Summary      Approve a link request at the counter (staff)
// @Description  For a person within the clinic's reach, after checking the documents.
// @Tags         households
// @Produce      json
// @Security     Bearer
// @Param        id path int true "link request id"
// @Success      200 {object} LinkRequestDTO
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Router       /api/v1/staff/link-requests/{id}/approve [post]
func (a *API) staffApproveLink(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Households.ApproveLink, a.toLinkRequest)
}

// mePerson godoc
// @Summary      The person the caller's own account is
// @Description  The father on his own phone: his record, through which he sees his contract, orders and hand-over code. 404 when the account is nobody's person yet.
// @Tags         households
// @Produce      json
// @Security     Bearer
// @Success      200 {object} PersonDTO
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/me/person [get]
func (a *API) mePerson(c *gin.Context) {
	v, err := a.svc.Households.MePerson(c.Request.Context(), principal(c))
	reply(c, http.StatusOK, err, func() any { return toPerson(v) })
}

// StaffPersonDTO is a person as a nurse needs them.
type StaffPersonDTO struct {
	PersonDTO
	GuardianName string `json:"guardian_name" example:"王丽"`
	// GuardianPhoneMasked is the guardian's phone, masked.
	GuardianPhoneMasked string `json:"guardian_phone_masked" example:"138****1234"`
}

// StaffPersonList is the answer of a staff lookup.
type StaffPersonList struct {
	Items []StaffPersonDTO `json:"items"`
}

func toStaffPerson(v service.StaffPersonView) StaffPersonDTO {
	return StaffPersonDTO{PersonDTO: toPerson(v.PersonView), GuardianName: v.GuardianName, GuardianPhoneMasked: v.GuardianPhone}
}

// PersonQueryRequest finds persons at the counter.
type PersonQueryRequest struct {
	IDType    string `form:"id_type" binding:"omitempty,oneof=resident_id birth_certificate hmt_permit passport"`
	IDNumber  string `form:"id_number" binding:"max=32"`
	Phone     string `form:"phone" binding:"max=20"`
	Name      string `form:"name" binding:"max=64"`
	BirthDate string `form:"birth_date" binding:"omitempty,datetime=2006-01-02"`
}

// staffFindPersons godoc
// @Summary      Find a person (staff)
// @Description  By identity number (exact), by a guardian's phone, or by name and birth date; only persons within the clinic's reach (a booking at it, a contract with it, a household it made); at most 20.
// @Tags         households
// @Produce      json
// @Security     Bearer
// @Param        id_type    query string false "resident_id (default)" Enums(resident_id,birth_certificate,hmt_permit,passport)
// @Param        id_number  query string false "identity number"
// @Param        phone      query string false "a guardian's phone"
// @Param        name       query string false "name (with birth_date)"
// @Param        birth_date query string false "YYYY-MM-DD (with name)"
// @Success      200 {object} StaffPersonList
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/persons [get]
func (a *API) staffFindPersons(c *gin.Context) {
	var req PersonQueryRequest
	if !bindQuery(c, &req) {
		return
	}
	ps, err := a.svc.Households.FindPersons(c.Request.Context(), principal(c), service.PersonQuery{IDType: req.IDType,
		IDNumber: req.IDNumber, Phone: req.Phone, Name: req.Name, BirthDate: req.BirthDate})
	reply(c, http.StatusOK, err, func() any { return StaffPersonList{Items: listOf(ps, toStaffPerson)} })
}

// staffCreateHousehold godoc
// @Summary      Make a household for a resident without WeChat (staff)
// @Description  Held by the caller's clinic until an invitation (POST /staff/households/{id}/invitations) hands it to an account. Accepts Idempotency-Key.
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        body body HouseholdRequest true "the household"
// @Success      201 {object} HouseholdDTO
// @Failure      403 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/households [post]
func (a *API) staffCreateHousehold(c *gin.Context) { a.createHousehold(c) }

// staffGetHousehold godoc
// @Summary      A household the caller's clinic made (staff)
// @Tags         households
// @Produce      json
// @Security     Bearer
// @Param        id path int true "household id"
// @Success      200 {object} HouseholdDTO
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/staff/households/{id} [get]
func (a *API) staffGetHousehold(c *gin.Context) { a.getHousehold(c) }

// StaffPersonRequest adds a person at the counter: a new one, or with
// person_id and the document in hand a person known elsewhere.
type StaffPersonRequest struct {
	PersonRequest
	PersonID *int64 `json:"person_id" binding:"omitempty,min=1"`
}

// staffAddPerson godoc
// @Summary      Add a person to a household the clinic made (staff)
// @Description  A person with a document staff hold is verified. With person_id (after 409 person_exists) the known person is linked; id_type and id_number must match (404 otherwise). Accepts Idempotency-Key.
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int                true "household id"
// @Param        body body StaffPersonRequest true "the person"
// @Success      201 {object} PersonDTO
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/households/{id}/persons [post]
func (a *API) staffAddPerson(c *gin.Context) {
	var req StaffPersonRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Households.AddPerson(c.Request.Context(), principal(c), id,
		service.AddPersonInput{PersonInput: req.input(), PersonID: req.PersonID})
	reply(c, http.StatusCreated, err, func() any { return toPerson(v) })
}

// staffInvite godoc
// @Summary      Hand a household the clinic made to an account (staff)
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int               true "household id"
// @Param        body body HouseholdInvitationRequest true "role and person"
// @Success      201 {object} HouseholdInvitationDTO
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/households/{id}/invitations [post]
func (a *API) staffInvite(c *gin.Context) { a.inviteToHousehold(c) }

// VerifyRequest is the document staff checked.
type VerifyRequest struct {
	IDType   string `json:"id_type" binding:"required,oneof=resident_id birth_certificate hmt_permit passport" example:"resident_id"`
	IDNumber string `json:"id_number" binding:"required,max=32" example:"330726202605010017"`
}

// staffVerifyPerson godoc
// @Summary      Verify a person's identity at the counter (staff)
// @Description  Records the document and marks the person verified (实名); 409 person_exists when the number belongs to another person; 422 invalid_id_number.
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int           true "person id"
// @Param        body body VerifyRequest true "the document"
// @Success      200 {object} StaffPersonDTO
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/persons/{id}/verify [post]
func (a *API) staffVerifyPerson(c *gin.Context) {
	var req VerifyRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Households.Verify(c.Request.Context(), principal(c), id, req.IDType, req.IDNumber)
	reply(c, http.StatusOK, err, func() any { return toStaffPerson(v) })
}
