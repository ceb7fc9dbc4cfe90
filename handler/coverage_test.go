package handler_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"familycare/handler"
	"familycare/model"
	"familycare/testkit"

	"github.com/xuri/excelize/v2"
)

// covWorld is a county of three catchments: branch 3 (石桥镇) with its
// station 5 (柳树村), branch 4 (河口镇), and a household placed nowhere.
type covWorld struct {
	h                                  *testkit.Harness
	admin, staff3, staff4, a, b, c, d  testkit.User
	a1, a2, a3, a4, b1, b2, c1, d1     int64
	ha, hb, hc, hd                     int64
	contractA1, contractB1, contractC1 int64
}

func covPut(h *testkit.Harness, u testkit.User, path string, body map[string]any) *testkit.Response {
	h.T.Helper()
	return h.Do("PUT", path, body, testkit.Token(u.Token))
}

// covLink puts person id (of guardian owner) into household hh of guardian
// joiner through a link request with the person's document.
func covLink(t *testing.T, h *testkit.Harness, owner, joiner testkit.User, id, hh int64) {
	t.Helper()
	num := setResidentID(t, h, owner, id)
	lr := ctID(h.Do("POST", ctPath("/api/v1/persons/%d/link-requests", id), map[string]any{"household_id": hh,
		"relation": "parent", "id_type": "resident_id", "id_number": num}, testkit.Token(joiner.Token)).Expect(201).Map())
	h.Do("POST", ctPath("/api/v1/link-requests/%d/approve", lr), nil, testkit.Token(owner.Token)).Expect(200)
}

func newCovWorld(t *testing.T) *covWorld {
	h := ctNew(t)
	h.Seed()
	w := &covWorld{h: h, admin: h.Admin("cov-admin"), staff3: h.Staff("cov-s3", ctClinic3), staff4: h.Staff("cov-s4", ctClinic4),
		a: h.Login("cov-a"), b: h.Login("cov-b"), c: h.Login("cov-c"), d: h.Login("cov-d")}
	// The catchments, as an admin sets them: station 5 (柳树村) hangs under
	// branch 3.
	for id, names := range map[int64][]string{ctClinic3: {"石桥镇"}, 5: {"柳树村"}, ctClinic4: {"河口镇"}} {
		covPut(h, w.admin, ctPath("/api/v1/admin/clinics/%d", id), map[string]any{"catchment": names}).Expect(200)
	}
	var st model.Clinic
	if err := h.DB.First(&st, 5).Error; err != nil || st.ParentID == nil || *st.ParentID != ctClinic3 || st.Kind != model.ClinicStation {
		t.Fatalf("clinic 5 is not a station of clinic 3: %+v %v", st, err)
	}
	elder := func(u testkit.User, name string, age int) int64 {
		return h.Member(u, map[string]any{"name": name, "relation": "parent", "gender": "male", "birth_date": ctBirth(age, 30)})
	}
	w.a1, w.a2, w.a3, w.a4 = elder(w.a, "甲一", 85), elder(w.a, "甲二", 70), elder(w.a, "甲三", 70), elder(w.a, "甲四", 60)
	w.b1, w.b2 = elder(w.b, "乙一", 72), elder(w.b, "乙二", 90)
	w.c1 = elder(w.c, "丙一", 81)
	w.d1 = elder(w.d, "丁一", 83)
	w.ha, w.hb, w.hc, w.hd = firstHousehold(t, h, w.a), firstHousehold(t, h, w.b), firstHousehold(t, h, w.c), firstHousehold(t, h, w.d)
	// 甲一 is also in 乙's household (石桥镇), 乙一 also in 丙's (河口镇).
	covLink(t, h, w.a, w.b, w.a1, w.hb)
	covLink(t, h, w.b, w.c, w.b1, w.hc)

	// Contracts: 甲一 with branch 3's team, 乙一 and 丙一 with branch 4's;
	// 乙二's ended.
	w.contractA1 = ctContract(h, w.a, w.staff3, ctTeam3, w.a1)
	w.contractB1 = ctContract(h, w.b, w.staff4, ctTeam4, w.b1)
	w.contractC1 = ctContract(h, w.c, w.staff4, ctTeam4, w.c1)
	ended := ctContract(h, w.b, w.staff4, ctTeam4, w.b2)
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/terminate", ended), map[string]any{"reason": "搬去城里和子女同住"}, testkit.Token(w.b.Token)).Expect(200)
	return w
}

