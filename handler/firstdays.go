package handler

import (
	"net/http"
	"time"

	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

// The first 1000 days: vaccination plans and doses, check-up plans, growth,
// growth standards and what is next. A person id is a member id until
// households and persons land (persons keep the members' ids).
func (a *API) firstDaysRoutes(public, authed, staff, admin *gin.RouterGroup) {
	public.GET("/growth-standards", a.growthStandards)
	public.GET("/vaccines", a.listCustomVaccines)
	admin.POST("/vaccines", a.saveCustomVaccine)

	authed.GET("/persons/:id/vaccinations", a.personVaccinations)
	authed.GET("/persons/:id/checkups", a.personCheckups)
	authed.GET("/persons/:id/growth", a.personGrowth)
	authed.POST("/persons/:id/growth", a.idempotent(), a.addPersonGrowth)
	authed.GET("/persons/:id/next", a.personNext)
	authed.GET("/me/next", a.familyNext)
	authed.GET("/households/:id/next", a.householdNext)

	staff.GET("/persons/:id/vaccinations", a.staffPersonVaccinations)
	staff.POST("/persons/:id/vaccinations", a.idempotent(), a.recordDose)
	staff.GET("/persons/:id/checkups", a.staffPersonCheckups)
	staff.GET("/persons/:id/growth", a.staffPersonGrowth)
	staff.POST("/persons/:id/growth", a.idempotent(), a.staffAddGrowth)
	staff.POST("/persons/:id/checkups", a.idempotent(), a.recordCheckup)
}

// DoseDTO is one dose of a vaccination plan.
type DoseDTO struct {
	Vaccine string `json:"vaccine" example:"MMR"`
	// Name is the vaccine's Chinese name.
	Name  string `json:"name" example:"麻腮风疫苗"`
	Dose  int    `json:"dose" example:"1"`
	State string `json:"state" enums:"done,due,overdue,upcoming" example:"due"`
	// DueDate is the business date (Asia/Shanghai) the dose becomes due.
	DueDate string `json:"due_date" format:"date" example:"2026-08-15"`
	// Programme is false for a 自费 (non-programme) vaccine.
	Programme bool    `json:"programme" example:"true"`
	GivenAt   *string `json:"given_at,omitempty" format:"date" example:"2026-08-16"`
	ClinicID  *int64  `json:"clinic_id,omitempty" example:"3"`
}

// PersonRefDTO names the person an answer is about.
type PersonRefDTO struct {
	ID   int64  `json:"id" example:"7"`
	Name string `json:"name" example:"小满"`
}

func personRef(m model.Person) PersonRefDTO { return PersonRefDTO{ID: m.ID, Name: m.Name} }

// VaccinationPlanDTO is a person's vaccination plan.
type VaccinationPlanDTO struct {
	Person          PersonRefDTO `json:"person"`
	ScheduleVersion string       `json:"schedule_version" example:"NIP-2021+DTaP-2025"`
	Doses           []DoseDTO    `json:"doses"`
}

func toDose(d service.DosePlan) DoseDTO {
	out := DoseDTO{Vaccine: d.Vaccine, Name: d.Name, Dose: d.Dose, State: d.State, DueDate: d.DueDate.Format(time.DateOnly), Programme: d.Programme}
	if d.GivenAt != nil {
		g := d.GivenAt.Format(time.DateOnly)
		out.GivenAt = &g
	}
	if d.ClinicID != 0 {
		c := d.ClinicID
		out.ClinicID = &c
	}
	return out
}

func toVaccinationPlan(v service.VaccinationPlan) VaccinationPlanDTO {
	return VaccinationPlanDTO{Person: personRef(v.Person), ScheduleVersion: v.ScheduleVersion, Doses: listOf(v.Doses, toDose)}
}

// personVaccinations godoc
// @Summary      A person's vaccination plan (国家免疫规划)
// @Description  Every dose of the national immunization programme schedule (2021 edition with the 2025 DTaP change) with its state and due date, recomputed from the doses given; 自费 doses recorded are listed after it with programme=false. A person of the caller's family (404 otherwise).
// @ID           getPersonVaccinations
// @Tags         first-1000-days
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Success      200 {object} VaccinationPlanDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/persons/{id}/vaccinations [get]
func (a *API) personVaccinations(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.FirstDays.Vaccinations, toVaccinationPlan)
}

