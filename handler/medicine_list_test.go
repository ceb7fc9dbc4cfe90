package handler_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// mlSetList keeps the elder's list (two drugs) and returns their ids:
// amlodipine (2 per refill, every 28 days, last prescribed lastDaysAgo
// days ago) and metformin (3 per refill, every 30 days, never prescribed).
func mlSetList(w *cnWorld, lastDaysAgo int) (amlo, metf int64) {
	h := w.h
	h.T.Helper()
	body := map[string]any{"items": []map[string]any{
		{"drug": "苯磺酸氨氯地平片", "strength": "5mg", "form": "片剂", "dose": "每日一次", "quantity_per_refill": 2, "refill_interval_days": 28,
			"last_prescribed": h.DateAgo(0, 0, lastDaysAgo)},
		{"drug": "二甲双胍缓释片", "strength": "0.5g", "form": "片剂", "dose": "每日两次", "quantity_per_refill": 3, "refill_interval_days": 30},
	}}
	items := h.Do("PUT", ctPath("/api/v1/staff/persons/%d/medications", w.elder), body, testkit.Token(w.lead.Token)).Expect(200).Map()["items"].([]any)
	return int64(items[0].(map[string]any)["id"].(float64)), int64(items[1].(map[string]any)["id"].(float64))
}

func mlOrderBody(person int64, items ...map[string]any) map[string]any {
	b := mdBody(person)
	b["items"] = items
	return b
}

func mlItem(id int64, qty int) map[string]any {
	return map[string]any{"medication_id": id, "quantity": qty}
}

func errMessage(r *testkit.Response) string {
	return r.Map()["error"].(map[string]any)["message"].(string)
}

