package handler

import (
	"net/http"

	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) serviceRuleRoutes(staff *gin.RouterGroup) {
	staff.POST("/services", a.idempotent(), a.createService)
	staff.PUT("/services/:id", a.updateService)
}

// PregnancyRuleDTO is a pregnancy requirement with a 孕周 range.
type PregnancyRuleDTO struct {
	MinWeek *int `json:"min_week" binding:"omitempty,min=0,max=44" example:"12" extensions:"x-nullable"`
	MaxWeek *int `json:"max_week" binding:"omitempty,min=0,max=44" example:"40" extensions:"x-nullable"`
}

// EligibilityDTO is who may book a service. Give an age range in one unit
// (days, months or years; either end may be left out). text is the rule as
// families read it.
type EligibilityDTO struct {
	MinAgeDays       *int              `json:"min_age_days,omitempty" binding:"omitempty,min=0,max=50000"`
	MaxAgeDays       *int              `json:"max_age_days,omitempty" binding:"omitempty,min=0,max=50000"`
	MinAgeMonths     *int              `json:"min_age_months,omitempty" binding:"omitempty,min=0,max=1500" example:"0"`
	MaxAgeMonths     *int              `json:"max_age_months,omitempty" binding:"omitempty,min=0,max=1500" example:"36"`
	MinAgeYears      *int              `json:"min_age_years,omitempty" binding:"omitempty,min=0,max=130"`
	MaxAgeYears      *int              `json:"max_age_years,omitempty" binding:"omitempty,min=0,max=130"`
	Gender           string            `json:"gender,omitempty" binding:"omitempty,oneof=male female" enums:"male,female"`
	Pregnancy        *PregnancyRuleDTO `json:"pregnancy,omitempty"`
	VerifiedRequired bool              `json:"verified_required"`
	ContractRequired bool              `json:"contract_required"`
	Text             string            `json:"text,omitempty" example:"0–36 月龄" binding:"-"`
}

// ServiceRequest creates or replaces a service.
type ServiceRequest struct {
	ClinicID          int64          `json:"clinic_id" binding:"omitempty,min=1"`
	Kind              string         `json:"kind" binding:"required,min=1,max=32" example:"vision_check"`
	Name              string         `json:"name" binding:"required,min=1,max=128" example:"儿童视力筛查"`
	Description       string         `json:"description" binding:"max=2000"`
	DurationMinutes   int            `json:"duration_minutes" binding:"required,min=1,max=720" example:"30"`
	SlotMinutes       int            `json:"slot_minutes" binding:"omitempty,min=5,max=240" example:"20"`
	PriceText         string         `json:"price_text" binding:"max=32" example:"免费"`
	Eligibility       EligibilityDTO `json:"eligibility"`
	Confirmation      string         `json:"confirmation" binding:"omitempty,oneof=staff auto" enums:"staff,auto"`
	ConfirmByMinutes  int            `json:"confirm_by_minutes" binding:"omitempty,min=0,max=10080" example:"120"`
	UnconfirmedAction string         `json:"unconfirmed_action" binding:"omitempty,oneof=cancel confirm" enums:"cancel,confirm"`
	ReservedSeats     int            `json:"reserved_for_referrals" binding:"omitempty,min=0,max=1000" example:"2"`
}

func toEligibility(sv model.Service) EligibilityDTO {
	d := EligibilityDTO{Gender: sv.Gender, VerifiedRequired: sv.VerifiedRequired, ContractRequired: sv.ContractRequired,
		Text: service.EligibilityText(sv)}
	switch sv.AgeUnit {
	case model.AgeDays:
		d.MinAgeDays, d.MaxAgeDays = sv.MinAge, sv.MaxAge
	case model.AgeYears:
		d.MinAgeYears, d.MaxAgeYears = sv.MinAge, sv.MaxAge
	default:
		d.MinAgeMonths, d.MaxAgeMonths = sv.MinAge, sv.MaxAge
	}
	if sv.PregnancyRequired {
		d.Pregnancy = &PregnancyRuleDTO{MinWeek: sv.PregMinWeek, MaxWeek: sv.PregMaxWeek}
	}
	return d
}