// staffPersonVaccinations godoc
// @Summary      A person's vaccination plan, for staff
// @Description  As GET /persons/{id}/vaccinations, for a person within the caller's clinic's reach (a booking at the clinic or a contract with it; any person for admins).
// @ID           staffGetPersonVaccinations
// @Tags         first-1000-days
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Success      200 {object} VaccinationPlanDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/staff/persons/{id}/vaccinations [get]
func (a *API) staffPersonVaccinations(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.FirstDays.Vaccinations, toVaccinationPlan)
}

// DoseRequest records a dose given.
type DoseRequest struct {
	// Vaccine: a programme code (HepB, BCG, IPV, bOPV, DTaP, DT, MMR, JE-L,
	// JE-I, MPSV-A, MPSV-AC, HepA-L, HepA-I) or a 自费 vaccine's code.
	Vaccine string `json:"vaccine" binding:"required,min=1,max=32" example:"MMR"`
	Dose    int    `json:"dose" binding:"required,min=1,max=10" example:"1"`
	// GivenAt is when the dose was given (a past date from the paper 接种证 is fine).
	GivenAt      time.Time `json:"given_at" binding:"required" format:"date-time" example:"2026-08-16T09:30:00+08:00"`
	Lot          string    `json:"lot" binding:"max=64" example:"202605012"`
	Manufacturer string    `json:"manufacturer" binding:"max=64" example:"北京生物"`
	Site         string    `json:"site" binding:"max=64" example:"左上臂"`
	// ClinicID where it was given; default the caller's clinic.
	ClinicID  int64 `json:"clinic_id" binding:"min=0" example:"3"`
	BookingID int64 `json:"booking_id" binding:"min=0" example:"0"`
}

// recordDose godoc
// @Summary      Record a vaccination dose (staff)
// @Description  At the counter after a vaccination, or from the paper 接种证. 409 dose_already_recorded when this dose of this vaccine is on record; 422 dose_too_early (details.earliest, details.reason) before the schedule's minimum age or interval. Answers the dose as the plan now shows it.
// @ID           recordVaccinationDose
// @Tags         first-1000-days
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Param        Idempotency-Key header string false "retry key"
// @Param        body body DoseRequest true "the dose"
// @Success      201 {object} DoseDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "dose_already_recorded"
// @Failure      422 {object} ErrorResponse "dose_too_early, birth_date_required, invalid_request"
// @Router       /api/v1/staff/persons/{id}/vaccinations [post]
func (a *API) recordDose(c *gin.Context) {
	var req DoseRequest
	id, ok := pathID(c, "id")
	if !ok || !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.FirstDays.RecordDose(c.Request.Context(), principal(c), id, service.NewDose{Vaccine: req.Vaccine, Dose: req.Dose,
		GivenAt: req.GivenAt, Lot: req.Lot, Manufacturer: req.Manufacturer, Site: req.Site, ClinicID: req.ClinicID, BookingID: req.BookingID})
	reply(c, http.StatusCreated, err, func() any { return toDose(v) })
}

// CheckupDTO is one check-up of a plan.
type CheckupDTO struct {
	Kind      string `json:"kind" enums:"child,prenatal,postpartum" example:"child"`
	Code      string `json:"code" example:"m8"`
	Name      string `json:"name" example:"8月龄健康检查"`
	DueDate   string `json:"due_date" format:"date" example:"2026-08-15"`
	WindowEnd string `json:"window_end" format:"date" example:"2026-09-14"`
	// State: past is a prenatal check whose window is over (visits are not recorded here).
	State string `json:"state" enums:"done,due,overdue,upcoming,past" example:"upcoming"`
	// Recorded: staff recorded this visit (POST /staff/persons/{id}/checkups);
	// a visit is also done when staff measured the child in its window.
	Recorded *CheckupRecordRefDTO `json:"recorded,omitempty"`
}

