package handler_test

import (
	"testing"
	"time"

	"familycare/testkit"
)

func TestWorklist_WhatNeedsAttentionFirst(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	U, L := testkit.Token(w.u.Token), testkit.Token(w.lead.Token)
	plain := func(name string) int64 {
		id := h.Member(w.u, map[string]any{"name": name, "relation": "parent", "gender": "male", "birth_date": ctBirth(70, 0)})
		ctContract(h, w.u, w.lead, ctTeam3, id)
		return id
	}
	quiet, ordering, asking, late := plain("安静"), plain("要药"), plain("在问"), plain("等很久")
	if _, err := h.App.Services.FollowUps.GeneratePlans(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(91 * 24 * time.Hour) // the elder's first follow-up is overdue
	h.Do("POST", "/api/v1/consultations", map[string]any{"person_id": late, "text": "头痛三天了"}, U).Expect(201)
	h.Clock.Advance(25 * time.Hour) // past the 24 h reply target
	h.Do("POST", "/api/v1/consultations", map[string]any{"person_id": asking, "text": "能打流感疫苗吗"}, U).Expect(201)
	h.Do("POST", "/api/v1/medicine-orders", mdBody(ordering), U).Expect(201)

	var wl struct {
		Items []struct {
			Person struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"person"`
			Attention []string `json:"attention"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
		Total      int    `json:"total"`
	}
	h.Do("GET", "/api/v1/staff/worklist", nil, L).Expect(200).JSON(&wl)
	want := []int64{late, asking, w.elder, ordering, quiet}
	wantFirst := []string{"consultation_overdue", "consultation_unanswered", "follow_up_overdue", "medicine_order_pending", ""}
	if wl.Total != 5 || len(wl.Items) != 5 {
		t.Fatalf("worklist: %+v", wl)
	}
	for i, it := range wl.Items {
		first := ""
		if len(it.Attention) > 0 {
			first = it.Attention[0]
		}
		if it.Person.ID != want[i] || first != wantFirst[i] || it.Person.Name == "" {
			t.Fatalf("row %d: %+v, want person %d first %q", i, it, want[i], wantFirst[i])
		}
	}
	h.Do("GET", "/api/v1/staff/worklist?limit=2", nil, L).Expect(200).JSON(&wl)
	if len(wl.Items) != 2 || wl.NextCursor == "" {
		t.Fatalf("page 1: %+v", wl)
	}
	h.Do("GET", "/api/v1/staff/worklist?limit=2&cursor="+wl.NextCursor, nil, L).Expect(200).JSON(&wl)
	if len(wl.Items) != 2 || wl.Items[0].Person.ID != w.elder {
		t.Fatalf("page 2: %+v", wl)
	}
	// Staff outside the team have no families; a doctor of another team
	// does not see these.
	for _, who := range []testkit.User{w.outsider, w.staff4} {
		h.Do("GET", "/api/v1/staff/worklist", nil, testkit.Token(who.Token)).Expect(200).JSON(&wl)
		if wl.Total != 0 || len(wl.Items) != 0 {
			t.Fatalf("outside the team: %+v", wl)
		}
	}
	h.Do("GET", "/api/v1/staff/worklist", nil, U).ExpectError(403, "forbidden")
}
