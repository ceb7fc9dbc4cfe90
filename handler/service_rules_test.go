package handler_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"familycare/testkit"
)

// newService creates a service at clinic A as its manager and returns its id.
func (w *bookingWorld) newService(body map[string]any) int64 {
	w.h.T.Helper()
	base := map[string]any{"kind": "pediatric_massage", "name": "小儿推拿", "duration_minutes": 30}
	for k, v := range body {
		base[k] = v
	}
	var out struct {
		ID int64 `json:"id"`
	}
	w.h.Do("POST", "/api/v1/staff/services", base, testkit.Token(w.managerA().Token)).Expect(201).JSON(&out)
	return out.ID
}

// sessionOf publishes a session of service sv starting `in` from now.
func (w *bookingWorld) sessionOf(sv int64, capacity int, in, length time.Duration) int64 {
	w.h.T.Helper()
	start := w.h.Clock.Now().Add(in).Truncate(time.Hour)
	var out struct {
		ID int64 `json:"id"`
	}
	w.h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": sv, "starts_at": start.Format(time.RFC3339),
		"ends_at": start.Add(length).Format(time.RFC3339), "capacity": capacity}, testkit.Token(w.staff.Token)).Expect(201).JSON(&out)
	return out.ID
}

func TestServices_CreateEditScope(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff, staffB := testkit.Token(w.managerA().Token), testkit.Token(h.Manager("manager-b", clinicB).Token)
	nurse, nurseB := testkit.Token(w.staff.Token), testkit.Token(w.staffB.Token)
	body := map[string]any{"kind": "vision_check", "name": "儿童视力筛查", "duration_minutes": 20, "slot_minutes": 20,
		"price_text": "免费", "eligibility": map[string]any{"min_age_months": 0, "max_age_months": 36}, "confirmation": "auto"}
	// Staff who are not the clinic's manager neither add nor edit services.
	r := h.Do("POST", "/api/v1/staff/services", body, nurse).ExpectError(403, "manager_required").Map()
	if msg := r["error"].(map[string]any)["message"]; msg != "只有本机构负责人或管理员可以新增、修改服务项目" {
		t.Fatalf("refusal: %v", msg)
	}
	r = h.Do("POST", "/api/v1/staff/services", body, staff).Expect(201).Map()
	if r["clinic_id"] != float64(clinicA) || r["confirmation"] != "auto" || r["slot_minutes"] != float64(20) {
		t.Fatalf("created: %v", r)
	}
	elig := r["eligibility"].(map[string]any)
	if elig["max_age_months"] != float64(36) || elig["text"] != "0–36 月龄" {
		t.Fatalf("eligibility: %v", elig)
	}
	sid := id(r)
	h.Do("PUT", "/api/v1/staff/services/"+sid, body, nurse).ExpectError(403, "manager_required")
	// Another clinic's staff, manager or not: not found; another clinic's id on create: 422.
	h.Do("PUT", "/api/v1/staff/services/"+sid, body, staffB).ExpectError(404, "not_found")
	h.Do("PUT", "/api/v1/staff/services/"+sid, body, nurseB).ExpectError(404, "not_found")
	h.Do("POST", "/api/v1/staff/services", map[string]any{"clinic_id": clinicB, "kind": "health_talk", "name": "讲座", "duration_minutes": 60}, staff).
		ExpectError(422, "invalid_request")
	// An admin anywhere, naming the clinic.
	admin := testkit.Token(h.Admin("admin").Token)
	h.Do("POST", "/api/v1/staff/services", map[string]any{"kind": "health_talk", "name": "讲座", "duration_minutes": 60}, admin).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/staff/services", map[string]any{"clinic_id": clinicB, "kind": "health_talk", "name": "讲座", "duration_minutes": 60}, admin).Expect(201)
	// Validation: unknown kind, two age units, inverted ranges.
	for _, bad := range []map[string]any{
		{"kind": "nope", "name": "x", "duration_minutes": 10},
		{"kind": "health_talk", "name": "x", "duration_minutes": 10, "eligibility": map[string]any{"min_age_months": 1, "max_age_years": 3}},
		{"kind": "health_talk", "name": "x", "duration_minutes": 10, "eligibility": map[string]any{"min_age_years": 5, "max_age_years": 3}},
		{"kind": "health_talk", "name": "x", "duration_minutes": 10, "eligibility": map[string]any{"pregnancy": map[string]any{"min_week": 30, "max_week": 20}}},
	} {
		h.Do("POST", "/api/v1/staff/services", bad, staff).ExpectError(422, "invalid_request")
	}
	// Edit: the rules change; the public list shows them.
	body["eligibility"] = map[string]any{"min_age_years": 60, "gender": "female"}
	r = h.Do("PUT", "/api/v1/staff/services/"+sid, body, staff).Expect(200).Map()
	if txt := r["eligibility"].(map[string]any)["text"]; txt != "60 岁及以上 · 女性" {
		t.Fatalf("edited rules: %v", txt)
	}
	list := h.Do("GET", "/api/v1/services?kind=vision_check", nil).Expect(200).Map()["items"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["price_text"] != "免费" {
		t.Fatalf("public list: %v", list)
	}
	// Residents cannot reach the staff route.
	h.Do("POST", "/api/v1/staff/services", body, testkit.Token(w.parent.Token)).ExpectError(403, "forbidden")
}

func TestBooking_NotEligible(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	grandma := h.Member(w.parent, map[string]any{"name": "奶奶", "relation": "parent", "gender": "female", "birth_date": h.DateAgo(76, 0, 0)})
	baby := h.Member(w.parent, map[string]any{"name": "小宝", "relation": "child", "birth_date": h.DateAgo(0, 7, 0)})
	due := h.Clock.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 140).Format("2006-01-02") // 孕20周 today
	mum := h.Member(w.parent, map[string]any{"name": "妈妈", "relation": "self", "gender": "female", "due_date": due})

	massage := w.sessionOf(w.newService(map[string]any{"eligibility": map[string]any{"min_age_months": 0, "max_age_months": 36}}), 5, 48*time.Hour, time.Hour)
	r := w.book(w.parent, massage, grandma, false).ExpectError(422, "not_eligible").Map()
	e := r["error"].(map[string]any)
	if e["message"] != "该服务仅限 0–36 月龄儿童" || e["details"].(map[string]any)["reason"] != "该服务仅限 0–36 月龄儿童" {
		t.Fatalf("refusal: %v", e)
	}
	w.book(w.parent, massage, baby, false).Expect(201)
	// A child without a birth date is asked for one.
	nobirth := h.Member(w.parent, map[string]any{"name": "三宝", "relation": "child"})
	if msg := w.book(w.parent, massage, nobirth, false).ExpectError(422, "not_eligible").Map()["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "出生日期") {
		t.Fatalf("no birth date: %s", msg)
	}

	prenatal := w.sessionOf(w.newService(map[string]any{"kind": "prenatal_checkup", "name": "产检",
		"eligibility": map[string]any{"gender": "female", "pregnancy": map[string]any{"min_week": 16, "max_week": 20}}}), 5, 48*time.Hour, time.Hour)
	w.book(w.parent, prenatal, baby, false).ExpectError(422, "not_eligible")
	w.book(w.parent, prenatal, grandma, false).ExpectError(422, "not_eligible")
	w.book(w.parent, prenatal, mum, false).Expect(201)
	late := w.sessionOf(w.newService(map[string]any{"kind": "prenatal_checkup", "name": "晚孕产检",
		"eligibility": map[string]any{"pregnancy": map[string]any{"min_week": 28, "max_week": 36}}}), 5, 48*time.Hour, time.Hour)
	msg := w.book(w.parent, late, mum, false).ExpectError(422, "not_eligible").Map()["error"].(map[string]any)["message"].(string)
	if !strings.Contains(msg, "孕 28–36 周") {
		t.Fatalf("pregnancy refusal: %s", msg)
	}

	contract := w.sessionOf(w.newService(map[string]any{"name": "签约专享", "eligibility": map[string]any{"contract_required": true}}), 5, 48*time.Hour, time.Hour)
	w.book(w.parent, contract, baby, false).ExpectError(422, "not_eligible")
	verified := w.sessionOf(w.newService(map[string]any{"name": "实名专享", "eligibility": map[string]any{"verified_required": true}}), 5, 48*time.Hour, time.Hour)
	w.book(w.parent, verified, baby, false).ExpectError(422, "not_eligible")
	// English callers get the English message.
	en := h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": massage, "member_id": grandma}, testkit.Token(w.parent.Token),
		testkit.Header("Accept-Language", "en")).ExpectError(422, "not_eligible").Map()
	if m := en["error"].(map[string]any)["message"]; m != "the person does not meet the service's conditions" {
		t.Fatalf("english: %v", m)
	}
	_ = fmt.Sprint
}

