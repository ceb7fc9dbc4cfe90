package handler

import (
	"net/http"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) medicineRoutes(authed, staff *gin.RouterGroup) {
	authed.POST("/medicine-orders", a.idempotent(), a.createMedicineOrder)
	authed.GET("/medicine-orders", a.listMedicineOrders)
	authed.GET("/medicine-orders/:id", a.getMedicineOrder)
	authed.POST("/medicine-orders/:id/cancel", a.cancelMedicineOrder)
	authed.POST("/medicine-orders/:id/reorder", a.idempotent(), a.reorderMedicine)

	staff.POST("/medicine-orders", a.idempotent(), a.staffCreateMedicineOrder)
	staff.GET("/medicine-orders", a.staffListMedicineOrders)
	staff.GET("/medicine-orders/:id", a.staffGetMedicineOrder)
	staff.POST("/medicine-orders/:id/approve", a.approveMedicineOrder)
	staff.POST("/medicine-orders/:id/reject", a.rejectMedicineOrder)
	staff.POST("/medicine-orders/:id/dispatch", a.dispatchMedicineOrder)
	staff.POST("/medicine-orders/:id/deliver", a.deliverMedicineOrder)
	staff.POST("/medicine-orders/:id/reset-handover", a.resetMedicineHandover)
}

// MedicineItemDTO is one medicine of an order: from the person's
// medication list (medication_id, the list entry when ordered) or free
// text (free_text: the pharmacist reviews it).
type MedicineItemDTO struct {
	MedicationID *int64 `json:"medication_id,omitempty" example:"12"`
	FreeText     bool   `json:"free_text"`
	Name         string `json:"name" example:"苯磺酸氨氯地平片"`
	Spec         string `json:"spec" example:"5mg"`
	Quantity     int    `json:"quantity" example:"2"`
}

// MedicineMemberDTO is the member an order is for, with what staff need to
// check it: age and chronic conditions.
type MedicineMemberDTO struct {
	ID                int64    `json:"id"`
	Name              string   `json:"name" example:"张桂兰"`
	Relation          string   `json:"relation" example:"parent" enums:"self,spouse,child,parent,grandchild,grandparent,sibling,other"`
	Gender            string   `json:"gender" example:"female" enums:"male,female,unknown"`
	AgeYears          *int     `json:"age_years,omitempty" example:"72"`
	ChronicConditions []string `json:"chronic_conditions"`
}

