package handler_test

import (
	"fmt"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// TestOutreach_TeamToursTheBranches: an admin builds a 流动专家 team of
// main-hospital experts with sittings at two branches; families see the
// sittings ahead at their clinic and book them like any session; visits
// are added later, all or nothing; staff cannot build teams.
func TestOutreach_TeamToursTheBranches(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	defer func() {
		if t.Failed() {
			t.Log(h.Log.String())
		}
	}()
	admin := h.Admin("out-admin")
	A := testkit.Token(admin.Token)
	expert := ctID(h.Do("POST", "/api/v1/admin/experts", map[string]any{"name": "孙海燕", "title": "主任医师 · 儿童保健",
		"home_clinic_id": 1, "sitting_clinic_ids": []int64{1}}, A).Expect(201).Map())
	at := func(days int) (string, string) {
		start := h.Clock.Now().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Hour)
		return start.Format(time.RFC3339), start.Add(3 * time.Hour).Format(time.RFC3339)
	}
	s1, e1 := at(3)
	s2, e2 := at(5)
	team := h.Do("POST", "/api/v1/admin/outreach-teams", map[string]any{"name": "总院儿科流动专家队", "description": "骨龄、足底筛查",
		"home_clinic_id": 1, "expert_ids": []int64{expert, 1},
		"visits": []map[string]any{{"service_id": serviceA, "starts_at": s1, "ends_at": e1, "capacity": 20},
			{"service_id": serviceB, "expert_id": 1, "starts_at": s2, "ends_at": e2, "capacity": 10}}}, A).Expect(201).Map()
	tid := ctID(team)
	visits := team["visits"].([]any)
	if team["home_clinic_name"] != "青山县人民医院" || len(team["experts"].([]any)) != 2 || len(visits) != 2 {
		t.Fatalf("team: %v", team)
	}
	v1 := visits[0].(map[string]any)
	sess := v1["session"].(map[string]any)
	if v1["clinic_id"] != float64(clinicA) || v1["team_name"] != "总院儿科流动专家队" || sess["expert"].(map[string]any)["id"] != float64(expert) ||
		sess["expert"].(map[string]any)["home_clinic_name"] != "青山县人民医院" || sess["clinic"].(map[string]any)["id"] != float64(clinicA) {
		t.Fatalf("first visit: %v", v1)
	}
	// Families see the sittings ahead at their clinic and book them.
	list := func(q string) []any {
		return h.Do("GET", "/api/v1/outreach-visits"+q, nil).Expect(200).Map()["items"].([]any)
	}
	if got := list(fmt.Sprintf("?clinic_id=%d", clinicA)); len(got) != 1 || got[0].(map[string]any)["id"] != v1["id"] {
		t.Fatalf("clinic A's sittings: %v", got)
	}
	if got := list(""); len(got) != 2 {
		t.Fatalf("every sitting: %v", got)
	}
	sid := int64(sess["id"].(float64))
	w.book(w.parent, sid, w.child, false).Expect(201)

	// Visits are added; a bad one writes nothing; an expert outside the team
	// is refused.
	s3, e3 := at(12)
	before := countRows(t, h, &model.Session{}, "1 = 1")
	r := h.Do("PUT", fmt.Sprintf("/api/v1/admin/outreach-teams/%d", tid), map[string]any{"name": "改名",
		"visits": []map[string]any{{"service_id": serviceA, "starts_at": s3, "ends_at": e3, "capacity": 5},
			{"service_id": serviceA, "expert_id": 2, "starts_at": s3, "ends_at": e3, "capacity": 5}}}, A).ExpectError(422, "invalid_request").Map()
	fields := r["error"].(map[string]any)["details"].(map[string]any)["fields"].(map[string]any)
	if _, ok := fields["visits[1].expert_id"]; !ok {
		t.Fatalf("fields: %v", fields)
	}
	if n := countRows(t, h, &model.Session{}, "1 = 1"); n != before {
		t.Fatalf("a refused change published %d sessions", n-before)
	}
	h.Do("PUT", fmt.Sprintf("/api/v1/admin/outreach-teams/%d", tid), map[string]any{"visits": []map[string]any{
		{"service_id": serviceA, "starts_at": s1, "ends_at": e1, "capacity": 5}}}, A).ExpectError(409, "session_exists")
	team = h.Do("PUT", fmt.Sprintf("/api/v1/admin/outreach-teams/%d", tid), map[string]any{"expert_ids": []int64{expert},
		"visits": []map[string]any{{"service_id": serviceA, "starts_at": s3, "ends_at": e3, "capacity": 5}}}, A).Expect(200).Map()
	if team["name"] != "总院儿科流动专家队" || len(team["experts"].([]any)) != 1 || len(team["visits"].([]any)) != 3 {
		t.Fatalf("after adding a visit: %v", team)
	}
	// A cancelled sitting leaves the lists.
	h.Do("PUT", fmt.Sprintf("/api/v1/staff/sessions/%d", sid), map[string]any{"status": "cancelled", "reason": "专家临时停诊"},
		testkit.Token(w.staff.Token)).Expect(200)
	if got := list(fmt.Sprintf("?clinic_id=%d", clinicA)); len(got) != 1 {
		t.Fatalf("after cancelling: %v", got)
	}
	got := h.Do("GET", fmt.Sprintf("/api/v1/outreach-teams/%d", tid), nil).Expect(200).Map()
	if len(got["visits"].([]any)) != 2 {
		t.Fatalf("team's visits: %v", got["visits"])
	}

	for _, tc := range []struct {
		name string
		body map[string]any
	}{
		{"no experts", map[string]any{"name": "x", "home_clinic_id": 1, "expert_ids": []int64{}}},
		{"unknown expert", map[string]any{"name": "x", "home_clinic_id": 1, "expert_ids": []int64{99999}}},
		{"unknown home", map[string]any{"name": "x", "home_clinic_id": 99999, "expert_ids": []int64{1}}},
		{"no name", map[string]any{"home_clinic_id": 1, "expert_ids": []int64{1}}},
		{"past visit", map[string]any{"name": "x", "home_clinic_id": 1, "expert_ids": []int64{1},
			"visits": []map[string]any{{"service_id": serviceA, "starts_at": "2020-01-01T09:00:00+08:00", "ends_at": "2020-01-01T11:00:00+08:00", "capacity": 5}}}},
		{"bad time", map[string]any{"name": "x", "home_clinic_id": 1, "expert_ids": []int64{1},
			"visits": []map[string]any{{"service_id": serviceA, "starts_at": "tomorrow", "ends_at": e3, "capacity": 5}}}},
	} {
		if got := h.Do("POST", "/api/v1/admin/outreach-teams", tc.body, A).ErrorCode(); got != "invalid_request" {
			t.Errorf("%s: %s", tc.name, got)
		}
	}
	h.Do("POST", "/api/v1/admin/outreach-teams", map[string]any{"name": "x", "home_clinic_id": 1, "expert_ids": []int64{1}},
		testkit.Token(w.managerA().Token)).ExpectError(403, "forbidden")
	if n := countRows(t, h, &model.AuditLog{}, "target_type = ? AND target_id = ?", "outreach_team", tid); n != 2 {
		t.Fatalf("%d audit rows, want 2", n)
	}
}