// CheckupRecordRefDTO says when and where a visit was recorded.
type CheckupRecordRefDTO struct {
	ID        int64  `json:"id" example:"4"`
	DoneOn    string `json:"done_on" format:"date" example:"2026-08-16"`
	ClinicID  int64  `json:"clinic_id" example:"3"`
	BookingID *int64 `json:"booking_id,omitempty" example:"120"`
}

// GestationDTO is how far a pregnancy is today.
type GestationDTO struct {
	Weeks int    `json:"weeks" example:"23"`
	Days  int    `json:"days" example:"4"`
	Text  string `json:"text" example:"孕23+4周"`
}

// CheckupPlanDTO is a person's 儿保 plan (from the birth date) and prenatal
// plan (from the due date).
type CheckupPlanDTO struct {
	Person    PersonRefDTO  `json:"person"`
	Child     []CheckupDTO  `json:"child"`
	Prenatal  []CheckupDTO  `json:"prenatal"`
	Gestation *GestationDTO `json:"gestation,omitempty"`
}

func (a *API) toCheckup(c service.CheckupItem) CheckupDTO {
	out := CheckupDTO{Kind: c.Kind, Code: c.Code, Name: c.Name, DueDate: c.DueDate.Format(time.DateOnly),
		WindowEnd: c.WindowEnd.Format(time.DateOnly), State: c.State}
	if r := c.Record; r != nil {
		out.Recorded = &CheckupRecordRefDTO{ID: r.ID, DoneOn: a.timeIn(r.DoneAt).Format(time.DateOnly), ClinicID: r.ClinicID, BookingID: r.BookingID}
	}
	return out
}

func (a *API) toCheckupPlan(p service.CheckupPlan) CheckupPlanDTO {
	out := CheckupPlanDTO{Person: personRef(p.Person), Child: listOf(p.Child, a.toCheckup), Prenatal: listOf(p.Prenatal, a.toCheckup)}
	if g := p.Gestation; g != nil {
		out.Gestation = &GestationDTO{Weeks: g.Weeks, Days: g.Days, Text: g.Text}
	}
	return out
}

// personCheckups godoc
// @Summary      A person's 儿保 and prenatal check-up plans
// @Description  Child: newborn visit, 满月, 3–36 months, yearly to 6 years (done when staff measured the child in the window). Prenatal: the five checks from the due date, the postpartum visit and the 42-day check.
// @ID           getPersonCheckups
// @Tags         first-1000-days
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Success      200 {object} CheckupPlanDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/persons/{id}/checkups [get]
func (a *API) personCheckups(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.FirstDays.Checkups, a.toCheckupPlan)
}

// staffPersonCheckups godoc
// @Summary      A person's check-up plans, for staff
// @ID           staffGetPersonCheckups
// @Tags         first-1000-days
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Success      200 {object} CheckupPlanDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/staff/persons/{id}/checkups [get]
func (a *API) staffPersonCheckups(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.FirstDays.Checkups, a.toCheckupPlan)
}

// CheckupRecordRequest records a 儿保 check-up: which visit of the child's
// plan, the booking it was done at (checked in; 0 or absent at the counter),
// when (default now), what staff measured and notes.
type CheckupRecordRequest struct {
	// Code of the plan's visit: newborn_visit, one_month, m3, m6, m8, m12,
	// m18, m24, m30, m36, y4, y5, y6.
	Code      string     `json:"code" binding:"required,max=32" example:"m8"`
	BookingID int64      `json:"booking_id" binding:"min=0" example:"120"`
	DoneAt    *time.Time `json:"done_at" format:"date-time" example:"2026-08-16T09:30:00+08:00"`
	WeightKg  *float64   `json:"weight_kg" example:"8.6"`
	LengthCm  *float64   `json:"length_cm" example:"70.6"`
	HeadCm    *float64   `json:"head_cm" example:"44.5"`
	Notes     string     `json:"notes" binding:"max=1000" example:"发育正常，建议添加辅食"`
}

