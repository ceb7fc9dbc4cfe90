package handler_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

const (
	mdPhone   = "13912345678"
	mdAddress = "石桥镇柳树村三组十二号"
)

func mdBody(member int64) map[string]any {
	return map[string]any{"member_id": member, "address": mdAddress, "contact_phone": mdPhone,
		"preferred_window": "工作日下午", "note": "放门卫即可",
		"items": []map[string]any{
			{"name": "苯磺酸氨氯地平片", "spec": "5mg*28片", "quantity": 2},
			{"name": "二甲双胍缓释片", "spec": "0.5g*30片", "quantity": 3},
		}}
}

// mdOrder places an order for member and returns its id.
func mdOrder(h *testkit.Harness, u testkit.User, member int64) int64 {
	h.T.Helper()
	return ctID(h.Do("POST", "/api/v1/medicine-orders", mdBody(member), testkit.Token(u.Token)).Expect(201).Map())
}

// mdCode reads the hand-over code the resident sees.
func mdCode(h *testkit.Harness, u testkit.User, id int64) string {
	h.T.Helper()
	return h.Do("GET", ctPath("/api/v1/medicine-orders/%d", id), nil, testkit.Token(u.Token)).Expect(200).Map()["handover_code"].(string)
}

func mdDispatch(h *testkit.Harness, staff testkit.User, id int64) {
	h.T.Helper()
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", id), nil, testkit.Token(staff.Token)).Expect(200)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/dispatch", id), map[string]any{"courier": "孙梅"}, testkit.Token(staff.Token)).Expect(200)
}

// mdDeliver takes an order through approval and dispatch and delivers it
// `after` its request.
func mdDeliver(h *testkit.Harness, staff, u testkit.User, id int64, after time.Duration) {
	h.T.Helper()
	mdDispatch(h, staff, id)
	h.Clock.Advance(after)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/deliver", id), map[string]any{"handover_code": mdCode(h, u, id)},
		testkit.Token(staff.Token)).Expect(200)
}

// mdPharmacist gives a staff account the pharmacist position (only a
// pharmacist approves medicine orders).
func mdPharmacist(h *testkit.Harness, staff testkit.User) {
	h.T.Helper()
	if err := h.DB.Model(&model.User{}).Where("id = ?", staff.ID).Update("position", model.PositionPharmacist).Error; err != nil {
		h.T.Fatal(err)
	}
}

// mdSetup signs an elderly parent with team 1 (clinic 3); the staff
// account is a pharmacist of clinic 3.
func mdSetup(h *testkit.Harness) (staff, u testkit.User, member int64) {
	h.T.Helper()
	h.Seed()
	staff = h.Staff("staff-3", ctClinic3)
	mdPharmacist(h, staff)
	u = h.Login("daughter")
	member = ctElder(h, u, "张桂兰", 76)
	ctContract(h, u, staff, ctTeam3, member)
	return staff, u, member
}

func mdWrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestMedicine_DeliveryFlow(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)

	o := h.Do("POST", "/api/v1/medicine-orders", mdBody(member), testkit.Token(u.Token)).Expect(201).Map()
	id := ctID(o)
	code, _ := o["handover_code"].(string)
	if o["status"] != "requested" || !regexp.MustCompile(`^\d{6}$`).MatchString(code) || o["clinic_id"] != float64(ctClinic3) ||
		o["handover_tries_left"] != float64(5) || len(o["items"].([]any)) != 2 {
		t.Fatalf("created: %v", o)
	}
	if code != mdCode(h, u, id) {
		t.Fatal("the resident sees the same code on their order")
	}

	// The clinic's queue: oldest first, with age and chronic conditions,
	// never the hand-over code.
	r := h.Do("GET", "/api/v1/staff/medicine-orders?status=requested", nil, testkit.Token(staff.Token)).Expect(200)
	if strings.Contains(string(r.Body), "handover_code") {
		t.Fatalf("staff must not see the hand-over code: %s", r.Body)
	}
	var queue struct {
		Items []struct {
			ID     int64 `json:"id"`
			Member struct {
				AgeYears          int      `json:"age_years"`
				ChronicConditions []string `json:"chronic_conditions"`
			} `json:"member"`
			ContactPhone string `json:"contact_phone"`
		} `json:"items"`
	}
	r.JSON(&queue)
	if len(queue.Items) != 1 || queue.Items[0].ID != id || queue.Items[0].Member.AgeYears != 76 ||
		len(queue.Items[0].Member.ChronicConditions) != 2 || queue.Items[0].ContactPhone != mdPhone {
		t.Fatalf("queue: %+v", queue)
	}

	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", id), nil, testkit.Token(staff.Token)).Expect(200)
	eta := h.Clock.Now().Add(4 * time.Hour).In(ctLoc).Format(time.RFC3339)
	d := h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/dispatch", id), map[string]any{"courier": "孙梅", "eta": eta},
		testkit.Token(staff.Token)).Expect(200).Map()
	if d["status"] != "dispatched" || d["courier"] != "孙梅" || d["eta"] == nil || d["handover_code"] != nil {
		t.Fatalf("dispatched: %v", d)
	}
	h.Clock.Advance(3 * time.Hour)
	done := h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/deliver", id), map[string]any{"handover_code": code},
		testkit.Token(staff.Token)).Expect(200).Map()
	if done["status"] != "delivered" || done["delivered_at"] == nil {
		t.Fatalf("delivered: %v", done)
	}
	mine := h.Do("GET", ctPath("/api/v1/medicine-orders/%d", id), nil, testkit.Token(u.Token)).Expect(200).Map()
	var steps []string
	for _, e := range mine["history"].([]any) {
		steps = append(steps, e.(map[string]any)["status"].(string))
	}
	if strings.Join(steps, ",") != "requested,approved,dispatched,delivered" {
		t.Fatalf("history: %v", steps)
	}
	for _, ev := range []string{"medicine_requested", "medicine_approved", "medicine_dispatched", "medicine_delivered"} {
		if ctNotices(h, u.ID, ev) != 1 {
			t.Fatalf("resident must be notified: %s", ev)
		}
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/medicine-orders?status=delivered", nil, testkit.Token(u.Token)).Expect(200).JSON(&list)
	if len(list.Items) != 1 || list.Items[0]["handover_code"] != code {
		t.Fatalf("own list: %v", list.Items)
	}
	logs := h.Log.String()
	if strings.Contains(logs, mdPhone) || strings.Contains(logs, mdAddress) || strings.Contains(logs, code) {
		t.Fatal("phone numbers, addresses and hand-over codes must never be logged")
	}
}

func TestMedicine_NoActiveContract(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	u := h.Login("daughter")
	mum := ctElder(h, u, "妈妈", 70)
	r := h.Do("POST", "/api/v1/medicine-orders", mdBody(mum), testkit.Token(u.Token)).ExpectError(403, "no_active_contract")
	if ctErrDetails(r)["member_id"] != float64(mum) {
		t.Fatalf("details: %s", r.Body)
	}
	// Pending is not enough.
	id := ctID(ctApply(h, u, ctTeam3, mum))
	h.Do("POST", "/api/v1/medicine-orders", mdBody(mum), testkit.Token(u.Token)).ExpectError(403, "no_active_contract")
	ctApprove(h, staff, id)
	h.Do("POST", "/api/v1/medicine-orders", mdBody(mum), testkit.Token(u.Token)).Expect(201)
	// Another user's member is 404, covered or not.
	other := h.Login("other")
	h.Do("POST", "/api/v1/medicine-orders", mdBody(mum), testkit.Token(other.Token)).ExpectError(404, "not_found")
	// Terminated: no more orders.
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/terminate", id), map[string]any{"reason": "迁出"}, testkit.Token(u.Token)).Expect(200)
	h.Do("POST", "/api/v1/medicine-orders", mdBody(mum), testkit.Token(u.Token)).ExpectError(403, "no_active_contract")
	if n := ctCount(h, &model.MedicineOrder{}, "1 = 1"); n != 1 {
		t.Fatalf("refused orders must write nothing: %d orders", n)
	}
}

