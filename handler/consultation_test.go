package handler_test

import (
	"strings"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// cnWorld: an elder of resident u covered by team 1 (clinic 3) whose lead
// is `lead`; outsider is staff of clinic 3 outside the team.
type cnWorld struct {
	h                      *testkit.Harness
	lead, outsider, staff4 testkit.User
	u, other               testkit.User
	elder                  int64
}

func newCnWorld(t *testing.T) *cnWorld {
	h := ctNew(t)
	h.Seed()
	w := &cnWorld{h: h, lead: h.Staff("cn-lead", ctClinic3), outsider: h.Staff("cn-outsider", ctClinic3),
		staff4: h.Staff("cn-staff4", ctClinic4), u: h.Login("cn-daughter"), other: h.Login("cn-other")}
	dtJoin(h, ctTeam3, "lead", w.lead)
	dtJoin(h, ctTeam4, "lead", w.staff4)
	w.elder = ctElder(h, w.u, "张桂兰", 76)
	ctContract(h, w.u, w.lead, ctTeam3, w.elder)
	return w
}

func (w *cnWorld) open(text string) map[string]any {
	w.h.T.Helper()
	return w.h.Do("POST", "/api/v1/consultations", map[string]any{"person_id": w.elder, "text": text}, testkit.Token(w.u.Token)).Expect(201).Map()
}

func cnStatus(m map[string]any) string { return m["status"].(string) }

func TestConsultation_AskAnswerClose(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	U, L := testkit.Token(w.u.Token), testkit.Token(w.lead.Token)

	c := w.open("最近血压 150/95，早上头晕，药要加量吗？")
	id := ctID(c)
	if cnStatus(c) != "open" || c["due_at"] == nil || c["overdue"] != false || c["team_id"] != float64(ctTeam3) ||
		len(c["messages"].([]any)) != 1 {
		t.Fatalf("opened: %v", c)
	}
	// Sealed at rest.
	var raw model.ConsultationMessage
	h.DB.Where("consultation_id = ?", id).First(&raw)
	if strings.Contains(raw.Body, "血压") {
		t.Fatal("message stored in the clear")
	}

	// Only the team sees it: the lead does (unread 1), staff of clinic 3
	// outside the team, staff of clinic 4 and another resident do not.
	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/consultations", nil, L).Expect(200).JSON(&list)
	if len(list.Items) != 1 || list.Items[0]["unread"] != float64(1) {
		t.Fatalf("team list: %v", list.Items)
	}
	for _, who := range []testkit.User{w.outsider, w.staff4} {
		h.Do("GET", "/api/v1/staff/consultations", nil, testkit.Token(who.Token)).Expect(200).JSON(&list)
		if len(list.Items) != 0 {
			t.Fatalf("outside the team sees %v", list.Items)
		}
		h.Do("GET", ctPath("/api/v1/staff/consultations/%d", id), nil, testkit.Token(who.Token)).ExpectError(404, "not_found")
		h.Do("POST", ctPath("/api/v1/staff/consultations/%d/messages", id), map[string]any{"text": "x"}, testkit.Token(who.Token)).ExpectError(404, "not_found")
	}
	h.Do("GET", ctPath("/api/v1/consultations/%d", id), nil, testkit.Token(w.other.Token)).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/consultations/%d/messages", id), map[string]any{"text": "x"}, testkit.Token(w.other.Token)).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/consultations", nil, testkit.Token(w.other.Token)).Expect(200).JSON(&list)
	if len(list.Items) != 0 {
		t.Fatalf("another family sees %v", list.Items)
	}

	// The lead reads (unread back to 0) and replies: answered, the family
	// notified, unread 1 on their side.
	if g := h.Do("GET", ctPath("/api/v1/staff/consultations/%d", id), nil, L).Expect(200).Map(); g["unread"] != float64(0) {
		t.Fatalf("read by the team: %v", g)
	}
	r := h.Do("POST", ctPath("/api/v1/staff/consultations/%d/messages", id), map[string]any{"text": "先别加量，连续测三天早晚血压，周四来门诊。"}, L).Expect(201).Map()
	if cnStatus(r) != "answered" || r["due_at"] != nil {
		t.Fatalf("answered: %v", r)
	}
	if ctNotices(h, w.u.ID, "consultation_replied") != 1 {
		t.Fatal("the family must be notified of the reply")
	}
	h.Do("GET", "/api/v1/consultations", nil, U).Expect(200).JSON(&list)
	if len(list.Items) != 1 || list.Items[0]["unread"] != float64(1) || list.Items[0]["status"] != "answered" {
		t.Fatalf("family list: %v", list.Items)
	}
	g := h.Do("GET", ctPath("/api/v1/consultations/%d", id), nil, U).Expect(200).Map()
	if g["unread"] != float64(0) || len(g["messages"].([]any)) != 2 {
		t.Fatalf("family read: %v", g)
	}

	// The family writes again: open; closes; reopens twice (the limit),
	// then 409 consultation_closed.
	if m := h.Do("POST", ctPath("/api/v1/consultations/%d/messages", id), map[string]any{"text": "好的，谢谢医生"}, U).Expect(201).Map(); cnStatus(m) != "open" {
		t.Fatalf("written again: %v", m)
	}
	for i := range 2 {
		if m := h.Do("POST", ctPath("/api/v1/consultations/%d/close", id), nil, U).Expect(200).Map(); cnStatus(m) != "closed" {
			t.Fatalf("closed: %v", m)
		}
		h.Do("POST", ctPath("/api/v1/consultations/%d/close", id), nil, U).ExpectError(409, "invalid_transition")
		h.Do("POST", ctPath("/api/v1/staff/consultations/%d/messages", id), map[string]any{"text": "x"}, L).ExpectError(409, "invalid_transition")
		m := h.Do("POST", ctPath("/api/v1/consultations/%d/messages", id), map[string]any{"text": "又有点头晕"}, U).Expect(201).Map()
		if cnStatus(m) != "open" || m["reopens"] != float64(i+1) {
			t.Fatalf("reopened %d: %v", i, m)
		}
	}
	h.Do("POST", ctPath("/api/v1/staff/consultations/%d/close", id), nil, L).Expect(200)
	h.Do("POST", ctPath("/api/v1/consultations/%d/messages", id), map[string]any{"text": "再问一下"}, U).ExpectError(409, "consultation_closed")

	var steps []string
	for _, e := range h.Do("GET", ctPath("/api/v1/consultations/%d", id), nil, U).Expect(200).Map()["history"].([]any) {
		steps = append(steps, e.(map[string]any)["status"].(string))
	}
	if got := strings.Join(steps, ","); got != "open,answered,open,closed,open,closed,open,closed" {
		t.Fatalf("history: %s", got)
	}
}

