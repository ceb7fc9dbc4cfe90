package handler

import (
	"net/http"
	"time"

	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) contractRoutes(public, authed, staff *gin.RouterGroup) {
	public.GET("/doctor-teams", a.listDoctorTeams)

	authed.POST("/family-contracts", a.idempotent(), a.applyContract)
	authed.GET("/family-contracts", a.listContracts)
	authed.GET("/family-contracts/:id", a.getContract)
	authed.POST("/family-contracts/:id/renew", a.idempotent(), a.renewContract)
	authed.POST("/family-contracts/:id/terminate", a.terminateContract)

	staff.POST("/family-contracts", a.idempotent(), a.staffApplyContract)
	staff.GET("/family-contracts", a.staffListContracts)
	staff.GET("/family-contracts/:id", a.staffGetContract)
	staff.POST("/family-contracts/:id/approve", a.approveContract)
	staff.POST("/family-contracts/:id/reject", a.rejectContract)
	staff.POST("/family-contracts/:id/terminate", a.staffTerminateContract)
	staff.GET("/stats/family-doctor", a.familyDoctorStats)

}

// ---- doctor teams ----

// TeamDoctorDTO is one person of a family-doctor team.
type TeamDoctorDTO struct {
	ID    int64  `json:"id"`
	Name  string `json:"name" example:"赵立新"`
	Title string `json:"title" example:"全科主治医师"`
	Role  string `json:"role" example:"lead_doctor" enums:"lead_doctor,doctor,nurse,public_health,pharmacist,child_health"`
}

// DoctorTeamDTO is a family-doctor team with its doctors.
type DoctorTeamDTO struct {
	ID          int64           `json:"id" example:"1"`
	Name        string          `json:"name" example:"石桥镇家庭医生一团队"`
	ClinicID    int64           `json:"clinic_id" example:"3"`
	Description string          `json:"description"`
	Doctors     []TeamDoctorDTO `json:"doctors"`
}

// DoctorTeamList is a page of doctor teams.
type DoctorTeamList struct {
	Items      []DoctorTeamDTO `json:"items"`
	NextCursor string          `json:"next_cursor"`
}

// DoctorTeamQuery filters doctor teams.
type DoctorTeamQuery struct {
	ClinicID int64 `form:"clinic_id" binding:"omitempty,min=1"`
}

func toDoctorTeam(v service.TeamView) DoctorTeamDTO {
	d := DoctorTeamDTO{ID: v.Team.ID, Name: v.Team.Name, ClinicID: v.Team.ClinicID, Description: v.Team.Description,
		Doctors: make([]TeamDoctorDTO, 0, len(v.Doctors))}
	for _, doc := range v.Doctors {
		d.Doctors = append(d.Doctors, TeamDoctorDTO{ID: doc.ID, Name: doc.Name, Title: doc.Title, Role: doc.Role})
	}
	return d
}

// listDoctorTeams godoc
// @Summary  Family-doctor teams (家庭医生团队) with their doctors
// @Tags     family-doctor
// @Produce  json
// @Param    clinic_id query int    false "only this clinic's teams"
// @Param    limit     query int    false "page size (1-100, default 20)"
// @Param    cursor    query string false "next_cursor of the previous page"
// @Success  200 {object} DoctorTeamList
// @Failure  422 {object} ErrorResponse
// @Router   /api/v1/doctor-teams [get]
func (a *API) listDoctorTeams(c *gin.Context) {
	var q DoctorTeamQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	teams, next, err := a.svc.Contracts.Teams(c.Request.Context(), q.ClinicID, p)
	if err != nil {
		fail(c, err)
		return
	}
	out := DoctorTeamList{Items: make([]DoctorTeamDTO, 0, len(teams)), NextCursor: next}
	for _, t := range teams {
		out.Items = append(out.Items, toDoctorTeam(t))
	}
	ok(c, out)
}

// ---- contracts ----

// ContractTeamDTO names the team of a contract.
type ContractTeamDTO struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	ClinicID int64  `json:"clinic_id"`
}

