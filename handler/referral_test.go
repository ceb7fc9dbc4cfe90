package handler_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// TestReferral_ReservedSeatsRace: 10 referred persons and 40 others race
// through two replicas for a session of 10 seats, 3 of them reserved for
// referrals; half the referred are booked by the clinic's staff (POST
// /staff/bookings with the referral), the other half by their families,
// and 5 of the others by staff on a public seat: exactly 3 reserved seats
// (all referrals) and 7 public seats are taken, every staff booking is
// confirmed, booked_by staff and told to its family once, and the counters
// match the rows. A freed reserved seat stays closed to the public until
// REFERRAL_SEATS_OPEN before the start.
func TestReferral_ReservedSeatsRace(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	sv := w.newService(map[string]any{"name": "专家门诊（转诊）", "kind": "expert_clinic", "reserved_for_referrals": 3})
	s := w.sessionOf(sv, 10, 72*time.Hour, time.Hour)
	warm := w.sessionOf(sv, 100, 200*time.Hour, time.Hour)
	const referred, public, publicByStaff = 10, 40, 5
	type client struct {
		u        testkit.User
		kid      int64
		referral int64
		byStaff  bool
	}
	clients := make([]client, referred+public)
	for i := range clients {
		u := h.Login(fmt.Sprintf("ref-race-%d", i))
		c := client{u: u, kid: h.Member(u, map[string]any{"name": "孩子", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})}
		if i < referred+publicByStaff { // known to the clinic
			w.book(u, warm, c.kid, false).Expect(201)
		}
		if i < referred { // and referred
			c.referral = ctID(h.Do("POST", "/api/v1/staff/referrals", map[string]any{"person_id": c.kid, "service_id": sv,
				"reason": "生长迟缓", "urgency": "urgent"}, staff).Expect(201).Map())
		}
		c.byStaff = (i < referred && i%4 < 2) || (i >= referred && i < referred+publicByStaff)
		clients[i] = c
	}
	// Someone else's referral cannot be used.
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": clients[referred].kid, "referral_id": clients[0].referral},
		testkit.Token(clients[referred].u.Token)).ExpectError(404, "not_found")

	replica := h.Replica().Engine
	codes := make([]string, len(clients))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			engine := h.App.Engine
			if i%2 == 1 {
				engine = replica
			}
			c := clients[i]
			body := map[string]any{"session_id": s, "member_id": c.kid}
			path, as := "/api/v1/bookings", testkit.Token(c.u.Token)
			if c.byStaff { // the clinic books for the family
				body = map[string]any{"session_id": s, "person_id": c.kid}
				path, as = "/api/v1/staff/bookings", staff
			}
			if c.referral != 0 {
				body["referral_id"] = c.referral
			}
			r := testkit.Do(t, engine, "POST", path, body, as)
			codes[i] = fmt.Sprint(r.Status, r.ErrorCode())
		}(i)
	}
	close(start)
	wg.Wait()
	won := map[bool]int{}
	staffWon := 0
	for i, c := range codes {
		switch c {
		case "201":
			won[i < referred]++
			if clients[i].byStaff {
				staffWon++
			}
		case "409session_full":
		default:
			t.Fatalf("client %d: %s", i, c)
		}
	}
	var sess model.Session
	h.DB.First(&sess, s)
	held := []string{"pending", "confirmed"}
	var reservedRows, publicRows, reservedNonReferral, staffRows, staffNotices int64
	h.DB.Model(&model.Booking{}).Where("session_id = ? AND status IN ? AND reserved_seat = ?", s, held, true).Count(&reservedRows)
	h.DB.Model(&model.Booking{}).Where("session_id = ? AND status IN ? AND reserved_seat = ?", s, held, false).Count(&publicRows)
	h.DB.Model(&model.Booking{}).Where("session_id = ? AND status = ? AND booked_by = ?", s, "confirmed", w.staff.ID).Count(&staffRows)
	h.DB.Model(&model.Notification{}).Where("event = ?", "booking_made_by_staff").Count(&staffNotices)
	if int(staffRows) != staffWon || int(staffNotices) != staffWon {
		t.Fatalf("staff won %d; confirmed staff bookings %d, notices %d", staffWon, staffRows, staffNotices)
	}
	h.DB.Model(&model.Booking{}).Where("session_id = ? AND reserved_seat = ? AND referral_id = 0", s, true).Count(&reservedNonReferral)
	if won[true]+won[false] != 10 || sess.Booked != 10 || sess.ReservedBooked != 3 || reservedRows != 3 || publicRows != 7 || reservedNonReferral != 0 {
		t.Fatalf("won %v; session booked %d reserved_booked %d; rows reserved %d public %d (non-referral in reserved %d)",
			won, sess.Booked, sess.ReservedBooked, reservedRows, publicRows, reservedNonReferral)
	}
	if won[false] > 7 || won[true] < 3 {
		t.Fatalf("public took %d seats, referrals %d", won[false], won[true])
	}
	var bookedRefs int64
	h.DB.Model(&model.Referral{}).Where("status = ?", "booked").Count(&bookedRefs)
	if int(bookedRefs) != won[true] {
		t.Fatalf("%d referrals booked, %d referral bookings", bookedRefs, won[true])
	}
	assertCounters(t, h, s)
	t.Logf("referrals %d (3 reserved), public %d, booked by staff %d", won[true], won[false], staffWon)

	// A referral family cancels its reserved seat: the referral is usable
	// again, the seat stays closed to the public until it opens.
	var rb model.Booking
	h.DB.Where("session_id = ? AND reserved_seat = ?", s, true).First(&rb)
	var owner testkit.User
	var loser client
	for i, c := range clients {
		if c.kid == rb.MemberID {
			owner = c.u
		}
		if i >= referred && codes[i] != "201" && loser.kid == 0 {
			loser = c
		}
	}
	h.Do("POST", fmt.Sprintf("/api/v1/bookings/%d/cancel", rb.ID), nil, testkit.Token(owner.Token)).Expect(200)
	ref := h.Do("GET", fmt.Sprintf("/api/v1/referrals/%d", rb.ReferralID), nil, testkit.Token(owner.Token)).Expect(200).Map()
	if ref["status"] != "issued" || len(ref["history"].([]any)) != 3 || ref["priority_admission"] != true {
		t.Fatalf("referral after cancel: %v", ref)
	}
	w.book(loser.u, s, loser.kid, false).ExpectError(409, "session_full")
	h.Clock.Advance(49 * time.Hour) // within REFERRAL_SEATS_OPEN (24 h) of the start
	w.book(loser.u, s, loser.kid, false).Expect(201)
	assertCounters(t, h, s)
}

