package handler_test

import (
	"testing"

	"familycare/model"
	"familycare/testkit"
)

// dtBody is a team of clinic 3 from the given accounts, the first the lead.
func dtBody(clinic int64, ids ...int64) map[string]any {
	roles := []string{"lead", "nurse", "pharmacist", "child_health", "doctor", "public_health"}
	var members []map[string]any
	for i, id := range ids {
		members = append(members, map[string]any{"user_id": id, "role": roles[i%len(roles)]})
	}
	return map[string]any{"clinic_id": clinic, "name": "石桥镇家庭医生二团队", "description": "柳树村", "members": members}
}

// dtJoin makes staff members of team in role (fixtures of other tests).
func dtJoin(h *testkit.Harness, team int64, role string, staff ...testkit.User) {
	h.T.Helper()
	for _, s := range staff {
		h.Create(&model.DoctorTeamMember{TeamID: team, UserID: s.ID, Role: role, CreatedAt: h.Clock.Now()})
	}
}

func TestDoctorTeams_BuiltFromStaffAccounts(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	admin := h.Admin("dt-admin")
	A := testkit.Token(admin.Token)
	lead := h.Staff("dt-lead", ctClinic3)
	nurse := h.Staff("dt-nurse", ctClinic3)
	far := h.Staff("dt-far", ctClinic4)
	resident := h.Login("dt-resident")

	team := h.Do("POST", "/api/v1/admin/doctor-teams", dtBody(ctClinic3, lead.ID, nurse.ID), A).Expect(201).Map()
	id := ctID(team)
	ms := team["members"].([]any)
	if team["clinic_id"] != float64(ctClinic3) || len(ms) != 2 || ms[0].(map[string]any)["role"] != "lead" ||
		ms[0].(map[string]any)["user_id"] != float64(lead.ID) {
		t.Fatalf("team: %v", team)
	}
	// The public list names the accounts as its doctors.
	var list struct {
		Items []struct {
			ID      int64 `json:"id"`
			Doctors []struct {
				Role string `json:"role"`
			} `json:"doctors"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/doctor-teams?clinic_id=3", nil).Expect(200).JSON(&list)
	if len(list.Items) != 2 || list.Items[1].ID != id || len(list.Items[1].Doctors) != 2 || list.Items[1].Doctors[0].Role != "lead_doctor" {
		t.Fatalf("public list: %+v", list)
	}

	// Members must be staff within reach, each once, exactly one lead.
	for name, body := range map[string]map[string]any{
		"resident":      dtBody(ctClinic3, lead.ID, resident.ID),
		"other clinic":  dtBody(ctClinic3, lead.ID, far.ID),
		"twice":         dtBody(ctClinic3, lead.ID, lead.ID),
		"no lead":       {"clinic_id": ctClinic3, "name": "x", "members": []map[string]any{{"user_id": nurse.ID, "role": "nurse"}}},
		"two leads":     {"clinic_id": ctClinic3, "name": "x", "members": []map[string]any{{"user_id": nurse.ID, "role": "lead"}, {"user_id": lead.ID, "role": "lead"}}},
		"bad role":      {"clinic_id": ctClinic3, "name": "x", "members": []map[string]any{{"user_id": lead.ID, "role": "boss"}}},
		"no clinic":     dtBody(999, lead.ID),
		"no members":    {"clinic_id": ctClinic3, "name": "x", "members": []map[string]any{}},
		"missing names": {"clinic_id": ctClinic3, "members": []map[string]any{{"user_id": lead.ID, "role": "lead"}}},
	} {
		r := h.Do("POST", "/api/v1/admin/doctor-teams", body, A)
		if r.Status != 422 || r.ErrorCode() != "invalid_request" {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if n := ctCount(h, &model.DoctorTeam{}, "1 = 1"); n != 3 {
		t.Fatalf("refused teams were stored: %d teams", n)
	}

	// PUT replaces the members; staff and residents may not.
	upd := h.Do("PUT", ctPath("/api/v1/admin/doctor-teams/%d", id), dtBody(ctClinic3, nurse.ID), A).Expect(200).Map()
	if ms := upd["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["user_id"] != float64(nurse.ID) {
		t.Fatalf("updated: %v", upd)
	}
	if n := ctCount(h, &model.DoctorTeamMember{}, "team_id = ?", id); n != 1 {
		t.Fatalf("members after PUT: %d", n)
	}
	h.Do("GET", ctPath("/api/v1/admin/doctor-teams/%d", id), nil, A).Expect(200)
	h.Do("GET", "/api/v1/admin/doctor-teams/999", nil, A).ExpectError(404, "not_found")
	h.Do("PUT", "/api/v1/admin/doctor-teams/999", dtBody(ctClinic3, nurse.ID), A).ExpectError(404, "not_found")
	h.Do("PUT", ctPath("/api/v1/admin/doctor-teams/%d", id), dtBody(ctClinic3, nurse.ID), testkit.Token(lead.Token)).ExpectError(403, "forbidden")
	h.Do("POST", "/api/v1/admin/doctor-teams", dtBody(ctClinic3, nurse.ID), testkit.Token(resident.Token)).ExpectError(403, "forbidden")
}