// ContractMemberDTO is a family member covered by a contract.
type ContractMemberDTO struct {
	MemberID          int64    `json:"member_id" example:"7"`
	Name              string   `json:"name" example:"张桂兰"`
	Relation          string   `json:"relation" example:"parent" enums:"self,spouse,child,parent,grandchild,grandparent,sibling,other"`
	Gender            string   `json:"gender" example:"female" enums:"male,female,unknown"`
	AgeYears          *int     `json:"age_years,omitempty" example:"72"`
	ChronicConditions []string `json:"chronic_conditions"`
	// AppliedBy: self (the member applied), relative (a relative applied
	// on their behalf) or staff.
	AppliedBy string `json:"applied_by" enums:"self,relative,staff"`
	// Covered is true while this contract is the member's active one.
	Covered bool `json:"covered"`
}

// ContractDTO is a whole-family family-doctor contract.
type ContractDTO struct {
	ID     int64  `json:"id" example:"12"`
	Status string `json:"status" example:"active" enums:"pending,scheduled,active,rejected,terminated,expired"`
	// AppliedBy: self (the applicant's own member is covered), relative
	// (the applicant acted only for relatives) or staff (on the family's
	// behalf).
	AppliedBy  string              `json:"applied_by" enums:"self,relative,staff"`
	Team       ContractTeamDTO     `json:"team"`
	ClinicID   int64               `json:"clinic_id" example:"3"`
	Members    []ContractMemberDTO `json:"members"`
	ValidFrom  string              `json:"valid_from,omitempty" example:"2026-11-23"`
	ValidUntil string              `json:"valid_until,omitempty" example:"2027-11-23"`
	// RenewsID is the contract this one renews; RenewedByID its renewal.
	RenewsID    *int64 `json:"renews_id,omitempty"`
	RenewedByID *int64 `json:"renewed_by_id,omitempty"`
	// Packages: the service packages (服务包) signed, basic public health first.
	Packages []string `json:"packages" example:"basic_public_health,elderly_care"`
	// AgreementVersion: the agreement text version the family accepted ("" before versions were recorded).
	AgreementVersion string `json:"agreement_version" example:"2026.1"`
	// ResponsibleDoctorID: the team member responsible for the family (user id; omitted when none).
	ResponsibleDoctorID *int64 `json:"responsible_doctor_id,omitempty" example:"41"`
	// ResponsibleDoctor names that team member (omitted when none).
	ResponsibleDoctor *ResponsibleDoctorDTO `json:"responsible_doctor,omitempty"`
	Reason            string                `json:"reason,omitempty"`
	DecidedAt         *time.Time            `json:"decided_at,omitempty"`
	RemindedAt        *time.Time            `json:"reminded_at,omitempty"`
	CreatedAt         time.Time             `json:"created_at"`
	History           []CareEventDTO        `json:"history"`
}

// ResponsibleDoctorDTO is the team member responsible for a family.
type ResponsibleDoctorDTO struct {
	// ID is the staff account's user id.
	ID   int64  `json:"id" example:"41"`
	Name string `json:"name" example:"赵立新"`
	// Title is the member's role in the team as families read it (empty
	// when the account has left the team since).
	Title string `json:"title" example:"家庭医生团队长"`
	// Role is the member's role in the team (omitted when it has left).
	Role string `json:"role,omitempty" example:"lead" enums:"lead,doctor,nurse,public_health,pharmacist,child_health"`
}

// ContractList is a page of contracts.
type ContractList struct {
	Items      []ContractDTO `json:"items"`
	NextCursor string        `json:"next_cursor"`
}

