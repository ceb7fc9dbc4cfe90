package handler_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

type slotItem struct {
	StartsAt  string `json:"starts_at"`
	Capacity  int    `json:"capacity"`
	Booked    int    `json:"booked"`
	Available int    `json:"available"`
	// ReservedSeats of the slot are kept for referrals; ReservedBooked taken.
	ReservedSeats  int `json:"reserved_seats"`
	ReservedBooked int `json:"reserved_booked"`
}

func slotsOf(h *testkit.Harness, session int64) []slotItem {
	var out struct {
		Items []slotItem `json:"items"`
	}
	h.Do("GET", fmt.Sprintf("/api/v1/sessions/%d/slots", session), nil).Expect(200).JSON(&out)
	return out.Items
}

func TestSlots_BookOverlapQueue(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	sv := w.newService(map[string]any{"name": "分时段推拿", "slot_minutes": 20})
	s := w.sessionOf(sv, 5, 48*time.Hour, time.Hour)
	slots := slotsOf(h, s)
	if len(slots) != 3 || slots[0].Capacity != 2 || slots[1].Capacity != 2 || slots[2].Capacity != 1 {
		t.Fatalf("slots: %+v", slots)
	}
	book := func(u testkit.User, member int64, slot string) *testkit.Response {
		body := map[string]any{"session_id": s, "member_id": member}
		if slot != "" {
			body["slot_starts_at"] = slot
		}
		return h.Do("POST", "/api/v1/bookings", body, testkit.Token(u.Token))
	}
	book(w.parent, w.child, "").ExpectError(422, "invalid_request")
	book(w.parent, w.child, "2020-01-01T08:00:00+08:00").ExpectError(422, "invalid_request")
	b := book(w.parent, w.child, slots[2].StartsAt).Expect(201).Map()
	if b["arrival_at"] != slots[2].StartsAt {
		t.Fatalf("arrival %v, want %s", b["arrival_at"], slots[2].StartsAt)
	}
	other := h.Login("slot-other")
	kid := h.Member(other, map[string]any{"name": "小明", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	book(other, kid, slots[2].StartsAt).ExpectError(409, "slot_full")
	book(other, kid, slots[0].StartsAt).Expect(201)
	if got := slotsOf(h, s); got[2].Booked != 1 || got[0].Booked != 1 {
		t.Fatalf("slots after booking: %+v", got)
	}
	// Overlap: the same child at another session at the same time.
	start := h.Clock.Now().Add(48 * time.Hour).Truncate(time.Hour)
	var other1 struct {
		ID int64 `json:"id"`
	}
	h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": serviceA, "starts_at": start.Add(30 * time.Minute).Format(time.RFC3339),
		"ends_at": start.Add(90 * time.Minute).Format(time.RFC3339), "capacity": 5}, testkit.Token(w.staff.Token)).Expect(201).JSON(&other1)
	r := w.book(w.parent, other1.ID, w.child, false).ExpectError(409, "time_conflict").Map()
	if r["error"].(map[string]any)["details"].(map[string]any)["booking_id"] != b["id"] {
		t.Fatalf("conflict details: %v", r)
	}
	w.book(w.parent, other1.ID, w.child2, false).Expect(201) // a sibling is free then
	// Cancelling frees the slot and the time.
	h.Do("POST", "/api/v1/bookings/"+id(b)+"/cancel", nil, testkit.Token(w.parent.Token)).Expect(200)
	if got := slotsOf(h, s); got[2].Booked != 0 {
		t.Fatalf("slot not freed: %+v", got)
	}
	w.book(w.parent, other1.ID, w.child, false).Expect(201)
	assertCounters(t, h, s)
}

// TestSlots_LastSeatRace: 60 families race for a 2-seat slot through two
// replicas; exactly 2 win and the slot and session counts match the rows.
func TestSlots_LastSeatRace(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	sv := w.newService(map[string]any{"name": "分时段筛查", "slot_minutes": 20})
	s := w.sessionOf(sv, 6, 72*time.Hour, time.Hour)
	first := slotsOf(h, s)[0]
	const clients = 60
	users := make([]testkit.User, clients)
	kids := make([]int64, clients)
	for i := range users {
		users[i] = h.Login(fmt.Sprintf("slot-race-%d", i))
		kids[i] = h.Member(users[i], map[string]any{"name": "孩子", "relation": "child", "birth_date": h.DateAgo(1, 0, 0)})
	}
	replica := h.Replica().Engine
	codes := make([]string, clients)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range users {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			engine := h.App.Engine
			if i%2 == 1 {
				engine = replica
			}
			r := testkit.Do(t, engine, "POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": kids[i],
				"slot_starts_at": first.StartsAt, "join_waitlist": true}, testkit.Token(users[i].Token))
			codes[i] = fmt.Sprint(r.Status, r.ErrorCode())
		}(i)
	}
	close(start)
	wg.Wait()
	count := map[string]int{}
	for _, c := range codes {
		count[c]++
	}
	if count["201"] != 2 || count["409slot_full"] != clients-2 {
		t.Fatalf("outcomes %v", count)
	}
	var slot model.SessionSlot
	h.DB.Where("session_id = ?", s).Order("starts_at").First(&slot)
	var rows int64
	h.DB.Model(&model.Booking{}).Where("slot_id = ? AND status = ?", slot.ID, "pending").Count(&rows)
	if slot.Booked != 2 || rows != 2 {
		t.Fatalf("slot booked %d, rows %d", slot.Booked, rows)
	}
	assertCounters(t, h, s)
}

