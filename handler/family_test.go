package handler_test

import (
	"strings"
	"testing"

	"familycare/testkit"
)

func TestMembers_CRUD(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("mum")
	birth := h.DateAgo(0, 7, 0)
	due := h.Clock.Now().AddDate(0, 3, 0).Format("2006-01-02")
	child := h.Do("POST", "/api/v1/me/members", map[string]any{"name": "小宝", "relation": "child", "gender": "female", "birth_date": birth},
		testkit.Token(u.Token)).Expect(201).Map()
	if child["birth_date"] != birth || child["age_years"] != float64(0) {
		t.Fatalf("child: %v", child)
	}
	h.Do("POST", "/api/v1/me/members", map[string]any{"name": "我", "relation": "self", "due_date": due}, testkit.Token(u.Token)).Expect(201)
	h.Do("POST", "/api/v1/me/members", map[string]any{"name": "爷爷", "relation": "parent", "birth_date": "1955-03-01",
		"chronic_conditions": []string{"高血压", "2型糖尿病"}}, testkit.Token(u.Token)).Expect(201)

	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/me/members", nil, testkit.Token(u.Token)).Expect(200).JSON(&list)
	if len(list.Items) != 3 {
		t.Fatalf("want 3 members, got %d", len(list.Items))
	}
	id := itoa(int64(child["id"].(float64)))
	patched := h.Do("PUT", "/api/v1/me/members/"+id, map[string]any{"name": "小小宝"}, testkit.Token(u.Token)).Expect(200).Map()
	if patched["name"] != "小小宝" || patched["birth_date"] != birth {
		t.Fatalf("patch must change only name: %v", patched)
	}
	// Another user's member is 404 for every verb.
	other := h.Login("stranger")
	h.Do("GET", "/api/v1/me/members/"+id, nil, testkit.Token(other.Token)).ExpectError(404, "not_found")
	h.Do("PUT", "/api/v1/me/members/"+id, map[string]any{"name": "x"}, testkit.Token(other.Token)).ExpectError(404, "not_found")
	h.Do("DELETE", "/api/v1/me/members/"+id, nil, testkit.Token(other.Token)).ExpectError(404, "not_found")
	h.Do("DELETE", "/api/v1/me/members/"+id, nil, testkit.Token(u.Token)).Expect(204)
	h.Do("GET", "/api/v1/me/members/"+id, nil, testkit.Token(u.Token)).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/me/members/abc", nil, testkit.Token(u.Token)).ExpectError(404, "not_found")
}

func TestMembers_Validation(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("mum")
	tomorrow := h.Clock.Now().AddDate(0, 0, 2).Format("2006-01-02")
	far := h.Clock.Now().AddDate(0, 0, 302).Format("2006-01-02")
	yesterday := h.DateAgo(0, 0, 2)
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"birth in future", map[string]any{"name": "a", "relation": "child", "birth_date": tomorrow}, "birth_date"},
		{"birth not a date", map[string]any{"name": "a", "relation": "child", "birth_date": "2024-13-45"}, "birth_date"},
		{"due in past", map[string]any{"name": "a", "relation": "self", "due_date": yesterday}, "due_date"},
		{"due too far", map[string]any{"name": "a", "relation": "self", "due_date": far}, "due_date"},
		{"unknown relation", map[string]any{"name": "a", "relation": "cousin"}, "relation"},
		{"unknown gender", map[string]any{"name": "a", "relation": "child", "gender": "x"}, "gender"},
		{"missing name", map[string]any{"relation": "child"}, "name"},
		{"long name", map[string]any{"name": strings.Repeat("名", 65), "relation": "child"}, "name"},
		{"wrong type", map[string]any{"name": 12, "relation": "child"}, "name"},
		{"conditions not strings", map[string]any{"name": "a", "relation": "parent", "chronic_conditions": []any{1}}, "chronic_conditions"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testkit.Do(t, h.App.Engine, "POST", "/api/v1/me/members", tc.body, testkit.Token(u.Token))
			r.ExpectError(422, "invalid_request")
			fields := r.Map()["error"].(map[string]any)["details"].(map[string]any)["fields"].(map[string]any)
			found := false
			for k := range fields {
				if strings.HasPrefix(k, tc.field) {
					found = true
				}
			}
			if !found {
				t.Fatalf("want field %s in %v", tc.field, fields)
			}
		})
	}
	var list struct {
		Items []any `json:"items"`
	}
	h.Do("GET", "/api/v1/me/members", nil, testkit.Token(u.Token)).Expect(200).JSON(&list)
	if len(list.Items) != 0 {
		t.Fatalf("rejected members must not be stored, found %d", len(list.Items))
	}
}

func TestProfile_Patch(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("mum")
	got := h.Do("PUT", "/api/v1/me", map[string]any{"nickname": "小雨妈妈", "avatar_url": "https://img.example.com/a.png"}, testkit.Token(u.Token)).Expect(200).Map()
	if got["nickname"] != "小雨妈妈" {
		t.Fatalf("nickname: %v", got)
	}
	h.Do("PUT", "/api/v1/me", map[string]any{"avatar_url": "javascript:alert(1)"}, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
	h.Do("PUT", "/api/v1/me", map[string]any{"role": "admin"}, testkit.Token(u.Token)).Expect(200)
	if r := h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token)).Expect(200).Map(); r["role"] != "resident" {
		t.Fatal("a client must not set its own role")
	}
}
