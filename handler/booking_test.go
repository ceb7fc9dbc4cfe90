package handler_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// Seeded clinic 3 (石桥镇卫生院) runs service 4 (noon vaccination); clinic 2
// (城东分院) runs service 6 (growth assessment).
const (
	clinicA   = 3
	serviceA  = 4
	clinicB   = 2
	serviceB  = 6
	notExists = 999999
)

type bookingWorld struct {
	h      *testkit.Harness
	staff  testkit.User // staff of clinic A
	staffB testkit.User // staff of clinic B
	parent testkit.User
	child  int64
	child2 int64
	// manager of clinic A (made on first use by managerA).
	manager *testkit.User
}

// managerA is clinic A's manager, who adds and edits its services.
func (w *bookingWorld) managerA() testkit.User {
	w.h.T.Helper()
	if w.manager == nil {
		m := w.h.Manager("manager-a", clinicA)
		w.manager = &m
	}
	return *w.manager
}

func newBookingWorld(t *testing.T, opts ...testkit.Option) *bookingWorld {
	h := testkit.New(t, opts...)
	h.Seed()
	w := &bookingWorld{h: h, staff: h.Staff("staff-a", clinicA), staffB: h.Staff("staff-b", clinicB), parent: h.Login("parent")}
	w.child = h.Member(w.parent, map[string]any{"name": "大宝", "relation": "child", "birth_date": h.DateAgo(3, 0, 0)})
	w.child2 = h.Member(w.parent, map[string]any{"name": "二宝", "relation": "child", "birth_date": h.DateAgo(1, 0, 0)})
	return w
}

// session publishes a session of service A starting `in` from now.
func (w *bookingWorld) session(capacity int, in time.Duration) int64 {
	w.h.T.Helper()
	start := w.h.Clock.Now().Add(in)
	var out struct {
		ID int64 `json:"id"`
	}
	w.h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": serviceA, "starts_at": start.Format(time.RFC3339),
		"ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": capacity}, testkit.Token(w.staff.Token)).Expect(201).JSON(&out)
	return out.ID
}

func (w *bookingWorld) book(u testkit.User, session, member int64, waitlist bool) *testkit.Response {
	return w.h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": session, "member_id": member, "join_waitlist": waitlist}, testkit.Token(u.Token))
}

func id(m map[string]any) string { return fmt.Sprint(int64(m["id"].(float64))) }

