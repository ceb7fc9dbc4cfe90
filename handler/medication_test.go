package handler_test

import (
	"testing"

	"familycare/testkit"
)

func mlBody(drug string) map[string]any {
	return map[string]any{"items": []map[string]any{
		{"drug": drug, "strength": "5mg", "form": "片剂", "dose": "每日一次，每次一片", "quantity_per_refill": 2, "refill_interval_days": 28, "last_prescribed": "2026-11-01"},
		{"drug": "二甲双胍缓释片", "strength": "0.5g", "form": "片剂", "dose": "每日两次", "quantity_per_refill": 3, "refill_interval_days": 30},
	}}
}

func TestMedications_KeptByTheTeam(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	U, L := testkit.Token(w.u.Token), testkit.Token(w.lead.Token)
	path := ctPath("/api/v1/staff/persons/%d/medications", w.elder)

	list := h.Do("PUT", path, mlBody("苯磺酸氨氯地平片"), L).Expect(200).Map()
	if items := list["items"].([]any); len(items) != 2 || items[0].(map[string]any)["refill_interval_days"] != float64(28) {
		t.Fatalf("list: %v", list)
	}
	// The household reads it; another family, staff outside the team and a
	// doctor of another team cannot.
	mine := h.Do("GET", ctPath("/api/v1/persons/%d/medications", w.elder), nil, U).Expect(200).Map()
	if items := mine["items"].([]any); len(items) != 2 || items[0].(map[string]any)["drug"] != "苯磺酸氨氯地平片" {
		t.Fatalf("household view: %v", mine)
	}
	h.Do("GET", ctPath("/api/v1/persons/%d/medications", w.elder), nil, testkit.Token(w.other.Token)).ExpectError(404, "not_found")
	for _, who := range []testkit.User{w.outsider, w.staff4} {
		h.Do("PUT", path, mlBody("别的药"), testkit.Token(who.Token)).ExpectError(404, "not_found")
	}
	// A person without an active contract has no list to keep.
	child := h.Member(w.u, map[string]any{"name": "小宝", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	h.Do("PUT", ctPath("/api/v1/staff/persons/%d/medications", child), mlBody("x"), L).ExpectError(404, "not_found")
	// Validation; PUT replaces (an empty list clears it).
	h.Do("PUT", path, map[string]any{"items": []map[string]any{{"drug": "x", "quantity_per_refill": 0, "refill_interval_days": 28}}}, L).ExpectError(422, "invalid_request")
	h.Do("PUT", path, map[string]any{"items": []map[string]any{{"drug": "x", "quantity_per_refill": 1, "refill_interval_days": 28, "last_prescribed": "2099-01-01"}}}, L).ExpectError(422, "invalid_request")
	h.Do("PUT", path, map[string]any{"items": []map[string]any{}}, L).Expect(200)
	if got := h.Do("GET", ctPath("/api/v1/persons/%d/medications", w.elder), nil, U).Expect(200).Map(); len(got["items"].([]any)) != 0 {
		t.Fatalf("cleared: %v", got)
	}
}