func (a *API) toContract(v service.ContractView) ContractDTO {
	c := v.Contract
	d := ContractDTO{ID: c.ID, Status: c.Status, AppliedBy: c.AppliedBy, ClinicID: c.ClinicID,
		Team:      ContractTeamDTO{ID: v.Team.ID, Name: v.Team.Name, ClinicID: v.Team.ClinicID},
		ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil, RenewsID: c.RenewsID, RenewedByID: c.RenewedByID,
		Packages: nonNil(c.Packages), AgreementVersion: c.AgreementVersion, ResponsibleDoctorID: nonZero(c.ResponsibleDoctorID),
		Reason: c.Reason, DecidedAt: a.timePtr(c.DecidedAt), RemindedAt: a.timePtr(c.RemindedAt), CreatedAt: a.timeIn(c.CreatedAt),
		Members: make([]ContractMemberDTO, 0, len(v.Members)), History: make([]CareEventDTO, 0, len(v.History))}
	if doc := v.Doctor; doc != nil {
		d.ResponsibleDoctor = &ResponsibleDoctorDTO{ID: doc.UserID, Name: doc.Name, Title: doc.Title, Role: doc.Role}
	}
	for _, m := range v.Members {
		d.Members = append(d.Members, ContractMemberDTO{MemberID: m.ID, Name: m.Name, Relation: m.Relation, Gender: m.Gender,
			AgeYears: careAge(m.AgeYears), ChronicConditions: careStrings(m.ChronicConditions), AppliedBy: m.AppliedBy, Covered: m.Covered})
	}
	for _, e := range v.History {
		d.History = append(d.History, a.toCareEvent(e.FromStatus, e.ToStatus, e.At, e.ByRole, e.Reason))
	}
	return d
}

func (a *API) toContractList(vs []service.ContractView, next string) ContractList {
	return ContractList{Items: listOf(vs, a.toContract), NextCursor: next}
}

// ContractApplyRequest applies for a whole-family contract: several members
// of the caller's family (themselves, parents, children) with one team.
// packages names optional service packages of the team's clinic (basic
// public health is always included); agreement_version is the version of
// the agreement text the family accepted; responsible_doctor_id a member
// of the team (default: the team's lead).
type ContractApplyRequest struct {
	TeamID              int64    `json:"team_id" binding:"required,min=1" example:"1"`
	MemberIDs           []int64  `json:"member_ids" binding:"required,min=1,max=20,dive,min=1"`
	Packages            []string `json:"packages" binding:"max=10,dive,max=32" example:"elderly_care"`
	AgreementVersion    string   `json:"agreement_version" binding:"max=32" example:"2026.1"`
	ResponsibleDoctorID int64    `json:"responsible_doctor_id" binding:"omitempty,min=1" example:"41"`
}

func (r ContractApplyRequest) input() service.ContractApplyInput {
	return service.ContractApplyInput{TeamID: r.TeamID, MemberIDs: r.MemberIDs, Packages: r.Packages,
		AgreementVersion: r.AgreementVersion, ResponsibleDoctorID: r.ResponsibleDoctorID}
}

// ContractApproveRequest settles what staff may at approval; an empty
// body approves as signed.
type ContractApproveRequest struct {
	// ResponsibleDoctorID: a member of the contract's team (user id) made
	// responsible for the family; omitted keeps the one named at signing.
	ResponsibleDoctorID int64 `json:"responsible_doctor_id" binding:"omitempty,min=1" example:"41"`
}

func (r ContractApproveRequest) input() (service.ContractApproveInput, error) {
	return service.ContractApproveInput{ResponsibleDoctorID: r.ResponsibleDoctorID}, nil
}

// ContractReasonRequest gives the reason of a rejection or termination.
type ContractReasonRequest struct {
	Reason string `json:"reason" binding:"required,min=1,max=255" example:"搬离本镇"`
}

// ContractListQuery filters contracts.
type ContractListQuery struct {
	Status string `form:"status" binding:"omitempty,oneof=pending scheduled active rejected terminated expired"`
}

// applyContract godoc
// @Summary      Apply for a whole-family family-doctor contract (组团式签约)
// @Description  The caller applies for several of their family members at once (themselves and/or relatives: applied_by records which). The contract is pending until staff of the team's clinic approve; they are notified. A member covered by an active contract is 409 member_already_contracted (details name the member). The contract names its service packages (basic_public_health always, plus optional active packages of the team's clinic in packages, from GET /service-packages), the agreement_version the family accepted (a published version, from GET /agreement-versions/current; without one the current version is recorded) and the responsible_doctor_id (a member of the team; default the team's lead); 422 on the field for an unknown or retired package, a version never published, or a doctor outside the team. Send an Idempotency-Key to make retries safe.
// @Tags         family-doctor
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string false "retry key"
// @Param        body body ContractApplyRequest true "team and members"
// @Success      201 {object} ContractDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse "team or member not found (or not yours)"
// @Failure      409 {object} ErrorResponse "member_already_contracted"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/family-contracts [post]
func (a *API) applyContract(c *gin.Context) { a.contractApply(c) }

