package handler

import (
	"net/http"

	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) medicationRoutes(authed, staff *gin.RouterGroup) {
	authed.GET("/persons/:id/medications", a.personMedications)
	staff.PUT("/persons/:id/medications", a.replaceMedications)
}

// MedicationDTO is one drug of a long-term medication list.
type MedicationDTO struct {
	ID                 int64  `json:"id" example:"3"`
	Drug               string `json:"drug" example:"苯磺酸氨氯地平片"`
	Strength           string `json:"strength" example:"5mg"`
	Form               string `json:"form" example:"片剂"`
	Dose               string `json:"dose" example:"每日一次，每次一片"`
	QuantityPerRefill  int    `json:"quantity_per_refill" example:"2"`
	RefillIntervalDays int    `json:"refill_interval_days" example:"28"`
	LastPrescribed     string `json:"last_prescribed,omitempty" example:"2026-11-20"`
}

// MedicationList is a person's long-term medication list.
type MedicationList struct {
	Items []MedicationDTO `json:"items"`
}

// MedicationRequest is one drug of the list.
type MedicationRequest struct {
	Drug               string `json:"drug" binding:"required,min=1,max=64" example:"苯磺酸氨氯地平片"`
	Strength           string `json:"strength" binding:"max=32" example:"5mg"`
	Form               string `json:"form" binding:"max=32" example:"片剂"`
	Dose               string `json:"dose" binding:"max=64" example:"每日一次，每次一片"`
	QuantityPerRefill  int    `json:"quantity_per_refill" binding:"required,min=1,max=99" example:"2"`
	RefillIntervalDays int    `json:"refill_interval_days" binding:"required,min=1,max=180" example:"28"`
	LastPrescribed     string `json:"last_prescribed" binding:"omitempty,datetime=2006-01-02" example:"2026-11-20"`
}

// MedicationListRequest replaces the list; items is required (an explicit
// empty list clears it).
type MedicationListRequest struct {
	Items []MedicationRequest `json:"items" binding:"required,max=30,dive"`
}

func toMedicationList(ms []model.Medication) MedicationList {
	return MedicationList{Items: listOf(ms, func(m model.Medication) MedicationDTO {
		return MedicationDTO{ID: m.ID, Drug: m.Drug, Strength: m.Strength, Form: m.Form, Dose: m.Dose, QuantityPerRefill: m.QuantityPerRefill,
			RefillIntervalDays: m.RefillIntervalDays, LastPrescribed: m.LastPrescribed}
	})}
}

// personMedications godoc
// @Summary   A person's long-term medication list (kept by the family-doctor team)
// @Tags      medicine
// @Produce   json
// @Security  Bearer
// @Param     id path int true "person id"
// @Success   200 {object} MedicationList
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/persons/{id}/medications [get]
func (a *API) personMedications(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Medications.List, toMedicationList)
}

// replaceMedications godoc
// @Summary      Replace a covered person's long-term medication list (a member of the contract's team)
// @Description  Drug, strength, form, dose, quantity per refill, refill interval in days and the last prescription date. Only a member of the team of the person's active contract may: anyone else gets 404.
// @Tags         medicine
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int                   true "person id"
// @Param        body body MedicationListRequest true "the whole list"
// @Success      200 {object} MedicationList
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/persons/{id}/medications [put]
func (a *API) replaceMedications(c *gin.Context) {
	var req MedicationListRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	items := make([]service.MedicationInput, len(req.Items))
	for i, it := range req.Items {
		items[i] = service.MedicationInput{Drug: it.Drug, Strength: it.Strength, Form: it.Form, Dose: it.Dose,
			QuantityPerRefill: it.QuantityPerRefill, RefillIntervalDays: it.RefillIntervalDays, LastPrescribed: it.LastPrescribed}
	}
	ms, err := a.svc.Medications.Replace(c.Request.Context(), principal(c), id, items)
	reply(c, http.StatusOK, err, func() any { return toMedicationList(ms) })
}