func TestConsultation_HeldNotBlockedAndRules(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	U, L := testkit.Token(w.u.Token), testkit.Token(w.lead.Token)

	// A flagged text is kept for the team with the reason, never refused.
	h.WeChat.SetVerdict("risky")
	c := w.open("这个药在哪里能买到更便宜的")
	h.WeChat.SetVerdict("pass")
	msg := c["messages"].([]any)[0].(map[string]any)
	if msg["held"] != true || msg["held_reason"] == "" {
		t.Fatalf("held: %v", msg)
	}
	s := h.Do("GET", ctPath("/api/v1/staff/consultations/%d", ctID(c)), nil, L).Expect(200).Map()
	if m := s["messages"].([]any)[0].(map[string]any); m["held"] != true || m["text"] != "这个药在哪里能买到更便宜的" {
		t.Fatalf("the team sees the held message: %v", m)
	}

	// Without an active contract: 403; someone else's person: 404.
	child := h.Member(w.u, map[string]any{"name": "小宝", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	h.Do("POST", "/api/v1/consultations", map[string]any{"person_id": child, "text": "发烧"}, U).ExpectError(403, "no_contract_team")
	h.Do("POST", "/api/v1/consultations", map[string]any{"person_id": w.elder, "text": "发烧"}, testkit.Token(w.other.Token)).ExpectError(404, "not_found")
	h.Do("POST", "/api/v1/consultations", map[string]any{"person_id": w.elder, "text": ""}, U).ExpectError(422, "invalid_request")

	// Overdue ones lead the team's list.
	h.Clock.Advance(20 * time.Hour)
	late := ctID(w.open("晚一点的问题"))
	h.Clock.Advance(5 * time.Hour) // the first is 25 h old: overdue
	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/consultations?status=open", nil, L).Expect(200).JSON(&list)
	if len(list.Items) != 2 || ctID(list.Items[0]) != ctID(c) || list.Items[0]["overdue"] != true || list.Items[1]["overdue"] != false ||
		ctID(list.Items[1]) != late {
		t.Fatalf("urgent first: %v", list.Items)
	}
	h.Do("GET", "/api/v1/staff/consultations?limit=1", nil, L).Expect(200).JSON(&list)
	if len(list.Items) != 1 || ctID(list.Items[0]) != ctID(c) {
		t.Fatalf("page 1: %v", list.Items)
	}
}

func TestConsultation_QuietCloseOnceAcrossReplicas(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	L := testkit.Token(w.lead.Token)
	var answered []int64
	for i := range 3 {
		id := ctID(w.open("问题" + itoa(int64(i))))
		h.Do("POST", ctPath("/api/v1/staff/consultations/%d/messages", id), map[string]any{"text": "回复"}, L).Expect(201)
		answered = append(answered, id)
	}
	open := ctID(w.open("还没回复的问题"))
	h.Clock.Advance(8 * 24 * time.Hour)
	replica := h.Replica()
	counts := runJobs(t, h.App.Services.Consultations.CloseQuiet, replica.Services.Consultations.CloseQuiet)
	if counts[0]+counts[1] != 3 {
		t.Fatalf("closed %v, want 3 in all", counts)
	}
	if n := ctCount(h, &model.Consultation{}, "status = ?", "closed"); n != 3 {
		t.Fatalf("closed rows: %d", n)
	}
	if n := ctCount(h, &model.ConsultationEvent{}, "to_status = ? AND by_role = ?", "closed", "system"); n != 3 {
		t.Fatalf("close events: %d", n)
	}
	if n := ctCount(h, &model.Consultation{}, "id = ? AND status = ?", open, "open"); n != 1 {
		t.Fatal("an unanswered consultation never closes by itself")
	}
	_ = answered
}