// CheckupRecordDTO is a recorded check-up: the plan's visit (now done), the
// record and the growth point measured (absent when nothing was measured).
type CheckupRecordDTO struct {
	ID          int64           `json:"id" example:"4"`
	PersonID    int64           `json:"person_id" example:"7"`
	DoneAt      time.Time       `json:"done_at" format:"date-time"`
	ClinicID    int64           `json:"clinic_id" example:"3"`
	BookingID   *int64          `json:"booking_id,omitempty" example:"120"`
	Notes       string          `json:"notes" example:"发育正常，建议添加辅食"`
	Visit       CheckupDTO      `json:"visit"`
	Measurement *GrowthPointDTO `json:"measurement,omitempty"`
}

// recordCheckup godoc
// @Summary      Record a 儿保 check-up (staff)
// @Description  At the check-in of a growth-assessment booking (booking_id: this child's booking at the caller's clinic, checked in) or at the counter. The measurements become a growth point measured by staff; the child's plan shows the visit done. 409 checkup_already_recorded (details.done_on, clinic_id) when the visit, or the booking, was recorded before; 422 checkup_too_early (details.earliest) more than 14 days before the visit is due; 409 booking_not_checked_in.
// @ID           recordCheckup
// @Tags         first-1000-days
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Param        Idempotency-Key header string false "retry key"
// @Param        body body CheckupRecordRequest true "the check-up"
// @Success      201 {object} CheckupRecordDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "checkup_already_recorded, booking_not_checked_in"
// @Failure      422 {object} ErrorResponse "checkup_too_early, birth_date_required, invalid_request"
// @Router       /api/v1/staff/persons/{id}/checkups [post]
func (a *API) recordCheckup(c *gin.Context) {
	var req CheckupRecordRequest
	id, ok := pathID(c, "id")
	if !ok || !bindJSON(c, &req) {
		return
	}
	in := service.NewCheckupRecord{Code: req.Code, BookingID: req.BookingID, Notes: req.Notes,
		Measure: service.NewMeasurement{WeightKg: req.WeightKg, LengthCm: req.LengthCm, HeadCm: req.HeadCm}}
	if req.DoneAt != nil {
		in.DoneAt = *req.DoneAt
	}
	v, err := a.svc.FirstDays.RecordCheckup(c.Request.Context(), principal(c), id, in)
	reply(c, http.StatusCreated, err, func() any {
		out := CheckupRecordDTO{ID: v.Record.ID, PersonID: v.Record.PersonID, DoneAt: a.timeIn(v.Record.DoneAt), ClinicID: v.Record.ClinicID,
			BookingID: v.Record.BookingID, Notes: v.Notes, Visit: a.toCheckup(v.Visit)}
		if v.Measurement != nil {
			pt := a.toGrowthPoint(*v.Measurement)
			out.Measurement = &pt
		}
		return out
	})
}

// GrowthScoresDTO holds one value per indicator (absent when not measured
// or outside the shipped tables).
type GrowthScoresDTO struct {
	WeightForAge *float64 `json:"weight_for_age,omitempty" example:"-0.42"`
	LengthForAge *float64 `json:"length_for_age,omitempty" example:"0.13"`
	HeadForAge   *float64 `json:"head_for_age,omitempty" example:"0.5"`
	// WeightForLength: under 24 months (length lying down); WeightForHeight
	// from 24 months (height standing). A point has at most one of them.
	WeightForLength *float64 `json:"weight_for_length,omitempty" example:"-0.8"`
	WeightForHeight *float64 `json:"weight_for_height,omitempty" example:"-0.3"`
}

// GrowthPointDTO is one measurement with z-scores and percentiles.
type GrowthPointDTO struct {
	ID           int64           `json:"id" example:"12"`
	MeasuredAt   time.Time       `json:"measured_at" format:"date-time"`
	AgeMonths    float64         `json:"age_months" example:"7.98"`
	WeightKg     *float64        `json:"weight_kg,omitempty" example:"8.3"`
	LengthCm     *float64        `json:"length_cm,omitempty" example:"70.1"`
	HeadCm       *float64        `json:"head_cm,omitempty" example:"44.2"`
	Z            GrowthScoresDTO `json:"z"`
	Percentile   GrowthScoresDTO `json:"percentile"`
	SelfReported bool            `json:"self_reported"`
}