// TestQueue_NumbersConcurrentBulkConfirm: staff confirm 20 bookings in one
// request, then check them in at once through two replicas: queue numbers
// 1..20, each once.
func TestQueue_NumbersConcurrentBulkConfirm(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(20, 48*time.Hour)
	ids := make([]int64, 20)
	for i := range ids {
		u := h.Login(fmt.Sprintf("queue-%d", i))
		kid := h.Member(u, map[string]any{"name": "孩子", "relation": "child", "birth_date": h.DateAgo(1, 0, 0)})
		ids[i] = ctID(w.book(u, s, kid, false).Expect(201).Map())
	}
	staff := testkit.Token(w.staff.Token)
	var res struct {
		Items []struct {
			ID      int64          `json:"id"`
			Booking map[string]any `json:"booking"`
			Error   map[string]any `json:"error"`
		} `json:"items"`
		Confirmed int `json:"confirmed"`
	}
	h.Do("POST", "/api/v1/staff/bookings/confirm", map[string]any{"ids": append(ids[:1:1], notExists)}, staff).ExpectError(404, "not_found")
	// Staff of another clinic confirm nothing.
	h.Do("POST", "/api/v1/staff/bookings/confirm", map[string]any{"ids": ids[:1]}, testkit.Token(w.staffB.Token)).ExpectError(404, "not_found")
	h.Do("POST", "/api/v1/staff/bookings/confirm", map[string]any{"ids": ids[:2]}, staff).Expect(200)
	h.Do("POST", "/api/v1/staff/bookings/confirm", map[string]any{"ids": ids}, staff).Expect(200).JSON(&res)
	if res.Confirmed != 18 || len(res.Items) != 20 || res.Items[0].Error["code"] != "invalid_transition" || res.Items[2].Booking["status"] != "confirmed" {
		t.Fatalf("bulk confirm: %d confirmed, %d items, first %v", res.Confirmed, len(res.Items), res.Items[0])
	}
	h.Clock.Advance(47 * time.Hour)
	replica := h.Replica().Engine
	nos := make([]int, len(ids))
	parallel(len(ids), func(i int) {
		engine := h.App.Engine
		if i%2 == 1 {
			engine = replica
		}
		r := testkit.Do(t, engine, "POST", fmt.Sprintf("/api/v1/staff/bookings/%d/check-in", ids[i]), nil, staff)
		if r.Status != 200 {
			t.Errorf("check-in %d: %d %s", ids[i], r.Status, r.Body)
			return
		}
		nos[i] = int(r.Map()["queue_no"].(float64))
	})
	sort.Ints(nos)
	for i, n := range nos {
		if n != i+1 {
			t.Fatalf("queue numbers %v", nos)
		}
	}
}

// slotCounts checks every slot of session s against the rows: booked is
// the bookings holding a seat in it, never above its capacity, and the
// capacities add up to the session's.
func slotCounts(t *testing.T, h *testkit.Harness, s int64) []model.SessionSlot {
	t.Helper()
	var sess model.Session
	var slots []model.SessionSlot
	h.DB.First(&sess, s)
	h.DB.Where("session_id = ?", s).Order("starts_at").Find(&slots)
	total := 0
	for _, sl := range slots {
		var rows int64
		h.DB.Model(&model.Booking{}).Where("slot_id = ? AND status IN ?", sl.ID, []string{"pending", "confirmed", "checked_in"}).Count(&rows)
		if int64(sl.Booked) != rows || sl.Booked > sl.Capacity {
			t.Fatalf("slot %s: booked %d, capacity %d, rows %d", sl.StartsAt, sl.Booked, sl.Capacity, rows)
		}
		total += sl.Capacity
	}
	if total != sess.Capacity {
		t.Fatalf("slots add up to %d, session capacity %d", total, sess.Capacity)
	}
	return slots
}