// An order from the medication list, approved by a pharmacist only, and
// delivered; a refill too soon needs a reason; free text is a request the
// pharmacist reviews.
func TestMedicine_FromTheListApprovedByAPharmacist(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	U := testkit.Token(w.u.Token)
	amlo, metf := mlSetList(w, 10)

	// The list bounds what is ordered.
	r := h.Do("POST", "/api/v1/medicine-orders", mlOrderBody(w.elder, mlItem(amlo, 3)), U).ExpectError(422, "invalid_request")
	if f := ctErrDetails(r)["fields"].(map[string]any); f["items[0].quantity"] == nil {
		t.Fatalf("quantity over the refill: %s", r.Body)
	}
	r = h.Do("POST", "/api/v1/medicine-orders", mlOrderBody(w.elder, mlItem(amlo+1000, 1)), U).ExpectError(422, "invalid_request")
	if f := ctErrDetails(r)["fields"].(map[string]any); f["items[0].medication_id"] == nil {
		t.Fatalf("not on the list: %s", r.Body)
	}
	// Amlodipine was prescribed 10 days ago: 18 days to go.
	earliest := h.Clock.Now().In(ctLoc).AddDate(0, 0, 18).Format("2006-01-02")
	r = h.Do("POST", "/api/v1/medicine-orders", mlOrderBody(w.elder, mlItem(metf, 3), mlItem(amlo, 2)), U).ExpectError(422, "refill_too_soon")
	if d := ctErrDetails(r); d["earliest_date"] != earliest || !strings.Contains(errMessage(r), earliest) {
		t.Fatalf("refill too soon must name %s: %s", earliest, r.Body)
	}
	if n := ctCount(h, &model.MedicineOrder{}, "1 = 1"); n != 0 {
		t.Fatalf("refused orders write nothing: %d", n)
	}
	// Metformin alone is fine; with a reason, amlodipine too.
	o := h.Do("POST", "/api/v1/medicine-orders", mlOrderBody(w.elder, mlItem(metf, 3)), U).Expect(201).Map()
	item := o["items"].([]any)[0].(map[string]any)
	if o["needs_review"] != false || o["requested_via"] != "app" || item["medication_id"] != float64(metf) || item["free_text"] != false ||
		item["name"] != "二甲双胍缓释片" || item["spec"] != "0.5g" {
		t.Fatalf("order from the list: %v", o)
	}
	id := ctID(o)
	early := mlOrderBody(w.elder, mlItem(amlo, 2))
	early["refill_reason"] = "下周出远门，提前备药"
	e := h.Do("POST", "/api/v1/medicine-orders", early, U).Expect(201).Map()
	if e["refill_reason"] != "下周出远门，提前备药" {
		t.Fatalf("early refill: %v", e)
	}
	// Metformin was just ordered: the next one is 30 days away.
	h.Do("POST", "/api/v1/medicine-orders", mlOrderBody(w.elder, mlItem(metf, 1)), U).ExpectError(422, "refill_too_soon")
	// A cancelled order is no refill.
	h.Do("POST", ctPath("/api/v1/medicine-orders/%d/cancel", ctID(e)), map[string]any{}, U).Expect(200)
	early["refill_reason"] = ""
	h.Do("POST", "/api/v1/medicine-orders", early, U).ExpectError(422, "refill_too_soon")

	// Only a pharmacist approves: the team lead and other clinic staff are
	// refused in Chinese, and the order stays requested.
	approve := ctPath("/api/v1/staff/medicine-orders/%d/approve", id)
	for _, who := range []testkit.User{w.lead, w.outsider} {
		r := h.Do("POST", approve, nil, testkit.Token(who.Token)).ExpectError(403, "pharmacist_required")
		if !strings.Contains(errMessage(r), "药师") {
			t.Fatalf("message: %s", r.Body)
		}
	}
	if n := ctCount(h, &model.MedicineOrder{}, "id = ? AND status = ?", id, model.MedicineRequested); n != 1 {
		t.Fatal("a refused approval changes nothing")
	}
	// The team's pharmacist approves; so does staff whose position is pharmacist.
	teamPharmacist := h.Staff("ml-team-pharmacist", ctClinic3)
	dtJoin(h, ctTeam3, "pharmacist", teamPharmacist)
	h.Do("POST", approve, nil, testkit.Token(teamPharmacist.Token)).Expect(200)
	// A pharmacist of another team is not the contract team's pharmacist.
	other := h.Staff("ml-other-pharmacist", ctClinic3)
	dtJoin(h, ctTeam4, "pharmacist", other)
	second := mdOrder(h, w.u, w.elder)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", second), nil, testkit.Token(other.Token)).ExpectError(403, "pharmacist_required")
	mdPharmacist(h, w.outsider)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", second), nil, testkit.Token(w.outsider.Token)).Expect(200)

	// Delivered with the hand-over code, as before.
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/dispatch", id), map[string]any{"courier": "孙梅"}, testkit.Token(w.lead.Token)).Expect(200)
	done := h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/deliver", id), map[string]any{"handover_code": mdCode(h, w.u, id)},
		testkit.Token(w.lead.Token)).Expect(200).Map()
	if done["status"] != "delivered" {
		t.Fatalf("delivered: %v", done)
	}

	// The free-text order (mdBody, as old clients send) waits for review,
	// flagged in the staff list.
	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/medicine-orders?needs_review=true", nil, testkit.Token(w.lead.Token)).Expect(200).JSON(&list)
	if len(list.Items) != 1 || ctID(list.Items[0]) != second || list.Items[0]["needs_review"] != true ||
		list.Items[0]["items"].([]any)[0].(map[string]any)["free_text"] != true {
		t.Fatalf("review list: %v", list.Items)
	}

	// 30 days on, both drugs are due again; the reorder of the delivered
	// order takes today's list.
	h.Clock.Advance(30 * 24 * time.Hour)
	re := h.Do("POST", ctPath("/api/v1/medicine-orders/%d/reorder", id), nil, U).Expect(201).Map()
	if it := re["items"].([]any)[0].(map[string]any); it["medication_id"] != float64(metf) || re["needs_review"] != false {
		t.Fatalf("reorder: %v", re)
	}
	h.Do("POST", "/api/v1/medicine-orders", mlOrderBody(w.elder, mlItem(amlo, 2)), U).Expect(201)
}