// GrowthFlagDTO is a finding (preterm 早产, low_birth_weight 低出生体重, underweight 低体重,
// stunting 生长迟缓, wasting 消瘦, faltering 体重增长缓慢).
type GrowthFlagDTO struct {
	Code  string `json:"code" enums:"preterm,low_birth_weight,underweight,stunting,wasting,faltering" example:"underweight"`
	Label string `json:"label" example:"低体重"`
}

// GrowthDTO is a person's growth record.
type GrowthDTO struct {
	Person   PersonRefDTO     `json:"person"`
	Sex      string           `json:"sex" example:"male" enums:"male,female"`
	Standard string           `json:"standard" example:"WHO-2006"`
	Points   []GrowthPointDTO `json:"points"`
	Flags    []GrowthFlagDTO  `json:"flags"`
	// HighRisk: any flag makes the child 高危儿/体弱儿 (followed up by the family-doctor team).
	HighRisk bool `json:"high_risk"`
}

func scores(m map[string]float64) GrowthScoresDTO {
	get := func(k string) *float64 {
		if v, ok := m[k]; ok {
			return &v
		}
		return nil
	}
	return GrowthScoresDTO{WeightForAge: get(service.IndicatorWeightForAge), LengthForAge: get(service.IndicatorLengthForAge), HeadForAge: get(service.IndicatorHeadForAge),
		WeightForLength: get(service.IndicatorWeightForLength), WeightForHeight: get(service.IndicatorWeightForHeight)}
}

func (a *API) toGrowthPoint(p service.GrowthPoint) GrowthPointDTO {
	return GrowthPointDTO{ID: p.ID, MeasuredAt: a.timeIn(p.MeasuredAt), AgeMonths: p.AgeMonths, WeightKg: p.WeightKg, LengthCm: p.LengthCm,
		HeadCm: p.HeadCm, Z: scores(p.Z), Percentile: scores(p.Percentile), SelfReported: p.SelfReported}
}

func (a *API) toGrowth(v service.GrowthView) GrowthDTO {
	return GrowthDTO{Person: personRef(v.Person), Sex: v.Sex, Standard: v.Standard, HighRisk: v.HighRisk, Points: listOf(v.Points, a.toGrowthPoint),
		Flags: listOf(v.Flags, func(f service.GrowthFlag) GrowthFlagDTO { return GrowthFlagDTO{Code: f.Code, Label: f.Label} })}
}

// personGrowth godoc
// @Summary      A person's growth measurements with z-scores (WHO standards)
// @ID           getPersonGrowth
// @Tags         first-1000-days
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Success      200 {object} GrowthDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/persons/{id}/growth [get]
func (a *API) personGrowth(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.FirstDays.Growth, a.toGrowth)
}

// staffPersonGrowth godoc
// @Summary      A person's growth measurements, for staff
// @ID           staffGetPersonGrowth
// @Tags         first-1000-days
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Success      200 {object} GrowthDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/staff/persons/{id}/growth [get]
func (a *API) staffPersonGrowth(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.FirstDays.Growth, a.toGrowth)
}

// GrowthRequest is a measurement; at least one value.
type GrowthRequest struct {
	// MeasuredAt defaults to now.
	MeasuredAt *time.Time `json:"measured_at" format:"date-time" example:"2026-08-16T09:30:00+08:00"`
	WeightKg   *float64   `json:"weight_kg" example:"8.3"`
	LengthCm   *float64   `json:"length_cm" example:"70.1"`
	HeadCm     *float64   `json:"head_cm" example:"44.2"`
}