// TestSlots_CapacityChangeReslices: changing a sliced session's capacity
// re-cuts its slots by the creation rule; a cut that would leave a slot
// below the seats it holds is 409 slot_below_booked naming the slot, and
// nothing changes.
func TestSlots_CapacityChangeReslices(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	sv := w.newService(map[string]any{"name": "分时段体检", "slot_minutes": 20})
	s := w.sessionOf(sv, 6, 48*time.Hour, time.Hour)
	path := fmt.Sprintf("/api/v1/staff/sessions/%d", s)
	caps := func() string {
		var out []int
		for _, sl := range slotCounts(t, h, s) {
			out = append(out, sl.Capacity)
		}
		return fmt.Sprint(out)
	}
	if got := caps(); got != "[2 2 2]" {
		t.Fatalf("slots %s", got)
	}
	h.Do("PUT", path, map[string]any{"capacity": 10}, staff).Expect(200)
	if got := caps(); got != "[4 3 3]" {
		t.Fatalf("after raising to 10: %s", got)
	}
	slots := slotsOf(h, s)
	for i := range 3 {
		u := h.Login(fmt.Sprintf("reslice-%d", i))
		kid := h.Member(u, map[string]any{"name": "孩子", "relation": "child", "birth_date": h.DateAgo(1, 0, 0)})
		h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": kid, "slot_starts_at": slots[2].StartsAt},
			testkit.Token(u.Token)).Expect(201)
	}
	// 4 would cut the slots 2/1/1: the last holds 3.
	r := h.Do("PUT", path, map[string]any{"capacity": 4}, staff).ExpectError(409, "slot_below_booked").Map()
	short := r["error"].(map[string]any)["details"].(map[string]any)["slots"].([]any)
	if len(short) != 1 || short[0].(map[string]any)["starts_at"] != slots[2].StartsAt ||
		short[0].(map[string]any)["booked"] != float64(3) || short[0].(map[string]any)["capacity"] != float64(1) {
		t.Fatalf("refusal details: %v", short)
	}
	if got := caps(); got != "[4 3 3]" {
		t.Fatalf("after the refusal: %s", got)
	}
	// Below the session's seats held: the session's own refusal.
	h.Do("PUT", path, map[string]any{"capacity": 2}, staff).ExpectError(409, "capacity_below_booked")
	// 9 cuts 3/3/3: the full slot keeps its 3.
	h.Do("PUT", path, map[string]any{"capacity": 9}, staff).Expect(200)
	if got := caps(); got != "[3 3 3]" {
		t.Fatalf("after lowering to 9: %s", got)
	}
	u := h.Login("reslice-late")
	kid := h.Member(u, map[string]any{"name": "孩子", "relation": "child", "birth_date": h.DateAgo(1, 0, 0)})
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": kid, "slot_starts_at": slots[2].StartsAt},
		testkit.Token(u.Token)).ExpectError(409, "slot_full")
	assertCounters(t, h, s)
}

// TestSlots_CapacityChangeRacesBookings: 30 families race for a slot of 2
// through two replicas while staff cut the session from 6 to 3 seats (one
// a slot). Either the cut comes first (1 family wins, the cut succeeds) or
// the bookings do (2 win, the cut is refused): never an overbooked slot.
func TestSlots_CapacityChangeRacesBookings(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	sv := w.newService(map[string]any{"name": "分时段筛查", "slot_minutes": 20})
	s := w.sessionOf(sv, 6, 72*time.Hour, time.Hour)
	first := slotsOf(h, s)[0]
	const clients = 30
	users := make([]testkit.User, clients)
	kids := make([]int64, clients)
	for i := range users {
		users[i] = h.Login(fmt.Sprintf("cap-race-%d", i))
		kids[i] = h.Member(users[i], map[string]any{"name": "孩子", "relation": "child", "birth_date": h.DateAgo(1, 0, 0)})
	}
	replica := h.Replica().Engine
	codes := make([]string, clients+1)
	parallel(clients+1, func(i int) {
		engine := h.App.Engine
		if i%2 == 1 {
			engine = replica
		}
		if i == clients {
			r := testkit.Do(t, engine, "PUT", fmt.Sprintf("/api/v1/staff/sessions/%d", s), map[string]any{"capacity": 3}, testkit.Token(w.staff.Token))
			codes[i] = fmt.Sprint(r.Status, r.ErrorCode())
			return
		}
		r := testkit.Do(t, engine, "POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": kids[i],
			"slot_starts_at": first.StartsAt}, testkit.Token(users[i].Token))
		codes[i] = fmt.Sprint(r.Status, r.ErrorCode())
	})
	count := map[string]int{}
	for _, c := range codes[:clients] {
		count[c]++
	}
	slots := slotCounts(t, h, s)
	switch codes[clients] {
	case "200":
		if count["201"] != 1 || count["409slot_full"] != clients-1 || slots[0].Capacity != 1 {
			t.Fatalf("cut first: outcomes %v, slots %+v", count, slots)
		}
	case "409slot_below_booked":
		if count["201"] != 2 || count["409slot_full"] != clients-2 || slots[0].Capacity != 2 {
			t.Fatalf("bookings first: outcomes %v, slots %+v", count, slots)
		}
	default:
		t.Fatalf("capacity change: %s", codes[clients])
	}
	assertCounters(t, h, s)
}
