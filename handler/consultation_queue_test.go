package handler_test

import (
	"strings"
	"testing"
	"time"

	"familycare/model"
	"familycare/pagination"
	"familycare/testkit"
)

// cnQueueRef is the staff queue as the build before the stored rank ordered
// it, read straight from the database: the answers and order the keyset
// list must keep.
func cnQueueRef(h *testkit.Harness, teams ...int64) []int64 {
	h.T.Helper()
	var ids []int64
	if err := h.DB.Model(&model.Consultation{}).Where("team_id IN ?", teams).
		Order("CASE status WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END").
		Order("due_at").Order("last_message_at DESC").Order("id DESC").Pluck("id", &ids).Error; err != nil {
		h.T.Fatal(err)
	}
	return ids
}

// cnQueuePage reads one page of the staff queue: its ids and next cursor.
func cnQueuePage(h *testkit.Harness, who testkit.User, query string) ([]int64, string) {
	h.T.Helper()
	var list struct {
		Items      []map[string]any `json:"items"`
		NextCursor string           `json:"next_cursor"`
	}
	h.Do("GET", "/api/v1/staff/consultations"+query, nil, testkit.Token(who.Token)).Expect(200).JSON(&list)
	ids := make([]int64, len(list.Items))
	for i, it := range list.Items {
		ids[i] = ctID(it)
	}
	return ids, list.NextCursor
}

// TestConsultation_QueueKeysetAcrossStatusChanges: a doctor of two teams
// pages the staff queue two at a time (the teams' reads merged, a tie of due
// and last message across the teams broken by id) in exactly the order the
// CASE status query gave. Between the first and second page one consultation
// already seen is answered and an answered one unseen becomes open again:
// the next pages continue behind the last row seen, so every consultation
// whose status did not change is listed once, in order (an offset would
// have skipped one), and the moved ones appear at their new place. The
// stored rank follows every status write; an offset cursor of the build
// before is refused.
func TestConsultation_QueueKeysetAcrossStatusChanges(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	L := testkit.Token(w.lead.Token)
	dtJoin(h, ctTeam4, "doctor", w.lead)
	u2 := h.Login("cn-son")
	elder2 := ctElder(h, u2, "李春生", 81)
	ctContract(h, u2, w.staff4, ctTeam4, elder2)
	open4 := func(text string) int64 {
		return ctID(h.Do("POST", "/api/v1/consultations", map[string]any{"person_id": elder2, "text": text}, testkit.Token(u2.Token)).Expect(201).Map())
	}
	hour := func() { h.Clock.Advance(time.Hour) }

	a := ctID(w.open("问题 a"))
	hour()
	b := open4("问题 b")
	c := ctID(w.open("问题 c")) // same due and last message as b, a higher id
	hour()
	d := open4("问题 d")
	hour()
	e := ctID(w.open("问题 e"))
	hour()
	f := open4("问题 f")
	hour()
	g := ctID(w.open("问题 g"))
	hour()
	hh := open4("问题 h")
	for _, id := range []int64{e, f} {
		hour()
		h.Do("POST", ctPath("/api/v1/staff/consultations/%d/messages", id), map[string]any{"text": "回复"}, L).Expect(201)
	}
	for _, id := range []int64{g, hh} {
		hour()
		h.Do("POST", ctPath("/api/v1/staff/consultations/%d/close", id), nil, L).Expect(200)
	}
	name := map[int64]string{a: "a", b: "b", c: "c", d: "d", e: "e", f: "f", g: "g", hh: "h"}
	names := func(ids []int64) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = name[id]
		}
		return strings.Join(out, ",")
	}
	rankKept := func(when string) {
		t.Helper()
		if n := ctCount(h, &model.Consultation{}, "queue_rank <> CASE status WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END"); n != 0 {
			t.Fatalf("%s: %d consultations with a rank other than their status's", when, n)
		}
	}
	rankKept("before")
	all, next := cnQueuePage(h, w.lead, "?limit=100")
	if got, ref := names(all), names(cnQueueRef(h, ctTeam3, ctTeam4)); got != "a,c,b,d,f,e,h,g" || ref != got || next != "" {
		t.Fatalf("queue %s (next %q), the CASE status order %s, want a,c,b,d,f,e,h,g", got, next, ref)
	}
	for _, q := range []struct{ status, want string }{{"open", "a,c,b,d"}, {"answered", "f,e"}, {"closed", "h,g"}} {
		if ids, _ := cnQueuePage(h, w.lead, "?status="+q.status); names(ids) != q.want {
			t.Errorf("status=%s: %s, want %s", q.status, names(ids), q.want)
		}
	}

	var pages []string
	page, next := cnQueuePage(h, w.lead, "?limit=2")
	pages = append(pages, names(page))
	// Between pages: a (seen) is answered, e (not seen) gets a message from
	// the family and is open again, due last of the open ones.
	hour()
	h.Do("POST", ctPath("/api/v1/staff/consultations/%d/messages", a), map[string]any{"text": "回复"}, L).Expect(201)
	h.Do("POST", ctPath("/api/v1/consultations/%d/messages", e), map[string]any{"text": "还是不舒服"}, testkit.Token(w.u.Token)).Expect(201)
	rankKept("after the changes")
	for next != "" && len(pages) < 10 {
		page, next = cnQueuePage(h, w.lead, "?limit=2&cursor="+next)
		pages = append(pages, names(page))
	}
	if got := strings.Join(pages, " | "); got != "a,c | b,d | e,a | f,h | g" {
		t.Fatalf("pages %s, want a,c | b,d | e,a | f,h | g", got)
	}
	all, _ = cnQueuePage(h, w.lead, "?limit=100")
	if got, ref := names(all), names(cnQueueRef(h, ctTeam3, ctTeam4)); got != "c,b,d,e,a,f,h,g" || ref != got {
		t.Fatalf("queue after the changes %s, the CASE status order %s, want c,b,d,e,a,f,h,g", got, ref)
	}

	// The quiet-close job writes the rank too.
	h.Clock.Advance(8 * 24 * time.Hour)
	if n, err := h.App.Services.Consultations.CloseQuiet(t.Context()); err != nil || n != 2 {
		t.Fatalf("quiet close: %d %v, want a and f closed", n, err)
	}
	rankKept("after the quiet close")
	if n := ctCount(h, &model.Consultation{}, "queue_rank = 2"); n != 4 {
		t.Fatalf("%d consultations ranked closed, want 4", n)
	}

	old := pagination.Encode(map[string]int{"o": 2})
	h.Do("GET", "/api/v1/staff/consultations?cursor="+old, nil, L).ExpectError(422, "invalid_request")
}