func (a *API) addGrowth(c *gin.Context) {
	var req GrowthRequest
	id, ok := pathID(c, "id")
	if !ok || !bindJSON(c, &req) {
		return
	}
	in := service.NewMeasurement{WeightKg: req.WeightKg, LengthCm: req.LengthCm, HeadCm: req.HeadCm}
	if req.MeasuredAt != nil {
		in.MeasuredAt = *req.MeasuredAt
	}
	v, err := a.svc.FirstDays.AddGrowth(c.Request.Context(), principal(c), id, in)
	reply(c, http.StatusCreated, err, func() any { return a.toGrowthPoint(v) })
}

// addPersonGrowth godoc
// @Summary      Enter a measurement at home (marked self_reported)
// @ID           addPersonGrowth
// @Tags         first-1000-days
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Param        Idempotency-Key header string false "retry key"
// @Param        body body GrowthRequest true "the measurement"
// @Success      201 {object} GrowthPointDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/persons/{id}/growth [post]
func (a *API) addPersonGrowth(c *gin.Context) { a.addGrowth(c) }

// staffAddGrowth godoc
// @Summary      Record a measurement taken at the clinic (staff)
// @ID           staffAddPersonGrowth
// @Tags         first-1000-days
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Param        Idempotency-Key header string false "retry key"
// @Param        body body GrowthRequest true "the measurement"
// @Success      201 {object} GrowthPointDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/persons/{id}/growth [post]
func (a *API) staffAddGrowth(c *gin.Context) { a.addGrowth(c) }

// GrowthStandardsQuery picks a curve set.
type GrowthStandardsQuery struct {
	Indicator string `form:"indicator" binding:"required" enums:"weight_for_age,length_for_age,head_for_age,weight_for_length,weight_for_height"`
	Sex       string `form:"sex" binding:"required" enums:"male,female"`
}

// CurvePointDTO is one point of the reference curves: a completed month
// (age-based indicators) or a length/height in cm (weight-for-length/height).
type CurvePointDTO struct {
	Month *int     `json:"month,omitempty" example:"8"`
	Cm    *float64 `json:"cm,omitempty" example:"72.5"`
	// Measure (length_for_age only): "length" lying down to 24 months,
	// "height" standing from 24 months; month 24 is given for both.
	Measure string  `json:"measure,omitempty" enums:"length,height" example:"length"`
	SDNeg3  float64 `json:"sd_neg3" example:"6.2"`
	SDNeg2  float64 `json:"sd_neg2" example:"6.9"`
	Median  float64 `json:"median" example:"8.6"`
	SD2     float64 `json:"sd2" example:"10.7"`
	SD3     float64 `json:"sd3" example:"11.9"`
	P3      float64 `json:"p3" example:"7.0"`
	P15     float64 `json:"p15" example:"7.7"`
	P85     float64 `json:"p85" example:"9.6"`
	P97     float64 `json:"p97" example:"10.5"`
}

// GrowthStandardsDTO are the reference curves of one indicator and sex.
type GrowthStandardsDTO struct {
	Standard  string `json:"standard" example:"WHO-2006"`
	Indicator string `json:"indicator" example:"weight_for_age" enums:"weight_for_age,length_for_age,head_for_age,weight_for_length,weight_for_height"`
	Sex       string `json:"sex" example:"male" enums:"male,female"`
	// XAxis: "month" (points carry month) or "cm" (points carry cm).
	XAxis string `json:"x_axis" enums:"month,cm" example:"month"`
	// Unit of the curve values.
	Unit   string          `json:"unit" example:"kg" enums:"kg,cm"`
	Months []CurvePointDTO `json:"months"`
}