// Staff take an order on the phone: the household sees it and its code.
func TestMedicine_PhoneOrder(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	amlo, _ := mlSetList(w, 40)
	S := testkit.Token(w.outsider.Token)
	body := mlOrderBody(w.elder, mlItem(amlo, 2))
	body["requested_via"] = "phone"

	o := h.Do("POST", "/api/v1/staff/medicine-orders", body, S, testkit.Header("Idempotency-Key", "ph-1")).Expect(201).Map()
	again := h.Do("POST", "/api/v1/staff/medicine-orders", body, S, testkit.Header("Idempotency-Key", "ph-1")).Expect(201).Map()
	id := ctID(o)
	if ctID(again) != id || o["requested_via"] != "phone" || o["placed_by"] != float64(w.outsider.ID) || o["handover_code"] != nil ||
		o["status"] != "requested" || o["clinic_id"] != float64(ctClinic3) {
		t.Fatalf("phone order: %v", o)
	}
	if n := ctCount(h, &model.Consent{}, "person_id = ? AND purpose = ? AND method = ? AND recorded_by = ?",
		w.elder, model.ConsentDelivery, model.ConsentByPhone, w.outsider.ID); n != 1 {
		t.Fatalf("one consent by phone, got %d", n)
	}
	// The household sees it, with the hand-over code, and was told.
	var mine struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/medicine-orders", nil, testkit.Token(w.u.Token)).Expect(200).JSON(&mine)
	if len(mine.Items) != 1 || ctID(mine.Items[0]) != id || !regexp.MustCompile(`^\d{6}$`).MatchString(mine.Items[0]["handover_code"].(string)) {
		t.Fatalf("household list: %v", mine.Items)
	}
	if ctNotices(h, w.u.ID, "medicine_requested") != 1 {
		t.Fatal("the household is told")
	}
	// The same refill rule: a second order needs a reason.
	body["requested_via"] = "counter"
	h.Do("POST", "/api/v1/staff/medicine-orders", body, S).ExpectError(422, "refill_too_soon")
	body["refill_reason"] = "药品遗失"
	h.Do("POST", "/api/v1/staff/medicine-orders", body, S).Expect(201)
	if n := ctCount(h, &model.Consent{}, "person_id = ? AND method = ?", w.elder, model.ConsentByCounter); n != 1 {
		t.Fatalf("consent at the counter: %d", n)
	}
	// How the resident asked is required; staff of another clinic and a
	// person outside the clinic's reach are 404.
	delete(body, "requested_via")
	h.Do("POST", "/api/v1/staff/medicine-orders", body, S).ExpectError(422, "invalid_request")
	body["requested_via"] = "email"
	h.Do("POST", "/api/v1/staff/medicine-orders", body, S).ExpectError(422, "invalid_request")
	body["requested_via"] = "visit"
	h.Do("POST", "/api/v1/staff/medicine-orders", body, testkit.Token(w.staff4.Token)).ExpectError(404, "not_found")
	child := h.Member(w.other, map[string]any{"name": "小宝", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	outside := mlOrderBody(child, map[string]any{"name": "退烧药", "quantity": 1})
	outside["requested_via"] = "phone"
	h.Do("POST", "/api/v1/staff/medicine-orders", outside, S).ExpectError(404, "not_found")
	h.Do("POST", "/api/v1/medicine-orders", body, testkit.Token(w.u.Token)).Expect(201) // residents ignore requested_via
	if n := ctCount(h, &model.MedicineOrder{}, "1 = 1"); n != 3 {
		t.Fatalf("orders: %d", n)
	}
}

// A contract names its packages, agreement version and responsible
// doctor; a renewal carries them over.
func TestContract_Content(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	U := testkit.Token(w.u.Token)
	h.Create(&model.ServicePackage{ClinicID: ctClinic3, Code: "elderly_care", Name: "老年人健康管理包", Active: true},
		&model.ServicePackage{ClinicID: ctClinic4, Code: "elsewhere", Name: "别家的包", Active: true})
	mum := ctElder(h, w.u, "李秀英", 70)
	doctor := h.Staff("cc-doctor", ctClinic3)
	dtJoin(h, ctTeam3, "doctor", doctor)
	body := func(kv ...any) map[string]any {
		b := map[string]any{"team_id": ctTeam3, "member_ids": []int64{mum}}
		for i := 0; i < len(kv); i += 2 {
			b[kv[i].(string)] = kv[i+1]
		}
		return b
	}
	h.Do("POST", "/api/v1/family-contracts", body("packages", []string{"elsewhere"}), U).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/family-contracts", body("responsible_doctor_id", w.staff4.ID), U).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/family-contracts", body("agreement_version", "第一版 !"), U).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/family-contracts", body("agreement_version", "2026.1"), U).ExpectError(422, "invalid_request") // not published yet
	h.Do("POST", "/api/v1/admin/agreement-versions", map[string]any{"version": "2026.1", "title": "家庭医生签约服务协议", "body": "协议正文"},
		testkit.Token(h.Admin("cc-admin").Token)).Expect(201)
	c := h.Do("POST", "/api/v1/family-contracts", body("packages", []string{"elderly_care"}, "agreement_version", "2026.1",
		"responsible_doctor_id", doctor.ID), U).Expect(201).Map()
	if strings.Join(toStrings(c["packages"]), ",") != "basic_public_health,elderly_care" || c["agreement_version"] != "2026.1" ||
		c["responsible_doctor_id"] != float64(doctor.ID) {
		t.Fatalf("content: %v", c)
	}
	id := ctID(c)
	ctApprove(h, w.lead, id)
	renewal := h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", id), nil, U).Expect(201).Map()
	if strings.Join(toStrings(renewal["packages"]), ",") != "basic_public_health,elderly_care" || renewal["agreement_version"] != "2026.1" ||
		renewal["responsible_doctor_id"] != float64(doctor.ID) {
		t.Fatalf("renewal carries the content over: %v", renewal)
	}
	// Old clients: the basic package and the team's lead by default.
	var contract model.FamilyContract
	h.DB.Where("status = ?", model.ContractActive).Where("id <> ?", id).First(&contract)
	if len(contract.Packages) != 1 || contract.Packages[0] != model.PackageBasic || contract.ResponsibleDoctorID != w.lead.ID {
		t.Fatalf("defaults: %+v", contract)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