// TestCoverage_FlagsAndPlaces: staff record 失能 and 特困 within their reach
// (audited), a resident cannot; guardians and staff place households in a
// catchment village, validated against the catchment.
func TestCoverage_FlagsAndPlaces(t *testing.T) {
	w := newCovWorld(t)
	h := w.h
	flags := func(id int64) (bool, bool) {
		var p model.Person
		if err := h.DB.First(&p, id).Error; err != nil {
			t.Fatal(err)
		}
		return p.Disabled, p.SpecialHardship
	}
	// A resident cannot set the flags: the staff route is 403, and the
	// person's own PUT ignores them.
	covPut(h, w.a, ctPath("/api/v1/staff/persons/%d/coverage-flags", w.a2), map[string]any{"disabled": true}).ExpectError(403, "forbidden")
	covPut(h, w.a, ctPath("/api/v1/persons/%d", w.a2), map[string]any{"disabled": true, "special_hardship": true}).Expect(200)
	if d, s := flags(w.a2); d || s {
		t.Fatalf("a resident set the flags: %v %v", d, s)
	}
	// Staff of branch 4 reach 乙一 (their contract), not 甲二 (no work with
	// them): 404, nothing written.
	covPut(h, w.staff4, ctPath("/api/v1/staff/persons/%d/coverage-flags", w.a2), map[string]any{"disabled": true}).ExpectError(404, "not_found")
	res := covPut(h, w.staff4, ctPath("/api/v1/staff/persons/%d/coverage-flags", w.b1), map[string]any{"special_hardship": true}).Expect(200).Map()
	if fl := fmt.Sprint(res["flags"]); !strings.Contains(fl, "special_hardship") || !strings.Contains(fl, "key_elderly") || strings.Contains(fl, " disabled") {
		t.Fatalf("flags of 乙一: %s", fl)
	}
	covPut(h, w.staff4, ctPath("/api/v1/staff/persons/%d/coverage-flags", w.b1), map[string]any{}).ExpectError(422, "invalid_request")
	covPut(h, w.staff4, ctPath("/api/v1/staff/persons/%d/coverage-flags", w.b1), map[string]any{"disabled": "yes"}).ExpectError(422, "invalid_request")
	// Admins reach anyone; a 60-year-old may be disabled but is no key
	// elderly person.
	covPut(h, w.admin, ctPath("/api/v1/staff/persons/%d/coverage-flags", w.a2), map[string]any{"disabled": true}).Expect(200)
	res = covPut(h, w.admin, ctPath("/api/v1/staff/persons/%d/coverage-flags", w.a4), map[string]any{"disabled": true}).Expect(200).Map()
	if fl := fmt.Sprint(res["flags"]); !strings.Contains(fl, "disabled") || strings.Contains(fl, "key_elderly") {
		t.Fatalf("flags of 甲四 (60): %s", fl)
	}
	if d, s := flags(w.b1); d || !s {
		t.Fatalf("乙一: disabled %v, special hardship %v", d, s)
	}
	if n := ctCount(h, &model.AuditLog{}, "action = ? AND target_type = ?", "person.coverage_flags", "person"); n != 3 {
		t.Fatalf("%d audit rows of flags, want 3", n)
	}
	// 高龄 is derived: 甲一 (85) is a key elderly person without any flag.
	got := h.Do("GET", ctPath("/api/v1/persons/%d", w.a1), nil, testkit.Token(w.a.Token)).Expect(200).Map()
	if fl := fmt.Sprint(got["flags"]); !strings.Contains(fl, "very_old") || !strings.Contains(fl, "key_elderly") {
		t.Fatalf("flags of 甲一 (85): %s", fl)
	}

	// Places. A guardian picks a catchment name of any open clinic; a name
	// no clinic serves is 422; someone else's household 404.
	placed := covPut(h, w.a, ctPath("/api/v1/households/%d/village", w.ha), map[string]any{"village": " 柳树村 "}).Expect(200).Map()
	if placed["village"] != "柳树村" {
		t.Fatalf("village %v", placed["village"])
	}
	covPut(h, w.a, ctPath("/api/v1/households/%d/village", w.ha), map[string]any{"village": "火星村"}).ExpectError(422, "village_not_in_catchment")
	covPut(h, w.a, ctPath("/api/v1/households/%d/village", w.ha), map[string]any{}).ExpectError(422, "invalid_request")
	covPut(h, w.a, ctPath("/api/v1/households/%d/village", w.hb), map[string]any{"village": "石桥镇"}).ExpectError(404, "not_found")
	covPut(h, w.b, ctPath("/api/v1/households/%d/village", w.hb), map[string]any{"village": "石桥镇"}).Expect(200)
	// Staff at the counter: their own clinics' catchment only, for a
	// household within their work (丙's: their contract).
	covPut(h, w.staff4, ctPath("/api/v1/staff/households/%d/village", w.hc), map[string]any{"village": "柳树村"}).ExpectError(422, "village_not_in_catchment")
	// 丙's household also holds 乙一, whose own household now lives in
	// 石桥镇, clinic 3's catchment: clinic 3 reaches it through him. 丁's
	// household is outside clinic 3's work.
	covPut(h, w.staff3, ctPath("/api/v1/staff/households/%d/village", w.hd), map[string]any{"village": "石桥镇"}).ExpectError(404, "not_found")
	covPut(h, w.staff4, ctPath("/api/v1/staff/households/%d/village", w.hc), map[string]any{"village": "河口镇"}).Expect(200)
	// 丁's household is placed and cleared again: it is in no catchment.
	covPut(h, w.d, ctPath("/api/v1/households/%d/village", w.hd), map[string]any{"village": "河口镇"}).Expect(200)
	covPut(h, w.d, ctPath("/api/v1/households/%d/village", w.hd), map[string]any{"village": ""}).Expect(200)
	if n := ctCount(h, &model.AuditLog{}, "action = ?", "household.village"); n != 5 {
		t.Fatalf("%d audit rows of places, want 5", n)
	}
	hh := h.Do("GET", ctPath("/api/v1/households/%d", w.hb), nil, testkit.Token(w.b.Token)).Expect(200).Map()
	if hh["village"] != "石桥镇" {
		t.Fatalf("household 乙: %v", hh["village"])
	}
}