func TestBooking_AutoConfirmAndUnconfirmedExpiry(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	auto := w.sessionOf(w.newService(map[string]any{"name": "自动确认", "confirmation": "auto"}), 5, 48*time.Hour, time.Hour)
	if st := w.book(w.parent, auto, w.child, false).Expect(201).Map()["status"]; st != "confirmed" {
		t.Fatalf("auto service booked as %v", st)
	}
	cancelSv := w.newService(map[string]any{"name": "人工确认", "confirm_by_minutes": 180})
	confirmSv := w.newService(map[string]any{"name": "到时自动确认", "confirm_by_minutes": 180, "unconfirmed_action": "confirm"})
	s1 := w.sessionOf(cancelSv, 5, 48*time.Hour, time.Hour)
	s2 := w.sessionOf(confirmSv, 5, 48*time.Hour, time.Hour)
	var toCancel, toConfirm []int64
	for i := 0; i < 4; i++ {
		u := h.Login(fmt.Sprintf("uc-%d", i))
		kid := h.Member(u, map[string]any{"name": "孩子", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
		toCancel = append(toCancel, ctID(w.book(u, s1, kid, false).Expect(201).Map()))
		kid2 := h.Member(u, map[string]any{"name": "二孩", "relation": "child", "birth_date": h.DateAgo(1, 0, 0)})
		toConfirm = append(toConfirm, ctID(w.book(u, s2, kid2, false).Expect(201).Map()))
	}
	// Staff confirm one in time; it is left alone.
	h.Do("POST", fmt.Sprintf("/api/v1/staff/bookings/%d/confirm", toCancel[0]), nil, testkit.Token(w.staff.Token)).Expect(200)
	replica := h.Replica()
	if n := runJobs(t, h.App.Services.Bookings.SettleUnconfirmed, replica.Services.Bookings.SettleUnconfirmed); n[0]+n[1] != 0 {
		t.Fatalf("settled %v before the deadline", n)
	}
	h.Clock.Advance(45*time.Hour + 30*time.Minute) // inside 3 h before the start
	n := runJobs(t, h.App.Services.Bookings.SettleUnconfirmed, replica.Services.Bookings.SettleUnconfirmed)
	if n[0]+n[1] != 7 {
		t.Fatalf("settled %v, want 7 in all", n)
	}
	want := map[int64]string{toCancel[0]: "confirmed"}
	for _, id := range toCancel[1:] {
		want[id] = "cancelled"
	}
	for _, id := range toConfirm {
		want[id] = "confirmed"
	}
	for id, st := range want {
		var b struct{ Status string }
		h.DB.Table("bookings").Select("status").Where("id = ?", id).Scan(&b)
		if b.Status != st {
			t.Fatalf("booking %d is %s, want %s", id, b.Status, st)
		}
	}
	var notes int64
	h.DB.Table("notifications").Where("title = ?", "预约已取消").Count(&notes)
	if notes != 3 {
		t.Fatalf("%d cancellation notices, want 3", notes)
	}
	assertCounters(t, h, s1)
	if n := runJobs(t, h.App.Services.Bookings.SettleUnconfirmed); n[0] != 0 {
		t.Fatalf("second run settled %d", n[0])
	}
}
