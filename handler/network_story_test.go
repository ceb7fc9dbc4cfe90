package handler_test

import (
	"fmt"
	"testing"
	"time"

	"familycare/testkit"
)

// TestNetworkStory_BuiltThroughTheAPI is the "done when", over HTTP
// alone: an admin builds a new branch with a station, staff arrive by
// invitation (the branch's manager adds a service with an age rule), an
// expert of the main hospital sits there, a doctor team is made of the
// invited accounts, and a family books an arrival slot.
func TestNetworkStory_BuiltThroughTheAPI(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	admin := h.Admin("story-admin")
	A := testkit.Token(admin.Token)

	branch := ctID(adminClinic(t, h, admin, map[string]any{"name": "青山县人民医院城西分院", "kind": "branch", "parent_id": 1,
		"address": "城西街道健康路 8 号", "phone": "0571-8800 5500", "offers": []string{"child_health_centre", "vaccination"},
		"catchment": []string{"西湾社区", "桃园村"},
		"hours":     []map[string]any{{"weekdays": []int{1, 2, 3, 4, 5, 6, 7}, "start": "08:00", "end": "17:30"}}}))
	station := ctID(adminClinic(t, h, admin, map[string]any{"name": "桃园村卫生驿站", "kind": "station", "parent_id": branch,
		"catchment": []string{"桃园村"}}))

	// Staff by invitation: the invited open the mini-program and redeem.
	join := func(openid string, clinic int64, position string) testkit.User {
		t.Helper()
		_, code := invite(t, h, admin, clinic, position)
		var r redeemed
		h.Do("POST", "/api/v1/staff-invitations/redeem", map[string]any{"code": code}, testkit.Token(h.Login(openid).Token)).Expect(200).JSON(&r)
		if r.User.Role != "staff" || r.User.Position != position {
			t.Fatalf("redeemed %s: %+v", openid, r.User)
		}
		return testkit.User{ID: r.User.ID, Token: r.Token, ClinicID: clinic}
	}
	manager := join("story-manager", branch, "manager")
	doctor := join("story-doctor", branch, "doctor")
	nurse := join("story-nurse", branch, "nurse")
	pharmacist := join("story-pharmacist", branch, "pharmacist")
	villageDoctor := join("story-village", station, "doctor")

	// The manager adds a service with an age rule, cut into 20-minute slots;
	// other staff may not.
	svc := map[string]any{"kind": "pediatric_massage", "name": "小儿推拿", "duration_minutes": 20, "slot_minutes": 20,
		"price_text": "医保报销", "confirmation": "auto", "eligibility": map[string]any{"min_age_months": 0, "max_age_months": 36}}
	h.Do("POST", "/api/v1/staff/services", svc, testkit.Token(nurse.Token)).ExpectError(403, "manager_required")
	service := ctID(h.Do("POST", "/api/v1/staff/services", svc, testkit.Token(manager.Token)).Expect(201).Map())

	// An expert of the main hospital sits at the branch on Tuesdays.
	expert := ctID(h.Do("POST", "/api/v1/admin/experts", map[string]any{"name": "钱立新", "title": "主任医师 · 儿科",
		"home_clinic_id": 1, "sitting_clinic_ids": []int64{branch},
		"studios": []map[string]any{{"clinic_id": branch, "name": "钱立新儿科名医工作室", "weekdays": []int{2}, "start_time": "08:30", "end_time": "11:30"}}},
		A).Expect(201).Map())
	start := h.Clock.Now().Add(72 * time.Hour).Truncate(time.Hour)
	sess := h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": service, "expert_id": expert,
		"starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": 6},
		testkit.Token(manager.Token)).Expect(201).Map()
	if sess["clinic"].(map[string]any)["name"] != "青山县人民医院城西分院" || sess["expert"].(map[string]any)["home_clinic_name"] != "青山县人民医院" {
		t.Fatalf("session: %v", sess)
	}
	sid := ctID(sess)

	// A doctor team of the invited accounts, the station's doctor with them.
	team := h.Do("POST", "/api/v1/admin/doctor-teams", map[string]any{"clinic_id": branch, "name": "城西分院家庭医生一团队",
		"members": []map[string]any{{"user_id": doctor.ID, "role": "lead"}, {"user_id": nurse.ID, "role": "nurse"},
			{"user_id": pharmacist.ID, "role": "pharmacist"}, {"user_id": villageDoctor.ID, "role": "public_health"}}},
		A).Expect(201).Map()
	if len(team["members"].([]any)) != 4 {
		t.Fatalf("team: %v", team)
	}

	// A family books an arrival slot; the grandmother does not fit the rule.
	family := h.Login("story-family")
	F := testkit.Token(family.Token)
	child := h.Member(family, map[string]any{"name": "桃桃", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	grandma := h.Member(family, map[string]any{"name": "奶奶", "relation": "parent", "birth_date": h.DateAgo(70, 0, 0)})
	slots := slotsOf(h, sid)
	if len(slots) != 3 {
		t.Fatalf("slots: %+v", slots)
	}
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": sid, "member_id": grandma, "slot_starts_at": slots[1].StartsAt}, F).
		ExpectError(422, "not_eligible")
	b := h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": sid, "member_id": child, "slot_starts_at": slots[1].StartsAt}, F).
		Expect(201).Map()
	if b["arrival_at"] != slots[1].StartsAt || b["status"] != "confirmed" {
		t.Fatalf("booking: %v", b)
	}
	// The branch's staff see it; the station's staff do not (their station
	// only), and the admin's audit log holds the whole build.
	seen := func(u testkit.User) bool {
		var out struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		h.Do("GET", "/api/v1/staff/bookings?limit=100", nil, testkit.Token(u.Token)).Expect(200).JSON(&out)
		for _, it := range out.Items {
			if fmt.Sprint(it.ID) == id(b) {
				return true
			}
		}
		return false
	}
	if !seen(nurse) || seen(villageDoctor) {
		t.Fatal("booking seen by the wrong staff")
	}
	var logs struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/audit-logs?limit=100", nil, A).Expect(200).JSON(&logs)
	actions := map[string]int{}
	for _, it := range logs.Items {
		actions[it.Action]++
	}
	if actions["clinic.create"] != 2 || actions["staff_invitation.redeem"] != 5 || actions["expert.create"] != 1 {
		t.Fatalf("audit: %v", actions)
	}
	assertCounters(t, h, sid)
}