func TestMedicine_Validation(t *testing.T) {
	h := ctNew(t)
	_, u, member := mdSetup(h)
	with := func(k string, v any) map[string]any {
		b := mdBody(member)
		b[k] = v
		return b
	}
	items := func(n, qty int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"name": "药", "quantity": qty}
		}
		return out
	}
	for _, tc := range []struct {
		name, field string
		body        any
	}{
		{"no items", "items", with("items", items(0, 1))},
		{"21 items", "items", with("items", items(21, 1))},
		{"quantity 0", "items[0].quantity", with("items", items(1, 0))},
		{"quantity 100", "items[0].quantity", with("items", items(1, 100))},
		{"item without name", "items[0].name", with("items", []map[string]any{{"quantity": 1}})},
		{"blank item name", "items[0].name", with("items", []map[string]any{{"name": "  ", "quantity": 1}})},
		{"landline", "contact_phone", with("contact_phone", "057188001200")},
		{"starts 12", "contact_phone", with("contact_phone", "12812345678")},
		{"10 digits", "contact_phone", with("contact_phone", "1381234567")},
		{"phone with text", "contact_phone", with("contact_phone", "1381234567x")},
		{"no address", "address", with("address", "")},
		{"long window", "preferred_window", with("preferred_window", strings.Repeat("午", 65))},
		{"long note", "note", with("note", strings.Repeat("字", 501))},
		{"no member", "member_id", with("member_id", 0)},
		{"quantity as text", "items", with("items", []map[string]any{{"name": "药", "quantity": "two"}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testkit.Do(t, h.App.Engine, "POST", "/api/v1/medicine-orders", tc.body, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
			fields, _ := ctErrDetails(r)["fields"].(map[string]any)
			found := false
			for k := range fields {
				if strings.HasPrefix(k, tc.field) {
					found = true
				}
			}
			if !found {
				t.Fatalf("want field %s in %s", tc.field, r.Body)
			}
		})
	}
	h.Do("POST", "/api/v1/medicine-orders", `{"member_id":`, testkit.Token(u.Token)).ExpectError(400, "bad_json")
	h.Do("GET", "/api/v1/medicine-orders?status=lost", nil, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
	if n := ctCount(h, &model.MedicineOrder{}, "1 = 1"); n != 0 {
		t.Fatalf("invalid orders must write nothing: %d", n)
	}
	if n := ctCount(h, &model.MedicineOrderItem{}, "1 = 1"); n != 0 {
		t.Fatalf("invalid orders must write no items: %d", n)
	}
	// 20 items of quantity 99 are fine.
	h.Do("POST", "/api/v1/medicine-orders", with("items", items(20, 99)), testkit.Token(u.Token)).Expect(201)
}

// Wrong, right and locked hand-over codes.
func TestMedicine_HandoverCodes(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)
	id := mdOrder(h, u, member)
	deliver := ctPath("/api/v1/staff/medicine-orders/%d/deliver", id)
	code := mdCode(h, u, id)

	// Before dispatch there is nothing to hand over.
	h.Do("POST", deliver, map[string]any{"handover_code": code}, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")
	mdDispatch(h, staff, id)
	h.Do("POST", deliver, map[string]any{"handover_code": "12345"}, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", deliver, map[string]any{"handover_code": "abcdef"}, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", deliver, map[string]any{}, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")

	for want := 4; want >= 0; want-- {
		r := h.Do("POST", deliver, map[string]any{"handover_code": mdWrongCode(code)}, testkit.Token(staff.Token)).ExpectError(422, "handover_code_mismatch")
		if left := ctErrDetails(r)["tries_left"]; left != float64(want) {
			t.Fatalf("tries_left %v, want %d", left, want)
		}
	}
	if ctNotices(h, u.ID, "medicine_handover_locked") != 1 {
		t.Fatal("the resident is told the hand-over is locked")
	}
	// Locked: even the right code is refused.
	h.Do("POST", deliver, map[string]any{"handover_code": code}, testkit.Token(staff.Token)).ExpectError(409, "handover_locked")
	h.Do("POST", deliver, map[string]any{"handover_code": mdWrongCode(code)}, testkit.Token(staff.Token)).ExpectError(409, "handover_locked")
	mine := h.Do("GET", ctPath("/api/v1/medicine-orders/%d", id), nil, testkit.Token(u.Token)).Expect(200).Map()
	if mine["handover_locked"] != true || mine["handover_tries_left"] != float64(0) || mine["status"] != "dispatched" {
		t.Fatalf("locked order: %v", mine)
	}

	// Staff reset it: a new code for the resident, tries cleared.
	reset := h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/reset-handover", id), nil, testkit.Token(staff.Token)).Expect(200).Map()
	if reset["handover_locked"] != false || reset["handover_tries_left"] != float64(5) || reset["handover_code"] != nil {
		t.Fatalf("reset: %v", reset)
	}
	if ctNotices(h, u.ID, "medicine_handover_reset") != 1 {
		t.Fatal("the resident is told about the new code")
	}
	newCode := mdCode(h, u, id)
	h.Do("POST", deliver, map[string]any{"handover_code": mdWrongCode(newCode)}, testkit.Token(staff.Token)).ExpectError(422, "handover_code_mismatch")
	h.Do("POST", deliver, map[string]any{"handover_code": newCode}, testkit.Token(staff.Token)).Expect(200)
	h.Do("POST", deliver, map[string]any{"handover_code": newCode}, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/reset-handover", id), nil, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")
}

// Wrong codes sent at once are counted exactly: five 422s, then locked.
func TestMedicine_ConcurrentWrongCodes(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)
	id := mdOrder(h, u, member)
	mdDispatch(h, staff, id)
	wrong := mdWrongCode(mdCode(h, u, id))
	replica := h.Replica()
	const n = 8
	codes := make([]string, n)
	parallel(n, func(i int) {
		engine := h.App.Engine
		if i%2 == 1 {
			engine = replica.Engine
		}
		codes[i] = testkit.Do(t, engine, "POST", ctPath("/api/v1/staff/medicine-orders/%d/deliver", id),
			map[string]any{"handover_code": wrong}, testkit.Token(staff.Token)).ErrorCode()
	})
	got := map[string]int{}
	for _, c := range codes {
		got[c]++
	}
	if got["handover_code_mismatch"] != 5 || got["handover_locked"] != 3 {
		t.Fatalf("want 5 mismatches and 3 locks, got %v", got)
	}
	var o model.MedicineOrder
	h.DB.First(&o, id)
	if o.HandoverFailures != 5 || o.Status != model.MedicineDispatched {
		t.Fatalf("failures %d, status %s", o.HandoverFailures, o.Status)
	}
}

func TestMedicine_OtherClinic404(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)
	staff4 := h.Staff("staff-4", ctClinic4)
	admin := h.Admin("boss")
	id := mdOrder(h, u, member)
	tok := testkit.Token(staff4.Token)
	h.Do("GET", ctPath("/api/v1/staff/medicine-orders/%d", id), nil, tok).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", id), nil, tok).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/reject", id), map[string]any{"reason": "x"}, tok).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/dispatch", id), map[string]any{}, tok).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/deliver", id), map[string]any{"handover_code": "123456"}, tok).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/reset-handover", id), nil, tok).ExpectError(404, "not_found")
	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/medicine-orders", nil, tok).Expect(200).JSON(&list)
	if len(list.Items) != 0 {
		t.Fatalf("another clinic's queue: %v", list.Items)
	}
	// Residents: 403 on staff routes, 404 on another family's order.
	h.Do("GET", "/api/v1/staff/medicine-orders", nil, testkit.Token(u.Token)).ExpectError(403, "forbidden")
	other := h.Login("other")
	h.Do("GET", ctPath("/api/v1/medicine-orders/%d", id), nil, testkit.Token(other.Token)).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/medicine-orders/%d/cancel", id), map[string]any{}, testkit.Token(other.Token)).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/medicine-orders/%d/reorder", id), nil, testkit.Token(other.Token)).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/medicine-orders/0", nil, testkit.Token(u.Token)).ExpectError(404, "not_found")
	// The admin acts on every clinic; the clinic's own staff too.
	h.Do("GET", ctPath("/api/v1/staff/medicine-orders/%d", id), nil, testkit.Token(admin.Token)).Expect(200)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", id), nil, testkit.Token(staff.Token)).Expect(200)
}

