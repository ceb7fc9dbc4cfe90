package handler_test

import (
	"strings"
	"testing"
	"unicode"

	"familycare/testkit"
)

// TestSpec_ConditionallyRequired: a field the server requires only in some
// cases says so in the spec (its description names the case), and without
// it in that case the server answers 422 naming the field in Chinese.
func TestSpec_ConditionallyRequired(t *testing.T) {
	spec := openAPISpec(t)
	schemas := spec["components"].(map[string]any)["schemas"].(map[string]any)
	describe := func(schema, field string) string {
		p, _ := schemas[schema].(map[string]any)["properties"].(map[string]any)[field].(map[string]any)
		d, _ := p["description"].(string)
		return d
	}
	for _, c := range [][2]string{
		{"handler.MedicineItemRequest", "name"}, {"handler.MedicineItemRequest", "medication_id"},
		{"handler.MedicineOrderRequest", "refill_reason"}, {"handler.ExpertRequest", "sitting_clinic_ids"},
		{"handler.BookingRequest", "slot_starts_at"},
	} {
		if !strings.Contains(describe(c[0], c[1]), "required") {
			t.Errorf("%s.%s: the spec does not say when it is required: %q", c[0], c[1], describe(c[0], c[1]))
		}
	}

	h := testkit.New(t)
	h.Seed()
	resident, admin := h.Login("cond-resident"), h.Admin("cond-admin")
	for _, tc := range []struct {
		method, path string
		user         testkit.User
		body         map[string]any
		field        string
	}{
		// A free-text item without a name (and no medication_id).
		{"POST", "/api/v1/medicine-orders", resident, map[string]any{"member_id": 1, "items": []any{map[string]any{"quantity": 1}},
			"address": "石桥镇柳树村三组12号", "contact_phone": "13912345678"}, "items[0].name"},
		// Studios without the clinics they sit at.
		{"PUT", "/api/v1/admin/experts/1", admin, map[string]any{"studios": []any{map[string]any{"clinic_id": 3, "name": "名医工作室",
			"weekdays": []int{2}, "start_time": "08:30", "end_time": "11:30"}}}, "sitting_clinic_ids"},
	} {
		r := h.Do(tc.method, tc.path, tc.body, testkit.Token(tc.user.Token)).ExpectError(422, "invalid_request")
		fields, _ := r.Map()["error"].(map[string]any)["details"].(map[string]any)["fields"].(map[string]any)
		msg, _ := fields[tc.field].(string)
		if !strings.ContainsFunc(msg, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			t.Errorf("%s %s without %s: want a Chinese reason on it, got %s", tc.method, tc.path, tc.field, r.Body)
		}
	}
}
