package handler_test

import (
	"fmt"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// Seeded network: 1 main hospital; branches 2 (城东), 3 (石桥), 4 (河口);
// stations 5 (柳树, under 3) and 6 (新华, under 2).

func adminClinic(t *testing.T, h *testkit.Harness, admin testkit.User, body map[string]any) map[string]any {
	t.Helper()
	return h.Do("POST", "/api/v1/admin/clinics", body, testkit.Token(admin.Token)).Expect(201).Map()
}

func publicClinicIDs(h *testkit.Harness) map[int64]bool {
	var out struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/clinics", nil).Expect(200).JSON(&out)
	ids := map[int64]bool{}
	for _, c := range out.Items {
		ids[c.ID] = true
	}
	return ids
}

func TestAdminClinics_BuildBranchAndStation(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	admin := h.Admin("adm-clinics")
	branch := adminClinic(t, h, admin, map[string]any{"name": "青山县人民医院城西分院", "kind": "branch", "parent_id": 1,
		"address": "城西街道健康路 8 号", "phone": "0571-8800 5500", "open_hours": "周一至周日 08:00-17:30，疫苗门诊中午不休",
		"offers": []string{"child_health_centre", "care_guidance_centre", "vaccination"}, "catchment": []string{"西湾社区", "桃园村"},
		"hours": []map[string]any{{"weekdays": []int{1, 2, 3, 4, 5}, "start": "08:00", "end": "17:30"},
			{"weekdays": []int{6, 7}, "start": "08:30", "end": "12:30", "offer": "vaccination"}},
		"location": map[string]any{"lat": 30.2741, "lng": 120.1551}})
	if branch["status"] != "open" || branch["noon_open"] != true || branch["weekend_open"] != true {
		t.Fatalf("branch: %v", branch)
	}
	if loc := branch["location"].(map[string]any); loc["lat"] != 30.2741 || loc["lng"] != 120.1551 {
		t.Fatalf("location: %v", loc)
	}
	bid := int64(branch["id"].(float64))
	station := adminClinic(t, h, admin, map[string]any{"name": "桃园村卫生驿站", "kind": "station", "parent_id": bid, "catchment": []string{"桃园村"}})
	sid := int64(station["id"].(float64))
	if station["noon_open"] != false || station["location"] != nil {
		t.Fatalf("station: %v", station)
	}
	ids := publicClinicIDs(h)
	if !ids[bid] || !ids[sid] || len(ids) != 8 {
		t.Fatalf("public list: %v", ids)
	}
	got := h.Do("GET", fmt.Sprintf("/api/v1/clinics/%d", bid), nil).Expect(200).Map()
	if fmt.Sprint(got["catchment"]) != "[西湾社区 桃园村]" || fmt.Sprint(got["offers"]) != "[child_health_centre care_guidance_centre vaccination]" {
		t.Fatalf("clinic: %v", got)
	}

	// Only the fields sent change.
	res := h.Do("PUT", fmt.Sprintf("/api/v1/admin/clinics/%d", sid), map[string]any{"phone": "0571-8800 5501"}, testkit.Token(admin.Token)).Expect(200).Map()
	if res["phone"] != "0571-8800 5501" || res["name"] != "桃园村卫生驿站" || fmt.Sprint(res["catchment"]) != "[桃园村]" {
		t.Fatalf("after PUT: %v", res)
	}

	// The tree: a station hangs under a branch, a branch under the main
	// hospital, the main hospital under nothing.
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"station under main", map[string]any{"name": "驿站", "kind": "station", "parent_id": 1}, "parent_id"},
		{"branch under station", map[string]any{"name": "分院", "kind": "branch", "parent_id": sid}, "parent_id"},
		{"branch without parent", map[string]any{"name": "分院", "kind": "branch"}, "parent_id"},
		{"main with parent", map[string]any{"name": "总院", "kind": "main_hospital", "parent_id": 1}, "parent_id"},
		{"unknown parent", map[string]any{"name": "驿站", "kind": "station", "parent_id": 99999}, "parent_id"},
		{"no name", map[string]any{"kind": "station", "parent_id": bid}, "name"},
		{"bad kind", map[string]any{"name": "x", "kind": "hospital"}, "kind"},
		{"hours end first", map[string]any{"name": "驿站", "kind": "station", "parent_id": bid,
			"hours": []map[string]any{{"weekdays": []int{1}, "start": "12:00", "end": "08:00"}}}, "hours"},
		{"unknown offer", map[string]any{"name": "驿站", "kind": "station", "parent_id": bid, "offers": []string{"spa"}}, "offers[0]"},
		{"bidi in name", map[string]any{"name": "驿站\u202e", "kind": "station", "parent_id": bid}, "name"},
		{"latitude out of range", map[string]any{"name": "驿站", "kind": "station", "parent_id": bid, "location": map[string]any{"lat": 91, "lng": 120}}, "lat"},
	} {
		res := h.Do("POST", "/api/v1/admin/clinics", tc.body, testkit.Token(admin.Token)).ExpectError(422, "invalid_request")
		fields, _ := res.Map()["error"].(map[string]any)["details"].(map[string]any)["fields"].(map[string]any)
		if _, ok := fields[tc.field]; !ok {
			t.Errorf("%s: fields %v, want %s", tc.name, fields, tc.field)
		}
	}
	// A branch with stations cannot become a station.
	h.Do("PUT", fmt.Sprintf("/api/v1/admin/clinics/%d", bid), map[string]any{"kind": "station", "parent_id": 2}, testkit.Token(admin.Token)).
		ExpectError(422, "invalid_request")
	// Staff and residents cannot administer clinics.
	h.Do("POST", "/api/v1/admin/clinics", map[string]any{"name": "x", "kind": "main_hospital"}, testkit.Token(h.Staff("adm-st", 2).Token)).
		ExpectError(403, "forbidden")
	if n := countRows(t, h, &model.AuditLog{}, "action = ?", "clinic.create"); n != 2 {
		t.Fatalf("%d clinic.create audit rows, want 2", n)
	}
}