// contractApply applies for the caller's family (resident routes) or on a
// family's behalf (staff routes).
func (a *API) contractApply(c *gin.Context) {
	var req ContractApplyRequest
	if !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Contracts.Apply(c.Request.Context(), principal(c), req.input())
	reply(c, http.StatusCreated, err, func() any { return a.toContract(v) })
}

// listContracts godoc
// @Summary   The caller's family's contracts, newest first
// @Tags      family-doctor
// @Produce   json
// @Security  Bearer
// @Param     status query string false "filter" Enums(pending,scheduled,active,rejected,terminated,expired)
// @Param     limit  query int    false "page size (1-100, default 20)"
// @Param     cursor query string false "next_cursor of the previous page"
// @Success   200 {object} ContractList
// @Failure   401 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/family-contracts [get]
func (a *API) listContracts(c *gin.Context) { a.contracts(c) }

// contracts lists the contracts in the caller's scope.
func (a *API) contracts(c *gin.Context) {
	var q ContractListQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	vs, next, err := a.svc.Contracts.List(c.Request.Context(), principal(c), q.Status, p)
	reply(c, http.StatusOK, err, func() any { return a.toContractList(vs, next) })
}

// getContract godoc
// @Summary   One of the caller's family's contracts, with history
// @Tags      family-doctor
// @Produce   json
// @Security  Bearer
// @Param     id path int true "contract id"
// @Success   200 {object} ContractDTO
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/family-contracts/{id} [get]
func (a *API) getContract(c *gin.Context) { onID(c, http.StatusOK, a.svc.Contracts.Get, a.toContract) }

// renewContract godoc
// @Summary      Renew a contract for the next period (续约)
// @Description  For an active contract or one expired at most 90 days ago: applies (pending, staff approve) for the same team and the members still in the family. Once approved the new period starts the day after the old one ends, without a gap (scheduled until then). The renewal carries over the packages, agreement version and responsible doctor. One open renewal per contract (409 contract_already_renewed); older expiry: 409 renewal_window_closed.
// @Tags         family-doctor
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string false "retry key"
// @Param        id path int true "contract id"
// @Success      201 {object} ContractDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "invalid_transition, contract_already_renewed, renewal_window_closed, member_already_contracted"
// @Router       /api/v1/family-contracts/{id}/renew [post]
func (a *API) renewContract(c *gin.Context) {
	onID(c, http.StatusCreated, a.svc.Contracts.Renew, a.toContract)
}

// terminateContract godoc
// @Summary      End an active (or scheduled) contract of the caller's family (解约)
// @Description  A scheduled renewal of it ends too.
// @Tags         family-doctor
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int                   true "contract id"
// @Param        body body ContractReasonRequest true "why"
// @Success      200 {object} ContractDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "invalid_transition"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/family-contracts/{id}/terminate [post]
func (a *API) terminateContract(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Contracts.Terminate, func(r ContractReasonRequest) string { return r.Reason }, a.toContract)
}

// staffApplyContract godoc
// @Summary      Apply on a family's behalf (staff, e.g. for an elderly resident who phoned in)
// @Description  All members must belong to one family; the team must be of the caller's clinic (admin: any). applied_by is staff. The family is notified; approval is still needed.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string false "retry key"
// @Param        body body ContractApplyRequest true "team and members"
// @Success      201 {object} ContractDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "member_already_contracted"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/family-contracts [post]
func (a *API) staffApplyContract(c *gin.Context) { a.contractApply(c) }