// covFigures is a row of the JSON answer.
type covFigures struct {
	ClinicID       int64    `json:"clinic_id"`
	Catchment      []string `json:"catchment"`
	Elderly        int64    `json:"elderly"`
	KeyElderly     int64    `json:"key_elderly"`
	Disabled       int64    `json:"disabled"`
	VeryOld        int64    `json:"very_old"`
	Hardship       int64    `json:"special_hardship"`
	Signed         int64    `json:"signed"`
	SignedByClinic int64    `json:"signed_by_clinic"`
	Rate           *float64 `json:"rate"`
	MeetsTarget    bool     `json:"meets_target"`
}

func (f covFigures) String() string {
	rate := "null"
	if f.Rate != nil {
		rate = fmt.Sprint(*f.Rate)
	}
	return fmt.Sprintf("elderly %d key %d (disabled %d, very old %d, hardship %d) signed %d (here %d) rate %s meets %v",
		f.Elderly, f.KeyElderly, f.Disabled, f.VeryOld, f.Hardship, f.Signed, f.SignedByClinic, rate, f.MeetsTarget)
}

type covReport struct {
	AsOf     string       `json:"as_of"`
	Scope    string       `json:"scope"`
	Target   float64      `json:"target"`
	Total    covFigures   `json:"total"`
	Unplaced *int64       `json:"unplaced_key_elderly"`
	Clinics  []covFigures `json:"clinics"`
}

func (r covReport) clinic(t *testing.T, id int64) covFigures {
	t.Helper()
	for _, c := range r.Clinics {
		if c.ClinicID == id {
			return c
		}
	}
	t.Fatalf("no row of clinic %d", id)
	return covFigures{}
}