func countRows(t *testing.T, h *testkit.Harness, m any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := h.DB.Model(m).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAdminClinics_Close_CancelsFutureSessions(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	admin := h.Admin("adm-close")
	sess := w.session(5, 48*time.Hour)
	b := w.book(w.parent, sess, w.child, false).Expect(201).Map()
	var future int64
	h.DB.Model(&model.Session{}).Where("clinic_id = ? AND status = ? AND starts_at > ?", clinicA, "open", h.Clock.Now()).Count(&future)

	// Station 5 hangs under clinic 3: it closes first.
	h.Do("PUT", "/api/v1/admin/clinics/3", map[string]any{"status": "closed"}, testkit.Token(admin.Token)).ExpectError(409, "clinic_has_open_children")
	h.Do("PUT", "/api/v1/admin/clinics/5", map[string]any{"status": "closed"}, testkit.Token(admin.Token)).Expect(200)
	res := h.Do("PUT", "/api/v1/admin/clinics/3", map[string]any{"status": "closed"}, testkit.Token(admin.Token)).Expect(200).Map()
	if res["status"] != "closed" {
		t.Fatalf("closed: %v", res)
	}
	ids := publicClinicIDs(h)
	if ids[3] || ids[5] || len(ids) != 4 {
		t.Fatalf("public list after closing: %v", ids)
	}
	if got := h.Do("GET", "/api/v1/clinics/3", nil).Expect(200).Map(); got["status"] != "closed" {
		t.Fatalf("GET closed clinic: %v", got)
	}
	if n := countRows(t, h, &model.Session{}, "clinic_id = ? AND status = ? AND starts_at > ?", clinicA, "open", h.Clock.Now()); n != 0 || future < 2 {
		t.Fatalf("%d open future sessions left (had %d)", n, future)
	}
	got := h.Do("GET", "/api/v1/bookings/"+id(b), nil, testkit.Token(w.parent.Token)).Expect(200).Map()
	if got["status"] != "cancelled" {
		t.Fatalf("booking after close: %v", got["status"])
	}
	w.book(w.parent, sess, w.child2, false).ExpectError(409, "session_closed")
	h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": serviceA, "starts_at": h.Clock.Now().Add(72 * time.Hour).Format(time.RFC3339),
		"ends_at": h.Clock.Now().Add(73 * time.Hour).Format(time.RFC3339), "capacity": 3}, testkit.Token(w.staff.Token)).ExpectError(409, "clinic_closed")
	// Reopening the station needs its branch open.
	h.Do("PUT", "/api/v1/admin/clinics/5", map[string]any{"status": "open"}, testkit.Token(admin.Token)).ExpectError(409, "clinic_closed")

	var logs struct {
		Items []struct {
			Action    string         `json:"action"`
			ActorID   int64          `json:"actor_id"`
			TargetID  int64          `json:"target_id"`
			Detail    map[string]any `json:"detail"`
			CreatedAt string         `json:"created_at"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/audit-logs?action=clinic.close", nil, testkit.Token(admin.Token)).Expect(200).JSON(&logs)
	if len(logs.Items) != 2 || logs.Items[0].TargetID != 3 || logs.Items[1].TargetID != 5 || logs.Items[0].ActorID != admin.ID {
		t.Fatalf("audit: %+v", logs.Items)
	}
	if logs.Items[0].Detail["sessions_cancelled"] != float64(future) || logs.Items[1].Detail["sessions_cancelled"] != float64(0) {
		t.Fatalf("audit detail: %+v (future %d)", logs.Items, future)
	}
}

func TestAuditLogs_ManagersSeeTheirClinic(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	admin := h.Admin("adm-audit")
	for _, c := range []int64{2, 3, 6} {
		h.Do("PUT", fmt.Sprintf("/api/v1/admin/clinics/%d", c), map[string]any{"phone": "0571-1234 5678"}, testkit.Token(admin.Token)).Expect(200)
	}
	nurse := h.Staff("adm-nurse", 2)
	h.Do("GET", "/api/v1/staff/audit-logs", nil, testkit.Token(nurse.Token)).ExpectError(403, "forbidden")
	manager := h.Staff("adm-manager", 2)
	if err := h.DB.Model(&model.User{}).Where("id = ?", manager.ID).Update("position", model.PositionManager).Error; err != nil {
		t.Fatal(err)
	}
	var out struct {
		Items []struct {
			ClinicID int64 `json:"clinic_id"`
		} `json:"items"`
	}
	// Branch 2's manager sees branch 2 and its station 6, not branch 3.
	h.Do("GET", "/api/v1/staff/audit-logs", nil, testkit.Token(manager.Token)).Expect(200).JSON(&out)
	if fmt.Sprint(out.Items) != "[{6} {2}]" {
		t.Fatalf("manager sees %v", out.Items)
	}
	h.Do("GET", "/api/v1/staff/audit-logs?clinic_id=3", nil, testkit.Token(manager.Token)).Expect(200).JSON(&out)
	if len(out.Items) != 0 {
		t.Fatalf("manager sees clinic 3: %v", out.Items)
	}
	h.Do("GET", "/api/v1/staff/audit-logs?limit=2", nil, testkit.Token(admin.Token)).Expect(200).JSON(&out)
	if fmt.Sprint(out.Items) != "[{6} {3}]" {
		t.Fatalf("admin sees %v", out.Items)
	}
}

func TestAdminExperts_HomeHospitalAndSittings(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	admin := h.Admin("adm-experts")
	e := h.Do("POST", "/api/v1/admin/experts", map[string]any{"name": "赵国强", "title": "主任医师 · 儿科主任", "specialty": "儿童哮喘",
		"home_clinic_id": 1, "sitting_clinic_ids": []int64{3, 2},
		"studios": []map[string]any{{"clinic_id": 3, "name": "赵国强儿科名医工作室", "weekdays": []int{2}, "start_time": "08:30", "end_time": "11:30"}}},
		testkit.Token(admin.Token)).Expect(201).Map()
	eid := int64(e["id"].(float64))
	sittings := e["sittings"].([]any)
	first := sittings[0].(map[string]any)
	if e["home_clinic_name"] != "青山县人民医院" || e["clinic_id"] != float64(3) || len(sittings) != 2 ||
		first["clinic_name"] != "石桥镇卫生院" || first["studio_name"] != "赵国强儿科名医工作室" || fmt.Sprint(first["weekdays"]) != "[2]" {
		t.Fatalf("expert: %v", e)
	}
	listed := func(clinic int) bool {
		var out struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		h.Do("GET", fmt.Sprintf("/api/v1/experts?clinic_id=%d&limit=100", clinic), nil).Expect(200).JSON(&out)
		for _, it := range out.Items {
			if it.ID == eid {
				return true
			}
		}
		return false
	}
	if !listed(2) || !listed(3) || !listed(1) || listed(4) {
		t.Fatal("expert listed at the wrong clinics")
	}
	// A session at the branch names the sitting place and the home hospital.
	staff := h.Staff("adm-exp-staff", 3)
	start := h.Clock.Now().Add(96 * time.Hour)
	sess := h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": 1, "expert_id": eid, "starts_at": start.Format(time.RFC3339),
		"ends_at": start.Add(3 * time.Hour).Format(time.RFC3339), "capacity": 15}, testkit.Token(staff.Token)).Expect(201).Map()
	if sess["clinic"].(map[string]any)["name"] != "石桥镇卫生院" || sess["expert"].(map[string]any)["home_clinic_name"] != "青山县人民医院" {
		t.Fatalf("session: %v", sess)
	}
	// Sittings are replaced as a whole.
	e = h.Do("PUT", fmt.Sprintf("/api/v1/admin/experts/%d", eid), map[string]any{"sitting_clinic_ids": []int64{4}}, testkit.Token(admin.Token)).Expect(200).Map()
	if e["clinic_id"] != float64(4) || len(e["sittings"].([]any)) != 1 || e["home_clinic_id"] != float64(1) || e["name"] != "赵国强" {
		t.Fatalf("after PUT: %v", e)
	}
	// A seeded expert without a home clinic is at home where they sit.
	seeded := h.Do("GET", "/api/v1/experts/1", nil).Expect(200).Map()
	if seeded["home_clinic_id"] != seeded["clinic_id"] || seeded["home_clinic_name"] != "石桥镇卫生院" {
		t.Fatalf("seeded: %v", seeded)
	}

	for _, tc := range []struct {
		name string
		body map[string]any
		code string
	}{
		{"studio elsewhere", map[string]any{"name": "x", "home_clinic_id": 1, "sitting_clinic_ids": []int64{2},
			"studios": []map[string]any{{"clinic_id": 3, "name": "工作室", "weekdays": []int{2}, "start_time": "08:30", "end_time": "11:30"}}}, "invalid_request"},
		{"no home", map[string]any{"name": "x", "sitting_clinic_ids": []int64{2}}, "invalid_request"},
		{"no sittings", map[string]any{"name": "x", "home_clinic_id": 1, "sitting_clinic_ids": []int64{}}, "invalid_request"},
		{"unknown clinic", map[string]any{"name": "x", "home_clinic_id": 1, "sitting_clinic_ids": []int64{999}}, "invalid_request"},
		{"sitting ends first", map[string]any{"name": "x", "home_clinic_id": 1, "sitting_clinic_ids": []int64{2},
			"studios": []map[string]any{{"clinic_id": 2, "name": "工作室", "weekdays": []int{2}, "start_time": "11:30", "end_time": "08:30"}}}, "invalid_request"},
	} {
		if got := h.Do("POST", "/api/v1/admin/experts", tc.body, testkit.Token(admin.Token)).ErrorCode(); got != tc.code {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.code)
		}
	}
	h.Do("PUT", "/api/v1/admin/clinics/6", map[string]any{"status": "closed"}, testkit.Token(admin.Token)).Expect(200)
	h.Do("POST", "/api/v1/admin/experts", map[string]any{"name": "x", "home_clinic_id": 1, "sitting_clinic_ids": []int64{6}},
		testkit.Token(admin.Token)).ExpectError(409, "clinic_closed")
	if n := countRows(t, h, &model.AuditLog{}, "target_type = ? AND target_id = ?", "expert", eid); n != 2 {
		t.Fatalf("%d expert audit rows, want 2", n)
	}
}
