package handler_test

import (
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

func TestFollowUp_PlanRecordOverdue(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	U, L := testkit.Token(w.u.Token), testkit.Token(w.lead.Token)
	// An expectant mother due in 10 days, covered too.
	mother := h.Member(w.u, map[string]any{"name": "李娜", "relation": "spouse", "gender": "female",
		"due_date": h.Clock.Now().In(ctLoc).AddDate(0, 0, 10).Format("2006-01-02")})
	ctContract(h, w.u, w.lead, ctTeam3, mother)

	// Two processes plan at once: 4 hypertension + 4 diabetes visits for
	// the elder, 2 postpartum visits for the mother, exactly once.
	counts := runJobs(t, h.App.Services.FollowUps.GeneratePlans, h.Replica().Services.FollowUps.GeneratePlans)
	if counts[0]+counts[1] != 10 {
		t.Fatalf("planned %v, want 10 in all", counts)
	}
	if again := runJobs(t, h.App.Services.FollowUps.GeneratePlans); again[0] != 0 {
		t.Fatalf("a second run planned %d", again[0])
	}
	if n := ctCount(h, &model.FollowUpEvent{}, "to_status = ?", "planned"); n != 10 {
		t.Fatalf("plan history rows: %d", n)
	}

	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", ctPath("/api/v1/persons/%d/follow-ups", w.elder), nil, U).Expect(200).JSON(&list)
	if len(list.Items) != 8 || list.Items[0]["status"] != "planned" || list.Items[0]["overdue"] != false {
		t.Fatalf("elder plan: %v", list.Items)
	}
	perYear := map[string]int{}
	for _, v := range list.Items {
		perYear[v["rule"].(string)]++
	}
	if perYear["hypertension"] < 4 || perYear["diabetes_t2"] < 4 {
		t.Fatalf("at least four a year: %v", perYear)
	}
	h.Do("GET", ctPath("/api/v1/persons/%d/follow-ups", mother), nil, U).Expect(200).JSON(&list)
	if len(list.Items) != 2 || list.Items[0]["rule"] != "postpartum" {
		t.Fatalf("postpartum plan: %v", list.Items)
	}
	h.Do("GET", ctPath("/api/v1/persons/%d/follow-ups", w.elder), nil, testkit.Token(w.other.Token)).ExpectError(404, "not_found")

	// 91 days on, the first visit is overdue; the team records it.
	h.Clock.Advance(91 * 24 * time.Hour)
	h.Do("GET", ctPath("/api/v1/persons/%d/follow-ups", w.elder), nil, U).Expect(200).JSON(&list)
	first := list.Items[0]
	if first["overdue"] != true {
		t.Fatalf("overdue: %v", first)
	}
	id := ctID(first)
	body := map[string]any{"method": "home", "systolic": 138, "diastolic": 86, "glucose_mmol": 6.8, "weight_kg": 61.5,
		"notes": "血压控制尚可", "next_step": "三个月后复查"}
	h.Do("POST", ctPath("/api/v1/staff/follow-ups/%d/record", id), body, testkit.Token(w.outsider.Token)).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/staff/follow-ups/%d/record", id), map[string]any{"method": "email"}, L).ExpectError(422, "invalid_request")
	done := h.Do("POST", ctPath("/api/v1/staff/follow-ups/%d/record", id), body, L).Expect(200).Map()
	if done["status"] != "done" || done["record"].(map[string]any)["systolic"] != float64(138) || done["overdue"] != false {
		t.Fatalf("recorded: %v", done)
	}
	h.Do("POST", ctPath("/api/v1/staff/follow-ups/%d/record", id), body, L).ExpectError(409, "invalid_transition")
	h.Do("GET", ctPath("/api/v1/persons/%d/follow-ups", w.elder), nil, U).Expect(200).JSON(&list)
	if list.Items[0]["record"].(map[string]any)["next_step"] != "三个月后复查" {
		t.Fatalf("the household sees the record: %v", list.Items[0])
	}
	var raw model.FollowUpVisit
	h.DB.First(&raw, id)
	if raw.Record == "" || raw.Record[0] == '{' {
		t.Fatalf("record not sealed: %q", raw.Record)
	}
}