// placeAll flags and places the world as TestCoverage_FlagsAndPlaces does.
func (w *covWorld) placeAll(t *testing.T) {
	t.Helper()
	h := w.h
	covPut(h, w.admin, ctPath("/api/v1/staff/persons/%d/coverage-flags", w.a2), map[string]any{"disabled": true}).Expect(200)
	covPut(h, w.admin, ctPath("/api/v1/staff/persons/%d/coverage-flags", w.a4), map[string]any{"disabled": true}).Expect(200)
	covPut(h, w.staff4, ctPath("/api/v1/staff/persons/%d/coverage-flags", w.b1), map[string]any{"special_hardship": true}).Expect(200)
	covPut(h, w.a, ctPath("/api/v1/households/%d/village", w.ha), map[string]any{"village": "柳树村"}).Expect(200)
	covPut(h, w.b, ctPath("/api/v1/households/%d/village", w.hb), map[string]any{"village": "石桥镇"}).Expect(200)
	covPut(h, w.staff4, ctPath("/api/v1/staff/households/%d/village", w.hc), map[string]any{"village": "河口镇"}).Expect(200)
}

// TestCoverage_Figures: exact figures of the constructed county. 甲一 (85,
// signed with branch 3) lives in two households of branch 3's catchment and
// counts once; 乙一 (72, 特困, signed with branch 4) in households of both
// branches counts once in each and once in the network; 乙二's contract
// ended; 甲三 (70) is elderly but no key person; 甲四 (60, 失能) is not
// elderly; 丁一 (83) is in no catchment.
func TestCoverage_Figures(t *testing.T) {
	w := newCovWorld(t)
	w.placeAll(t)
	h := w.h
	var net covReport
	h.Do("GET", "/api/v1/staff/stats/coverage", nil, testkit.Token(w.admin.Token)).Expect(200).JSON(&net)
	if net.Scope != "network" || net.AsOf != "2026-11-23" || net.Target != 0.8 || net.Unplaced == nil || *net.Unplaced != 1 {
		t.Fatalf("network: scope %s as of %s target %v unplaced %v", net.Scope, net.AsOf, net.Target, net.Unplaced)
	}
	for _, c := range []struct {
		name string
		got  covFigures
		want string
	}{
		{"network", net.Total, "elderly 6 key 5 (disabled 1, very old 3, hardship 1) signed 3 (here 3) rate 0.6 meets false"},
		{"branch 3 with station 5", net.clinic(t, ctClinic3), "elderly 5 key 4 (disabled 1, very old 2, hardship 1) signed 2 (here 1) rate 0.5 meets false"},
		{"station 5", net.clinic(t, 5), "elderly 3 key 2 (disabled 1, very old 1, hardship 0) signed 1 (here 0) rate 0.5 meets false"},
		{"branch 4", net.clinic(t, ctClinic4), "elderly 2 key 2 (disabled 0, very old 1, hardship 1) signed 2 (here 2) rate 1 meets true"},
		{"main hospital", net.clinic(t, 1), "elderly 0 key 0 (disabled 0, very old 0, hardship 0) signed 0 (here 0) rate null meets false"},
	} {
		if c.got.String() != c.want {
			t.Errorf("%s: %s\nwant %s", c.name, c.got, c.want)
		}
	}
	if cm := net.clinic(t, ctClinic3).Catchment; fmt.Sprint(cm[:2]) != "[石桥镇 柳树村]" {
		t.Errorf("branch 3's catchment %v", cm)
	}

	// Staff of branch 3: their branch and its stations, the total of those.
	var mine covReport
	h.Do("GET", "/api/v1/staff/stats/coverage", nil, testkit.Token(w.staff3.Token)).Expect(200).JSON(&mine)
	if mine.Scope != "clinic" || mine.Unplaced != nil || mine.Total.String() != net.clinic(t, ctClinic3).String() {
		t.Fatalf("staff 3: scope %s unplaced %v total %s", mine.Scope, mine.Unplaced, mine.Total)
	}
	for _, c := range mine.Clinics {
		var cl model.Clinic
		h.DB.First(&cl, c.ClinicID)
		if c.ClinicID != ctClinic3 && (cl.ParentID == nil || *cl.ParentID != ctClinic3) {
			t.Fatalf("staff 3 see clinic %d", c.ClinicID)
		}
	}
	var one covReport
	h.Do("GET", "/api/v1/staff/stats/coverage?clinic_id=5", nil, testkit.Token(w.staff3.Token)).Expect(200).JSON(&one)
	if len(one.Clinics) != 1 || one.Total.String() != net.clinic(t, 5).String() {
		t.Fatalf("station 5 for staff 3: %+v", one)
	}
	h.Do("GET", "/api/v1/staff/stats/coverage?clinic_id=4", nil, testkit.Token(w.staff3.Token)).ExpectError(403, "forbidden")
	h.Do("GET", "/api/v1/staff/stats/coverage?clinic_id=9999", nil, testkit.Token(w.admin.Token)).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/staff/stats/coverage?clinic_id=x", nil, testkit.Token(w.admin.Token)).ExpectError(422, "invalid_request")
	h.Do("GET", "/api/v1/staff/stats/coverage", nil, testkit.Token(w.a.Token)).ExpectError(403, "forbidden")

	// 乙一's contract ends: branch 4 drops to 1 of 2; 丁 moves to 河口镇.
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/terminate", w.contractB1), map[string]any{"reason": "改签"}, testkit.Token(w.b.Token)).Expect(200)
	covPut(h, w.d, ctPath("/api/v1/households/%d/village", w.hd), map[string]any{"village": "河口镇"}).Expect(200)
	h.Do("GET", "/api/v1/staff/stats/coverage", nil, testkit.Token(w.admin.Token)).Expect(200).JSON(&net)
	if got, want := net.clinic(t, ctClinic4).String(), "elderly 3 key 3 (disabled 0, very old 2, hardship 1) signed 1 (here 1) rate 0.3333 meets false"; got != want {
		t.Errorf("branch 4 after: %s\nwant %s", got, want)
	}
	if got, want := net.Total.String(), "elderly 7 key 6 (disabled 1, very old 4, hardship 1) signed 2 (here 2) rate 0.3333 meets false"; got != want || *net.Unplaced != 0 {
		t.Errorf("network after: %s (unplaced %d)\nwant %s", got, *net.Unplaced, want)
	}
}

