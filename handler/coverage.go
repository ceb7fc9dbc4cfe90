package handler

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"
)

// Coverage figures that mean what the policy means (README "Coverage
// figures"): staff record 失能 and 特困 on persons, households are placed in
// a village of a clinic's catchment, and the figures count key elderly
// persons of each catchment, as JSON or as a spreadsheet for the county.
func (a *API) coverageRoutes(authed, staff *gin.RouterGroup) {
	authed.PUT("/households/:id/village", a.placeHousehold)
	staff.PUT("/households/:id/village", a.placeHousehold)
	staff.PUT("/persons/:id/coverage-flags", a.setCoverageFlags)
	staff.GET("/stats/coverage", a.coverageStats)
	staff.GET("/stats/coverage.xlsx", a.coverageXLSX)
}

// VillageRequest places a household in a village or community.
type VillageRequest struct {
	// Village: one of the catchment names of a clinic (GET /clinics/{id}:
	// catchment; staff: of their own clinics); "" clears it.
	Village *string `json:"village" binding:"required,max=64" example:"柳树村"`
}

// placeHousehold godoc
// @Summary      Place a household in a village or community of a clinic's catchment
// @Description  The coverage figures count a clinic's catchment through the village of each household. A guardian picks one of the catchment names of any open clinic (GET /clinics/{id}: catchment); staff at the counter one of their own clinics' catchment names, for a household their clinic made or one of whose persons is within their clinic's work; admins any. An empty village clears it. Audited.
// @Tags         households
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int            true "household id"
// @Param        body body VillageRequest true "the village"
// @Success      200 {object} HouseholdDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse "not_guardian"
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse "invalid_request, village_not_in_catchment"
// @Router       /api/v1/households/{id}/village [put]
// @Router       /api/v1/staff/households/{id}/village [put]
func (a *API) placeHousehold(c *gin.Context) {
	id, ok1 := pathID(c, "id")
	var req VillageRequest
	if !ok1 || !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Households.SetVillage(c.Request.Context(), principal(c), id, *req.Village)
	reply(c, http.StatusOK, err, func() any { return toHousehold(v) })
}

// CoverageFlagsRequest records 失能 and 特困 on a person; a field left out
// stays as it is.
type CoverageFlagsRequest struct {
	// Disabled: 失能 (assessed as unable to look after themselves).
	Disabled *bool `json:"disabled"`
	// SpecialHardship: 特困 (特困供养人员).
	SpecialHardship *bool `json:"special_hardship"`
}

// setCoverageFlags godoc
// @Summary      Record 失能 (disabled) and 特困 (special hardship) on a person
// @Description  Staff, for a person within their clinic's work (admins: anyone). 高龄 (80+) is not recorded: it follows from the birth date. With it, the flags make a person aged 65+ a key person of the family-doctor coverage target. Audited (who, before, after); a resident cannot set them.
// @Tags         staff
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int                  true "person id"
// @Param        body body CoverageFlagsRequest true "the flags"
// @Success      200 {object} StaffPersonDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/persons/{id}/coverage-flags [put]
func (a *API) setCoverageFlags(c *gin.Context) {
	id, ok1 := pathID(c, "id")
	var req CoverageFlagsRequest
	if !ok1 || !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Households.SetCoverageFlags(c.Request.Context(), principal(c), id,
		service.CoverageFlagsInput{Disabled: req.Disabled, SpecialHardship: req.SpecialHardship})
	reply(c, http.StatusOK, err, func() any { return toStaffPerson(v) })
}

// CoverageQuery picks one clinic of the caller's scope.
type CoverageQuery struct {
	ClinicID int64 `form:"clinic_id" binding:"omitempty,min=1"`
}

// CoverageFiguresDTO are the figures of one catchment; each person counts
// once however many households name them.
type CoverageFiguresDTO struct {
	// Catchment: the villages and communities counted (a branch's include
	// its stations').
	Catchment []string `json:"catchment" example:"石桥镇,柳树村"`
	// Elderly: persons aged 65+ living there.
	Elderly int64 `json:"elderly" example:"120"`
	// KeyElderly: of them, disabled (失能), 80+ (高龄) or in special hardship
	// (特困): the denominator of the target.
	KeyElderly      int64 `json:"key_elderly" example:"40"`
	Disabled        int64 `json:"disabled" example:"9"`
	VeryOld         int64 `json:"very_old" example:"30"`
	SpecialHardship int64 `json:"special_hardship" example:"4"`
	// Signed: key elderly persons covered by an active family-doctor
	// contract (any team); SignedByClinic: by this clinic's teams (a
	// branch's: with its stations').
	Signed         int64 `json:"signed" example:"33"`
	SignedByClinic int64 `json:"signed_by_clinic" example:"30"`
	// Rate = signed / key_elderly (0 to 1, 4 decimals); absent without key
	// elderly persons.
	Rate        *float64 `json:"rate,omitempty" example:"0.825"`
	MeetsTarget bool     `json:"meets_target"`
}

