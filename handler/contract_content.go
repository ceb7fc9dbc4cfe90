package handler

import (
	"context"
	"net/http"
	"time"

	"familycare/model"
	"familycare/pagination"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

// Contract content: the service packages (服务包) a clinic offers at
// signing and the published versions of the agreement text.
func (a *API) contractContentRoutes(authed, staff, admin *gin.RouterGroup) {
	authed.GET("/service-packages", a.listServicePackages)
	authed.GET("/agreement-versions/current", a.currentAgreement)

	staff.GET("/service-packages", a.staffListServicePackages)
	staff.POST("/service-packages", a.idempotent(), a.createServicePackage)
	staff.PUT("/service-packages/:id", a.updateServicePackage)

	admin.POST("/agreement-versions", a.idempotent(), a.publishAgreement)
	admin.GET("/agreement-versions", a.listAgreements)
}

// ---- service packages ----

// ServicePackageDTO is a service package (服务包) a contract can name.
type ServicePackageDTO struct {
	ID int64 `json:"id" example:"5"`
	// ClinicID is the clinic that offers it; 0 for the basic public health
	// package every contract includes.
	ClinicID    int64  `json:"clinic_id" example:"3"`
	Code        string `json:"code" example:"elderly_care"`
	Name        string `json:"name" example:"老年人健康管理包"`
	Description string `json:"description" example:"每年一次健康体检、中医体质辨识、用药指导"`
	// Basic is true for the basic public health package (always included).
	Basic bool `json:"basic"`
	// Active is false once retired: contracts that name it keep it, new
	// signings cannot pick it.
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

// ServicePackageList is a page of service packages.
type ServicePackageList struct {
	Items      []ServicePackageDTO `json:"items"`
	NextCursor string              `json:"next_cursor"`
}

// ServicePackageQuery picks the clinic of the signing page.
type ServicePackageQuery struct {
	ClinicID int64 `form:"clinic_id" binding:"omitempty,min=1"`
}

// ServicePackageRequest adds a service package at a clinic.
type ServicePackageRequest struct {
	// ClinicID: staff default to their own clinic; admins must name one.
	ClinicID    int64  `json:"clinic_id" binding:"omitempty,min=1" example:"3"`
	Code        string `json:"code" binding:"required,min=2,max=32" example:"elderly_care"`
	Name        string `json:"name" binding:"required,min=1,max=64" example:"老年人健康管理包"`
	Description string `json:"description" binding:"max=500" example:"每年一次健康体检、中医体质辨识、用药指导"`
	// Active defaults to true.
	Active *bool `json:"active" example:"true"`
}

// ServicePackageUpdateRequest changes a package: name and description are
// replaced; active=false retires it (omitted: unchanged). The code and the
// clinic never change.
type ServicePackageUpdateRequest struct {
	Name        string `json:"name" binding:"required,min=1,max=64" example:"老年人健康管理包"`
	Description string `json:"description" binding:"max=500"`
	Active      *bool  `json:"active" example:"false"`
}

func (r ServicePackageUpdateRequest) input() (service.ServicePackageInput, error) {
	return service.ServicePackageInput{Name: r.Name, Description: r.Description, Active: r.Active}, nil
}

func (a *API) toServicePackage(p model.ServicePackage) ServicePackageDTO {
	return ServicePackageDTO{ID: p.ID, ClinicID: p.ClinicID, Code: p.Code, Name: p.Name, Description: p.Description,
		Basic: p.ClinicID == 0 && p.Code == model.PackageBasic, Active: p.Active, CreatedAt: a.timeIn(p.CreatedAt)}
}

// listServicePackages godoc
// @Summary      Service packages (服务包) a family may sign with a clinic's team
// @Description  The basic public health package (basic, always included in a contract) and the clinic's active packages, by id; without clinic_id only the basic package. The signing page shows them and sends the codes chosen in POST /family-contracts packages.
// @Tags         family-doctor
// @Produce      json
// @Security     Bearer
// @Param        clinic_id query int    false "the clinic of the team to sign with"
// @Param        limit     query int    false "page size (1-100, default 20)"
// @Param        cursor    query string false "next_cursor of the previous page"
// @Success      200 {object} ServicePackageList
// @Failure      401 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/service-packages [get]
func (a *API) listServicePackages(c *gin.Context) {
	a.servicePackageList(c, a.svc.Contracts.ServicePackages)
}

// servicePackageList binds a package list's query (clinic_id, limit,
// cursor) and answers with the page that list reads.
func (a *API) servicePackageList(c *gin.Context, list func(ctx context.Context, clinicID int64, pg pagination.Page) ([]model.ServicePackage, string, error)) {
	var q ServicePackageQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	rows, next, err := list(c.Request.Context(), q.ClinicID, p)
	reply(c, http.StatusOK, err, func() any {
		return ServicePackageList{Items: listOf(rows, a.toServicePackage), NextCursor: next}
	})
}

// staffListServicePackages godoc
// @Summary      My clinics' service packages, retired ones included (staff)
// @Description  The packages of the clinics in the caller's reach (a branch's staff: the branch and its stations; admins: every clinic), active and retired (active=false: a manager offers one again with PUT /staff/service-packages/{id} active=true), by id. clinic_id narrows it to one clinic; a clinic outside the reach lists nothing. The basic public health package, the network's, is in GET /service-packages.
// @Tags         staff
// @Produce      json
// @Security     Bearer
// @Param        clinic_id query int    false "one clinic"
// @Param        limit     query int    false "page size (1-100, default 20)"
// @Param        cursor    query string false "next_cursor of the previous page"
// @Success      200 {object} ServicePackageList
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/service-packages [get]
func (a *API) staffListServicePackages(c *gin.Context) {
	a.servicePackageList(c, func(ctx context.Context, clinicID int64, pg pagination.Page) ([]model.ServicePackage, string, error) {
		return a.svc.Contracts.StaffServicePackages(ctx, principal(c), clinicID, pg)
	})
}

// createServicePackage godoc
// @Summary      Add a service package at my clinic (clinic managers; admins at any clinic, clinic_id required)
// @Description  Other staff get 403 manager_required. code (2-32 lowercase letters, digits, - or _) is unique per clinic and never changes: a code the clinic already has, or basic_public_health, is 409 package_code_taken. Audited (service_package.create).
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string                 false "retry key"
// @Param        body            body   ServicePackageRequest  true  "the package"
// @Success      201 {object} ServicePackageDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse "forbidden, manager_required"
// @Failure      409 {object} ErrorResponse "package_code_taken"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/service-packages [post]
func (a *API) createServicePackage(c *gin.Context) {
	var req ServicePackageRequest
	if !bindJSON(c, &req) {
		return
	}
	row, err := a.svc.Contracts.CreateServicePackage(c.Request.Context(), principal(c), service.ServicePackageInput{ClinicID: req.ClinicID,
		Code: req.Code, Name: req.Name, Description: req.Description, Active: req.Active})
	reply(c, http.StatusCreated, err, func() any { return a.toServicePackage(row) })
}

// updateServicePackage godoc
// @Summary      Change or retire a service package of my clinic (clinic managers; admins any)
// @Description  name and description are replaced; active=false retires the package (contracts that name it keep it, new signings get 422 on it), active=true offers it again. Another clinic's package is 404; the basic public health package is 403 forbidden for everyone. Audited (service_package.update).
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int                          true "package id"
// @Param        body body ServicePackageUpdateRequest  true "the package"
// @Success      200 {object} ServicePackageDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse "forbidden, manager_required"
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/service-packages/{id} [put]
func (a *API) updateServicePackage(c *gin.Context) {
	onIDInput[ServicePackageUpdateRequest](c, http.StatusOK, a.svc.Contracts.UpdateServicePackage, a.toServicePackage)
}

// ---- agreement versions ----

// AgreementVersionDTO is a published version of the family-doctor
// agreement text (签约协议).
type AgreementVersionDTO struct {
	ID      int64  `json:"id" example:"3"`
	Version string `json:"version" example:"2026.1"`
	Title   string `json:"title" example:"家庭医生签约服务协议（2026年版）"`
	// Body is the text the family reads before signing (empty for the
	// versions recorded on contracts before texts were kept).
	Body        string    `json:"body" example:"甲方（签约居民）与乙方（家庭医生团队）……"`
	PublishedAt time.Time `json:"published_at"`
}

// AgreementVersionList is a page of agreement versions.
type AgreementVersionList struct {
	Items      []AgreementVersionDTO `json:"items"`
	NextCursor string                `json:"next_cursor"`
}

// AgreementVersionRequest publishes a version of the agreement text.
type AgreementVersionRequest struct {
	Version string `json:"version" binding:"required,min=1,max=32" example:"2026.1"`
	Title   string `json:"title" binding:"required,min=1,max=128" example:"家庭医生签约服务协议（2026年版）"`
	Body    string `json:"body" binding:"required,min=1,max=20000" example:"甲方（签约居民）与乙方（家庭医生团队）……"`
}

func (a *API) toAgreement(v model.AgreementVersion) AgreementVersionDTO {
	return AgreementVersionDTO{ID: v.ID, Version: v.Version, Title: v.Title, Body: v.Body, PublishedAt: a.timeIn(v.PublishedAt)}
}

// publishAgreement godoc
// @Summary      Publish a new version of the agreement text (admin)
// @Description  It becomes the current version at once (GET /agreement-versions/current) and never changes afterwards: a changed text is a new version. version is 1-32 letters, digits, '.', '-' or '_'; a version already published is 409 agreement_version_exists. Audited (agreement_version.publish).
// @Tags         admin
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string                  false "retry key"
// @Param        body            body   AgreementVersionRequest true  "the version"
// @Success      201 {object} AgreementVersionDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "agreement_version_exists"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/agreement-versions [post]
func (a *API) publishAgreement(c *gin.Context) {
	var req AgreementVersionRequest
	if !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Contracts.PublishAgreement(c.Request.Context(), principal(c),
		service.AgreementInput{Version: req.Version, Title: req.Title, Body: req.Body})
	reply(c, http.StatusCreated, err, func() any { return a.toAgreement(v) })
}

// listAgreements godoc
// @Summary   Published agreement versions, newest first (admin)
// @Tags      admin
// @Produce   json
// @Security  Bearer
// @Param     limit  query int    false "page size (1-100, default 20)"
// @Param     cursor query string false "next_cursor of the previous page"
// @Success   200 {object} AgreementVersionList
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/admin/agreement-versions [get]
func (a *API) listAgreements(c *gin.Context) {
	p, okPage := page(c)
	if !okPage {
		return
	}
	rows, next, err := a.svc.Contracts.Agreements(c.Request.Context(), p)
	reply(c, http.StatusOK, err, func() any {
		return AgreementVersionList{Items: listOf(rows, a.toAgreement), NextCursor: next}
	})
}

// currentAgreement godoc
// @Summary      The current agreement text, to show before signing
// @Description  The latest published version with its text. A signing (POST /family-contracts) that names no agreement_version records this one. 404 while none is published.
// @Tags         family-doctor
// @Produce      json
// @Security     Bearer
// @Success      200 {object} AgreementVersionDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/agreement-versions/current [get]
func (a *API) currentAgreement(c *gin.Context) {
	v, err := a.svc.Contracts.CurrentAgreement(c.Request.Context())
	reply(c, http.StatusOK, err, func() any { return a.toAgreement(v) })
}