// TestCoverage_XLSX: the workbook opens with excelize and holds the
// figures of the JSON answer under Chinese headers.
func TestCoverage_XLSX(t *testing.T) {
	w := newCovWorld(t)
	w.placeAll(t)
	h := w.h
	res := h.Do("GET", "/api/v1/staff/stats/coverage.xlsx", nil, testkit.Token(w.admin.Token)).Expect(200)
	if ct := res.Header.Get("Content-Type"); ct != handler.XLSXContentType {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="family-doctor-coverage-2026-11-23.xlsx"; filename*=UTF-8''`+
		url.PathEscape("家庭医生签约覆盖-2026-11-23.xlsx") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("open the workbook: %v", err)
	}
	defer f.Close()
	if got := fmt.Sprint(f.GetSheetList()); got != "[签约覆盖 说明]" {
		t.Fatalf("sheets %s", got)
	}
	rows, err := f.GetRows("签约覆盖", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], "|"); got != "机构编号|机构名称|机构类型|服务村/社区|65岁及以上老年人|重点人群（失能/高龄/特困）|其中失能|其中高龄（80岁及以上）|其中特困|已签约|其中本机构团队签约|签约率|目标|是否达标" {
		t.Fatalf("headers %s", got)
	}
	byID := map[string]string{}
	for _, r := range rows[1:] {
		byID[r[0]] = strings.Join(r, "|")
	}
	for id, want := range map[string]string{
		"3":  "3|石桥镇卫生院|分院|",
		"5":  "5|柳树村卫生驿站|驿站|",
		"4":  "4|河口镇卫生院|分院|河口镇|2|2|0|1|1|2|2|1|0.8|是",
		"合计": "合计|全县合计||",
	} {
		if !strings.HasPrefix(byID[id], want) {
			t.Errorf("row %s: %s, want %s…", id, byID[id], want)
		}
	}
	if !strings.HasSuffix(byID["3"], "|5|4|1|2|1|2|1|0.5|0.8|否") || !strings.HasSuffix(byID["5"], "柳树村|3|2|1|1|0|1|0|0.5|0.8|否") ||
		!strings.HasSuffix(byID["合计"], "|6|5|1|3|1|3|3|0.6|0.8|否") || !strings.HasSuffix(byID["1"], "|0|0|0|0|0|0|0|—|0.8|否") {
		t.Errorf("figures:\n%s\n%s\n%s\n%s", byID["3"], byID["5"], byID["合计"], byID["1"])
	}
	if last := rows[len(rows)-1][0]; last != "合计" {
		t.Errorf("the last row is %q, not the total", last)
	}
	// The rate shows as a percentage.
	if v, _ := f.GetCellValue("签约覆盖", fmt.Sprintf("L%d", len(rows))); v != "60.00%" {
		t.Errorf("total rate shows %q", v)
	}
	notes, _ := f.GetRows("说明")
	if notes[0][1] != "2026-11-23" || notes[len(notes)-1][0] != "未落入服务范围的重点人群" || notes[len(notes)-1][1] != "1" {
		t.Errorf("notes %v", notes)
	}

	// Staff of branch 3 download their scope; another clinic is 403 (JSON).
	res = h.Do("GET", "/api/v1/staff/stats/coverage.xlsx", nil, testkit.Token(w.staff3.Token)).Expect(200)
	f2, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	rows, _ = f2.GetRows("签约覆盖", excelize.Options{RawCellValue: true})
	if got := strings.Join(rows[len(rows)-1], "|"); !strings.HasPrefix(got, "合计|本机构范围合计|") || !strings.HasSuffix(got, "|5|4|1|2|1|2|1|0.5|0.8|否") {
		t.Errorf("staff 3 total: %s", got)
	}
	h.Do("GET", "/api/v1/staff/stats/coverage.xlsx?clinic_id=4", nil, testkit.Token(w.staff3.Token)).ExpectError(403, "forbidden")
}

// TestCoverage_FamilyDoctorStats: the family-doctor figures carry the
// coverage answer of the same scope (the same code, byte for byte) and the
// contract and delivery work of the scope's clinics; as a workbook, the
// coverage sheets and 签约与配送.
func TestCoverage_FamilyDoctorStats(t *testing.T) {
	w := newCovWorld(t)
	w.placeAll(t)
	h := w.h
	mdPharmacist(h, w.staff3)
	// One order of 甲一 (signed with branch 3) delivered after 6 hours, one
	// waiting.
	o := mdOrder(h, w.a, w.a1)
	mdDeliver(h, w.staff3, w.a, o, 6*time.Hour)
	mdOrder(h, w.a, w.a1)

	type fdStats struct {
		ClinicID       int64            `json:"clinic_id"`
		ClinicIDs      []int64          `json:"clinic_ids"`
		Coverage       json.RawMessage  `json:"coverage"`
		CoveredMembers int64            `json:"covered_members"`
		Active         int64            `json:"active_contracts"`
		Pending        int64            `json:"pending_contracts"`
		Orders         map[string]int64 `json:"medicine_orders_this_month"`
		Delivered      int              `json:"delivered_this_month"`
		Median         *float64         `json:"median_delivery_hours"`
		Stale          *int64           `json:"elderly_members"`
	}
	compact := func(raw []byte) string {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, c := range []struct {
		name, query     string
		who             testkit.User
		clinics         string
		covered, active int64
		requested       int64
		delivered       int
	}{
		{"staff of branch 3 (with station 5)", "", w.staff3, "[3 5]", 1, 1, 1, 1},
		{"staff of branch 3, station 5 alone", "?clinic_id=5", w.staff3, "[5]", 0, 0, 0, 0},
		{"staff of branch 4", "", w.staff4, "[4]", 2, 2, 0, 0},
		{"admin, every clinic", "", w.admin, "[]", 3, 3, 1, 1},
		{"admin, branch 3", "?clinic_id=3", w.admin, "[3 5]", 1, 1, 1, 1},
	} {
		res := h.Do("GET", "/api/v1/staff/stats/family-doctor"+c.query, nil, testkit.Token(c.who.Token)).Expect(200)
		var st fdStats
		res.JSON(&st)
		cov := h.Do("GET", "/api/v1/staff/stats/coverage"+c.query, nil, testkit.Token(c.who.Token)).Expect(200)
		if compact(st.Coverage) != compact(cov.Body) {
			t.Errorf("%s: coverage\n%s\nwant the coverage route's\n%s", c.name, st.Coverage, cov.Body)
		}
		if fmt.Sprint(st.ClinicIDs) != c.clinics || st.CoveredMembers != c.covered || st.Active != c.active || st.Pending != 0 ||
			st.Orders["requested"] != c.requested || st.Delivered != c.delivered || st.Stale != nil {
			t.Errorf("%s: %+v", c.name, st)
		}
		if (c.delivered == 1) != (st.Median != nil && *st.Median == 6) {
			t.Errorf("%s: median %v", c.name, st.Median)
		}
	}
	var st fdStats
	h.Do("GET", "/api/v1/staff/stats/family-doctor", nil, testkit.Token(w.admin.Token)).Expect(200).JSON(&st)
	var rep covReport
	if err := json.Unmarshal(st.Coverage, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Scope != "network" || rep.Unplaced == nil || *rep.Unplaced != 1 ||
		rep.Total.String() != "elderly 6 key 5 (disabled 1, very old 3, hardship 1) signed 3 (here 3) rate 0.6 meets false" {
		t.Fatalf("network coverage in the family-doctor figures: %s %s %v", rep.Scope, rep.Total, rep.Unplaced)
	}

	// Scope: another clinic is 403, a resident 403, a bad format 422.
	h.Do("GET", "/api/v1/staff/stats/family-doctor?clinic_id=4", nil, testkit.Token(w.staff3.Token)).ExpectError(403, "forbidden")
	h.Do("GET", "/api/v1/staff/stats/family-doctor?clinic_id=4&format=xlsx", nil, testkit.Token(w.staff3.Token)).ExpectError(403, "forbidden")
	h.Do("GET", "/api/v1/staff/stats/family-doctor", nil, testkit.Token(w.a.Token)).ExpectError(403, "forbidden")
	h.Do("GET", "/api/v1/staff/stats/family-doctor?format=xlsx", nil, testkit.Token(w.a.Token)).ExpectError(403, "forbidden")
	h.Do("GET", "/api/v1/staff/stats/family-doctor?format=pdf", nil, testkit.Token(w.staff3.Token)).ExpectError(422, "invalid_request")
	h.Do("GET", "/api/v1/staff/stats/family-doctor?format=json", nil, testkit.Token(w.staff3.Token)).Expect(200)

	// The workbook of staff 3: the coverage sheets as coverage.xlsx writes
	// them, and 签约与配送.
	res := h.Do("GET", "/api/v1/staff/stats/family-doctor?format=xlsx", nil, testkit.Token(w.staff3.Token)).Expect(200)
	if ct := res.Header.Get("Content-Type"); ct != handler.XLSXContentType {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="family-doctor-stats-2026-11-23.xlsx"; filename*=UTF-8''`+
		url.PathEscape("家庭医生工作统计-2026-11-23.xlsx") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("open the workbook: %v", err)
	}
	defer f.Close()
	if got := fmt.Sprint(f.GetSheetList()); got != "[签约覆盖 说明 签约与配送]" {
		t.Fatalf("sheets %s", got)
	}
	rows, err := f.GetRows("签约覆盖", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[len(rows)-1], "|"); !strings.HasPrefix(got, "合计|本机构范围合计|") || !strings.HasSuffix(got, "|5|4|1|2|1|2|1|0.5|0.8|否") {
		t.Errorf("staff 3 total: %s", got)
	}
	work, err := f.GetRows("签约与配送", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]string{}
	for _, r := range work {
		if len(r) == 2 {
			cells[r[0]] = r[1]
		}
	}
	for k, v := range map[string]string{"项目": "数值", "统计日期": "2026-11-23", "统计机构编号": "3、5", "有效签约（份）": "1",
		"待审核签约（份）": "0", "签约覆盖人数（全年龄）": "1", "本月送药申请：待审核": "1", "本月送药申请：已送达": "1",
		"本月送达（单）": "1", "送达时长中位数（小时）": "6"} {
		if cells[k] != v {
			t.Errorf("签约与配送 %s = %q, want %q (%v)", k, cells[k], v, work)
		}
	}
	if len(work) != 16 {
		t.Errorf("签约与配送 has %d rows, want 16", len(work))
	}
	// coverage.xlsx is unchanged: two sheets.
	res = h.Do("GET", "/api/v1/staff/stats/coverage.xlsx", nil, testkit.Token(w.staff3.Token)).Expect(200)
	f2, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if got := fmt.Sprint(f2.GetSheetList()); got != "[签约覆盖 说明]" {
		t.Fatalf("coverage.xlsx sheets %s", got)
	}
}