// staffListContracts godoc
// @Summary   Contracts of the caller's clinic (admin: all), oldest first
// @Tags      staff
// @Produce   json
// @Security  Bearer
// @Param     status query string false "filter (pending: the approval queue)" Enums(pending,scheduled,active,rejected,terminated,expired)
// @Param     limit  query int    false "page size (1-100, default 20)"
// @Param     cursor query string false "next_cursor of the previous page"
// @Success   200 {object} ContractList
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/family-contracts [get]
func (a *API) staffListContracts(c *gin.Context) { a.contracts(c) }

// staffGetContract godoc
// @Summary   One contract of the caller's clinic
// @Tags      staff
// @Produce   json
// @Security  Bearer
// @Param     id path int true "contract id"
// @Success   200 {object} ContractDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/staff/family-contracts/{id} [get]
func (a *API) staffGetContract(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Contracts.Get, a.toContract)
}

// approveContract godoc
// @Summary      Approve a pending contract
// @Description  pending → active, valid from today for one year (valid_until one year on). With REAL_NAME_FOR_CARE (on in prod) every person must be verified first (POST /staff/persons/{id}/verify), else 422 person_not_verified. A renewal starts the day after its predecessor ends: scheduled until then. 409 member_already_contracted when a member got another active contract meanwhile (details name the member). responsible_doctor_id (optional) makes another member of the contract's team responsible for the family; anyone else is 422 on the field.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int                    true  "contract id"
// @Param        body body ContractApproveRequest false "optional: the responsible doctor"
// @Success      200 {object} ContractDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "invalid_transition, member_already_contracted"
// @Failure      422 {object} ErrorResponse "invalid_request (responsible_doctor_id outside the team), person_not_verified (REAL_NAME_FOR_CARE: verify the person's document first)"
// @Router       /api/v1/staff/family-contracts/{id}/approve [post]
func (a *API) approveContract(c *gin.Context) {
	onIDInput[ContractApproveRequest](c, http.StatusOK, a.svc.Contracts.Approve, a.toContract)
}

// rejectContract godoc
// @Summary   Reject a pending contract with a reason
// @Tags      staff
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int                   true "contract id"
// @Param     body body ContractReasonRequest true "why"
// @Success   200 {object} ContractDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/family-contracts/{id}/reject [post]
func (a *API) rejectContract(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Contracts.Reject, func(r ContractReasonRequest) string { return r.Reason }, a.toContract)
}

// staffTerminateContract godoc
// @Summary   End an active (or scheduled) contract of the caller's clinic
// @Tags      staff
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int                   true "contract id"
// @Param     body body ContractReasonRequest true "why"
// @Success   200 {object} ContractDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/family-contracts/{id}/terminate [post]
func (a *API) staffTerminateContract(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Contracts.Terminate, func(r ContractReasonRequest) string { return r.Reason }, a.toContract)
}

// ---- coverage figures ----

// FamilyDoctorStatsQuery picks the clinic of the figures and the format.
type FamilyDoctorStatsQuery struct {
	ClinicID int64  `form:"clinic_id" binding:"omitempty,min=1"`
	Format   string `form:"format" binding:"omitempty,oneof=json xlsx"`
}

// MedicineOrderCountsDTO counts medicine orders by status.
type MedicineOrderCountsDTO struct {
	Requested  int64 `json:"requested"`
	Approved   int64 `json:"approved"`
	Dispatched int64 `json:"dispatched"`
	Delivered  int64 `json:"delivered"`
	Rejected   int64 `json:"rejected"`
	Cancelled  int64 `json:"cancelled"`
}