// ClinicCoverageDTO is a clinic's row of the figures.
type ClinicCoverageDTO struct {
	ClinicID   int64  `json:"clinic_id" example:"3"`
	ClinicName string `json:"clinic_name" example:"石桥镇卫生院"`
	Kind       string `json:"kind" enums:"main_hospital,branch,station" example:"branch"`
	ParentID   *int64 `json:"parent_id"`
	CoverageFiguresDTO
}

// CoverageReportDTO is the coverage of the caller's scope.
type CoverageReportDTO struct {
	AsOf string `json:"as_of" format:"date" example:"2026-11-23"`
	// Scope: network (an admin without clinic_id) or clinic.
	Scope  string  `json:"scope" enums:"network,clinic" example:"network"`
	Target float64 `json:"target" example:"0.8"`
	// Total: over the catchments of every row, persons counted once.
	Total CoverageFiguresDTO `json:"total"`
	// UnplacedKeyElderly (network scope): key elderly persons whose
	// households name no village of any clinic's catchment; place them
	// (PUT /households/{id}/village) to count them.
	UnplacedKeyElderly *int64              `json:"unplaced_key_elderly,omitempty" example:"5"`
	Clinics            []ClinicCoverageDTO `json:"clinics"`
}

func toCoverageFigures(f service.CoverageFigures, target float64) CoverageFiguresDTO {
	return CoverageFiguresDTO{Catchment: nonNil(f.Catchment), Elderly: f.Elderly, KeyElderly: f.KeyElderly,
		Disabled: f.Disabled, VeryOld: f.VeryOld, SpecialHardship: f.SpecialHardship, Signed: f.Signed,
		SignedByClinic: f.SignedHere, Rate: f.Rate, MeetsTarget: f.Rate != nil && *f.Rate >= target}
}

func toCoverageReport(r service.CoverageReport) CoverageReportDTO {
	d := CoverageReportDTO{AsOf: r.AsOf, Scope: "clinic", Target: r.Target, Total: toCoverageFigures(r.Total, r.Target),
		UnplacedKeyElderly: r.Unplaced, Clinics: make([]ClinicCoverageDTO, 0, len(r.Clinics))}
	if r.Network {
		d.Scope = "network"
	}
	for _, c := range r.Clinics {
		d.Clinics = append(d.Clinics, ClinicCoverageDTO{ClinicID: c.Clinic.ID, ClinicName: c.Clinic.Name, Kind: c.Clinic.Kind,
			ParentID: c.Clinic.ParentID, CoverageFiguresDTO: toCoverageFigures(c.CoverageFigures, r.Target)})
	}
	return d
}

// coverageStats godoc
// @Summary      Family-doctor coverage of key elderly persons, per clinic and in total
// @Description  The 2027 target (80 %) as the policy means it: persons aged 65+ (基本公卫) who are disabled (失能), 80+ (高龄) or in special hardship (特困), living in a clinic's catchment (the village of their household), each counted once; signed when an active contract covers them. Admins: every open clinic and the network (or clinic_id); staff: the clinics of their scope (a branch: with its stations), or one of them (another clinic is 403). The same figures as a spreadsheet: GET /staff/stats/coverage.xlsx.
// @Tags         staff
// @Produce      json
// @Security     Bearer
// @Param        clinic_id query int false "one clinic of the caller's scope"
// @Success      200 {object} CoverageReportDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse "no such clinic"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/stats/coverage [get]
func (a *API) coverageStats(c *gin.Context) {
	var q CoverageQuery
	if !bindQuery(c, &q) {
		return
	}
	r, err := a.svc.Contracts.Coverage(c.Request.Context(), principal(c), q.ClinicID)
	reply(c, http.StatusOK, err, func() any { return toCoverageReport(r) })
}