func TestMedicine_CancelRejectAndTransitions(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)
	tok := testkit.Token(staff.Token)

	a := mdOrder(h, u, member)
	c := h.Do("POST", ctPath("/api/v1/medicine-orders/%d/cancel", a), map[string]any{"reason": "家里还有"}, testkit.Token(u.Token)).Expect(200).Map()
	if c["status"] != "cancelled" || c["reason"] != "家里还有" {
		t.Fatalf("cancelled: %v", c)
	}
	if ctNotices(h, u.ID, "medicine_cancelled") != 1 {
		t.Fatal("resident notified of the cancellation")
	}
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", a), nil, tok).ExpectError(409, "invalid_transition")

	b := mdOrder(h, u, member)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", b), nil, tok).Expect(200)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", b), nil, tok).ExpectError(409, "invalid_transition")
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/reject", b), map[string]any{"reason": "x"}, tok).ExpectError(409, "invalid_transition")
	h.Do("POST", ctPath("/api/v1/medicine-orders/%d/cancel", b), nil, testkit.Token(u.Token)).Expect(200)

	d := mdOrder(h, u, member)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/dispatch", d), map[string]any{}, tok).ExpectError(409, "invalid_transition")
	mdDispatch(h, staff, d)
	h.Do("POST", ctPath("/api/v1/medicine-orders/%d/cancel", d), map[string]any{}, testkit.Token(u.Token)).ExpectError(409, "invalid_transition")

	e := mdOrder(h, u, member)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/reject", e), map[string]any{}, tok).ExpectError(422, "invalid_request")
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/dispatch", e), map[string]any{"eta": "tomorrow"}, tok).ExpectError(422, "invalid_request")
	r := h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/reject", e), map[string]any{"reason": "处方已过期，请先复诊"}, tok).Expect(200).Map()
	if r["status"] != "rejected" || r["reason"] != "处方已过期，请先复诊" {
		t.Fatalf("rejected: %v", r)
	}
	if ctNotices(h, u.ID, "medicine_rejected") != 1 {
		t.Fatal("resident notified of the rejection")
	}
	h.Do("POST", ctPath("/api/v1/medicine-orders/%d/cancel", e), nil, testkit.Token(u.Token)).ExpectError(409, "invalid_transition")

	f := mdOrder(h, u, member)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", f), nil, tok).Expect(200)
	past := h.Clock.Now().Add(-time.Hour).Format(time.RFC3339)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/dispatch", f), map[string]any{"eta": past}, tok).ExpectError(422, "invalid_request")
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/dispatch", f), map[string]any{"courier": strings.Repeat("名", 65)}, tok).ExpectError(422, "invalid_request")
	if n := ctCount(h, &model.MedicineOrder{}, "id = ? AND status = ?", f, model.MedicineApproved); n != 1 {
		t.Fatal("refused dispatches change nothing")
	}
}