// TestReferral_SlotReservedSeatsRace: in a sliced sitting the reserved seats
// live in the slots. 8 referred families and 30 others race through two
// replicas for the first slot (4 seats, 2 reserved): exactly 2 reserved
// seats (all referrals) and 2 public seats are taken, in the slot and in
// the session's sums. A freed reserved seat of the slot stays closed to the
// public (409 slot_full) until REFERRAL_SEATS_OPEN before the start.
func TestReferral_SlotReservedSeatsRace(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	sv := w.newService(map[string]any{"name": "专家分时段（转诊）", "kind": "expert_clinic", "slot_minutes": 20, "reserved_for_referrals": 6})
	s := w.sessionOf(sv, 12, 72*time.Hour, time.Hour)
	warm := w.session(100, 200*time.Hour)
	slots := slotsOf(h, s)
	var sess model.Session
	h.DB.First(&sess, s)
	if len(slots) != 3 || sess.Reserved != 6 {
		t.Fatalf("slots %+v, session reserved %d", slots, sess.Reserved)
	}
	var rows []model.SessionSlot
	h.DB.Where("session_id = ?", s).Order("starts_at").Find(&rows)
	for _, r := range rows {
		if r.Capacity != 4 || r.Reserved != 2 {
			t.Fatalf("slot %+v: want 4 seats, 2 reserved", r)
		}
	}
	first := slots[0].StartsAt
	const referred, public = 8, 30
	type client struct {
		u        testkit.User
		kid      int64
		referral int64
	}
	clients := make([]client, referred+public)
	for i := range clients {
		u := h.Login(fmt.Sprintf("slot-ref-%d", i))
		c := client{u: u, kid: h.Member(u, map[string]any{"name": "孩子", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})}
		if i < referred {
			w.book(u, warm, c.kid, false).Expect(201)
			c.referral = ctID(h.Do("POST", "/api/v1/staff/referrals", map[string]any{"person_id": c.kid, "service_id": sv,
				"reason": "发育评估", "urgency": "routine"}, staff).Expect(201).Map())
		}
		clients[i] = c
	}
	replica := h.Replica().Engine
	codes := make([]string, len(clients))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			engine := h.App.Engine
			if i%2 == 1 {
				engine = replica
			}
			c := clients[i]
			body := map[string]any{"session_id": s, "member_id": c.kid, "slot_starts_at": first}
			if c.referral != 0 {
				body["referral_id"] = c.referral
			}
			r := testkit.Do(t, engine, "POST", "/api/v1/bookings", body, testkit.Token(c.u.Token))
			codes[i] = fmt.Sprint(r.Status, r.ErrorCode())
		}(i)
	}
	close(start)
	wg.Wait()
	won := map[bool]int{}
	for i, c := range codes {
		switch c {
		case "201":
			won[i < referred]++
		case "409slot_full":
		default:
			t.Fatalf("client %d: %s", i, c)
		}
	}
	var slot model.SessionSlot
	h.DB.First(&slot, rows[0].ID)
	h.DB.First(&sess, s)
	var reservedRows, publicRows, reservedNonReferral int64
	h.DB.Model(&model.Booking{}).Where("slot_id = ? AND status = ? AND reserved_seat = ?", slot.ID, "pending", true).Count(&reservedRows)
	h.DB.Model(&model.Booking{}).Where("slot_id = ? AND status = ? AND reserved_seat = ?", slot.ID, "pending", false).Count(&publicRows)
	h.DB.Model(&model.Booking{}).Where("session_id = ? AND reserved_seat = ? AND referral_id = 0", s, true).Count(&reservedNonReferral)
	if won[true]+won[false] != 4 || slot.Booked != 4 || slot.ReservedBooked != 2 || reservedRows != 2 || publicRows != 2 ||
		reservedNonReferral != 0 || sess.Booked != 4 || sess.ReservedBooked != 2 || won[false] > 2 {
		t.Fatalf("won %v; slot booked %d reserved_booked %d; session booked %d reserved_booked %d; rows reserved %d public %d (non-referral %d)",
			won, slot.Booked, slot.ReservedBooked, sess.Booked, sess.ReservedBooked, reservedRows, publicRows, reservedNonReferral)
	}
	assertCounters(t, h, s)
	if got := slotsOf(h, s)[0]; got.ReservedSeats != 2 || got.ReservedBooked != 2 {
		t.Fatalf("slot answer %+v", got)
	}

	// The public still finds the other slots' public seats, but not their
	// reserved ones: 2 of each later slot go, the third is slot_full.
	var losers []client
	for i, c := range clients {
		if i >= referred && codes[i] != "201" {
			losers = append(losers, c)
		}
	}
	second := slots[1].StartsAt
	bookSlot := func(c client, at string) *testkit.Response {
		return h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": c.kid, "slot_starts_at": at}, testkit.Token(c.u.Token))
	}
	bookSlot(losers[0], second).Expect(201)
	bookSlot(losers[1], second).Expect(201)
	bookSlot(losers[2], second).ExpectError(409, "slot_full")

	// A referral family cancels its reserved seat: the referral is usable
	// again, the seat stays closed to the public until it opens.
	var rb model.Booking
	h.DB.Where("slot_id = ? AND reserved_seat = ?", slot.ID, true).First(&rb)
	for _, c := range clients {
		if c.kid == rb.MemberID {
			h.Do("POST", fmt.Sprintf("/api/v1/bookings/%d/cancel", rb.ID), nil, testkit.Token(c.u.Token)).Expect(200)
		}
	}
	h.DB.First(&slot, rows[0].ID)
	if slot.Booked != 3 || slot.ReservedBooked != 1 {
		t.Fatalf("after cancel: slot booked %d reserved_booked %d", slot.Booked, slot.ReservedBooked)
	}
	bookSlot(losers[3], first).ExpectError(409, "slot_full")
	h.Clock.Advance(49 * time.Hour) // within REFERRAL_SEATS_OPEN (24 h) of the start
	bookSlot(losers[3], first).Expect(201)
	bookSlot(losers[2], second).Expect(201)
	assertCounters(t, h, s)
}