// XLSXContentType is the media type of an .xlsx workbook.
const XLSXContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// coverageXLSX godoc
// @Summary      The coverage figures as a spreadsheet (XLSX) for the county's reporting
// @Description  The figures of GET /staff/stats/coverage in a workbook: sheet 签约覆盖 has a row per clinic and a total row (合计), with Chinese headers; sheet 说明 the date, the scope and the definitions. Sent as an attachment (Content-Disposition, the file name in Chinese as filename*).
// @Tags         staff
// @Produce      application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
// @Produce      json
// @Security     Bearer
// @Param        clinic_id query int false "one clinic of the caller's scope"
// @Success      200 {file} file "the workbook"
// @Header       200 {string} Content-Disposition "attachment, with the file name (ASCII as filename, the Chinese name as filename* in UTF-8)"
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse "no such clinic"
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/staff/stats/coverage.xlsx [get]
func (a *API) coverageXLSX(c *gin.Context) {
	var q CoverageQuery
	if !bindQuery(c, &q) {
		return
	}
	r, err := a.svc.Contracts.Coverage(c.Request.Context(), principal(c), q.ClinicID)
	if err != nil {
		fail(c, err)
		return
	}
	f, err := coverageWorkbook(toCoverageReport(r))
	if err == nil {
		var body []byte
		if body, err = workbookBytes(f); err == nil {
			sendXLSX(c, body, "family-doctor-coverage-"+r.AsOf+".xlsx", "家庭医生签约覆盖-"+r.AsOf+".xlsx")
			return
		}
	}
	fail(c, err)
}

// sendXLSX sends a workbook as an attachment: the ASCII file name as
// filename, the Chinese one as filename* (UTF-8).
func sendXLSX(c *gin.Context, body []byte, ascii, name string) {
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name)))
	c.Data(http.StatusOK, XLSXContentType, body)
}