// growthStandards godoc
// @Summary      WHO growth reference curves for the chart
// @Description  −3/−2/0/+2/+3 SD and P3/P15/P85/P97 (WHO Child Growth Standards 2006): weight-for-age and head-for-age by completed month 0–60; length-for-age 0–24 months lying length, then 24–60 standing height (`measure`); weight-for-length 45–110 cm and weight-for-height 65–120 cm every 0.5 cm (`cm`).
// @ID           getGrowthStandards
// @Tags         first-1000-days
// @Produce      json
// @Param        indicator query string true "indicator" Enums(weight_for_age, length_for_age, head_for_age, weight_for_length, weight_for_height)
// @Param        sex query string true "sex" Enums(male, female)
// @Success      200 {object} GrowthStandardsDTO
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/growth-standards [get]
func (a *API) growthStandards(c *gin.Context) {
	var q GrowthStandardsQuery
	if !bindQuery(c, &q) {
		return
	}
	rows, err := a.svc.FirstDays.GrowthStandard(q.Indicator, q.Sex)
	reply(c, http.StatusOK, err, func() any {
		units := service.GrowthStandardUnits[q.Indicator]
		return GrowthStandardsDTO{Standard: service.GrowthStandardsVersion, Indicator: q.Indicator, Sex: q.Sex, XAxis: units[0], Unit: units[1],
			Months: listOf(rows, func(r service.CurvePoint) CurvePointDTO {
				p := CurvePointDTO{Measure: r.Measure, SDNeg3: r.SDNeg3, SDNeg2: r.SDNeg2, Median: r.Median, SD2: r.SD2, SD3: r.SD3,
					P3: r.P3, P15: r.P15, P85: r.P85, P97: r.P97}
				if units[0] == "cm" {
					x := r.X
					p.Cm = &x
				} else {
					m := int(r.X)
					p.Month = &m
				}
				return p
			})}
	})
}

// NextItemDTO is one thing due.
type NextItemDTO struct {
	Kind  string `json:"kind" enums:"vaccination,checkup,prenatal,booking" example:"vaccination"`
	Title string `json:"title" example:"麻腮风疫苗 第1剂"`
	// Date: the business date due (YYYY-MM-DD), or the booking's start (RFC 3339).
	Date      string `json:"date" example:"2026-08-15"`
	State     string `json:"state" enums:"overdue,due,upcoming,booked" example:"due"`
	Vaccine   string `json:"vaccine,omitempty" example:"MMR"`
	Dose      int    `json:"dose,omitempty" example:"1"`
	BookingID int64  `json:"booking_id,omitempty"`
}

// PersonNextDTO is what is next for one person, overdue first.
type PersonNextDTO struct {
	PersonID int64         `json:"person_id" example:"7"`
	Name     string        `json:"name" example:"小满"`
	Items    []NextItemDTO `json:"items"`
}

// FamilyNextDTO is what is next for every person of the family.
type FamilyNextDTO struct {
	Persons []PersonNextDTO `json:"persons"`
}

func (a *API) toPersonNext(p service.PersonNext) PersonNextDTO {
	return PersonNextDTO{PersonID: p.PersonID, Name: p.Name, Items: listOf(p.Items, func(i service.NextItem) NextItemDTO {
		d := i.Date.Format(time.DateOnly)
		if i.Kind == "booking" {
			d = a.timeIn(i.Date).Format(time.RFC3339)
		}
		return NextItemDTO{Kind: i.Kind, Title: i.Title, Date: d, State: i.State, Vaccine: i.Vaccine, Dose: i.Dose, BookingID: i.BookingID}
	})}
}

// personNext godoc
// @Summary      What is next for a person
// @Description  Doses and check-ups overdue, due, or due within 30 days, and bookings ahead; overdue first, then by date.
// @ID           getPersonNext
// @Tags         first-1000-days
// @Produce      json
// @Security     Bearer
// @Param        id path int true "person id"
// @Success      200 {object} PersonNextDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/persons/{id}/next [get]
func (a *API) personNext(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.FirstDays.Next, a.toPersonNext)
}

// familyNext godoc
// @Summary      What is next for every person of the caller's family
// @Description  The home screen: every person the caller acts for, in all its households, in a few queries.
// @ID           getFamilyNext
// @Tags         first-1000-days
// @Produce      json
// @Security     Bearer
// @Success      200 {object} FamilyNextDTO
// @Failure      401 {object} ErrorResponse
// @Router       /api/v1/me/next [get]
func (a *API) familyNext(c *gin.Context) {
	v, err := a.svc.FirstDays.FamilyNext(c.Request.Context(), principal(c))
	reply(c, http.StatusOK, err, func() any { return FamilyNextDTO{Persons: listOf(v, a.toPersonNext)} })
}

