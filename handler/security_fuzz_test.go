package handler_test

import (
	"encoding/json"
	"testing"

	"familycare/testkit"
)

// FuzzBindJSON sends arbitrary bytes as the body of create and change
// routes through the real engine: the answer is never a 5xx, an error is
// always the envelope and a success is a JSON object.
func FuzzBindJSON(f *testing.F) {
	h := testkit.New(f)
	h.Seed()
	parent := h.Login("fuzz-parent")
	staff := h.Staff("fuzz-staff", clinicA)
	h.Member(parent, map[string]any{"name": "小宝", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	routes := []struct {
		method, path, token string
	}{
		{"POST", "/api/v1/me/members", parent.Token},
		{"PUT", "/api/v1/me", parent.Token},
		{"POST", "/api/v1/bookings", parent.Token},
		{"POST", "/api/v1/medicine-orders", parent.Token},
		{"POST", "/api/v1/family-contracts", parent.Token},
		{"POST", "/api/v1/me/subscriptions", parent.Token},
		{"POST", "/api/v1/staff/sessions", staff.Token},
		{"POST", "/api/v1/staff/schedules", staff.Token},
	}
	f.Add(uint8(0), []byte(`{"name":"小宝","relation":"child","birth_date":"2024-01-01"}`))
	f.Add(uint8(1), []byte(`{"nickname":"' OR 1=1 --"}`))
	f.Add(uint8(2), []byte(`{"session_id":"1; DROP TABLE users","member_id":1}`))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		res := testkit.Do(t, h.App.Engine, r.method, r.path, body, testkit.Token(r.token))
		switch {
		case res.Status >= 500:
			t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, res.Status, res.Body)
		case res.Status >= 400:
			secEnvelope(t, res, r.method+" "+r.path)
		default:
			var obj map[string]any
			if err := json.Unmarshal(res.Body, &obj); err != nil {
				t.Fatalf("%s %s %q: %d is not a JSON object: %s", r.method, r.path, body, res.Status, res.Body)
			}
		}
	})
}
