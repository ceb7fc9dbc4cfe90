package handler_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// TestReferral_ReservedSeatsRace: 10 referred families and 40 others race
// through two replicas for a session of 10 seats, 3 of them reserved for
// referrals: exactly 3 reserved seats (all referrals) and 7 public seats
// are taken, and the counters match the rows. A freed reserved seat stays
// closed to the public until REFERRAL_SEATS_OPEN before the start.
func TestReferral_ReservedSeatsRace(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	sv := w.newService(map[string]any{"name": "专家门诊（转诊）", "kind": "expert_clinic", "reserved_for_referrals": 3})
	s := w.sessionOf(sv, 10, 72*time.Hour, time.Hour)
	warm := w.sessionOf(sv, 100, 200*time.Hour, time.Hour)
	const referred, public = 10, 40
	type client struct {
		u        testkit.User
		kid      int64
		referral int64
	}
	clients := make([]client, referred+public)
	for i := range clients {
		u := h.Login(fmt.Sprintf("ref-race-%d", i))
		c := client{u: u, kid: h.Member(u, map[string]any{"name": "孩子", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})}
		if i < referred { // known to the clinic, then referred
			w.book(u, warm, c.kid, false).Expect(201)
			c.referral = ctID(h.Do("POST", "/api/v1/staff/referrals", map[string]any{"person_id": c.kid, "service_id": sv,
				"reason": "生长迟缓", "urgency": "urgent"}, staff).Expect(201).Map())
		}
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
		case "409session_full":
		default:
			t.Fatalf("client %d: %s", i, c)
		}
	}
	var sess model.Session
	h.DB.First(&sess, s)
	var reservedRows, publicRows, reservedNonReferral int64
	h.DB.Model(&model.Booking{}).Where("session_id = ? AND status = ? AND reserved_seat = ?", s, "pending", true).Count(&reservedRows)
	h.DB.Model(&model.Booking{}).Where("session_id = ? AND status = ? AND reserved_seat = ?", s, "pending", false).Count(&publicRows)
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
	t.Logf("referrals %d (3 reserved), public %d", won[true], won[false])

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