// workbookBytes writes f out and closes it.
func workbookBytes(f *excelize.File) ([]byte, error) {
	defer f.Close()
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Sheets and headers of the coverage workbook.
const (
	coverageSheet = "签约覆盖"
	coverageNotes = "说明"
)

var coverageHeaders = []string{"机构编号", "机构名称", "机构类型", "服务村/社区", "65岁及以上老年人", "重点人群（失能/高龄/特困）",
	"其中失能", "其中高龄（80岁及以上）", "其中特困", "已签约", "其中本机构团队签约", "签约率", "目标", "是否达标"}

var clinicKindNames = map[string]string{model.ClinicMainHospital: "总院", model.ClinicBranch: "分院", model.ClinicStation: "驿站"}

// coverageWorkbook writes the report as an XLSX workbook (the caller
// writes it out with workbookBytes, after adding to it).
func coverageWorkbook(r CoverageReportDTO) (_ *excelize.File, err error) {
	f := excelize.NewFile()
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	if err := f.SetSheetName("Sheet1", coverageSheet); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(coverageNotes); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}})
	if err != nil {
		return nil, err
	}
	percent, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return nil, err
	}
	boldPercent, err := f.NewStyle(&excelize.Style{NumFmt: 10, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	if err := f.SetSheetRow(coverageSheet, "A1", &coverageHeaders); err != nil {
		return nil, err
	}
	row := func(n int, id any, name, kind string, fg CoverageFiguresDTO) error {
		cells := []any{id, name, kind, strings.Join(fg.Catchment, "、"), fg.Elderly, fg.KeyElderly, fg.Disabled, fg.VeryOld,
			fg.SpecialHardship, fg.Signed, fg.SignedByClinic, "—", r.Target, "否"}
		if fg.Rate != nil {
			cells[11] = *fg.Rate
		}
		if fg.MeetsTarget {
			cells[13] = "是"
		}
		return f.SetSheetRow(coverageSheet, fmt.Sprintf("A%d", n), &cells)
	}
	n := 2
	for _, c := range r.Clinics {
		kind := clinicKindNames[c.Kind]
		if kind == "" {
			kind = c.Kind
		}
		if err := row(n, c.ClinicID, c.ClinicName, kind, c.CoverageFiguresDTO); err != nil {
			return nil, err
		}
		n++
	}
	total := "本机构范围合计"
	if r.Scope == "network" {
		total = "全县合计"
	}
	if err := row(n, "合计", total, "", r.Total); err != nil {
		return nil, err
	}
	last := fmt.Sprintf("N%d", n)
	for _, s := range []struct {
		from, to string
		style    int
	}{{"A1", "N1", bold}, {"L2", fmt.Sprintf("M%d", n), percent}, {fmt.Sprintf("A%d", n), last, bold},
		{fmt.Sprintf("L%d", n), fmt.Sprintf("M%d", n), boldPercent}} {
		if err := f.SetCellStyle(coverageSheet, s.from, s.to, s.style); err != nil {
			return nil, err
		}
	}
	for col, width := range map[string]float64{"A": 10, "B": 24, "C": 8, "D": 36, "E": 12, "F": 16, "G": 10, "H": 14, "I": 10,
		"J": 10, "K": 14, "L": 10, "M": 8, "N": 10} {
		if err := f.SetColWidth(coverageSheet, col, col, width); err != nil {
			return nil, err
		}
	}
	if err := f.SetPanes(coverageSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	scope := "本机构（分院含所辖驿站）"
	if r.Scope == "network" {
		scope = "全县（医共体全部开放机构）"
	}
	notes := [][]any{
		{"统计日期", r.AsOf},
		{"统计范围", scope},
		{"老年人", "65岁及以上（按出生日期，北京时间统计日计算）"},
		{"重点人群", "65岁及以上且失能、高龄（80岁及以上）或特困之一；一人只计一次"},
		{"服务范围", "家庭所在村/社区属于机构服务范围（分院含所辖驿站）；同一人在多个家庭中只计一次"},
		{"已签约", "有效期内（生效中）的家庭医生签约覆盖该人"},
		{"签约目标", fmt.Sprintf("%.0f%%", r.Target*100)},
	}
	if r.UnplacedKeyElderly != nil {
		notes = append(notes, []any{"未落入服务范围的重点人群", *r.UnplacedKeyElderly})
	}
	for i, line := range notes {
		if err := f.SetSheetRow(coverageNotes, fmt.Sprintf("A%d", i+1), &line); err != nil {
			return nil, err
		}
	}
	if err := f.SetColWidth(coverageNotes, "A", "A", 24); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(coverageNotes, "B", "B", 70); err != nil {
		return nil, err
	}
	return f, nil
}

// familyDoctorSheet is the sheet of the contract and delivery figures the
// family-doctor workbook adds to the coverage workbook.
const familyDoctorSheet = "签约与配送"

// familyDoctorWorkbook is the coverage workbook of d.Coverage with the
// sheet 签约与配送: one figure a row (label, value).
func familyDoctorWorkbook(d FamilyDoctorStatsDTO) ([]byte, error) {
	f, err := coverageWorkbook(d.Coverage)
	if err != nil {
		return nil, err
	}
	fail := func(err error) ([]byte, error) {
		_ = f.Close()
		return nil, err
	}
	if _, err := f.NewSheet(familyDoctorSheet); err != nil {
		return fail(err)
	}
	clinics := "全部机构"
	if len(d.ClinicIDs) > 0 {
		ids := make([]string, len(d.ClinicIDs))
		for i, id := range d.ClinicIDs {
			ids[i] = fmt.Sprint(id)
		}
		clinics = strings.Join(ids, "、")
	}
	var median any = "—"
	if d.MedianDeliveryHours != nil {
		median = *d.MedianDeliveryHours
	}
	m := d.MedicineOrders
	rows := [][]any{
		{"项目", "数值"},
		{"统计日期", d.AsOf},
		{"送药统计月份", d.Month},
		{"统计机构编号", clinics},
		{"有效签约（份）", d.ActiveContracts},
		{"待审核签约（份）", d.PendingContracts},
		{"30天内到期签约（份）", d.ContractsExpiring30d},
		{"签约覆盖人数（全年龄）", d.CoveredMembers},
		{"本月送药申请：待审核", m.Requested},
		{"本月送药申请：已批准", m.Approved},
		{"本月送药申请：配送中", m.Dispatched},
		{"本月送药申请：已送达", m.Delivered},
		{"本月送药申请：已驳回", m.Rejected},
		{"本月送药申请：已取消", m.Cancelled},
		{"本月送达（单）", d.DeliveredThisMonth},
		{"送达时长中位数（小时）", median},
	}
	for i, row := range rows {
		if err := f.SetSheetRow(familyDoctorSheet, fmt.Sprintf("A%d", i+1), &row); err != nil {
			return fail(err)
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fail(err)
	}
	if err := f.SetCellStyle(familyDoctorSheet, "A1", "B1", bold); err != nil {
		return fail(err)
	}
	if err := f.SetColWidth(familyDoctorSheet, "A", "A", 28); err != nil {
		return fail(err)
	}
	if err := f.SetColWidth(familyDoctorSheet, "B", "B", 20); err != nil {
		return fail(err)
	}
	return workbookBytes(f)
}