// FamilyDoctorStatsDTO are the family-doctor figures of the caller's
// scope: the coverage of key elderly persons in the catchments (the
// figures of GET /staff/stats/coverage) and the contract and medicine
// delivery work of the clinics.
type FamilyDoctorStatsDTO struct {
	// ClinicID: the clinic asked for (absent: the caller's scope).
	ClinicID int64  `json:"clinic_id,omitempty" example:"3"`
	AsOf     string `json:"as_of" format:"date" example:"2026-11-23"`
	Month    string `json:"month" example:"2026-11"`
	// ClinicIDs: the clinics whose contracts and orders are counted (a
	// branch with its stations); absent for an admin without clinic_id
	// (every clinic).
	ClinicIDs []int64 `json:"clinic_ids,omitempty" example:"3,5"`
	// Coverage: persons aged 65+ and the key elderly (失能, 高龄, 特困) of
	// the catchments, signed or not, per clinic and in total: the
	// denominators of the 2027 target.
	Coverage CoverageReportDTO `json:"coverage"`
	// CoveredMembers: persons of any age covered by an active contract of
	// the clinics' teams.
	CoveredMembers       int64 `json:"covered_members"`
	ActiveContracts      int64 `json:"active_contracts"`
	PendingContracts     int64 `json:"pending_contracts"`
	ContractsExpiring30d int64 `json:"contracts_expiring_30d"`
	// MedicineOrders counts orders placed this month by current status.
	MedicineOrders     MedicineOrderCountsDTO `json:"medicine_orders_this_month"`
	DeliveredThisMonth int                    `json:"delivered_this_month"`
	// MedianDeliveryHours: median hours from request to delivery of the
	// orders delivered this month (absent when none).
	MedianDeliveryHours *float64 `json:"median_delivery_hours,omitempty" example:"26.5"`
}

func toFamilyDoctorStats(st service.FamilyDoctorStats) FamilyDoctorStatsDTO {
	by := st.OrdersByStatus
	return FamilyDoctorStatsDTO{ClinicID: st.ClinicID, AsOf: st.AsOf, Month: st.Month, ClinicIDs: st.Clinics,
		Coverage: toCoverageReport(st.Coverage), CoveredMembers: st.CoveredMembers, ActiveContracts: st.ActiveContracts,
		PendingContracts: st.PendingContracts, ContractsExpiring30d: st.ExpiringIn30Days,
		MedicineOrders: MedicineOrderCountsDTO{Requested: by[model.MedicineRequested], Approved: by[model.MedicineApproved],
			Dispatched: by[model.MedicineDispatched], Delivered: by[model.MedicineDelivered],
			Rejected: by[model.MedicineRejected], Cancelled: by[model.MedicineCancelled]},
		DeliveredThisMonth: st.DeliveredThisMonth, MedianDeliveryHours: st.MedianDeliveryHours}
}

// familyDoctorStats godoc
// @Summary      Family-doctor figures: coverage of key elderly persons, contracts and medicine delivery
// @Description  The scope of GET /staff/stats/coverage: staff the clinics of their scope (a branch with its stations), or one of them with clinic_id (another clinic is 403); admins every clinic, or the clinic_id given. coverage is that route's answer (persons aged 65+, the key elderly — 失能, 高龄 80+, 特困 — of the catchments, signed, per clinic and in total), computed by the same code; the contract and medicine figures count the clinics of clinic_ids. format=xlsx sends the workbook of GET /staff/stats/coverage.xlsx with a third sheet 签约与配送 (the contract and delivery figures), as an attachment; another format is 422.
// @Tags         staff
// @Produce      json
// @Produce      application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
// @Security     Bearer
// @Param        clinic_id query int    false "one clinic of the caller's scope"
// @Param        format    query string false "json (the default) or xlsx" Enums(json, xlsx)
// @Success      200 {object} FamilyDoctorStatsDTO
// @Header       200 {string} Content-Disposition "format=xlsx: attachment, with the file name (ASCII as filename, the Chinese name as filename* in UTF-8)"
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse "no such clinic"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/stats/family-doctor [get]
func (a *API) familyDoctorStats(c *gin.Context) {
	var q FamilyDoctorStatsQuery
	if !bindQuery(c, &q) {
		return
	}
	st, err := a.svc.Contracts.Stats(c.Request.Context(), principal(c), q.ClinicID)
	if err != nil {
		fail(c, err)
		return
	}
	d := toFamilyDoctorStats(st)
	if q.Format != "xlsx" {
		ok(c, d)
		return
	}
	body, err := familyDoctorWorkbook(d)
	if err != nil {
		fail(c, err)
		return
	}
	sendXLSX(c, body, "family-doctor-stats-"+d.AsOf+".xlsx", "家庭医生工作统计-"+d.AsOf+".xlsx")
}
