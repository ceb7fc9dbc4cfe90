package handler_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// fdChild adds a child born months (and days) before the harness start.
func fdChild(h *testkit.Harness, u testkit.User, name, gender string, months, days int) int64 {
	h.T.Helper()
	birth := testkit.Start.In(ctLoc).AddDate(0, -months, -days).Format("2006-01-02")
	return h.Member(u, map[string]any{"name": name, "relation": "child", "gender": gender, "birth_date": birth})
}

// fdClinics creates clinics 7 and 8 for staff accounts.
func fdClinics(h *testkit.Harness) {
	h.T.Helper()
	h.Create(&model.Clinic{ID: 7, Name: "石桥镇卫生院", Kind: model.ClinicBranch}, &model.Clinic{ID: 8, Name: "河口镇卫生院", Kind: model.ClinicBranch})
}

// fdReach gives staff's clinic reach over a person: a booking there.
func fdReach(h *testkit.Harness, clinic, person, user int64) int64 {
	h.T.Helper()
	b := &model.Booking{SessionID: 9000 + person, MemberID: person, UserID: user, ClinicID: clinic, Status: model.BookingConfirmed,
		Active: func() *bool { t := true; return &t }(), StartsAt: testkit.Start.Add(48 * time.Hour)}
	h.Create(b)
	return b.ID
}

func fdDoses(h *testkit.Harness, tok string, path string) map[string]map[string]any {
	h.T.Helper()
	var plan struct {
		ScheduleVersion string           `json:"schedule_version"`
		Doses           []map[string]any `json:"doses"`
	}
	h.Do("GET", path, nil, testkit.Token(tok)).Expect(200).JSON(&plan)
	if plan.ScheduleVersion != "NIP-2021+DTaP-2025" {
		h.T.Fatalf("schedule_version %q", plan.ScheduleVersion)
	}
	out := map[string]map[string]any{}
	for _, d := range plan.Doses {
		out[fmt.Sprintf("%s/%v", d["vaccine"], d["dose"])] = d
	}
	return out
}

// TestFirstDays_VaccinationPlanAndRecord: a 7-month-old's plan shows MMR 1
// due at 8 months; staff within reach record doses; a dose twice is 409, too
// early 422 with the earliest date; other families and clinics see 404.
func TestFirstDays_VaccinationPlanAndRecord(t *testing.T) {
	h := testkit.New(t)
	fdClinics(h)
	mom := h.Login("mom")
	other := h.Login("other-family")
	nurse := h.Staff("nurse-7", 7)
	farNurse := h.Staff("nurse-8", 8)
	child := fdChild(h, mom, "小满", "female", 7, 0) // born 2026-04-23
	path := ctPath("/api/v1/persons/%d/vaccinations", child)
	staffPath := ctPath("/api/v1/staff/persons/%d/vaccinations", child)

	doses := fdDoses(h, mom.Token, path)
	if d := doses["MMR/1"]; d["due_date"] != "2026-12-23" || d["state"] != "upcoming" || d["name"] != "麻腮风疫苗" {
		t.Fatalf("MMR 1 = %v", d)
	}
	if d := doses["HepB/1"]; d["due_date"] != "2026-04-23" || d["state"] != "overdue" {
		t.Fatalf("HepB 1 = %v", d)
	}
	if d := doses["DTaP/1"]; d["due_date"] != "2026-06-23" {
		t.Fatalf("DTaP 1 (new 2-month schedule) = %v", d)
	}
	if _, old := doses["DT/1"]; old {
		t.Fatal("a child born in 2026 has no 白破 dose")
	}

	h.Do("GET", path, nil, testkit.Token(other.Token)).ExpectError(404, "not_found")
	h.Do("GET", staffPath, nil, testkit.Token(nurse.Token)).ExpectError(404, "not_found")
	h.Do("POST", staffPath, map[string]any{"vaccine": "HepB", "dose": 1, "given_at": "2026-04-23T09:00:00+08:00"},
		testkit.Token(mom.Token)).Expect(403)
	fdReach(h, 7, child, mom.ID)
	h.Do("GET", staffPath, nil, testkit.Token(farNurse.Token)).ExpectError(404, "not_found")

	rec := func(vaccine string, dose int, at string) *testkit.Response {
		return h.Do("POST", staffPath, map[string]any{"vaccine": vaccine, "dose": dose, "given_at": at, "lot": "L2026",
			"manufacturer": "北京生物", "site": "左上臂"}, testkit.Token(nurse.Token))
	}
	d := rec("HepB", 1, "2026-04-23T09:00:00+08:00").Expect(201).Map()
	if d["state"] != "done" || d["given_at"] != "2026-04-23" || d["clinic_id"] != float64(7) {
		t.Fatalf("recorded = %v", d)
	}
	rec("HepB", 1, "2026-04-24T09:00:00+08:00").ExpectError(409, "dose_already_recorded")
	early := rec("MMR", 1, "2026-11-23T09:00:00+08:00").ExpectError(422, "dose_too_early").Map()
	if det := early["error"].(map[string]any)["details"].(map[string]any); det["earliest"] != "2026-12-23" {
		t.Fatalf("too early details = %v", det)
	}
	rec("HepB", 2, "2026-09-01T09:00:00+08:00").Expect(201)
	// HepB 3: six months is 2026-10-23, but 60 days after dose 2 is 2026-10-31.
	iv := rec("HepB", 3, "2026-10-25T09:00:00+08:00").ExpectError(422, "dose_too_early").Map()
	if det := iv["error"].(map[string]any)["details"].(map[string]any); det["earliest"] != "2026-10-31" || det["reason"] != "与前一剂次间隔不足" {
		t.Fatalf("interval details = %v", det)
	}
	rec("HepB", 4, "2026-11-01T09:00:00+08:00").ExpectError(422, "invalid_request")
	h.Do("POST", staffPath, map[string]any{"vaccine": "", "dose": 0}, testkit.Token(nurse.Token)).ExpectError(422, "invalid_request")
	rec("HepB", 1, "2027-01-01T09:00:00+08:00").Expect(422) // in the future
	self := rec("EV71", 1, "2026-10-01T09:00:00+08:00").Expect(201).Map()
	if self["programme"] != false {
		t.Fatalf("自费 dose = %v", self)
	}

	doses = fdDoses(h, mom.Token, path)
	if doses["HepB/1"]["state"] != "done" || doses["HepB/3"]["due_date"] != "2026-10-31" || doses["HepB/3"]["state"] != "due" ||
		doses["EV71/1"]["state"] != "done" {
		t.Fatalf("after recording: HepB1 %v HepB3 %v EV71 %v", doses["HepB/1"], doses["HepB/3"], doses["EV71/1"])
	}
}