func TestMedicine_Reorder(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)
	id := mdOrder(h, u, member)
	h.Do("POST", ctPath("/api/v1/medicine-orders/%d/reorder", id), nil, testkit.Token(u.Token)).ExpectError(409, "invalid_transition")
	mdDeliver(h, staff, u, id, 2*time.Hour)

	again := h.Do("POST", ctPath("/api/v1/medicine-orders/%d/reorder", id), nil, testkit.Token(u.Token), testkit.Header("Idempotency-Key", "re-1")).Expect(201).Map()
	replay := h.Do("POST", ctPath("/api/v1/medicine-orders/%d/reorder", id), nil, testkit.Token(u.Token), testkit.Header("Idempotency-Key", "re-1")).Expect(201).Map()
	if ctID(again) == id || ctID(again) != ctID(replay) || again["status"] != "requested" || again["reorder_of_id"] != float64(id) ||
		again["address"] != mdAddress || again["contact_phone"] != mdPhone {
		t.Fatalf("reorder: %v", again)
	}
	items := again["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["name"] != "苯磺酸氨氯地平片" || items[1].(map[string]any)["quantity"] != float64(3) {
		t.Fatalf("items: %v", items)
	}
	if n := ctCount(h, &model.MedicineOrder{}, "1 = 1"); n != 2 {
		t.Fatalf("one reorder despite the retry: %d orders", n)
	}
	// No active contract any more: no reorder.
	var contract model.FamilyContract
	h.DB.Where("user_id = ?", u.ID).First(&contract)
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/terminate", contract.ID), map[string]any{"reason": "迁出"}, testkit.Token(staff.Token)).Expect(200)
	h.Do("POST", ctPath("/api/v1/medicine-orders/%d/reorder", id), nil, testkit.Token(u.Token)).ExpectError(403, "no_active_contract")
}

func TestMedicine_StaffQueueOldestFirst(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)
	var ids []int64
	for i := 0; i < 3; i++ {
		ids = append(ids, mdOrder(h, u, member))
		h.Clock.Advance(time.Minute)
	}
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", ids[1]), nil, testkit.Token(staff.Token)).Expect(200)
	var page struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	h.Do("GET", "/api/v1/staff/medicine-orders?status=requested&limit=1", nil, testkit.Token(staff.Token)).Expect(200).JSON(&page)
	if len(page.Items) != 1 || page.Items[0].ID != ids[0] || page.NextCursor == "" {
		t.Fatalf("page 1: %+v", page)
	}
	h.Do("GET", "/api/v1/staff/medicine-orders?status=requested&limit=1&cursor="+page.NextCursor, nil, testkit.Token(staff.Token)).Expect(200).JSON(&page)
	if len(page.Items) != 1 || page.Items[0].ID != ids[2] || page.NextCursor != "" {
		t.Fatalf("page 2: %+v", page)
	}
	// The resident's own list is newest first.
	h.Do("GET", "/api/v1/medicine-orders", nil, testkit.Token(u.Token)).Expect(200).JSON(&page)
	if len(page.Items) != 3 || page.Items[0].ID != ids[2] {
		t.Fatalf("own list: %+v", page)
	}
}
