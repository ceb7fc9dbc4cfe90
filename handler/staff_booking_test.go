package handler_test

import (
	"fmt"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// staffBook is POST /staff/bookings.
func staffBook(h *testkit.Harness, staff testkit.Req, body map[string]any, opts ...testkit.Req) *testkit.Response {
	h.T.Helper()
	return h.Do("POST", "/api/v1/staff/bookings", body, append([]testkit.Req{staff}, opts...)...)
}

// TestStaffBooking_ReferralSeats: clinic A refers two children to clinic
// B's service (a session of 3 seats, 2 reserved for referrals). The public
// takes the one public seat and is then refused the reserved ones; the
// referring doctor (clinic A) books one reserved seat for the family — it
// waits for clinic B to confirm — and clinic B books the other for its
// referred patient, confirmed at once. Both referrals move issued → booked
// by staff, the family sees both bookings and got a notice for each, and
// an Idempotency-Key replay answers the first booking again.
func TestStaffBooking_ReferralSeats(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staffA, staffB := testkit.Token(w.staff.Token), testkit.Token(w.staffB.Token)
	parent := testkit.Token(w.parent.Token)
	serviceB, refer := w.referToClinicB("staff-booking-manager-b")
	ref1, ref2 := refer(w.child), refer(w.child2)
	sB := bookingSessionAt(h, staffB, serviceB, 3, 96*time.Hour)

	// The public takes the public seat; the reserved ones are not theirs.
	public := func(name string) *testkit.Response {
		u := h.Login(name)
		kid := h.Member(u, map[string]any{"name": "邻家孩子", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
		return w.book(u, sB, kid, false)
	}
	public("staff-booking-public-1").Expect(201)
	public("staff-booking-public-2").ExpectError(409, "session_full")

	// The referring doctor books the seat at the receiving clinic; its
	// confirmation is the receiving clinic's.
	body1 := map[string]any{"session_id": sB, "person_id": w.child, "referral_id": ref1, "note": "家庭医生代约"}
	key := testkit.Header("Idempotency-Key", "staff-book-1")
	first := staffBook(h, staffA, body1, key).Expect(201)
	b1 := first.Map()
	if b1["status"] != "pending" || b1["reserved_seat"] != true || b1["booked_by"] != "staff" || b1["referral_id"] != float64(ref1) ||
		b1["member"].(map[string]any)["name"] != "大宝" {
		t.Fatalf("booked by the referring doctor: %v", b1)
	}
	// Replayed: the same answer, nothing booked twice, no second notice.
	again := staffBook(h, staffA, body1, key).Expect(201)
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
		t.Fatalf("replay: %v %s, first %s", again.Header, again.Body, first.Body)
	}
	staffBook(h, staffA, map[string]any{"session_id": sB, "person_id": w.child2, "referral_id": ref2}, key).
		ExpectError(422, "idempotency_key_reused")
	// Without the key, the same request is refused: the referral is used.
	staffBook(h, staffA, body1).ExpectError(409, "referral_not_usable")

	// The receiving clinic books its referred patient: confirmed at once.
	b2 := staffBook(h, staffB, map[string]any{"session_id": sB, "person_id": w.child2, "referral_id": ref2}).Expect(201).Map()
	if b2["status"] != "confirmed" || b2["reserved_seat"] != true || b2["booked_by"] != "staff" {
		t.Fatalf("booked by the receiving clinic: %v", b2)
	}
	// Its history, as the clinic reads it: made and confirmed by staff.
	seen := h.Do("GET", fmt.Sprintf("/api/v1/staff/bookings/%d", ctID(b2)), nil, staffB).Expect(200).Map()
	hist := seen["history"].([]any)
	if len(hist) != 2 || seen["booked_by"] != "staff" {
		t.Fatalf("history %v", hist)
	}
	for _, e := range hist {
		if e.(map[string]any)["by_role"] != "staff" {
			t.Fatalf("history %v: every step by staff", hist)
		}
	}
	var sess model.Session
	h.DB.First(&sess, sB)
	if sess.Booked != 3 || sess.ReservedBooked != 2 {
		t.Fatalf("session booked %d reserved_booked %d", sess.Booked, sess.ReservedBooked)
	}
	assertCounters(t, h, sB)
	var rows []model.Booking
	h.DB.Where("session_id = ? AND booked_by <> 0", sB).Order("id").Find(&rows)
	if len(rows) != 2 || rows[0].BookedBy != w.staff.ID || rows[1].BookedBy != w.staffB.ID ||
		rows[0].UserID != w.parent.ID || rows[1].UserID != w.parent.ID {
		t.Fatalf("staff bookings: %+v", rows)
	}

	// The referrals moved issued → booked, by staff.
	for _, ref := range []int64{ref1, ref2} {
		r := h.Do("GET", fmt.Sprintf("/api/v1/referrals/%d", ref), nil, parent).Expect(200).Map()
		hist := r["history"].([]any)
		last := hist[len(hist)-1].(map[string]any)
		if r["status"] != "booked" || len(hist) != 2 || last["status"] != "booked" || last["by_role"] != "staff" {
			t.Fatalf("referral %d: %v", ref, r)
		}
	}

	// The family sees both bookings, and was told of each once.
	var mine struct {
		Items []struct {
			ID       int64  `json:"id"`
			BookedBy string `json:"booked_by"`
			Session  struct {
				ID int64 `json:"id"`
			} `json:"session"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/bookings", nil, parent).Expect(200).JSON(&mine)
	byStaff := 0
	for _, it := range mine.Items {
		if it.Session.ID == sB && it.BookedBy == "staff" {
			byStaff++
		}
	}
	if byStaff != 2 {
		t.Fatalf("family list: %+v", mine.Items)
	}
	var notes []model.Notification
	h.DB.Where("user_id = ? AND event = ?", w.parent.ID, "booking_made_by_staff").Order("id").Find(&notes)
	if len(notes) != 2 || notes[0].RefID != ctID(b1) || notes[1].RefID != ctID(b2) {
		t.Fatalf("family notices: %+v", notes)
	}
	// The family may cancel it like its own: the referral is given back.
	h.Do("POST", fmt.Sprintf("/api/v1/bookings/%d/cancel", ctID(b1)), nil, parent).Expect(200)
	if r := h.Do("GET", fmt.Sprintf("/api/v1/referrals/%d", ref1), nil, parent).Expect(200).Map(); r["status"] != "issued" {
		t.Fatalf("referral after the family cancelled: %v", r)
	}
	// The freed reserved seat stays closed to the public.
	public("staff-booking-public-3").ExpectError(409, "session_full")
	assertCounters(t, h, sB)
}

// TestStaffBooking_PublicSeatRulesAndScope: without a referral staff book a
// public seat at their own clinic's sessions for a person within their work,
// under the family's rules (already booked, overlap, full, eligibility);
// anyone else's person, session or referral is 404, residents 403, bad
// bodies 422, and no refusal changes a row.
func TestStaffBooking_PublicSeatRulesAndScope(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staffA, staffB := testkit.Token(w.staff.Token), testkit.Token(w.staffB.Token)
	warm := w.session(100, 200*time.Hour)
	w.book(w.parent, warm, w.child, false).Expect(201) // the child is within clinic A's work
	s := w.session(2, 48*time.Hour)

	b := staffBook(h, staffA, map[string]any{"session_id": s, "person_id": w.child, "note": "电话预约"}).Expect(201).Map()
	if b["status"] != "confirmed" || b["reserved_seat"] != false || b["booked_by"] != "staff" || b["note"] != "电话预约" {
		t.Fatalf("public seat booked by staff: %v", b)
	}
	var row model.Booking
	h.DB.First(&row, ctID(b))
	if row.UserID != w.parent.ID || row.BookedBy != w.staff.ID || row.ClinicID != clinicA {
		t.Fatalf("row %+v", row)
	}
	// The family's own list and detail show it.
	got := h.Do("GET", fmt.Sprintf("/api/v1/bookings/%d", row.ID), nil, testkit.Token(w.parent.Token)).Expect(200).Map()
	if got["booked_by"] != "staff" || got["status"] != "confirmed" {
		t.Fatalf("family detail: %v", got)
	}

	other := h.Login("staff-booking-other")
	stranger := h.Member(other, map[string]any{"name": "陌生孩子", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	clash := w.sessionOf(w.newService(map[string]any{"name": "亲子阅读"}), 5, 48*time.Hour, 2*time.Hour) // over s's hour
	full := w.session(1, 120*time.Hour)
	w.book(other, full, stranger, false).Expect(201)
	toddlers := w.sessionOf(w.newService(map[string]any{"name": "婴儿抚触", "eligibility": map[string]any{"max_age_months": 12}}), 5, 150*time.Hour, time.Hour)
	var svB struct {
		ID int64 `json:"id"`
	}
	h.Do("POST", "/api/v1/staff/services", map[string]any{"kind": "expert_clinic", "name": "专家门诊", "duration_minutes": 30},
		testkit.Token(h.Manager("staff-booking-manager-b2", clinicB).Token)).Expect(201).JSON(&svB)
	sB := bookingSessionAt(h, staffB, svB.ID, 5, 96*time.Hour)
	refA := ctID(h.Do("POST", "/api/v1/staff/referrals", map[string]any{"person_id": w.child, "service_id": svB.ID,
		"reason": "专科评估", "urgency": "routine"}, staffA).Expect(201).Map())
	base := staffBookingCounts(h)

	cases := []struct {
		name   string
		who    testkit.Req
		body   map[string]any
		status int
		code   string
	}{
		{"already booked", staffA, map[string]any{"session_id": s, "person_id": w.child}, 409, "already_booked"},
		{"overlap", staffA, map[string]any{"session_id": clash, "person_id": w.child}, 409, "time_conflict"},
		{"full", staffA, map[string]any{"session_id": full, "person_id": w.child}, 409, "session_full"},
		{"not eligible", staffA, map[string]any{"session_id": toddlers, "person_id": w.child}, 422, "not_eligible"},
		{"a person outside the clinic's work", staffA, map[string]any{"session_id": s, "person_id": w.child2}, 404, "not_found"},
		{"another clinic's session", staffB, map[string]any{"session_id": s, "person_id": w.child}, 404, "not_found"},
		{"own session, a person outside its work", staffB, map[string]any{"session_id": sB, "person_id": w.child}, 404, "not_found"},
		{"another clinic's session without the referral", staffA, map[string]any{"session_id": sB, "person_id": w.child}, 404, "not_found"},
		{"the referral for another person", staffA, map[string]any{"session_id": sB, "person_id": w.child2, "referral_id": refA}, 404, "not_found"},
		{"a referral the clinic neither issued nor receives", testkit.Token(h.Staff("staff-booking-c1", 1).Token),
			map[string]any{"session_id": sB, "person_id": w.child, "referral_id": refA}, 404, "not_found"},
		{"the referral at another service's session", staffA, map[string]any{"session_id": warm, "person_id": w.child, "referral_id": refA}, 409, "referral_not_usable"},
		{"a resident", testkit.Token(w.parent.Token), map[string]any{"session_id": s, "person_id": w.child2}, 403, "forbidden"},
		{"no person", staffA, map[string]any{"session_id": s}, 422, "invalid_request"},
		{"no session", staffA, map[string]any{"person_id": w.child2}, 422, "invalid_request"},
		{"bad referral id", staffA, map[string]any{"session_id": s, "person_id": w.child2, "referral_id": -1}, 422, "invalid_request"},
		{"bad slot time", staffA, map[string]any{"session_id": s, "person_id": w.child2, "slot_starts_at": "明天上午"}, 422, "invalid_request"},
		{"note too long", staffA, map[string]any{"session_id": s, "person_id": w.child2, "note": fmt.Sprintf("%0256d", 0)}, 422, "invalid_request"},
		{"unknown session", staffA, map[string]any{"session_id": 999999, "person_id": w.child}, 404, "not_found"},
	}
	for _, c := range cases {
		res := staffBook(h, c.who, c.body)
		if res.Status != c.status || res.ErrorCode() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, res.Status, res.Body, c.status, c.code)
		}
		if now := staffBookingCounts(h); now != base {
			t.Errorf("%s changed rows: %v → %v", c.name, base, now)
			base = now
		}
	}

	// The referral takes clinic A's staff to clinic B's session: pending
	// (clinic B confirms), and clinic B sees it in its queue.
	rb := staffBook(h, staffA, map[string]any{"session_id": sB, "person_id": w.child, "referral_id": refA}).Expect(201).Map()
	if rb["status"] != "pending" || rb["booked_by"] != "staff" {
		t.Fatalf("referral booking from clinic A: %v", rb)
	}
	h.Do("GET", fmt.Sprintf("/api/v1/staff/bookings/%d", ctID(rb)), nil, staffA).ExpectError(404, "not_found")
	h.Do("POST", fmt.Sprintf("/api/v1/staff/bookings/%d/confirm", ctID(rb)), nil, staffB).Expect(200)
}

// staffBookingCounts is what a refused staff booking must not change.
func staffBookingCounts(h *testkit.Harness) string {
	h.T.Helper()
	var bookings, events, notes, booked int64
	h.DB.Model(&model.Booking{}).Count(&bookings)
	h.DB.Model(&model.BookingEvent{}).Count(&events)
	h.DB.Model(&model.Notification{}).Count(&notes)
	h.DB.Model(&model.Session{}).Select("COALESCE(SUM(booked), 0)").Scan(&booked)
	var refs []string
	h.DB.Model(&model.Referral{}).Order("id").Pluck("status", &refs)
	return fmt.Sprint(bookings, events, notes, booked, refs)
}