// TestFirstDays_SameDoseRace: the same dose recorded at once by eight
// counters is stored once.
func TestFirstDays_SameDoseRace(t *testing.T) {
	h := testkit.New(t)
	fdClinics(h)
	mom := h.Login("mom")
	nurse := h.Staff("nurse-7", 7)
	child := fdChild(h, mom, "小满", "male", 3, 0)
	fdReach(h, 7, child, mom.ID)
	codes := make([]int, 8)
	parallel(8, func(i int) {
		codes[i] = h.Do("POST", ctPath("/api/v1/staff/persons/%d/vaccinations", child),
			map[string]any{"vaccine": "BCG", "dose": 1, "given_at": "2026-08-23T10:00:00+08:00"}, testkit.Token(nurse.Token)).Status
	})
	n := map[int]int{}
	for _, c := range codes {
		n[c]++
	}
	var rows int64
	h.DB.Model(&model.VaccinationDose{}).Where("person_id = ?", child).Count(&rows)
	if n[201] != 1 || n[409] != 7 || rows != 1 {
		t.Fatalf("statuses %v, rows %d; want one 201, seven 409, one row", n, rows)
	}
}

// TestFirstDays_Growth: a parent's entry is self-reported, staff's is not;
// z-scores follow the WHO tables; a weight below −2 SD flags 低体重.
func TestFirstDays_Growth(t *testing.T) {
	h := testkit.New(t)
	fdClinics(h)
	mom := h.Login("mom")
	nurse := h.Staff("nurse-7", 7)
	child := fdChild(h, mom, "小满", "male", 12, 0) // 12 months on the harness date
	fdReach(h, 7, child, mom.ID)
	path := ctPath("/api/v1/persons/%d/growth", child)

	p := h.Do("POST", path, map[string]any{"weight_kg": 9.6479, "length_cm": 75.7488}, testkit.Token(mom.Token)).Expect(201).Map()
	// 365 days is 11.99 WHO months: the 12-month medians score about 0.
	z, pc := p["z"].(map[string]any), p["percentile"].(map[string]any)
	near := func(v any, want, tol float64) bool { f, ok := v.(float64); return ok && f >= want-tol && f <= want+tol }
	if p["self_reported"] != true || !near(z["weight_for_age"], 0, 0.02) || !near(z["length_for_age"], 0, 0.02) ||
		!near(pc["weight_for_age"], 50, 1) || p["age_months"] != 11.99 {
		t.Fatalf("median child = %v", p)
	}
	s := h.Do("POST", ctPath("/api/v1/staff/persons/%d/growth", child), map[string]any{"weight_kg": 7.5, "head_cm": 46.0},
		testkit.Token(nurse.Token)).Expect(201).Map()
	if s["self_reported"] != false || s["z"].(map[string]any)["weight_for_age"].(float64) >= -2 {
		t.Fatalf("staff point = %v", s)
	}
	h.Do("POST", path, map[string]any{}, testkit.Token(mom.Token)).Expect(422)
	h.Do("POST", path, map[string]any{"weight_kg": -3}, testkit.Token(mom.Token)).Expect(422)
	// 1.5 kg at 12 months is outside WHO's plausible range (z < −6): refused.
	h.Do("POST", path, map[string]any{"weight_kg": 1.5}, testkit.Token(mom.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", path, map[string]any{"weight_kg": 9}, testkit.Token(h.Login("stranger").Token)).ExpectError(404, "not_found")

	var g struct {
		Points []map[string]any `json:"points"`
		Flags  []struct {
			Code string `json:"code"`
		} `json:"flags"`
		HighRisk bool `json:"high_risk"`
	}
	h.Do("GET", path, nil, testkit.Token(mom.Token)).Expect(200).JSON(&g)
	codes := map[string]bool{}
	for _, f := range g.Flags {
		codes[f.Code] = true
	}
	if len(g.Points) != 2 || !codes["underweight"] || !codes["faltering"] || codes["low_birth_weight"] || !g.HighRisk {
		t.Fatalf("growth = %+v", g)
	}

	var std struct {
		Unit   string           `json:"unit"`
		Months []map[string]any `json:"months"`
	}
	h.Do("GET", "/api/v1/growth-standards?indicator=weight_for_age&sex=male", nil).Expect(200).JSON(&std)
	if std.Unit != "kg" || len(std.Months) != 61 || std.Months[12]["median"] != 9.65 || std.Months[12]["sd_neg2"] != 7.74 || std.Months[12]["p3"] != 7.85 {
		t.Fatalf("standards: unit %s, %d months, month 12 %v", std.Unit, len(std.Months), std.Months[12])
	}
	h.Do("GET", "/api/v1/growth-standards?indicator=bmi&sex=male", nil).Expect(422)

	// A newborn weighed 2.3 kg on the day of birth: 低出生体重, 高危儿.
	baby := fdChild(h, mom, "小安", "female", 0, 0)
	h.Do("POST", ctPath("/api/v1/persons/%d/growth", baby), map[string]any{"weight_kg": 2.3}, testkit.Token(mom.Token)).Expect(201)
	h.Do("GET", ctPath("/api/v1/persons/%d/growth", baby), nil, testkit.Token(mom.Token)).Expect(200).JSON(&g)
	if len(g.Flags) == 0 || g.Flags[0].Code != "low_birth_weight" || !g.HighRisk {
		t.Fatalf("newborn flags = %+v", g)
	}
	h.Do("GET", "/api/v1/growth-standards?indicator=weight_for_age", nil).Expect(422)
}

// TestFirstDays_GrowthCurvesAndWasting: the API gives the chart curves of
// the new tables (weight-for-length/height by cm, length-for-age and
// head-for-age to 60 months), and a weight-for-height below −2 SD flags 消瘦.
func TestFirstDays_GrowthCurvesAndWasting(t *testing.T) {
	h := testkit.New(t)
	fdClinics(h)
	type curves struct {
		XAxis  string           `json:"x_axis"`
		Unit   string           `json:"unit"`
		Months []map[string]any `json:"months"`
	}
	get := func(ind, sex string) curves {
		var c curves
		h.Do("GET", "/api/v1/growth-standards?indicator="+ind+"&sex="+sex, nil).Expect(200).JSON(&c)
		return c
	}
	wfl := get("weight_for_length", "male")
	if wfl.XAxis != "cm" || wfl.Unit != "kg" || len(wfl.Months) != 131 || wfl.Months[0]["cm"] != 45.0 || wfl.Months[0]["month"] != nil ||
		wfl.Months[0]["median"] != 2.44 || wfl.Months[0]["sd_neg2"] != 2.04 || wfl.Months[0]["sd2"] != 2.95 || wfl.Months[130]["cm"] != 110.0 {
		t.Fatalf("weight-for-length: %s %s %d points, first %v", wfl.XAxis, wfl.Unit, len(wfl.Months), wfl.Months[0])
	}
	wfh := get("weight_for_height", "female")
	if len(wfh.Months) != 111 || wfh.Months[0]["cm"] != 65.0 || wfh.Months[110]["cm"] != 120.0 || wfh.Months[110]["median"] != 22.82 {
		t.Fatalf("weight-for-height: %d points, last %v", len(wfh.Months), wfh.Months[len(wfh.Months)-1])
	}
	lfa := get("length_for_age", "male")
	if lfa.XAxis != "month" || len(lfa.Months) != 62 || lfa.Months[24]["measure"] != "length" || lfa.Months[24]["median"] != 87.82 ||
		lfa.Months[25]["month"] != 24.0 || lfa.Months[25]["measure"] != "height" || lfa.Months[25]["median"] != 87.12 ||
		lfa.Months[61]["month"] != 60.0 || lfa.Months[61]["median"] != 109.96 {
		t.Fatalf("length-for-age: %d points, 24 %v / %v, last %v", len(lfa.Months), lfa.Months[24], lfa.Months[25], lfa.Months[len(lfa.Months)-1])
	}
	hc := get("head_for_age", "female")
	if len(hc.Months) != 61 || hc.Months[60]["median"] != 49.92 {
		t.Fatalf("head-for-age: %d points, last %v", len(hc.Months), hc.Months[len(hc.Months)-1])
	}

	mom := h.Login("mom")
	nurse := h.Staff("nurse-7", 7)
	child := fdChild(h, mom, "大宝", "male", 36, 0)
	fdReach(h, 7, child, mom.ID)
	p := h.Do("POST", ctPath("/api/v1/staff/persons/%d/growth", child), map[string]any{"weight_kg": 11.0, "length_cm": 95.0, "head_cm": 49.5},
		testkit.Token(nurse.Token)).Expect(201).Map()
	z := p["z"].(map[string]any)
	if w, ok := z["weight_for_height"].(float64); !ok || w >= -3 || z["weight_for_length"] != nil || z["head_for_age"] == nil || z["length_for_age"] == nil {
		t.Fatalf("3-year-old's z = %v", z)
	}
	var g struct {
		Flags []struct {
			Code string `json:"code"`
		} `json:"flags"`
		HighRisk bool `json:"high_risk"`
	}
	h.Do("GET", ctPath("/api/v1/persons/%d/growth", child), nil, testkit.Token(mom.Token)).Expect(200).JSON(&g)
	codes := map[string]bool{}
	for _, f := range g.Flags {
		codes[f.Code] = true
	}
	if !codes["wasting"] || !g.HighRisk {
		t.Fatalf("flags = %+v", g)
	}
	// 6 kg at 95 cm and 36 months is beyond WHO's plausible range: refused.
	h.Do("POST", ctPath("/api/v1/staff/persons/%d/growth", child), map[string]any{"weight_kg": 6.0, "length_cm": 95.0},
		testkit.Token(nurse.Token)).ExpectError(422, "invalid_request")
}

// TestFirstDays_CheckupsAndNext: the 8-month 儿保 check-up and MMR 1 are
// next for a 7-month-old, overdue items first; a pregnancy gets its
// prenatal plan and 孕周.
func TestFirstDays_CheckupsAndNext(t *testing.T) {
	h := testkit.New(t)
	fdClinics(h)
	mom := h.Login("mom")
	child := fdChild(h, mom, "小满", "female", 7, 0)
	due := testkit.Start.In(ctLoc).AddDate(0, 0, 7*(40-23)-4).Format("2006-01-02") // 孕23+4周 today
	mother := h.Member(mom, map[string]any{"name": "李娟", "relation": "self", "gender": "female", "due_date": due})

	var cp struct {
		Child []map[string]any `json:"child"`
	}
	h.Do("GET", ctPath("/api/v1/persons/%d/checkups", child), nil, testkit.Token(mom.Token)).Expect(200).JSON(&cp)
	byCode := map[string]map[string]any{}
	for _, c := range cp.Child {
		byCode[c["code"].(string)] = c
	}
	if len(cp.Child) != 13 || byCode["m8"]["due_date"] != "2026-12-23" || byCode["m8"]["state"] != "upcoming" ||
		byCode["m6"]["state"] != "overdue" {
		t.Fatalf("child plan = %v", cp.Child)
	}
	var pp struct {
		Prenatal  []map[string]any `json:"prenatal"`
		Gestation map[string]any   `json:"gestation"`
	}
	h.Do("GET", ctPath("/api/v1/persons/%d/checkups", mother), nil, testkit.Token(mom.Token)).Expect(200).JSON(&pp)
	if len(pp.Prenatal) != 7 || pp.Gestation["text"] != "孕23+4周" || pp.Prenatal[1]["state"] != "past" || pp.Prenatal[2]["state"] != "due" || pp.Prenatal[3]["state"] != "upcoming" {
		t.Fatalf("prenatal = %v %v", pp.Prenatal, pp.Gestation)
	}

	var next struct {
		Persons []struct {
			PersonID int64            `json:"person_id"`
			Items    []map[string]any `json:"items"`
		} `json:"persons"`
	}
	h.Do("GET", "/api/v1/me/next", nil, testkit.Token(mom.Token)).Expect(200).JSON(&next)
	if len(next.Persons) != 2 || next.Persons[0].PersonID != child {
		t.Fatalf("next = %+v", next)
	}
	items := next.Persons[0].Items
	seenUpcoming, mmr, m8 := false, false, false
	for _, it := range items {
		if it["state"] == "overdue" && seenUpcoming {
			t.Fatalf("overdue after upcoming: %v", items)
		}
		if it["state"] != "overdue" {
			seenUpcoming = true
		}
		mmr = mmr || (it["vaccine"] == "MMR" && it["dose"] == float64(1))
		m8 = m8 || it["title"] == "8月龄健康检查"
	}
	if !mmr || !m8 {
		t.Fatalf("MMR 1 and the 8-month check-up should be next: %v", items)
	}
	// The household's answer: the child, who has something overdue, first;
	// another account outside the household gets 404.
	var hn struct {
		Persons []struct {
			PersonID int64 `json:"person_id"`
		} `json:"persons"`
	}
	hh := firstHousehold(t, h, mom)
	h.Do("GET", ctPath("/api/v1/households/%d/next", hh), nil, testkit.Token(mom.Token)).Expect(200).JSON(&hn)
	if len(hn.Persons) != 2 || hn.Persons[0].PersonID != child || hn.Persons[1].PersonID != mother {
		t.Fatalf("household next = %+v", hn)
	}
	h.Do("GET", ctPath("/api/v1/households/%d/next", hh), nil, testkit.Token(h.Login("stranger").Token)).ExpectError(404, "not_found")
	one := h.Do("GET", ctPath("/api/v1/persons/%d/next", child), nil, testkit.Token(mom.Token)).Expect(200).Map()
	if len(one["items"].([]any)) != len(items) {
		t.Fatalf("person next = %v", one)
	}
	h.Do("GET", ctPath("/api/v1/persons/%d/next", child), nil, testkit.Token(h.Login("x").Token)).ExpectError(404, "not_found")
}

// TestFirstDays_RemindersOnceAcrossReplicas: two processes run the reminder
// job at once; each dose coming due is announced once, and again never.
func TestFirstDays_RemindersOnceAcrossReplicas(t *testing.T) {
	h := testkit.New(t)
	fdClinics(h)
	mom := h.Login("mom")
	// Born 8 months less a day ago: MMR 1 and JE-L 1 (8 months) are due
	// tomorrow; the 6-month doses are newly overdue, older ones are overdue
	// for more than 60 days (not reminded).
	fdChild(h, mom, "小满", "female", 8, -1)
	a, b := h.App.Services.FirstDays, h.Replica().Services.FirstDays
	counts := runJobs(t, a.SendVaccineReminders, b.SendVaccineReminders)
	var n int64
	h.DB.Model(&model.Notification{}).Where("user_id = ?", mom.ID).Count(&n)
	// 2 due soon (MMR 1, JE-L 1) + 3 newly overdue 6-month doses (HepB 3,
	// DTaP 3, MPSV-A 1); the 2- and 4-month doses are overdue too long.
	if counts[0]+counts[1] != 5 || n != 5 {
		t.Fatalf("sent %v, %d notifications; want 5 in all", counts, n)
	}
	var soon int64
	h.DB.Model(&model.Notification{}).Where("user_id = ? AND event = ?", mom.ID, "vaccine_due").Count(&soon)
	if soon != 2 {
		t.Fatalf("%d due-soon reminders, want 2 (MMR 1, JE-L 1)", soon)
	}
	again := runJobs(t, a.SendVaccineReminders, b.SendVaccineReminders)
	if again[0]+again[1] != 0 {
		t.Fatalf("second run sent %v", again)
	}
}

// TestFirstDays_BookNextDoses: a family books the due doses into a
// vaccination session; the booking and the clinic's queue carry them; other
// sessions refuse planned vaccines with nothing written.
func TestFirstDays_BookNextDoses(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	mom := h.Login("mom")
	child := fdChild(h, mom, "小满", "female", 8, 0)
	var vacc, other model.Session
	h.DB.Where("kind = ? AND starts_at > ?", model.ServiceVaccination, testkit.Start.Add(48*time.Hour)).Order("starts_at").First(&vacc)
	h.DB.Where("kind <> ? AND starts_at > ?", model.ServiceVaccination, testkit.Start.Add(48*time.Hour)).Order("starts_at").First(&other)
	planned := []map[string]any{{"vaccine": "MMR", "dose": 1}, {"vaccine": "JE-L", "dose": 1}}

	var before int64
	h.DB.Model(&model.Booking{}).Count(&before)
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": other.ID, "member_id": child, "planned_vaccines": planned},
		testkit.Token(mom.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": vacc.ID, "member_id": child,
		"planned_vaccines": []map[string]any{{"vaccine": "MMR", "dose": 0}}}, testkit.Token(mom.Token)).Expect(422)
	var after int64
	h.DB.Model(&model.Booking{}).Count(&after)
	if after != before {
		t.Fatalf("refused bookings wrote %d rows", after-before)
	}

	b := h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": vacc.ID, "member_id": child, "planned_vaccines": planned},
		testkit.Token(mom.Token)).Expect(201).Map()
	if pv := b["planned_vaccines"].([]any); len(pv) != 2 || pv[0].(map[string]any)["vaccine"] != "MMR" {
		t.Fatalf("booking = %v", b)
	}
	nurse := h.Staff("nurse-vacc", vacc.ClinicID)
	var queue struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", ctPath("/api/v1/staff/bookings?session_id=%d", vacc.ID), nil, testkit.Token(nurse.Token)).Expect(200).JSON(&queue)
	if len(queue.Items) != 1 || len(queue.Items[0]["planned_vaccines"].([]any)) != 2 {
		t.Fatalf("queue = %v", queue.Items)
	}
	// The booking gives the clinic reach: the nurse records the planned dose.
	h.Do("POST", ctPath("/api/v1/staff/persons/%d/vaccinations", child), map[string]any{"vaccine": "MMR", "dose": 1,
		"given_at": "2026-11-23T09:00:00+08:00", "booking_id": ctID(b)}, testkit.Token(nurse.Token)).Expect(201)
}