// householdNext godoc
// @Summary      What is next for every person of a household
// @Description  Persons with something overdue first, then by the date of their first item; each person's items overdue first, then by date. A self_only account sees itself. 404 for a household the caller is not in.
// @ID           getHouseholdNext
// @Tags         first-1000-days
// @Produce      json
// @Security     Bearer
// @Param        id path int true "household id"
// @Success      200 {object} FamilyNextDTO
// @Failure      401 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/households/{id}/next [get]
func (a *API) householdNext(c *gin.Context) {
	onID(c, http.StatusOK, a.svc.FirstDays.HouseholdNext, func(v []service.PersonNext) FamilyNextDTO {
		return FamilyNextDTO{Persons: listOf(v, a.toPersonNext)}
	})
}

// CustomDoseDTO is one dose of a 自费 vaccine.
type CustomDoseDTO struct {
	Dose int `json:"dose" binding:"required,min=1,max=10" example:"1"`
	// AgeMonths is the minimum age.
	AgeMonths int `json:"age_months" binding:"min=0,max=216" example:"6"`
	// IntervalDays is the minimum interval after the previous dose.
	IntervalDays int `json:"interval_days" binding:"min=0,max=3650" example:"28"`
}

// CustomVaccineDTO is a non-programme (自费) vaccine.
type CustomVaccineDTO struct {
	Code  string          `json:"code" binding:"required,min=1,max=32" example:"EV71"`
	Name  string          `json:"name" binding:"required,min=1,max=64" example:"肠道病毒71型灭活疫苗"`
	Doses []CustomDoseDTO `json:"doses" binding:"required,min=1,max=10,dive"`
}

// CustomVaccineList lists the 自费 vaccines.
type CustomVaccineList struct {
	Items []CustomVaccineDTO `json:"items"`
}

func toCustomVaccine(v model.CustomVaccine) CustomVaccineDTO {
	return CustomVaccineDTO{Code: v.Code, Name: v.Name, Doses: listOf(v.Doses, func(d model.CustomDose) CustomDoseDTO {
		return CustomDoseDTO{Dose: d.Dose, AgeMonths: d.AgeMonths, IntervalDays: d.IntervalDays}
	})}
}

// listCustomVaccines godoc
// @Summary      The 自费 (non-programme) vaccines the network offers
// @Description  Admin-maintained data: a child's plan shows a 自费 vaccine's later doses once a first dose is recorded.
// @ID           listCustomVaccines
// @Tags         first-1000-days
// @Produce      json
// @Success      200 {object} CustomVaccineList
// @Router       /api/v1/vaccines [get]
func (a *API) listCustomVaccines(c *gin.Context) {
	vs, err := a.svc.FirstDays.CustomVaccines(c.Request.Context())
	reply(c, http.StatusOK, err, func() any { return CustomVaccineList{Items: listOf(vs, toCustomVaccine)} })
}

// saveCustomVaccine godoc
// @Summary      Add or change a 自费 vaccine (admins)
// @Description  By code (not a programme code); doses numbered from 1 with minimum age and interval.
// @ID           saveCustomVaccine
// @Tags         first-1000-days
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        body body CustomVaccineDTO true "the vaccine"
// @Success      200 {object} CustomVaccineDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/admin/vaccines [post]
func (a *API) saveCustomVaccine(c *gin.Context) {
	var req CustomVaccineDTO
	if !bindJSON(c, &req) {
		return
	}
	in := service.CustomVaccineInput{Code: req.Code, Name: req.Name}
	for _, d := range req.Doses {
		in.Doses = append(in.Doses, model.CustomDose{Dose: d.Dose, AgeMonths: d.AgeMonths, IntervalDays: d.IntervalDays})
	}
	v, err := a.svc.FirstDays.SaveCustomVaccine(c.Request.Context(), in)
	reply(c, http.StatusOK, err, func() any { return toCustomVaccine(v) })
}