// MedicineOrderDTO is a home medicine delivery order. handover_code is shown
// to the resident only (never in staff answers): they tell it to the
// courier at the door.
type MedicineOrderDTO struct {
	ID              int64             `json:"id" example:"31"`
	Status          string            `json:"status" example:"requested" enums:"requested,approved,dispatched,delivered,rejected,cancelled"`
	Member          MedicineMemberDTO `json:"member"`
	ContractID      int64             `json:"contract_id"`
	ClinicID        int64             `json:"clinic_id" example:"3"`
	Items           []MedicineItemDTO `json:"items"`
	Address         string            `json:"address" example:"石桥镇柳树村 3 组 12 号"`
	ContactPhone    string            `json:"contact_phone" example:"13800138000"`
	PreferredWindow string            `json:"preferred_window,omitempty" example:"工作日下午"`
	Note            string            `json:"note,omitempty"`
	HandoverCode    string            `json:"handover_code,omitempty" example:"482913"`
	// HandoverTriesLeft: wrong hand-over codes still allowed before lock.
	HandoverTriesLeft int        `json:"handover_tries_left" example:"5"`
	HandoverLocked    bool       `json:"handover_locked"`
	Courier           string     `json:"courier,omitempty" example:"孙梅"`
	ETA               *time.Time `json:"eta,omitempty"`
	Reason            string     `json:"reason,omitempty"`
	ReorderOfID       *int64     `json:"reorder_of_id,omitempty"`
	// NeedsReview: the order has free-text items the pharmacist must review.
	NeedsReview bool `json:"needs_review"`
	// RefillReason: why items are asked for before their refill interval.
	RefillReason string `json:"refill_reason,omitempty" example:"下周出远门，提前备药"`
	// RequestedVia: how the resident asked (app, or staff took it by phone, at the counter or on a visit).
	RequestedVia string `json:"requested_via" example:"app" enums:"app,phone,counter,visit"`
	// PlacedBy: the staff account that took a phone, counter or visit order.
	PlacedBy    *int64         `json:"placed_by,omitempty"`
	DeliveredAt *time.Time     `json:"delivered_at,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	History     []CareEventDTO `json:"history"`
}

// MedicineOrderList is a page of medicine orders.
type MedicineOrderList struct {
	Items      []MedicineOrderDTO `json:"items"`
	NextCursor string             `json:"next_cursor"`
}

// toMedicineOrder converts an order; forResident adds the hand-over code.
func (a *API) toMedicineOrder(v service.MedicineOrderView, forResident bool) MedicineOrderDTO {
	o := v.Order
	left := service.MedicineHandoverTries - o.HandoverFailures
	if left < 0 {
		left = 0
	}
	d := MedicineOrderDTO{ID: o.ID, Status: o.Status, ContractID: o.ContractID, ClinicID: o.ClinicID,
		Member: MedicineMemberDTO{ID: v.Member.ID, Name: v.Member.Name, Relation: v.Member.Relation, Gender: v.Member.Gender,
			AgeYears: careAge(v.Member.AgeYears), ChronicConditions: careStrings(v.Member.ChronicConditions)},
		Address: o.Address, ContactPhone: o.ContactPhone, PreferredWindow: o.PreferredWindow, Note: o.Note,
		HandoverTriesLeft: left, HandoverLocked: v.HandoverLocked(), Courier: o.Courier, ETA: a.timePtr(o.ETA),
		Reason: o.Reason, ReorderOfID: o.ReorderOfID, NeedsReview: o.NeedsReview, RefillReason: o.RefillReason,
		RequestedVia: o.RequestedVia, PlacedBy: nonZero(o.PlacedBy), DeliveredAt: a.timePtr(o.DeliveredAt), CreatedAt: a.timeIn(o.CreatedAt),
		Items: make([]MedicineItemDTO, 0, len(v.Items)), History: make([]CareEventDTO, 0, len(v.History))}
	if forResident {
		d.HandoverCode = o.HandoverCode
	}
	for _, it := range v.Items {
		d.Items = append(d.Items, MedicineItemDTO{MedicationID: it.MedicationID, FreeText: it.MedicationID == nil,
			Name: it.Name, Spec: it.Spec, Quantity: it.Quantity})
	}
	for _, e := range v.History {
		d.History = append(d.History, a.toCareEvent(e.FromStatus, e.ToStatus, e.At, e.ByRole, e.Reason))
	}
	return d
}

// toResidentOrder shows the hand-over code; toStaffOrder never does.
func (a *API) toResidentOrder(v service.MedicineOrderView) MedicineOrderDTO {
	return a.toMedicineOrder(v, true)
}

func (a *API) toStaffOrder(v service.MedicineOrderView) MedicineOrderDTO {
	return a.toMedicineOrder(v, false)
}

func (a *API) toMedicineOrderList(vs []service.MedicineOrderView, next string, forResident bool) MedicineOrderList {
	conv := a.toStaffOrder
	if forResident {
		conv = a.toResidentOrder
	}
	return MedicineOrderList{Items: listOf(vs, conv), NextCursor: next}
}

// MedicineItemRequest is one medicine to deliver: medication_id picks an
// entry of the person's medication list (its drug and strength; quantity at
// most the list's quantity per refill); without it, name (and spec) is free
// text that the pharmacist must review.
type MedicineItemRequest struct {
	// MedicationID picks an entry of the person's medication list; without
	// it, name is required (a free-text item the pharmacist reviews).
	MedicationID int64 `json:"medication_id" binding:"omitempty,min=1" example:"12"`
	// Name of a free-text item: required (1–64 characters) when
	// medication_id is not given, else 422 on items[i].name.
	Name     string `json:"name" binding:"max=64" example:"苯磺酸氨氯地平片"`
	Spec     string `json:"spec" binding:"max=64" example:"5mg*28片"`
	Quantity int    `json:"quantity" binding:"required,min=1,max=99" example:"2"`
}

// MedicineOrderRequest asks for a contracted member's medicines to be
// delivered home. contact_phone must be a mainland mobile number.
// refill_reason is needed when a list item is asked for before its refill
// interval is over.
type MedicineOrderRequest struct {
	MemberID        int64                 `json:"member_id" binding:"required,min=1" example:"7"`
	Items           []MedicineItemRequest `json:"items" binding:"required,min=1,max=20,dive"`
	Address         string                `json:"address" binding:"required,min=1,max=255" example:"石桥镇柳树村 3 组 12 号"`
	ContactPhone    string                `json:"contact_phone" binding:"required" example:"13800138000"`
	PreferredWindow string                `json:"preferred_window" binding:"max=64" example:"工作日下午"`
	Note            string                `json:"note" binding:"max=500"`
	// RefillReason is required when a list drug is asked for before its
	// last refill + refill interval (else 422 refill_too_soon).
	RefillReason string `json:"refill_reason" binding:"max=255" example:"下周出远门，提前备药"`
}

func (r MedicineOrderRequest) input() service.MedicineOrderInput {
	in := service.MedicineOrderInput{MemberID: r.MemberID, Address: r.Address, ContactPhone: r.ContactPhone,
		PreferredWindow: r.PreferredWindow, Note: r.Note, RefillReason: r.RefillReason, Items: make([]service.MedicineItemInput, len(r.Items))}
	for i, it := range r.Items {
		in.Items[i] = service.MedicineItemInput{MedicationID: it.MedicationID, Name: it.Name, Spec: it.Spec, Quantity: it.Quantity}
	}
	return in
}

// StaffMedicineOrderRequest is an order staff take for a resident:
// requested_via says how the resident asked (phone, counter, visit).
type StaffMedicineOrderRequest struct {
	MedicineOrderRequest
	RequestedVia string `json:"requested_via" binding:"required,oneof=phone counter visit" example:"phone"`
}

// MedicineListQuery filters medicine orders.
type MedicineListQuery struct {
	Status string `form:"status" binding:"omitempty,oneof=requested approved dispatched delivered rejected cancelled"`
	// NeedsReview keeps orders with free-text items (staff list).
	NeedsReview bool `form:"needs_review"`
}

// MedicineCancelRequest may say why the resident cancels.
type MedicineCancelRequest struct {
	Reason string `json:"reason" binding:"max=255"`
}

// MedicineRejectRequest says why staff reject an order.
type MedicineRejectRequest struct {
	Reason string `json:"reason" binding:"required,min=1,max=255" example:"处方已过期，请先复诊"`
}

// MedicineDispatchRequest names the courier and the expected arrival.
type MedicineDispatchRequest struct {
	Courier string `json:"courier" binding:"max=64" example:"孙梅"`
	ETA     string `json:"eta" binding:"omitempty,datetime=2006-01-02T15:04:05Z07:00" example:"2026-11-24T15:00:00+08:00"`
}

// MedicineDeliverRequest carries the resident's hand-over code.
type MedicineDeliverRequest struct {
	HandoverCode string `json:"handover_code" binding:"required,len=6,numeric" example:"482913"`
}

// createMedicineOrder godoc
// @Summary      Ask for medicines to be delivered home (送药上门)
// @Description  For a member of the caller's family covered by an active contract (403 no_active_contract otherwise); 1-20 items, quantity 1-99. Items pick entries of the person's medication list (medication_id; quantity at most its quantity per refill); free-text items (name, spec) are a request the pharmacist reviews (needs_review). A list item asked for before last refill + refill interval needs refill_reason (422 refill_too_soon with details.earliest_date otherwise). The order goes to the clinic of the contract's team. The answer carries the 6-digit handover_code to tell the courier. Send an Idempotency-Key to make retries safe.
// @Tags         medicine
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string false "retry key"
// @Param        body body MedicineOrderRequest true "the order"
// @Success      201 {object} MedicineOrderDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse "no_active_contract"
// @Failure      404 {object} ErrorResponse "member not found (or not yours)"
// @Failure      422 {object} ErrorResponse "invalid_request, refill_too_soon (details.earliest_date), person_not_verified (REAL_NAME_FOR_CARE)"
// @Router       /api/v1/medicine-orders [post]
func (a *API) createMedicineOrder(c *gin.Context) {
	var req MedicineOrderRequest
	if !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Medicine.Create(c.Request.Context(), principal(c), req.input())
	reply(c, http.StatusCreated, err, func() any { return a.toMedicineOrder(v, true) })
}

// staffCreateMedicineOrder godoc
// @Summary      Take a medicine order for a resident (phone, counter or home visit)
// @Description  For a person within the clinic's reach covered by an active contract of one of the caller's clinics' teams (403 no_active_contract otherwise). Items as in POST /medicine-orders (list items by medication_id; free text is flagged needs_review). requested_via records how the resident asked; their consent to delivery is recorded (phone, or in person). The household sees the order and its hand-over code in the app (GET /medicine-orders); staff never see the code. Send an Idempotency-Key to make retries safe.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string false "retry key"
// @Param        body body StaffMedicineOrderRequest true "the order"
// @Success      201 {object} MedicineOrderDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse "no_active_contract"
// @Failure      404 {object} ErrorResponse "person not found (or outside the clinic's reach)"
// @Failure      422 {object} ErrorResponse "invalid_request, refill_too_soon (details.earliest_date), person_not_verified (REAL_NAME_FOR_CARE)"
// @Router       /api/v1/staff/medicine-orders [post]
func (a *API) staffCreateMedicineOrder(c *gin.Context) {
	var req StaffMedicineOrderRequest
	if !bindJSON(c, &req) {
		return
	}
	in := req.input()
	in.RequestedVia = req.RequestedVia
	v, err := a.svc.Medicine.CreateForResident(c.Request.Context(), principal(c), in)
	reply(c, http.StatusCreated, err, func() any { return a.toStaffOrder(v) })
}

// listMedicineOrders godoc
// @Summary   The caller's medicine orders, newest first, with history
// @Tags      medicine
// @Produce   json
// @Security  Bearer
// @Param     status query string false "filter" Enums(requested,approved,dispatched,delivered,rejected,cancelled)
// @Param     limit  query int    false "page size (1-100, default 20)"
// @Param     cursor query string false "next_cursor of the previous page"
// @Success   200 {object} MedicineOrderList
// @Failure   401 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/medicine-orders [get]
func (a *API) listMedicineOrders(c *gin.Context) { a.medicineOrders(c) }

// medicineOrders lists the orders in the caller's scope (its own on resident
// routes, its clinic's on staff routes); only residents see hand-over codes.
func (a *API) medicineOrders(c *gin.Context) {
	var q MedicineListQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	pr := principal(c)
	vs, next, err := a.svc.Medicine.List(c.Request.Context(), pr, q.Status, q.NeedsReview, p)
	reply(c, http.StatusOK, err, func() any { return a.toMedicineOrderList(vs, next, pr.Scope == service.ScopeSelf) })
}

// getMedicineOrder godoc
// @Summary   One of the caller's medicine orders, with history and hand-over code
// @Tags      medicine
// @Produce   json
// @Security  Bearer
// @Param     id path int true "order id"
// @Success   200 {object} MedicineOrderDTO
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/medicine-orders/{id} [get]
func (a *API) getMedicineOrder(c *gin.Context) { a.medicineOrder(c) }

// medicineOrder reads one order in the caller's scope.
func (a *API) medicineOrder(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	pr := principal(c)
	v, err := a.svc.Medicine.Get(c.Request.Context(), pr, id)
	reply(c, http.StatusOK, err, func() any { return a.toMedicineOrder(v, pr.Scope == service.ScopeSelf) })
}

// cancelMedicineOrder godoc
// @Summary   Cancel one of the caller's orders before it is dispatched
// @Tags      medicine
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int                   true  "order id"
// @Param     body body MedicineCancelRequest false "why (optional)"
// @Success   200 {object} MedicineOrderDTO
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition (dispatched or later)"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/medicine-orders/{id}/cancel [post]
func (a *API) cancelMedicineOrder(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Medicine.Cancel, func(r MedicineCancelRequest) string { return r.Reason }, a.toResidentOrder)
}

// reorderMedicine godoc
// @Summary      Order the same medicines again (一键续药)
// @Description  Copies a delivered order of the caller (member, items, address, phone, window) into a new requested order with a new hand-over code. The member must still be covered by an active contract. Send an Idempotency-Key to make retries safe.
// @Tags         medicine
// @Produce      json
// @Security     Bearer
// @Param        Idempotency-Key header string false "retry key"
// @Param        id path int true "a delivered order's id"
// @Success      201 {object} MedicineOrderDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse "no_active_contract"
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "invalid_transition (not delivered)"
// @Router       /api/v1/medicine-orders/{id}/reorder [post]
func (a *API) reorderMedicine(c *gin.Context) {
	onID(c, http.StatusCreated, a.svc.Medicine.Reorder, a.toResidentOrder)
}

// staffListMedicineOrders godoc
// @Summary      The delivery queue of the caller's clinic (admin: all), oldest first
// @Description  Orders of members contracted with the clinic's teams, with the member's age and chronic conditions; never the hand-over code. needs_review marks orders with free-text items for the pharmacist (filter with needs_review=true).
// @Tags         staff
// @Produce      json
// @Security     Bearer
// @Param        status       query string false "filter" Enums(requested,approved,dispatched,delivered,rejected,cancelled)
// @Param        needs_review query bool   false "only orders with free-text items"
// @Param        limit        query int    false "page size (1-100, default 20)"
// @Param        cursor       query string false "next_cursor of the previous page"
// @Success      200 {object} MedicineOrderList
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/medicine-orders [get]
func (a *API) staffListMedicineOrders(c *gin.Context) { a.medicineOrders(c) }

// staffGetMedicineOrder godoc
// @Summary   One order of the caller's clinic (without the hand-over code)
// @Tags      staff
// @Produce   json
// @Security  Bearer
// @Param     id path int true "order id"
// @Success   200 {object} MedicineOrderDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/staff/medicine-orders/{id} [get]
func (a *API) staffGetMedicineOrder(c *gin.Context) { a.medicineOrder(c) }

// approveMedicineOrder godoc
// @Summary      Approve a requested order (requested → approved): pharmacists only
// @Description  Staff whose position is pharmacist, a member of the contract team with the pharmacist role, or an admin; anyone else 403 pharmacist_required.
// @Tags      staff
// @Produce   json
// @Security  Bearer
// @Param     id path int true "order id"
// @Success   200 {object} MedicineOrderDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse "pharmacist_required"
// @Failure   404 {object} ErrorResponse "not found, or another clinic's order"
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Router    /api/v1/staff/medicine-orders/{id}/approve [post]
func (a *API) approveMedicineOrder(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Medicine.Approve, a.toStaffOrder)
}

// rejectMedicineOrder godoc
// @Summary   Reject a requested order with a reason (requested → rejected)
// @Tags      staff
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int                   true "order id"
// @Param     body body MedicineRejectRequest true "why"
// @Success   200 {object} MedicineOrderDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/medicine-orders/{id}/reject [post]
func (a *API) rejectMedicineOrder(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Medicine.Reject, func(r MedicineRejectRequest) string { return r.Reason }, a.toStaffOrder)
}

// dispatchMedicineOrder godoc
// @Summary   Send an approved order out (approved → dispatched), with courier and ETA
// @Tags      staff
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int                     true  "order id"
// @Param     body body MedicineDispatchRequest false "courier and ETA (RFC 3339)"
// @Success   200 {object} MedicineOrderDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/medicine-orders/{id}/dispatch [post]
func (a *API) dispatchMedicineOrder(c *gin.Context) {
	var req MedicineDispatchRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	in := service.MedicineDispatchInput{Courier: req.Courier}
	if req.ETA != "" {
		eta, err := time.Parse(time.RFC3339, req.ETA)
		if err != nil {
			fail(c, service.InvalidField("eta", "must be an RFC 3339 time"))
			return
		}
		in.ETA = &eta
	}
	v, err := a.svc.Medicine.Dispatch(c.Request.Context(), principal(c), id, in)
	reply(c, http.StatusOK, err, func() any { return a.toMedicineOrder(v, false) })
}

// deliverMedicineOrder godoc
// @Summary      Record the hand-over (dispatched → delivered) with the resident's 6-digit code
// @Description  A wrong code is 422 handover_code_mismatch with details.tries_left; after 5 wrong codes the order is locked: 409 handover_locked (even with the right code) until staff call reset-handover, which issues a new code to the resident.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int                    true "order id"
// @Param        body body MedicineDeliverRequest true "the resident's code"
// @Success      200 {object} MedicineOrderDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "invalid_transition, handover_locked"
// @Failure      422 {object} ErrorResponse "handover_code_mismatch (details.tries_left), invalid_request"
// @Router       /api/v1/staff/medicine-orders/{id}/deliver [post]
func (a *API) deliverMedicineOrder(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Medicine.Deliver, func(r MedicineDeliverRequest) string { return r.HandoverCode }, a.toStaffOrder)
}

// resetMedicineHandover godoc
// @Summary      Issue a new hand-over code for a dispatched order and clear wrong tries
// @Description  After a lock (or when the resident lost the code). The new code shows on the resident's order and they are notified; staff never see it.
// @Tags         staff
// @Produce      json
// @Security     Bearer
// @Param        id path int true "order id"
// @Success      200 {object} MedicineOrderDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "invalid_transition (not dispatched)"
// @Router       /api/v1/staff/medicine-orders/{id}/reset-handover [post]
func (a *API) resetMedicineHandover(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.Medicine.ResetHandover, a.toStaffOrder)
}

// nonZero is a pointer to id, or nil for 0.
func nonZero(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