// TestFirstDays_CustomVaccine: an admin adds a 自费 vaccine as data; once a
// first dose is recorded the plan shows the next one with its interval, and
// a second dose too soon is refused.
func TestFirstDays_CustomVaccine(t *testing.T) {
	h := testkit.New(t)
	fdClinics(h)
	admin := h.Admin("admin")
	mom := h.Login("mom")
	nurse := h.Staff("nurse-7", 7)
	ev71 := map[string]any{"code": "EV71", "name": "肠道病毒71型灭活疫苗",
		"doses": []map[string]any{{"dose": 1, "age_months": 6}, {"dose": 2, "age_months": 6, "interval_days": 30}}}
	h.Do("POST", "/api/v1/admin/vaccines", ev71, testkit.Token(mom.Token)).Expect(403)
	h.Do("POST", "/api/v1/admin/vaccines", map[string]any{"code": "MMR", "name": "x", "doses": []map[string]any{{"dose": 1}}},
		testkit.Token(admin.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/admin/vaccines", ev71, testkit.Token(admin.Token)).Expect(200)
	if v := h.Do("POST", "/api/v1/admin/vaccines", ev71, testkit.Token(admin.Token)).Expect(200).Map(); len(v["doses"].([]any)) != 2 {
		t.Fatalf("saved again = %v", v)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/vaccines", nil).Expect(200).JSON(&list)
	if len(list.Items) != 1 || list.Items[0]["code"] != "EV71" {
		t.Fatalf("vaccines = %v", list.Items)
	}

	child := fdChild(h, mom, "小满", "male", 7, 0)
	fdReach(h, 7, child, mom.ID)
	path := ctPath("/api/v1/staff/persons/%d/vaccinations", child)
	if _, shown := fdDoses(h, mom.Token, ctPath("/api/v1/persons/%d/vaccinations", child))["EV71/1"]; shown {
		t.Fatal("a 自费 vaccine is not planned before a first dose")
	}
	rec := func(dose int, at string) *testkit.Response {
		return h.Do("POST", path, map[string]any{"vaccine": "EV71", "dose": dose, "given_at": at}, testkit.Token(nurse.Token))
	}
	rec(1, "2026-10-20T09:00:00+08:00").ExpectError(422, "dose_too_early") // 6 months is 2026-10-23
	rec(1, "2026-10-24T09:00:00+08:00").Expect(201)
	d := fdDoses(h, mom.Token, ctPath("/api/v1/persons/%d/vaccinations", child))["EV71/2"]
	if d["due_date"] != "2026-11-23" || d["state"] != "due" || d["programme"] != false {
		t.Fatalf("EV71 2 = %v", d)
	}
	rec(2, "2026-11-20T09:00:00+08:00").ExpectError(422, "dose_too_early")
	rec(3, "2026-11-23T09:00:00+08:00").ExpectError(422, "invalid_request")
	rec(2, "2026-11-23T09:00:00+08:00").Expect(201)
}

// TestFirstDays_CheckupRecording: staff check in a child's growth-assessment
// booking and record the 8-month check-up with the measurements; the plan
// shows the visit done and the measurement is staff's; the same visit (or
// the same booking) again is refused with when and where it was recorded;
// too early, a booking not checked in, another kind of booking, another
// clinic's staff are refused; the counter records a visit without a booking.
func TestFirstDays_CheckupRecording(t *testing.T) {
	h := testkit.New(t)
	fdClinics(h)
	mom := h.Login("mom")
	nurse := h.Staff("nurse-7", 7)
	other := h.Staff("nurse-8", 8)
	child := fdChild(h, mom, "小满", "male", 8, 0) // 8 months today: m8 is due
	svc := &model.Service{Kind: model.ServiceGrowthAssessment, Name: "儿童保健", DurationMinutes: 20, ClinicID: 7}
	vac := &model.Service{Kind: model.ServiceVaccination, Name: "预防接种", DurationMinutes: 20, ClinicID: 7}
	h.Create(svc, vac)
	session := func(s *model.Service) *model.Session {
		x := &model.Session{ServiceID: s.ID, ClinicID: 7, Kind: s.Kind, StartsAt: testkit.Start.Add(30 * time.Minute),
			EndsAt: testkit.Start.Add(3 * time.Hour), Capacity: 10, Booked: 1, Status: "open"}
		h.Create(x)
		return x
	}
	book := func(s *model.Session) int64 {
		active := true
		b := &model.Booking{SessionID: s.ID, MemberID: child, UserID: mom.ID, ClinicID: 7, Status: model.BookingConfirmed,
			Active: &active, StartsAt: s.StartsAt}
		h.Create(b)
		return b.ID
	}
	gaBooking, vacBooking := book(session(svc)), book(session(vac))
	staff := testkit.Token(nurse.Token)
	path := ctPath("/api/v1/staff/persons/%d/checkups", child)
	body := func(code string, booking int64) map[string]any {
		return map[string]any{"code": code, "booking_id": booking, "weight_kg": 8.6, "length_cm": 70.6, "head_cm": 44.5, "notes": "发育正常，建议添加辅食"}
	}

	// Not checked in yet: refused, nothing stored.
	h.Do("POST", path, body("m8", gaBooking), staff).ExpectError(409, "booking_not_checked_in")
	h.Do("POST", ctPath("/api/v1/staff/bookings/%d/check-in", gaBooking), nil, staff).Expect(200)
	// Another clinic's staff: 404 (the child is out of their reach).
	h.Do("POST", path, body("m8", gaBooking), testkit.Token(other.Token)).ExpectError(404, "not_found")
	// Too early: the 12-month check-up of an 8-month-old.
	e := h.Do("POST", path, body("m12", gaBooking), staff).ExpectError(422, "checkup_too_early").Map()
	if d, _ := e["error"].(map[string]any)["details"].(map[string]any); d == nil || d["earliest"] != "2027-03-09" {
		t.Fatalf("too early: %v", e)
	}
	h.Do("POST", path, body("m9", gaBooking), staff).ExpectError(422, "invalid_request")
	h.Do("POST", path, map[string]any{"code": "m8", "weight_kg": -1}, staff).ExpectError(422, "invalid_request")
	h.Do("POST", path, map[string]any{"code": "m8", "done_at": testkit.Start.Add(time.Hour)}, staff).ExpectError(422, "invalid_request")
	h.Do("POST", path, body("m8", vacBooking), staff).ExpectError(422, "invalid_request")
	if n := countRows(t, h, &model.CheckupRecord{}, "person_id = ?", child); n != 0 {
		t.Fatalf("%d records after refusals", n)
	}

	r := h.Do("POST", path, body("m8", gaBooking), staff).Expect(201).Map()
	visit, _ := r["visit"].(map[string]any)
	m, _ := r["measurement"].(map[string]any)
	if visit["code"] != "m8" || visit["state"] != "done" || r["booking_id"] != float64(gaBooking) || r["clinic_id"] != 7.0 ||
		r["notes"] != "发育正常，建议添加辅食" || m == nil || m["self_reported"] != false || m["z"].(map[string]any)["weight_for_length"] == nil {
		t.Fatalf("recorded = %v", r)
	}
	// Sealed at rest.
	var rec model.CheckupRecord
	h.DB.Where("person_id = ?", child).First(&rec)
	if strings.Contains(rec.Notes, "发育正常") || rec.MeasurementID == 0 {
		t.Fatalf("stored notes %q, measurement %d", rec.Notes, rec.MeasurementID)
	}

	// The same visit again (at the counter), or the same booking for another visit: refused with the reason.
	dup := h.Do("POST", path, body("m8", 0), staff).ExpectError(409, "checkup_already_recorded").Map()
	if d, _ := dup["error"].(map[string]any)["details"].(map[string]any); d == nil || d["done_on"] != "2026-11-23" || d["clinic_id"] != 7.0 {
		t.Fatalf("duplicate: %v", dup)
	}
	h.Do("POST", path, body("m6", gaBooking), staff).ExpectError(409, "checkup_already_recorded")

	// The family sees the plan: m8 done and recorded.
	var plan struct {
		Child []map[string]any `json:"child"`
	}
	h.Do("GET", ctPath("/api/v1/persons/%d/checkups", child), nil, testkit.Token(mom.Token)).Expect(200).JSON(&plan)
	found := false
	for _, c := range plan.Child {
		if c["code"] == "m8" {
			rd, _ := c["recorded"].(map[string]any)
			found = c["state"] == "done" && rd != nil && rd["done_on"] == "2026-11-23" && rd["booking_id"] == float64(gaBooking)
		}
	}
	if !found {
		t.Fatalf("plan = %v", plan.Child)
	}
	// A past visit entered at the counter, without measurements or booking.
	c := h.Do("POST", path, map[string]any{"code": "m6", "done_at": testkit.Start.AddDate(0, -2, 0)}, staff).Expect(201).Map()
	if c["measurement"] != nil || c["booking_id"] != nil || c["visit"].(map[string]any)["state"] != "done" {
		t.Fatalf("counter record = %v", c)
	}
	if n := countRows(t, h, &model.CheckupRecord{}, "person_id = ?", child); n != 2 {
		t.Fatalf("%d records, want 2", n)
	}
}

// TestFirstDays_CheckupRecordRace: the same visit recorded at once from
// several counters: exactly one is stored, the others are refused.
func TestFirstDays_CheckupRecordRace(t *testing.T) {
	h := testkit.New(t)
	fdClinics(h)
	mom := h.Login("mom")
	nurse := h.Staff("nurse-7", 7)
	child := fdChild(h, mom, "小满", "male", 8, 0)
	fdReach(h, 7, child, mom.ID)
	n := map[int]int{}
	var mu sync.Mutex
	parallel(8, func(int) {
		res := h.Do("POST", ctPath("/api/v1/staff/persons/%d/checkups", child), map[string]any{"code": "m8", "weight_kg": 8.5},
			testkit.Token(nurse.Token))
		mu.Lock()
		n[res.Status]++
		mu.Unlock()
	})
	if rows := countRows(t, h, &model.CheckupRecord{}, "person_id = ?", child); n[201] != 1 || n[409] != 7 || rows != 1 {
		t.Fatalf("statuses %v, rows %d; want one 201, seven 409, one row", n, rows)
	}
}