// TestReferral_CancelExpireStaffList: a referral to another clinic's service
// reaches that clinic's staff (notified; incoming list with priority
// admission and the person's name); only the issuing clinic or the family
// cancels it (the other side is told; twice is 409; a booked one is 409);
// the expiry job run by two replicas at once expires each unused referral
// once and tells the family.
func TestReferral_CancelExpireStaffList(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staffA, staffB := testkit.Token(w.staff.Token), testkit.Token(w.staffB.Token)
	parent := testkit.Token(w.parent.Token)
	svB, issue := w.referToClinicB("referral-manager-b")
	expiring, declined, withdrawn, booked := issue(w.child), issue(w.child2), issue(w.child), issue(w.child2)

	// The receiving clinic: notified, and its incoming list.
	var received int64
	h.DB.Model(&model.Notification{}).Where("user_id = ? AND event = ?", w.staffB.ID, "referral_received").Count(&received)
	if received != 4 {
		t.Fatalf("receiving clinic staff got %d notices, want 4", received)
	}
	var page struct {
		Items []struct {
			ID                int64  `json:"id"`
			PersonName        string `json:"person_name"`
			PriorityAdmission bool   `json:"priority_admission"`
			Urgency           string `json:"urgency"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	h.Do("GET", "/api/v1/staff/referrals?direction=incoming&limit=3", nil, staffB).Expect(200).JSON(&page)
	if len(page.Items) != 3 || page.NextCursor == "" || page.Items[0].ID != booked || page.Items[0].PersonName != "二宝" ||
		!page.Items[0].PriorityAdmission || page.Items[0].Urgency != "urgent" {
		t.Fatalf("incoming page: %+v", page)
	}
	h.Do("GET", "/api/v1/staff/referrals?direction=incoming&cursor="+page.NextCursor, nil, staffB).Expect(200).JSON(&page)
	if len(page.Items) != 1 || page.Items[0].ID != expiring {
		t.Fatalf("second page: %+v", page)
	}
	h.Do("GET", "/api/v1/staff/referrals?direction=outgoing", nil, staffB).Expect(200).JSON(&page)
	if len(page.Items) != 0 {
		t.Fatalf("clinic B issued none: %+v", page)
	}
	h.Do("GET", "/api/v1/staff/referrals?direction=outgoing&status=issued", nil, staffA).Expect(200).JSON(&page)
	if len(page.Items) != 4 {
		t.Fatalf("clinic A outgoing: %+v", page)
	}
	h.Do("GET", "/api/v1/staff/referrals?direction=sideways", nil, staffA).ExpectError(422, "invalid_request")
	h.Do("GET", fmt.Sprintf("/api/v1/staff/referrals/%d", expiring), nil, staffB).Expect(200)

	// Booked with it: cancelling the referral is refused.
	sB := bookingSessionAt(h, staffB, svB, 5, 96*time.Hour)
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": sB, "member_id": w.child2, "referral_id": booked}, parent).Expect(201)
	h.Do("POST", fmt.Sprintf("/api/v1/staff/referrals/%d/cancel", booked), nil, staffA).ExpectError(409, "invalid_transition")

	// The family declines one: the issuing doctor is told; twice is 409.
	r := h.Do("POST", fmt.Sprintf("/api/v1/referrals/%d/cancel", declined), map[string]any{"reason": "已在别处就诊"}, parent).Expect(200).Map()
	if r["status"] != "cancelled" || len(r["history"].([]any)) != 2 {
		t.Fatalf("declined: %v", r)
	}
	h.Do("POST", fmt.Sprintf("/api/v1/referrals/%d/cancel", declined), nil, parent).ExpectError(409, "invalid_transition")
	var toDoctor int64
	h.DB.Model(&model.Notification{}).Where("user_id = ? AND event = ? AND ref_id = ?", w.staff.ID, "referral_cancelled", declined).Count(&toDoctor)
	if toDoctor != 1 {
		t.Fatalf("issuing doctor notices: %d", toDoctor)
	}
	// Only the issuing clinic cancels on the staff side; the family is told.
	h.Do("POST", fmt.Sprintf("/api/v1/staff/referrals/%d/cancel", withdrawn), nil, staffB).ExpectError(404, "not_found")
	h.Do("POST", fmt.Sprintf("/api/v1/staff/referrals/%d/cancel", withdrawn), map[string]any{"reason": "病情好转"}, staffA).Expect(200)
	var toFamily model.Notification
	h.DB.Where("user_id = ? AND event = ? AND ref_id = ?", w.parent.ID, "referral_cancelled", withdrawn).First(&toFamily)
	if toFamily.Body == "" {
		t.Fatal("family not told of the cancelled referral")
	}
	// A cancelled referral cannot book.
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": sB, "member_id": w.child, "referral_id": withdrawn}, parent).
		ExpectError(409, "referral_not_usable")

	// Expiry: two replicas run the job at once past the validity.
	h.Clock.Advance(31 * 24 * time.Hour)
	replica := h.Replica()
	counts := runJobs(t, h.App.Services.Referrals.ExpireDue, replica.Services.Referrals.ExpireDue)
	if counts[0]+counts[1] != 1 {
		t.Fatalf("expired %v, want 1 in all", counts)
	}
	got := h.Do("GET", fmt.Sprintf("/api/v1/referrals/%d", expiring), nil, parent).Expect(200).Map()
	if got["status"] != "expired" || len(got["history"].([]any)) != 2 {
		t.Fatalf("expired referral: %v", got)
	}
	var expiredNotices int64
	h.DB.Model(&model.Notification{}).Where("user_id = ? AND event = ?", w.parent.ID, "referral_expired").Count(&expiredNotices)
	if expiredNotices != 1 {
		t.Fatalf("%d expiry notices", expiredNotices)
	}
	if again := runJobs(t, h.App.Services.Referrals.ExpireDue); again[0] != 0 {
		t.Fatalf("second run expired %d", again[0])
	}
	var b model.Referral
	h.DB.First(&b, booked)
	if b.Status != "booked" {
		t.Fatalf("a booked referral is not expired: %s", b.Status)
	}
}

// bookingSessionAt publishes a session of service sv (of the staff
// member's clinic) starting `in` from now.
func bookingSessionAt(h *testkit.Harness, staff testkit.Req, sv int64, capacity int, in time.Duration) int64 {
	h.T.Helper()
	start := h.Clock.Now().Add(in).Truncate(time.Hour)
	return ctID(h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": sv, "starts_at": start.Format(time.RFC3339),
		"ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": capacity}, staff).Expect(201).Map())
}

// referToClinicB makes clinic B's expert service with two seats reserved
// for referrals (by a manager of clinic B named manager), books the two
// children once at clinic A (so its staff's work reaches them), and gives
// a function that refers a person from clinic A to that service.
func (w *bookingWorld) referToClinicB(manager string) (serviceB int64, refer func(person int64) int64) {
	h := w.h
	var sv struct {
		ID int64 `json:"id"`
	}
	h.Do("POST", "/api/v1/staff/services", map[string]any{"kind": "expert_clinic", "name": "儿科专家门诊", "duration_minutes": 30,
		"reserved_for_referrals": 2}, testkit.Token(h.Manager(manager, clinicB).Token)).Expect(201).JSON(&sv)
	warm := w.session(100, 200*time.Hour)
	w.book(w.parent, warm, w.child, false).Expect(201)
	w.book(w.parent, warm, w.child2, false).Expect(201)
	return sv.ID, func(person int64) int64 {
		return ctID(h.Do("POST", "/api/v1/staff/referrals", map[string]any{"person_id": person, "service_id": sv.ID,
			"reason": "反复喘息，建议专科评估", "urgency": "urgent"}, testkit.Token(w.staff.Token)).Expect(201).Map())
	}
}