// input turns the request into the service's input; an age range given in
// more than one unit is refused.
func (r ServiceRequest) input() (service.ServiceInput, error) {
	e := service.Eligibility{Gender: r.Eligibility.Gender, VerifiedRequired: r.Eligibility.VerifiedRequired,
		ContractRequired: r.Eligibility.ContractRequired}
	units := 0
	for _, u := range []struct {
		min, max *int
		unit     string
	}{{r.Eligibility.MinAgeDays, r.Eligibility.MaxAgeDays, model.AgeDays},
		{r.Eligibility.MinAgeMonths, r.Eligibility.MaxAgeMonths, model.AgeMonths},
		{r.Eligibility.MinAgeYears, r.Eligibility.MaxAgeYears, model.AgeYears}} {
		if u.min != nil || u.max != nil {
			units++
			e.MinAge, e.MaxAge, e.AgeUnit = u.min, u.max, u.unit
		}
	}
	if units > 1 {
		return service.ServiceInput{}, service.InvalidField("eligibility", "give the age range in one unit (days, months or years)")
	}
	if pr := r.Eligibility.Pregnancy; pr != nil {
		e.PregnancyRequired, e.PregMinWeek, e.PregMaxWeek = true, pr.MinWeek, pr.MaxWeek
	}
	return service.ServiceInput{ClinicID: r.ClinicID, Kind: r.Kind, Name: r.Name, Description: r.Description,
		DurationMinutes: r.DurationMinutes, SlotMinutes: r.SlotMinutes, PriceText: r.PriceText, Eligibility: e,
		Confirmation: r.Confirmation, ConfirmByMinutes: r.ConfirmByMinutes, UnconfirmedAction: r.UnconfirmedAction,
		ReservedSeats: r.ReservedSeats}, nil
}

// createService godoc
// @Summary      Add a service at my clinic (clinic managers; admins at any clinic, clinic_id required)
// @Description  Only staff whose position is manager (and admins) add services: other staff get 403 manager_required. kind is a built-in kind (pediatric_massage, expert_clinic, parenting_class, vaccination, growth_assessment, prenatal_checkup, vision_check, psych_counselling, postpartum_recovery, parent_child_play, health_talk, bone_foot_screening) or one an admin added. Booking a person who does not fit the eligibility is 422 not_eligible with the reason in Chinese. confirmation=auto confirms at booking; otherwise a booking still pending confirm_by_minutes before the start (0: the configured default) is cancelled or confirmed (unconfirmed_action). slot_minutes slices each session into arrival slots; reserved_for_referrals seats of each new session are kept for referrals.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string         false "retry key"
// @Param        body            body   ServiceRequest true  "the service"
// @Success      201 {object} ServiceDTO
// @Failure      403 {object} ErrorResponse "manager_required"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/services [post]
func (a *API) createService(c *gin.Context) {
	var req ServiceRequest
	if !bindJSON(c, &req) {
		return
	}
	in, err := req.input()
	if err != nil {
		fail(c, err)
		return
	}
	sv, err := a.svc.Catalog.CreateService(c.Request.Context(), principal(c), in)
	reply(c, http.StatusCreated, err, func() any { return toService(sv) })
}

// updateService godoc
// @Summary      Replace a service of my clinic (clinic managers and admins; its clinic stays)
// @Description  Other staff get 403 manager_required. The rules apply to bookings made from now on; seats of published sessions stay as they are.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int            true "service id"
// @Param        body body ServiceRequest true "the service"
// @Success      200 {object} ServiceDTO
// @Failure      403 {object} ErrorResponse "manager_required"
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/services/{id} [put]
func (a *API) updateService(c *gin.Context) {
	onIDInput[ServiceRequest](c, http.StatusOK, a.svc.Catalog.UpdateService, toService)
}