func TestBooking_FullFlowWithHistoryAndNotifications(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(5, 48*time.Hour)
	b := w.book(w.parent, s, w.child, false).Expect(201).Map()
	if b["status"] != "pending" || b["member"].(map[string]any)["name"] != "大宝" {
		t.Fatalf("booking: %v", b)
	}
	if sess := h.Do("GET", "/api/v1/sessions/"+fmt.Sprint(s), nil).Expect(200).Map(); sess["booked"] != float64(1) || sess["available"] != float64(4) {
		t.Fatalf("session counts: %v", sess)
	}
	bid := id(b)
	staff := testkit.Token(w.staff.Token)
	h.Do("POST", "/api/v1/staff/bookings/"+bid+"/check-in", nil, staff).ExpectError(409, "invalid_transition")
	h.Do("POST", "/api/v1/staff/bookings/"+bid+"/confirm", nil, staff).Expect(200)
	h.Do("POST", "/api/v1/staff/bookings/"+bid+"/confirm", nil, staff).ExpectError(409, "invalid_transition")
	// The notice names who and what: the child, the service, the clinic.
	var svc model.Service
	var cl model.Clinic
	if err := h.DB.First(&svc, serviceA).Error; err != nil {
		t.Fatal(err)
	}
	if err := h.DB.First(&cl, clinicA).Error; err != nil {
		t.Fatal(err)
	}
	var inbox struct {
		Items []struct {
			Event string `json:"event"`
			Body  string `json:"body"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/notifications", nil, testkit.Token(w.parent.Token)).Expect(200).JSON(&inbox)
	named := false
	for _, n := range inbox.Items {
		if n.Event == "booking_confirmed" {
			named = strings.Contains(n.Body, "大宝") && strings.Contains(n.Body, svc.Name) && strings.Contains(n.Body, cl.Name)
		}
	}
	if !named {
		t.Fatalf("the confirmation must name the member, the service and the clinic (%s, %s): %+v", svc.Name, cl.Name, inbox.Items)
	}
	h.Do("POST", "/api/v1/staff/bookings/"+bid+"/reject", map[string]any{"reason": "x"}, staff).ExpectError(409, "invalid_transition")
	// Check-in opens on the session's day, CHECK_IN_OPENS (2 h) before the
	// start, and closes at its end.
	h.Do("POST", "/api/v1/staff/bookings/"+bid+"/check-in", nil, staff).ExpectError(409, "check_in_closed")
	h.Clock.Advance(46*time.Hour - time.Minute)
	h.Do("POST", "/api/v1/staff/bookings/"+bid+"/check-in", nil, staff).ExpectError(409, "check_in_closed")
	h.Clock.Advance(2 * time.Minute)
	got := h.Do("POST", "/api/v1/staff/bookings/"+bid+"/check-in", map[string]any{}, staff).Expect(200).Map()
	if got["status"] != "checked_in" {
		t.Fatalf("check-in: %v", got)
	}
	h.Do("POST", "/api/v1/bookings/"+bid+"/cancel", nil, testkit.Token(w.parent.Token)).ExpectError(409, "invalid_transition")

	detail := h.Do("GET", "/api/v1/bookings/"+bid, nil, testkit.Token(w.parent.Token)).Expect(200).Map()
	hist := detail["history"].([]any)
	want := []string{"pending", "confirmed", "checked_in"}
	if len(hist) != len(want) {
		t.Fatalf("history %v", hist)
	}
	for i, e := range hist {
		if e.(map[string]any)["status"] != want[i] {
			t.Fatalf("history[%d] = %v, want %s", i, e, want[i])
		}
	}
	if hist[1].(map[string]any)["by_role"] != "staff" {
		t.Fatalf("confirm must be by staff: %v", hist[1])
	}
	var notes struct {
		Items       []map[string]any `json:"items"`
		UnreadCount int              `json:"unread_count"`
	}
	h.Do("GET", "/api/v1/notifications", nil, testkit.Token(w.parent.Token)).Expect(200).JSON(&notes)
	if len(notes.Items) != 1 || notes.Items[0]["event"] != "booking_confirmed" || notes.UnreadCount != 1 {
		t.Fatalf("notifications: %+v", notes)
	}
	h.Do("POST", "/api/v1/notifications/"+id(notes.Items[0])+"/read", nil, testkit.Token(w.parent.Token)).Expect(200)
	h.Do("POST", "/api/v1/notifications/"+id(notes.Items[0])+"/read", nil, testkit.Token(w.staff.Token)).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/notifications", nil, testkit.Token(w.parent.Token)).Expect(200).JSON(&notes)
	if notes.UnreadCount != 0 {
		t.Fatalf("read notification still unread: %+v", notes)
	}
}

func TestBooking_ErrorCodes(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	parent := testkit.Token(w.parent.Token)
	full := w.session(1, 48*time.Hour)
	w.book(w.parent, full, w.child, false).Expect(201)
	w.book(w.parent, full, w.child2, false).ExpectError(409, "session_full")
	w.book(w.parent, full, w.child, false).ExpectError(409, "already_booked")
	w.book(w.parent, full, w.child, true).ExpectError(409, "already_booked")

	open := w.session(5, 49*time.Hour)
	w.book(w.parent, open, w.child, false).Expect(201)
	w.book(w.parent, open, w.child2, false).Expect(201) // two children, one class

	stranger := h.Login("stranger")
	w.book(stranger, open, w.child, false).ExpectError(404, "not_found") // someone else's member
	other := h.Member(stranger, map[string]any{"name": "别人家孩子", "relation": "child"})
	w.book(w.parent, open, other, false).ExpectError(404, "not_found")
	w.book(w.parent, notExists, w.child, false).ExpectError(404, "not_found")

	soon := w.session(5, 30*time.Minute)
	h.Clock.Advance(time.Hour)
	w.book(w.parent, soon, w.child, false).ExpectError(409, "session_closed") // started

	cancelled := w.session(5, 72*time.Hour)
	h.Do("PUT", "/api/v1/staff/sessions/"+fmt.Sprint(cancelled), map[string]any{"status": "cancelled", "reason": "专家临时出诊"}, testkit.Token(w.staff.Token)).Expect(200)
	w.book(w.parent, cancelled, w.child, false).ExpectError(409, "session_closed")

	for name, body := range map[string]any{
		"missing session": map[string]any{"member_id": w.child},
		"zero member":     map[string]any{"session_id": open, "member_id": 0},
		"string id":       map[string]any{"session_id": "abc", "member_id": w.child},
		"negative":        map[string]any{"session_id": -1, "member_id": w.child},
		"long note":       map[string]any{"session_id": open, "member_id": w.child, "note": string(make([]byte, 300))},
	} {
		t.Run(name, func(t *testing.T) {
			testkit.Do(t, h.App.Engine, "POST", "/api/v1/bookings", body, parent).ExpectError(422, "invalid_request")
		})
	}
	h.Do("POST", "/api/v1/bookings", `{"session_id":`, parent).ExpectError(400, "bad_json")
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": open, "member_id": w.child}).ExpectError(401, "unauthorized")
}

func TestBooking_StaffScopeAndRoles(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(5, 48*time.Hour)
	bid := id(w.book(w.parent, s, w.child, false).Expect(201).Map())
	// A resident on staff routes: 403.
	h.Do("GET", "/api/v1/staff/bookings", nil, testkit.Token(w.parent.Token)).ExpectError(403, "forbidden")
	h.Do("POST", "/api/v1/staff/bookings/"+bid+"/confirm", nil, testkit.Token(w.parent.Token)).ExpectError(403, "forbidden")
	h.Do("POST", "/api/v1/staff/sessions", map[string]any{}, testkit.Token(w.parent.Token)).ExpectError(403, "forbidden")
	// Staff of another clinic: 404, for reads and every action.
	for _, act := range []string{"confirm", "reject", "check-in", "no-show"} {
		h.Do("POST", "/api/v1/staff/bookings/"+bid+"/"+act, map[string]any{"reason": "x"}, testkit.Token(w.staffB.Token)).ExpectError(404, "not_found")
	}
	h.Do("GET", "/api/v1/staff/bookings/"+bid, nil, testkit.Token(w.staffB.Token)).ExpectError(404, "not_found")
	h.Do("PUT", "/api/v1/staff/sessions/"+fmt.Sprint(s), map[string]any{"capacity": 9}, testkit.Token(w.staffB.Token)).ExpectError(404, "not_found")
	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/bookings", nil, testkit.Token(w.staffB.Token)).Expect(200).JSON(&list)
	if len(list.Items) != 0 {
		t.Fatalf("staff B sees clinic A's bookings: %v", list.Items)
	}
	h.Do("GET", "/api/v1/staff/bookings?status=pending&date="+h.Clock.Now().Add(48*time.Hour).In(h.Config.Location()).Format("2006-01-02"), nil,
		testkit.Token(w.staff.Token)).Expect(200).JSON(&list)
	if len(list.Items) != 1 {
		t.Fatalf("staff A should see 1 booking, got %d", len(list.Items))
	}
	// Staff cannot publish at another clinic's service.
	start := h.Clock.Now().Add(24 * time.Hour)
	h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": serviceB, "starts_at": start.Format(time.RFC3339),
		"ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": 3}, testkit.Token(w.staff.Token)).ExpectError(422, "invalid_request")
	// Another parent cannot read or cancel the booking.
	other := h.Login("other")
	h.Do("GET", "/api/v1/bookings/"+bid, nil, testkit.Token(other.Token)).ExpectError(404, "not_found")
	h.Do("POST", "/api/v1/bookings/"+bid+"/cancel", nil, testkit.Token(other.Token)).ExpectError(404, "not_found")
	// Staff reading their own bookings through the resident route see only their own.
	h.Do("GET", "/api/v1/bookings/"+bid, nil, testkit.Token(w.staff.Token)).ExpectError(404, "not_found")
	// Reject needs a reason.
	h.Do("POST", "/api/v1/staff/bookings/"+bid+"/reject", nil, testkit.Token(w.staff.Token)).ExpectError(422, "invalid_request")
	rej := h.Do("POST", "/api/v1/staff/bookings/"+bid+"/reject", map[string]any{"reason": "该疫苗需先完成前一剂"}, testkit.Token(w.staff.Token)).Expect(200).Map()
	if rej["status"] != "rejected" || rej["reason"] != "该疫苗需先完成前一剂" {
		t.Fatalf("reject: %v", rej)
	}
	if sess := h.Do("GET", "/api/v1/sessions/"+fmt.Sprint(s), nil).Expect(200).Map(); sess["booked"] != float64(0) {
		t.Fatalf("a rejected booking must free its seat: %v", sess)
	}
	// The member may book again after a rejection.
	w.book(w.parent, s, w.child, false).Expect(201)
}

func TestBooking_CancelWindow(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(5, 3*time.Hour)
	b1 := id(w.book(w.parent, s, w.child, false).Expect(201).Map())
	b2 := id(w.book(w.parent, s, w.child2, false).Expect(201).Map())
	got := h.Do("POST", "/api/v1/bookings/"+b1+"/cancel", map[string]any{"reason": "孩子发烧"}, testkit.Token(w.parent.Token)).Expect(200).Map()
	if got["status"] != "cancelled" {
		t.Fatalf("cancel: %v", got)
	}
	h.Do("POST", "/api/v1/bookings/"+b1+"/cancel", nil, testkit.Token(w.parent.Token)).ExpectError(409, "invalid_transition")
	h.Clock.Advance(90 * time.Minute) // 1.5 h before start: inside the 2 h window
	var clinic model.Clinic
	if err := h.DB.First(&clinic, clinicA).Error; err != nil {
		t.Fatal(err)
	}
	if err := h.DB.Model(&clinic).Update("phone", "0579-88886666").Error; err != nil {
		t.Fatal(err)
	}
	late := h.Do("POST", "/api/v1/bookings/"+b2+"/cancel", nil, testkit.Token(w.parent.Token)).ExpectError(409, "cancel_window_closed").Map()["error"].(map[string]any)
	details := late["details"].(map[string]any)
	if details["clinic_phone"] != "0579-88886666" || details["clinic_name"] != clinic.Name || late["message"] != "取消时间已过，请致电门诊（0579-88886666）" {
		t.Fatalf("too late to cancel: call the clinic, with its phone: %v", late)
	}
	// Without a phone the message drops the clause.
	if err := h.DB.Model(&clinic).Update("phone", "").Error; err != nil {
		t.Fatal(err)
	}
	late = h.Do("POST", "/api/v1/bookings/"+b2+"/cancel", nil, testkit.Token(w.parent.Token)).ExpectError(409, "cancel_window_closed").Map()["error"].(map[string]any)
	if late["message"] != "取消时间已过，请致电门诊" || late["details"].(map[string]any)["clinic_phone"] != nil {
		t.Fatalf("no phone: %v", late)
	}
	// The member can book again after cancelling.
	w.book(w.parent, s, w.child, false).Expect(201)
}

func TestBooking_WaitlistPromotion(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(1, 48*time.Hour)
	p2, p3 := h.Login("p2"), h.Login("p3")
	m2 := h.Member(p2, map[string]any{"name": "乙", "relation": "child"})
	m3 := h.Member(p3, map[string]any{"name": "丙", "relation": "child"})
	first := id(w.book(w.parent, s, w.child, true).Expect(201).Map())
	b2 := w.book(p2, s, m2, true).Expect(201).Map()
	b3 := w.book(p3, s, m3, true).Expect(201).Map()
	if b2["status"] != "waitlisted" || b2["position"] != float64(1) || b3["position"] != float64(2) {
		t.Fatalf("waitlist positions: %v %v", b2, b3)
	}
	if sess := h.Do("GET", "/api/v1/sessions/"+fmt.Sprint(s), nil).Expect(200).Map(); sess["status"] != "full" || sess["waitlisted"] != float64(2) {
		t.Fatalf("session: %v", sess)
	}
	h.Do("POST", "/api/v1/bookings/"+first+"/cancel", nil, testkit.Token(w.parent.Token)).Expect(200)
	if got := h.Do("GET", "/api/v1/bookings/"+id(b2), nil, testkit.Token(p2.Token)).Expect(200).Map(); got["status"] != "pending" {
		t.Fatalf("oldest waitlisted must be promoted: %v", got)
	}
	if got := h.Do("GET", "/api/v1/bookings/"+id(b3), nil, testkit.Token(p3.Token)).Expect(200).Map(); got["position"] != float64(1) {
		t.Fatalf("position must move up: %v", got)
	}
	var notes struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/notifications", nil, testkit.Token(p2.Token)).Expect(200).JSON(&notes)
	if len(notes.Items) != 1 || notes.Items[0]["event"] != "booking_promoted" {
		t.Fatalf("promoted owner must be notified: %v", notes.Items)
	}
	// Raising the capacity promotes the next one; lowering below held seats is refused.
	h.Do("PUT", "/api/v1/staff/sessions/"+fmt.Sprint(s), map[string]any{"capacity": 2}, testkit.Token(w.staff.Token)).Expect(200)
	if got := h.Do("GET", "/api/v1/bookings/"+id(b3), nil, testkit.Token(p3.Token)).Expect(200).Map(); got["status"] != "pending" {
		t.Fatalf("capacity raise must promote: %v", got)
	}
	r := h.Do("PUT", "/api/v1/staff/sessions/"+fmt.Sprint(s), map[string]any{"capacity": 1}, testkit.Token(w.staff.Token)).ExpectError(409, "capacity_below_booked")
	if r.Map()["error"].(map[string]any)["details"].(map[string]any)["booked"] != float64(2) {
		t.Fatalf("details should say the seats held: %s", r.Body)
	}
	// A rejection frees a seat for nobody (waitlist empty): counters stay exact.
	h.Do("POST", "/api/v1/staff/bookings/"+id(b3)+"/reject", map[string]any{"reason": "名额调整"}, testkit.Token(w.staff.Token)).Expect(200)
	assertCounters(t, h, s)
	// A waitlisted booking can be cancelled.
	p4 := h.Login("p4")
	m4 := h.Member(p4, map[string]any{"name": "丁", "relation": "child"})
	w.book(p3, s, m3, true).Expect(201)
	b4 := w.book(p4, s, m4, true).Expect(201).Map()
	if b4["status"] != "waitlisted" {
		t.Fatalf("want waitlisted: %v", b4)
	}
	h.Do("POST", "/api/v1/bookings/"+id(b4)+"/cancel", nil, testkit.Token(p4.Token)).Expect(200)
	assertCounters(t, h, s)
}

// assertCounters checks the session's counters against its booking rows.
func assertCounters(t *testing.T, h *testkit.Harness, sessionID int64) {
	t.Helper()
	var sess model.Session
	if err := h.DB.First(&sess, sessionID).Error; err != nil {
		t.Fatal(err)
	}
	var held, waiting int64
	h.DB.Model(&model.Booking{}).Where("session_id = ? AND status IN ?", sessionID, []string{"pending", "confirmed", "checked_in"}).Count(&held)
	h.DB.Model(&model.Booking{}).Where("session_id = ? AND status = ?", sessionID, "waitlisted").Count(&waiting)
	if int64(sess.Booked) != held || int64(sess.Waitlisted) != waiting || sess.Booked > sess.Capacity {
		t.Fatalf("counters booked=%d waitlisted=%d capacity=%d, rows held=%d waiting=%d", sess.Booked, sess.Waitlisted, sess.Capacity, held, waiting)
	}
}

func TestSession_CancelNotifiesEveryBooker(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(1, 48*time.Hour)
	p2 := h.Login("p2")
	m2 := h.Member(p2, map[string]any{"name": "乙", "relation": "child"})
	b1 := id(w.book(w.parent, s, w.child, true).Expect(201).Map())
	w.book(p2, s, m2, true).Expect(201)
	h.Do("PUT", "/api/v1/staff/sessions/"+fmt.Sprint(s), map[string]any{"status": "cancelled"}, testkit.Token(w.staff.Token)).ExpectError(422, "invalid_request")
	h.Do("PUT", "/api/v1/staff/sessions/"+fmt.Sprint(s), map[string]any{"status": "open"}, testkit.Token(w.staff.Token)).ExpectError(422, "invalid_request")
	h.Do("PUT", "/api/v1/staff/sessions/"+fmt.Sprint(s), map[string]any{}, testkit.Token(w.staff.Token)).ExpectError(422, "invalid_request")
	sess := h.Do("PUT", "/api/v1/staff/sessions/"+fmt.Sprint(s), map[string]any{"status": "cancelled", "reason": "暴雨停诊"}, testkit.Token(w.staff.Token)).Expect(200).Map()
	if sess["status"] != "cancelled" || sess["booked"] != float64(0) || sess["cancel_reason"] != "暴雨停诊" {
		t.Fatalf("session: %v", sess)
	}
	h.Do("PUT", "/api/v1/staff/sessions/"+fmt.Sprint(s), map[string]any{"status": "cancelled", "reason": "again"}, testkit.Token(w.staff.Token)).ExpectError(409, "session_cancelled")
	got := h.Do("GET", "/api/v1/bookings/"+b1, nil, testkit.Token(w.parent.Token)).Expect(200).Map()
	if got["status"] != "cancelled" || got["reason"] != "暴雨停诊" {
		t.Fatalf("booking: %v", got)
	}
	for _, u := range []testkit.User{w.parent, p2} {
		var notes struct {
			Items []map[string]any `json:"items"`
		}
		h.Do("GET", "/api/v1/notifications", nil, testkit.Token(u.Token)).Expect(200).JSON(&notes)
		if len(notes.Items) != 1 || notes.Items[0]["event"] != "session_cancelled" {
			t.Fatalf("%s not notified: %v", u.OpenID, notes.Items)
		}
	}
}

func TestSchedule_WeeklyExpertNoDuplicates(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	loc := h.Config.Location()
	from := h.Clock.Now().In(loc).AddDate(0, 0, 1).Format("2006-01-02")
	to := h.Clock.Now().In(loc).AddDate(0, 0, 28).Format("2006-01-02")
	body := map[string]any{"service_id": 1, "expert_id": 1, "weekdays": []int{2}, "start_time": "08:30", "end_time": "11:30",
		"capacity": 15, "from_date": from, "to_date": to}
	var res struct {
		Sessions []map[string]any `json:"sessions"`
		Skipped  int              `json:"skipped"`
	}
	h.Do("POST", "/api/v1/staff/schedules", body, staff).Expect(201).JSON(&res)
	// Tuesdays 11-12-01 … 12-15 are new; 11-24 and 12-01, 12-08, 12-15 were seeded (two weeks).
	total := len(res.Sessions) + res.Skipped
	if total != 4 {
		t.Fatalf("4 Tuesdays in 4 weeks, got %d created + %d skipped", len(res.Sessions), res.Skipped)
	}
	for _, s := range res.Sessions {
		st, _ := time.Parse(time.RFC3339, s["starts_at"].(string))
		if st.In(loc).Weekday() != time.Tuesday || st.In(loc).Format("15:04") != "08:30" {
			t.Fatalf("session at %v", st.In(loc))
		}
		if s["expert"].(map[string]any)["name"] != "王建华" {
			t.Fatalf("expert: %v", s["expert"])
		}
	}
	h.Do("POST", "/api/v1/staff/schedules", body, staff).Expect(201).JSON(&res)
	if len(res.Sessions) != 0 || res.Skipped != 4 {
		t.Fatalf("re-running must create nothing: %d created, %d skipped", len(res.Sessions), res.Skipped)
	}
	// Weekend and noon vaccination.
	h.Do("POST", "/api/v1/staff/schedules", map[string]any{"service_id": serviceA, "weekdays": []int{6, 7}, "start_time": "12:00", "end_time": "14:00",
		"capacity": 30, "from_date": from, "to_date": h.Clock.Now().In(loc).AddDate(0, 0, 7).Format("2006-01-02")}, staff).Expect(201).JSON(&res)
	if len(res.Sessions) != 2 {
		t.Fatalf("one weekend = 2 sessions, got %d", len(res.Sessions))
	}
	bad := map[string]map[string]any{
		"weekday 8":       {"weekdays": []int{8}},
		"weekday repeat":  {"weekdays": []int{2, 2}},
		"no weekdays":     {"weekdays": []int{}},
		"end before":      {"start_time": "11:00", "end_time": "10:00"},
		"bad time":        {"start_time": "9am"},
		"past from":       {"from_date": h.DateAgo(0, 0, 3)},
		"to before from":  {"to_date": h.DateAgo(0, 0, 1)},
		"bad date":        {"from_date": "2026-02-30"},
		"too long":        {"to_date": h.Clock.Now().In(loc).AddDate(0, 6, 0).Format("2006-01-02")},
		"zero capacity":   {"capacity": 0},
		"huge capacity":   {"capacity": 100000},
		"unknown service": {"service_id": notExists},
		"unknown expert":  {"expert_id": notExists},
	}
	for name, change := range bad {
		t.Run(name, func(t *testing.T) {
			b := map[string]any{}
			for k, v := range body {
				b[k] = v
			}
			for k, v := range change {
				b[k] = v
			}
			testkit.Do(t, h.App.Engine, "POST", "/api/v1/staff/schedules", b, staff).ExpectError(422, "invalid_request")
		})
	}
}

func TestSession_CreateValidation(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	now := h.Clock.Now()
	mk := func(start, end time.Time, capacity int) map[string]any {
		return map[string]any{"service_id": serviceA, "starts_at": start.Format(time.RFC3339), "ends_at": end.Format(time.RFC3339), "capacity": capacity}
	}
	h.Do("POST", "/api/v1/staff/sessions", mk(now.Add(-time.Hour), now, 5), staff).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/staff/sessions", mk(now.Add(time.Hour), now, 5), staff).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/staff/sessions", mk(now.Add(time.Hour), now.Add(2*time.Hour), 0), staff).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": serviceA, "starts_at": "tomorrow", "ends_at": "later", "capacity": 3}, staff).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/staff/sessions", mk(now.Add(time.Hour), now.Add(2*time.Hour), 5), staff).Expect(201)
	h.Do("POST", "/api/v1/staff/sessions", mk(now.Add(time.Hour), now.Add(2*time.Hour), 5), staff).ExpectError(409, "session_exists")
}

func TestCatalog_ListsAndFilters(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	var clinics struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/clinics", nil).Expect(200).JSON(&clinics)
	if len(clinics.Items) != 6 || clinics.Items[0]["kind"] != "main_hospital" || clinics.Items[0]["parent_id"] != nil {
		t.Fatalf("clinics: %v", clinics.Items)
	}
	h.Do("GET", "/api/v1/clinics?kind=station", nil).Expect(200).JSON(&clinics)
	if len(clinics.Items) != 2 {
		t.Fatalf("stations: %v", clinics.Items)
	}
	h.Do("GET", "/api/v1/clinics?kind=hospital", nil).ExpectError(422, "invalid_request")
	h.Do("GET", "/api/v1/clinics/3", nil).Expect(200)
	h.Do("GET", "/api/v1/clinics/999", nil).ExpectError(404, "not_found")
	var experts struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/experts?clinic_id=3", nil).Expect(200).JSON(&experts)
	if len(experts.Items) != 1 || experts.Items[0]["name"] != "王建华" {
		t.Fatalf("experts: %v", experts.Items)
	}
	var services struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/services?kind=vaccination", nil).Expect(200).JSON(&services)
	if len(services.Items) != 2 {
		t.Fatalf("vaccination services: %v", services.Items)
	}
	// Every kind of the contract is offered.
	kinds := map[string]bool{}
	h.Do("GET", "/api/v1/services?limit=100", nil).Expect(200).JSON(&services)
	for _, s := range services.Items {
		kinds[s["kind"].(string)] = true
	}
	if len(kinds) != 6 {
		t.Fatalf("kinds: %v", kinds)
	}

	// Sessions: sorted, paged without duplicates or gaps, filters.
	var all []string
	var lastStart time.Time
	cursor := ""
	for {
		var pg struct {
			Items      []map[string]any `json:"items"`
			NextCursor string           `json:"next_cursor"`
		}
		h.Do("GET", "/api/v1/sessions?limit=7&cursor="+cursor, nil).Expect(200).JSON(&pg)
		for _, s := range pg.Items {
			st, _ := time.Parse(time.RFC3339, s["starts_at"].(string))
			if st.Before(lastStart) {
				t.Fatalf("not sorted by starts_at")
			}
			lastStart = st
			all = append(all, id(s))
		}
		if pg.NextCursor == "" {
			break
		}
		cursor = pg.NextCursor
	}
	var count int64
	h.DB.Model(&model.Session{}).Where("starts_at >= ?", h.Clock.Now()).Count(&count)
	seen := map[string]bool{}
	for _, x := range all {
		if seen[x] {
			t.Fatalf("session %s on two pages", x)
		}
		seen[x] = true
	}
	if int64(len(all)) != count || count == 0 {
		t.Fatalf("paged %d sessions, database has %d", len(all), count)
	}
	var pg struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/sessions?kind=expert_clinic&expert_id=1", nil).Expect(200).JSON(&pg)
	for _, s := range pg.Items {
		if s["service"].(map[string]any)["kind"] != "expert_clinic" || s["expert"].(map[string]any)["id"] != float64(1) {
			t.Fatalf("filter: %v", s)
		}
	}
	day := h.Clock.Now().In(h.Config.Location()).AddDate(0, 0, 1).Format("2006-01-02") // Tuesday
	h.Do("GET", "/api/v1/sessions?from="+day+"&to="+day+"&clinic_id=3", nil).Expect(200).JSON(&pg)
	if len(pg.Items) != 2 { // the expert's morning and noon vaccination
		t.Fatalf("sessions on %s at clinic 3: %d", day, len(pg.Items))
	}
	for _, bad := range []string{"kind=" + strings.Repeat("y", 33), "from=yesterday", "limit=0", "limit=101", "cursor=%25%25", "cursor=bm90LWpzb24", "clinic_id=-1", "available=maybe"} {
		t.Run(bad, func(t *testing.T) {
			testkit.Do(t, h.App.Engine, "GET", "/api/v1/sessions?"+bad, nil).ExpectError(422, "invalid_request")
		})
	}
	h.Do("GET", "/api/v1/sessions/999999", nil).ExpectError(404, "not_found")
}

func TestBooking_NoShowSuspension(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	early := w.session(5, 3*time.Hour)
	b := id(w.book(w.parent, early, w.child, false).Expect(201).Map())
	h.Do("POST", "/api/v1/staff/bookings/"+b+"/confirm", nil, staff).Expect(200)
	h.Do("POST", "/api/v1/staff/bookings/"+b+"/no-show", nil, staff).ExpectError(409, "session_not_started")
	var sessions []int64
	for i := 0; i < 4; i++ {
		sessions = append(sessions, w.session(5, time.Duration(10+i)*time.Hour))
	}
	for i := 0; i < 3; i++ {
		bid := id(w.book(w.parent, sessions[i], w.child, false).Expect(201).Map())
		h.Do("POST", "/api/v1/staff/bookings/"+bid+"/confirm", nil, staff).Expect(200)
		sessions[i] = mustAtoi(bid)
	}
	// After the sessions start, staff record three no-shows.
	h.Clock.Advance(13 * time.Hour)
	for i := 0; i < 3; i++ {
		h.Do("POST", "/api/v1/staff/bookings/"+fmt.Sprint(sessions[i])+"/no-show", nil, staff).Expect(200)
	}
	later := w.session(5, 24*time.Hour)
	r := w.book(w.parent, later, w.child, false).ExpectError(409, "booking_suspended")
	until := r.Map()["error"].(map[string]any)["details"].(map[string]any)["until"].(string)
	end, err := time.Parse(time.RFC3339, until)
	if err != nil || end.Sub(h.Clock.Now()) < 29*24*time.Hour {
		t.Fatalf("suspension end %q", until)
	}
	w.book(w.parent, later, w.child2, false).Expect(201) // the sibling is not suspended
	h.Clock.Advance(31 * 24 * time.Hour)
	w.book(w.parent, w.session(5, 24*time.Hour), w.child, false).Expect(201)
}

func mustAtoi(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n
}

func TestBooking_LastSeatRace(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	const capacity, clients = 20, 300
	s := w.session(capacity, 72*time.Hour)
	type client struct {
		u testkit.User
		m int64
	}
	clientsList := make([]client, clients)
	for i := range clientsList {
		u := h.Login(fmt.Sprintf("hammer-%d", i))
		clientsList[i] = client{u: u, m: h.Member(u, map[string]any{"name": "孩子", "relation": "child"})}
	}
	// Two replicas: separate engines, and on MySQL separate connection pools.
	replica := h.Replica().Engine
	type result struct {
		status   int
		code     string
		bstatus  string
		position int
		id       int64
	}
	results := make([]result, clients)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range clientsList {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			engine := h.App.Engine
			if i%2 == 1 {
				engine = replica
			}
			c := clientsList[i]
			r := testkit.Do(t, engine, "POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": c.m, "join_waitlist": i%3 != 0}, testkit.Token(c.u.Token))
			res := result{status: r.Status, code: r.ErrorCode()}
			if r.Status == 201 {
				var b struct {
					ID       int64  `json:"id"`
					Status   string `json:"status"`
					Position int    `json:"position"`
				}
				_ = jsonUnmarshal(r.Body, &b)
				res.bstatus, res.position, res.id = b.Status, b.Position, b.ID
			}
			results[i] = res
		}(i)
	}
	close(start)
	wg.Wait()
	held, full := 0, 0
	positions := map[int]bool{}
	for i, r := range results {
		switch {
		case r.status == 201 && r.bstatus == "pending":
			held++
		case r.status == 201 && r.bstatus == "waitlisted":
			if positions[r.position] || r.position < 1 {
				t.Fatalf("duplicate or bad waitlist position %d", r.position)
			}
			positions[r.position] = true
		case r.status == 409 && r.code == "session_full":
			if i%3 != 0 {
				t.Fatalf("client %d asked for the waitlist but got session_full", i)
			}
			full++
		default:
			t.Fatalf("client %d: unexpected %d %s", i, r.status, r.code)
		}
	}
	if held != capacity {
		t.Fatalf("%d seat-holders, capacity %d", held, capacity)
	}
	for p := 1; p <= len(positions); p++ {
		if !positions[p] {
			t.Fatalf("waitlist positions not contiguous: missing %d of %d", p, len(positions))
		}
	}
	assertCounters(t, h, s)
	t.Logf("%d held, %d waitlisted, %d turned away", held, len(positions), full)

	// 50 concurrent cancels: all 20 seat-holders and the first 30 on the waitlist.
	var cancelIDs []int64
	var waitlisted []result
	owner := map[int64]testkit.User{}
	for i, r := range results {
		if r.status == 201 {
			owner[r.id] = clientsList[i].u
			if r.bstatus == "pending" {
				cancelIDs = append(cancelIDs, r.id)
			} else {
				waitlisted = append(waitlisted, r)
			}
		}
	}
	sort.Slice(waitlisted, func(i, j int) bool { return waitlisted[i].position < waitlisted[j].position })
	for _, r := range waitlisted[:30] {
		cancelIDs = append(cancelIDs, r.id)
	}
	var cwg sync.WaitGroup
	for i, bid := range cancelIDs {
		cwg.Add(1)
		go func(i int, bid int64) {
			defer cwg.Done()
			engine := h.App.Engine
			if i%2 == 1 {
				engine = replica
			}
			r := testkit.Do(t, engine, "POST", fmt.Sprintf("/api/v1/bookings/%d/cancel", bid), nil, testkit.Token(owner[bid].Token))
			if r.Status != 200 {
				t.Errorf("cancel %d: %d %s", bid, r.Status, r.Body)
			}
		}(i, bid)
	}
	cwg.Wait()
	assertCounters(t, h, s)
	// The seats went to the oldest remaining waitlisted bookings, in order.
	remaining := waitlisted[30:]
	for i, r := range remaining {
		var b model.Booking
		h.DB.First(&b, r.id)
		want := "waitlisted"
		if i < capacity {
			want = "pending"
		}
		if b.Status != want {
			t.Fatalf("booking at old position %d is %s, want %s", r.position, b.Status, want)
		}
	}
	var sess model.Session
	h.DB.First(&sess, s)
	if sess.Booked != capacity {
		t.Fatalf("booked %d after cancels, want %d", sess.Booked, capacity)
	}
	// Positions of those still waiting are 1..n again.
	if len(remaining) > capacity {
		r := h.Do("GET", fmt.Sprintf("/api/v1/bookings/%d", remaining[capacity].id), nil, testkit.Token(owner[remaining[capacity].id].Token)).Expect(200).Map()
		if r["position"] != float64(1) {
			t.Fatalf("first still waiting has position %v", r["position"])
		}
	}
}

func TestIdempotency_ConcurrentReplayCreatesOne(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(5, 48*time.Hour)
	body := map[string]any{"session_id": s, "member_id": w.child}
	ids := make([]int64, 20)
	parallel(len(ids), func(i int) {
		r := testkit.Do(t, h.App.Engine, "POST", "/api/v1/bookings", body, testkit.Token(w.parent.Token), testkit.Header("Idempotency-Key", "k-123"))
		if r.Status != 201 {
			t.Errorf("attempt %d: %d %s", i, r.Status, r.Body)
			return
		}
		ids[i] = ctID(r.Map())
	})
	for _, x := range ids {
		if x != ids[0] {
			t.Fatalf("replays answered different bookings: %v", ids)
		}
	}
	var n int64
	h.DB.Model(&model.Booking{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d bookings created, want 1", n)
	}
	r := h.Do("POST", "/api/v1/bookings", body, testkit.Token(w.parent.Token), testkit.Header("Idempotency-Key", "k-123"))
	if r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v", r.Status, r.Header)
	}
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": w.child2}, testkit.Token(w.parent.Token),
		testkit.Header("Idempotency-Key", "k-123")).ExpectError(422, "idempotency_key_reused")
	// Another user's identical key is theirs alone.
	other := h.Login("other")
	m := h.Member(other, map[string]any{"name": "x", "relation": "child"})
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": m}, testkit.Token(other.Token), testkit.Header("Idempotency-Key", "k-123")).Expect(201)
	// After the TTL the key is forgotten: the same request is a new attempt.
	h.Clock.Advance(25 * time.Hour)
	h.Do("POST", "/api/v1/bookings", body, testkit.Token(w.parent.Token), testkit.Header("Idempotency-Key", "k-123")).ExpectError(409, "already_booked")
	long := string(make([]byte, 200))
	h.Do("POST", "/api/v1/bookings", body, testkit.Token(w.parent.Token), testkit.Header("Idempotency-Key", "x"+long[:0]+fmt.Sprintf("%0200d", 1))).ExpectError(422, "invalid_request")
}

func TestReminders_TwoWorkersSendEachOnce(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	tomorrow := w.session(10, 24*time.Hour)
	dayAfter := w.session(10, 48*time.Hour)
	var confirmed []string
	for i := 0; i < 6; i++ {
		u := h.Login(fmt.Sprintf("r-%d", i))
		m := h.Member(u, map[string]any{"name": "孩子", "relation": "child"})
		b := id(w.book(u, tomorrow, m, false).Expect(201).Map())
		if i < 4 {
			h.Do("POST", "/api/v1/staff/bookings/"+b+"/confirm", nil, staff).Expect(200)
			confirmed = append(confirmed, b)
		}
		w.book(u, dayAfter, m, false).Expect(201)
	}
	sent := runJobs(t, h.App.Services.Bookings.SendReminders, h.App.Services.Bookings.SendReminders)
	if sent[0]+sent[1] != len(confirmed) {
		t.Fatalf("sent %v, want %d in total", sent, len(confirmed))
	}
	again, _ := h.App.Services.Bookings.SendReminders(context.Background())
	if again != 0 {
		t.Fatalf("a second run sent %d", again)
	}
	var n int64
	h.DB.Model(&model.Notification{}).Where("event = ?", "booking_reminder").Count(&n)
	if n != int64(len(confirmed)) {
		t.Fatalf("%d reminders stored, want %d", n, len(confirmed))
	}
}

func TestNotifications_SubscribePushAndRetry(t *testing.T) {
	w := newBookingWorld(t, testkit.WithConfig(func(c *configT) {
		c.WeChatTemplates = map[string]string{"booking_confirmed": "TPL-CONFIRM"}
	}))
	h := w.h
	staff := testkit.Token(w.staff.Token)
	push := func() int {
		n, err := h.App.Services.Notifications.PushPending(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	s := w.session(10, 48*time.Hour)
	h.Do("POST", "/api/v1/me/subscriptions", map[string]any{"template_ids": []string{}}, testkit.Token(w.parent.Token)).ExpectError(422, "invalid_request")
	got := h.Do("POST", "/api/v1/me/subscriptions", map[string]any{"template_ids": []string{"TPL-CONFIRM"}}, testkit.Token(w.parent.Token)).Expect(200).Map()
	if got["remaining"].(map[string]any)["TPL-CONFIRM"] != float64(1) {
		t.Fatalf("remaining: %v", got)
	}
	b1 := id(w.book(w.parent, s, w.child, false).Expect(201).Map())
	b2 := id(w.book(w.parent, s, w.child2, false).Expect(201).Map())
	// WeChat fails: the staff action still succeeds, the push is retried later.
	h.WeChat.SetDown(true)
	h.Do("POST", "/api/v1/staff/bookings/"+b1+"/confirm", nil, staff).Expect(200)
	if n := push(); n != 0 {
		t.Fatalf("sent %d while WeChat is down", n)
	}
	h.WeChat.SetDown(false)
	if n := push(); n != 0 {
		t.Fatalf("retried before its backoff: %d", n)
	}
	h.Clock.Advance(2 * time.Minute)
	if n := push(); n != 1 || len(h.WeChat.Sent()) != 1 {
		t.Fatalf("retry sent %d (fake got %d)", n, len(h.WeChat.Sent()))
	}
	msg := h.WeChat.Sent()[0]
	if msg["template_id"] != "TPL-CONFIRM" || msg["touser"] != "parent" {
		t.Fatalf("message: %v", msg)
	}
	// The one acceptance is used: the next confirmation is in-app only.
	h.Do("POST", "/api/v1/staff/bookings/"+b2+"/confirm", nil, staff).Expect(200)
	h.Clock.Advance(time.Minute)
	if n := push(); n != 0 || len(h.WeChat.Sent()) != 1 {
		t.Fatalf("sent without an unused acceptance")
	}
	var skipped int64
	h.DB.Model(&model.Notification{}).Where("push_status = ?", model.PushSkipped).Count(&skipped)
	if skipped != 1 {
		t.Fatalf("skipped pushes: %d", skipped)
	}
}

func TestCatalog_SessionListCachedForOneSecond(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(5, 30*time.Hour)
	list := func() float64 {
		var pg struct {
			Items []map[string]any `json:"items"`
		}
		h.Do("GET", "/api/v1/sessions?clinic_id=3&kind=vaccination&limit=100", nil).Expect(200).JSON(&pg)
		for _, it := range pg.Items {
			if it["id"] == float64(s) {
				return it["booked"].(float64)
			}
		}
		t.Fatalf("session %d not listed", s)
		return 0
	}
	if list() != 0 {
		t.Fatal("fresh session has bookings")
	}
	w.book(w.parent, s, w.child, false).Expect(201)
	if got := list(); got != 0 {
		t.Fatalf("within the second the cached page is served, got booked=%v", got)
	}
	if got := h.Do("GET", fmt.Sprintf("/api/v1/sessions/%d", s), nil).Expect(200).Map()["booked"]; got != float64(1) {
		t.Fatalf("a single session is never cached: %v", got)
	}
	h.Clock.Advance(time.Second)
	if got := list(); got != 1 {
		t.Fatalf("after a second the list is fresh, got booked=%v", got)
	}
}
