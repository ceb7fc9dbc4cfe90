package handler_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// moveBody is a move of a session to start at `at` for `length`.
func moveBody(at time.Time, length time.Duration, extra ...any) map[string]any {
	b := map[string]any{"starts_at": at.Format(time.RFC3339), "ends_at": at.Add(length).Format(time.RFC3339)}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i].(string)] = extra[i+1]
	}
	return b
}

// movedNotes are the session_moved notifications of u.
func movedNotes(h *testkit.Harness, u testkit.User) []map[string]any {
	h.T.Helper()
	var notes struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/notifications", nil, testkit.Token(u.Token)).Expect(200).JSON(&notes)
	var out []map[string]any
	for _, n := range notes.Items {
		if n["event"] == "session_moved" {
			out = append(out, n)
		}
	}
	return out
}

// TestSession_Move: staff move a session; every active booking (seats and
// waitlist) follows in the same transaction and each booker is told the
// new time, once a booking; an overlap the move makes is said, not undone.
func TestSession_Move(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	loc := h.Config.Location()
	s := w.session(2, 48*time.Hour)
	var sess model.Session
	h.DB.First(&sess, s)
	p2 := h.Login("move-p2")
	m2 := h.Member(p2, map[string]any{"name": "小乙", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	b1 := id(w.book(w.parent, s, w.child, false).Expect(201).Map())
	w.book(w.parent, s, w.child2, false).Expect(201)
	w.book(p2, s, m2, true).Expect(201) // waitlisted
	// 大宝 also holds a seat at another session, three days out.
	newStart := sess.StartsAt.Add(24 * time.Hour)
	other := w.session(5, newStart.Sub(h.Clock.Now())+30*time.Minute)
	w.book(w.parent, other, w.child, false).Expect(201)
	// A cancelled booking keeps the time it had.
	gone := h.Login("move-gone")
	mg := h.Member(gone, map[string]any{"name": "小丙", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	bg := id(w.book(gone, s, mg, true).Expect(201).Map())
	h.Do("POST", "/api/v1/bookings/"+bg+"/cancel", nil, testkit.Token(gone.Token)).Expect(200)

	path := fmt.Sprintf("/api/v1/staff/sessions/%d", s)
	got := h.Do("PUT", path, moveBody(newStart, 90*time.Minute, "reason", "专家改期出诊"), staff).Expect(200).Map()
	if got["starts_at"] != newStart.In(loc).Format(time.RFC3339) || got["ends_at"] != newStart.Add(90*time.Minute).In(loc).Format(time.RFC3339) ||
		got["booked"] != float64(2) || got["waitlisted"] != float64(1) || got["status"] != "full" {
		t.Fatalf("moved session: %v", got)
	}
	var rows []model.Booking
	h.DB.Where("session_id = ?", s).Order("id").Find(&rows)
	moved := 0
	for _, b := range rows {
		switch {
		case b.Status == model.BookingCancelled:
			if !b.StartsAt.Equal(sess.StartsAt) {
				t.Errorf("cancelled booking %d moved to %s", b.ID, b.StartsAt)
			}
		case b.StartsAt.Equal(newStart) && b.ArrivalAt == nil && b.EndsAt == nil:
			moved++
		default:
			t.Errorf("booking %d (%s) at %s, want %s", b.ID, b.Status, b.StartsAt, newStart)
		}
	}
	if moved != 3 {
		t.Fatalf("%d bookings moved, want 3", moved)
	}
	// One notice a booking: two for the parent (two children), one for the
	// waitlisted family, none for the cancelled one.
	var n int64
	h.DB.Model(&model.Notification{}).Where("event = ?", "session_moved").Count(&n)
	if n != 3 {
		t.Fatalf("%d session_moved notifications, want 3", n)
	}
	when := newStart.In(loc).Format("01月02日 15:04") + "–" + newStart.Add(90*time.Minute).In(loc).Format("15:04")
	mine := movedNotes(h, w.parent)
	if len(mine) != 2 || len(movedNotes(h, p2)) != 1 || len(movedNotes(h, gone)) != 0 {
		t.Fatalf("notices: parent %d, p2 %d, cancelled %d", len(mine), len(movedNotes(h, p2)), len(movedNotes(h, gone)))
	}
	overlaps := 0
	for _, note := range mine {
		body := note["body"].(string)
		if !strings.Contains(body, "新时间 "+when) || !strings.Contains(body, "原因：专家改期出诊") || note["ref_type"] != "booking" {
			t.Errorf("notice %v, want the new time %s", note, when)
		}
		if strings.Contains(body, "时间重叠") {
			overlaps++
			if note["ref_id"] != float64(mustAtoi(b1)) || !strings.Contains(body, "大宝") {
				t.Errorf("the overlap notice is not 大宝's booking: %v", note)
			}
		}
	}
	if overlaps != 1 || !strings.Contains(movedNotes(h, p2)[0]["body"].(string), "您候补的") {
		t.Fatalf("overlap notices %d; waitlisted notice %v", overlaps, movedNotes(h, p2)[0])
	}
	// Both overlapping bookings are kept.
	var held int64
	h.DB.Model(&model.Booking{}).Where("member_id = ? AND status IN ?", w.child, []string{"pending", "confirmed"}).Count(&held)
	if held != 2 {
		t.Fatalf("大宝 holds %d bookings, want both", held)
	}
	// The session's history: published, then moved (open → open, both
	// times named).
	var events []model.SessionEvent
	h.DB.Where("session_id = ?", s).Order("id").Find(&events)
	if len(events) != 2 || events[1].FromStatus != "open" || events[1].ToStatus != "open" || events[1].ByUserID != w.staff.ID ||
		!strings.Contains(events[1].Reason, "改期") || !strings.Contains(events[1].Reason, when) {
		t.Fatalf("session history: %+v", events)
	}
	assertCounters(t, h, s)

	// Moving it to where it is changes nothing and tells no one.
	h.Do("PUT", path, moveBody(newStart, 90*time.Minute), staff).Expect(200)
	if h.DB.Model(&model.Notification{}).Where("event = ?", "session_moved").Count(&n); n != 3 {
		t.Fatalf("a move to the same time notified: %d", n)
	}
}

// TestSession_MoveRefusals: bad times 422, another clinic 404, a resident
// 403, a taken start 409, a started or cancelled session 409.
func TestSession_MoveRefusals(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	s := w.session(5, 48*time.Hour)
	path := fmt.Sprintf("/api/v1/staff/sessions/%d", s)
	now := h.Clock.Now()
	for name, body := range map[string]map[string]any{
		"start in the past":   moveBody(now.Add(-time.Hour), time.Hour),
		"end before start":    {"starts_at": now.Add(72 * time.Hour).Format(time.RFC3339), "ends_at": now.Add(71 * time.Hour).Format(time.RFC3339)},
		"longer than 12 h":    moveBody(now.Add(72*time.Hour), 13*time.Hour),
		"beyond two years":    moveBody(now.AddDate(3, 0, 0), time.Hour),
		"start only":          {"starts_at": now.Add(72 * time.Hour).Format(time.RFC3339)},
		"end only":            {"ends_at": now.Add(72 * time.Hour).Format(time.RFC3339)},
		"not RFC 3339":        {"starts_at": "2026-12-01 09:00", "ends_at": now.Add(72 * time.Hour).Format(time.RFC3339)},
		"moved and cancelled": moveBody(now.Add(72*time.Hour), time.Hour, "status", "cancelled", "reason", "x"),
	} {
		t.Run(name, func(t *testing.T) {
			h.Do("PUT", path, body, staff).ExpectError(422, "invalid_request")
		})
	}
	good := moveBody(now.Add(72*time.Hour+7*time.Minute), time.Hour)
	h.Do("PUT", path, good, testkit.Token(w.staffB.Token)).ExpectError(404, "not_found")
	h.Do("PUT", path, good, testkit.Token(w.parent.Token)).ExpectError(403, "forbidden")
	var sess model.Session
	h.DB.First(&sess, s)
	if !sess.StartsAt.Equal(now.Add(48 * time.Hour).UTC().Truncate(time.Second)) {
		t.Fatalf("a refused move changed the session: %+v", sess)
	}
	// Onto the start of another session of the same service: 409.
	taken := w.session(5, 96*time.Hour)
	var t2 model.Session
	h.DB.First(&t2, taken)
	h.Do("PUT", path, moveBody(t2.StartsAt, time.Hour), staff).ExpectError(409, "session_exists")

	// Cancelled: 409.
	h.Do("PUT", fmt.Sprintf("/api/v1/staff/sessions/%d", taken), map[string]any{"status": "cancelled", "reason": "停诊"}, staff).Expect(200)
	h.Do("PUT", fmt.Sprintf("/api/v1/staff/sessions/%d", taken), moveBody(now.Add(100*time.Hour), time.Hour), staff).ExpectError(409, "session_cancelled")
	// Started: 409, and a checked-in booking counts as started.
	soon := w.session(5, time.Hour)
	b := id(w.book(w.parent, soon, w.child, false).Expect(201).Map())
	h.Do("POST", "/api/v1/staff/bookings/"+b+"/confirm", nil, staff).Expect(200)
	h.Do("POST", "/api/v1/staff/bookings/"+b+"/check-in", nil, staff).Expect(200)
	h.Do("PUT", fmt.Sprintf("/api/v1/staff/sessions/%d", soon), moveBody(now.Add(5*time.Hour), time.Hour), staff).ExpectError(409, "session_started")
	h.Clock.Advance(2 * time.Hour)
	h.Do("PUT", path, moveBody(h.Clock.Now().Add(72*time.Hour+7*time.Minute), time.Hour), staff).Expect(200)
	h.Do("PUT", fmt.Sprintf("/api/v1/staff/sessions/%d", soon), moveBody(h.Clock.Now().Add(5*time.Hour), time.Hour), staff).ExpectError(409, "session_started")
}

// TestSession_MoveCancelWindow: a booking made before a move inside the
// cancel window may be cancelled online; one made after the move may not.
func TestSession_MoveCancelWindow(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	s := w.session(5, 48*time.Hour)
	b1 := id(w.book(w.parent, s, w.child, false).Expect(201).Map())
	// Moved to an hour from now: inside the 2-hour window.
	h.Do("PUT", fmt.Sprintf("/api/v1/staff/sessions/%d", s), moveBody(h.Clock.Now().Add(time.Hour).Truncate(time.Minute), time.Hour), staff).Expect(200)
	note := movedNotes(h, w.parent)
	if len(note) != 1 || !strings.Contains(note[0]["body"].(string), "不受取消时限限制") {
		t.Fatalf("notice: %v", note)
	}
	if got := h.Do("GET", "/api/v1/bookings/"+b1, nil, testkit.Token(w.parent.Token)).Expect(200).Map(); got["moved_at"] == nil {
		t.Fatalf("the moved booking shows no moved_at: %v", got)
	}
	b2 := id(w.book(w.parent, s, w.child2, false).Expect(201).Map()) // made after the move
	h.Do("POST", "/api/v1/bookings/"+b2+"/cancel", nil, testkit.Token(w.parent.Token)).ExpectError(409, "cancel_window_closed")
	got := h.Do("POST", "/api/v1/bookings/"+b1+"/cancel", nil, testkit.Token(w.parent.Token)).Expect(200).Map()
	if got["status"] != "cancelled" {
		t.Fatalf("the moved booking: %v", got)
	}
	// A move outside the window leaves the window as it is.
	s2 := w.session(5, 48*time.Hour)
	b3 := id(w.book(w.parent, s2, w.child, false).Expect(201).Map())
	h.Do("PUT", fmt.Sprintf("/api/v1/staff/sessions/%d", s2), moveBody(h.Clock.Now().Add(24*time.Hour).Truncate(time.Minute), time.Hour), staff).Expect(200)
	h.Clock.Advance(23 * time.Hour)
	h.Do("POST", "/api/v1/bookings/"+b3+"/cancel", nil, testkit.Token(w.parent.Token)).ExpectError(409, "cancel_window_closed")
}

// TestSession_MoveSliced: a sliced session keeps its slots, shifted, and
// each booking its slot; a new length is refused while bookings hold
// slots, and re-cuts the slots of a session nobody booked.
func TestSession_MoveSliced(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	staff := testkit.Token(w.staff.Token)
	sv := w.newService(map[string]any{"name": "分时段推拿", "slot_minutes": 20})
	s := w.sessionOf(sv, 6, 48*time.Hour, time.Hour)
	before := slotsOf(h, s)
	book := func(u testkit.User, member int64, slot string) map[string]any {
		return h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": member, "slot_starts_at": slot},
			testkit.Token(u.Token)).Expect(201).Map()
	}
	b1 := book(w.parent, w.child, before[1].StartsAt)
	other := h.Login("sliced-other")
	kid := h.Member(other, map[string]any{"name": "小明", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	b2 := book(other, kid, before[2].StartsAt)
	var sess model.Session
	h.DB.First(&sess, s)
	path := fmt.Sprintf("/api/v1/staff/sessions/%d", s)
	// Twenty minutes later: every slot takes the next one's old start on
	// the way, which the shift must not trip over.
	delta := 20 * time.Minute
	h.Do("PUT", path, moveBody(sess.StartsAt.Add(delta), time.Hour), staff).Expect(200)
	after := slotsOf(h, s)
	if len(after) != 3 {
		t.Fatalf("slots after the move: %+v", after)
	}
	for i := range after {
		was, _ := time.Parse(time.RFC3339, before[i].StartsAt)
		now, _ := time.Parse(time.RFC3339, after[i].StartsAt)
		if !now.Equal(was.Add(delta)) || after[i].Capacity != before[i].Capacity {
			t.Errorf("slot %d: %+v, was %+v", i, after[i], before[i])
		}
	}
	if after[0].Booked != 0 || after[1].Booked != 1 || after[2].Booked != 1 {
		t.Fatalf("slot counts after the move: %+v", after)
	}
	for _, c := range []struct {
		b    map[string]any
		u    testkit.User
		slot int
	}{{b1, w.parent, 1}, {b2, other, 2}} {
		got := h.Do("GET", "/api/v1/bookings/"+id(c.b), nil, testkit.Token(c.u.Token)).Expect(200).Map()
		if got["arrival_at"] != after[c.slot].StartsAt {
			t.Errorf("booking %s arrives %v, want slot %d at %s", id(c.b), got["arrival_at"], c.slot, after[c.slot].StartsAt)
		}
		var row model.Booking
		h.DB.First(&row, mustAtoi(id(c.b)))
		slotStart, _ := time.Parse(time.RFC3339, after[c.slot].StartsAt)
		if row.ArrivalAt == nil || !row.ArrivalAt.Equal(slotStart) || row.EndsAt == nil || !row.EndsAt.Equal(slotStart.Add(20*time.Minute)) ||
			!row.StartsAt.Equal(sess.StartsAt.Add(delta)) {
			t.Errorf("booking row %d: %v %v %v", row.ID, row.StartsAt, row.ArrivalAt, row.EndsAt)
		}
	}
	if n := len(movedNotes(h, w.parent)) + len(movedNotes(h, other)); n != 2 {
		t.Fatalf("%d notices, want 2", n)
	}
	// Booked from the new slot times afterwards.
	third := h.Login("sliced-third")
	kid3 := h.Member(third, map[string]any{"name": "小红", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": kid3, "slot_starts_at": before[0].StartsAt},
		testkit.Token(third.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": kid3, "slot_starts_at": after[0].StartsAt},
		testkit.Token(third.Token)).Expect(201)

	// Another length with bookings: 409, nothing changed.
	res := h.Do("PUT", path, moveBody(sess.StartsAt.Add(24*time.Hour), 90*time.Minute), staff).ExpectError(409, "slot_resize_booked").Map()
	if msg := res["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "时长") {
		t.Fatalf("message %q", msg)
	}
	if got := slotsOf(h, s); len(got) != 3 || got[0].StartsAt != after[0].StartsAt || got[0].Booked != 1 || got[2].StartsAt != after[2].StartsAt {
		t.Fatalf("slots after the refused move: %+v", got)
	}
	// A sliced session nobody booked is re-cut for its new length.
	empty := w.sessionOf(sv, 5, 72*time.Hour, time.Hour)
	var e model.Session
	h.DB.First(&e, empty)
	h.Do("PUT", fmt.Sprintf("/api/v1/staff/sessions/%d", empty), moveBody(e.StartsAt.Add(2*time.Hour), 90*time.Minute), staff).Expect(200)
	cut := slotsOf(h, empty)
	if len(cut) != 5 || cut[0].StartsAt != e.StartsAt.Add(2*time.Hour).In(h.Config.Location()).Format(time.RFC3339) ||
		cut[0].Capacity != 1 || cut[4].Capacity != 1 {
		t.Fatalf("re-cut slots: %+v", cut)
	}
	assertCounters(t, h, s)
}

// TestSession_MoveRacesBookings: in four rounds, families book a session
// through two replicas while staff move it; whatever the order, every
// booking holds the session's final time, the counters match the rows, and
// a booking is told of each move made after it, once: a booking of round k
// of the moves after round k, and of round k's move when it lost the race.
func TestSession_MoveRacesBookings(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(60, 48*time.Hour)
	var sess model.Session
	h.DB.First(&sess, s)
	const rounds, perRound = 4, 12
	users := make([]testkit.User, rounds*perRound)
	kids := make([]int64, len(users))
	for i := range users {
		users[i] = h.Login(fmt.Sprintf("move-race-%d", i))
		kids[i] = h.Member(users[i], map[string]any{"name": "孩子", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	}
	replica := h.Replica().Engine
	round := map[int64]int{} // booking id → round
	var final time.Time
	for r := 0; r < rounds; r++ {
		final = sess.StartsAt.Add(time.Duration(26+r)*time.Hour + 13*time.Minute)
		var wg sync.WaitGroup
		start := make(chan struct{})
		moveStatus := 0
		ids := make([]int64, perRound)
		codes := make([]int, perRound)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			moveStatus = testkit.Do(t, replica, "PUT", fmt.Sprintf("/api/v1/staff/sessions/%d", s), moveBody(final, time.Hour),
				testkit.Token(w.staff.Token)).Status
		}()
		for j := 0; j < perRound; j++ {
			wg.Add(1)
			go func(j int) {
				defer wg.Done()
				<-start
				engine := h.App.Engine
				if j%2 == 1 {
					engine = replica
				}
				i := r*perRound + j
				res := testkit.Do(t, engine, "POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": kids[i]},
					testkit.Token(users[i].Token))
				codes[j] = res.Status
				if res.Status == 201 {
					var b struct {
						ID int64 `json:"id"`
					}
					_ = jsonUnmarshal(res.Body, &b)
					ids[j] = b.ID
				}
			}(j)
		}
		close(start)
		wg.Wait()
		if moveStatus != 200 {
			t.Fatalf("round %d: move %d", r, moveStatus)
		}
		for j, c := range codes {
			if c != 201 {
				t.Fatalf("round %d booking %d: %d", r, j, c)
			}
			round[ids[j]] = r
		}
	}
	var rows []model.Booking
	h.DB.Where("session_id = ?", s).Find(&rows)
	if len(rows) != rounds*perRound {
		t.Fatalf("%d bookings, want %d", len(rows), rounds*perRound)
	}
	for _, b := range rows {
		if !b.StartsAt.Equal(final) {
			t.Errorf("booking %d at %s, the session at %s", b.ID, b.StartsAt, final)
		}
	}
	var notes []model.Notification
	h.DB.Where("event = ?", "session_moved").Find(&notes)
	told := map[int64]int{}
	for _, n := range notes {
		if n.RefType != "booking" {
			t.Fatalf("notice %+v", n)
		}
		told[n.RefID]++
	}
	beforeMove := 0
	for _, b := range rows {
		r, ok := round[b.ID]
		later := rounds - 1 - r
		if !ok || told[b.ID] < later || told[b.ID] > later+1 {
			t.Errorf("booking %d of round %d told %d times, want %d or %d", b.ID, r, told[b.ID], later, later+1)
		}
		if told[b.ID] == later+1 {
			beforeMove++
		}
	}
	t.Logf("%d of %d bookings came before their round's move", beforeMove, len(rows))
	assertCounters(t, h, s)
}

// TestSession_MoveTellsWhoNoLongerFits: a move past the end of a service's
// age window keeps the booking and tells the family, like an overlap; a
// member the rules still admit gets no such sentence.
func TestSession_MoveTellsWhoNoLongerFits(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	sv := w.newService(map[string]any{"name": "婴儿抚触", "eligibility": map[string]any{"min_age_months": 0, "max_age_months": 11}})
	baby := h.Member(w.parent, map[string]any{"name": "小满", "relation": "child", "birth_date": h.DateAgo(0, 11, 20)})
	other := h.Login("other-parent")
	young := h.Member(other, map[string]any{"name": "小雪", "relation": "child", "birth_date": h.DateAgo(0, 2, 0)})
	s := w.sessionOf(sv, 5, 48*time.Hour, time.Hour)
	b := id(w.book(w.parent, s, baby, false).Expect(201).Map())
	w.book(other, s, young, false).Expect(201)
	var sess model.Session
	if err := h.DB.First(&sess, s).Error; err != nil {
		t.Fatal(err)
	}
	h.Do("PUT", fmt.Sprintf("/api/v1/staff/sessions/%d", s), moveBody(sess.StartsAt.AddDate(0, 0, 30), time.Hour), testkit.Token(w.staff.Token)).Expect(200)
	note := movedNotes(h, w.parent)
	if len(note) != 1 || !strings.Contains(note[0]["body"].(string), "注意：按新日期，该成员不再符合本服务的要求（该服务仅限 0–11 月龄儿童），预约仍保留") {
		t.Fatalf("notice to the baby's parent: %v", note)
	}
	if got := h.Do("GET", "/api/v1/bookings/"+b, nil, testkit.Token(w.parent.Token)).Expect(200).Map(); got["status"] != "pending" && got["status"] != "confirmed" {
		t.Fatalf("the booking: %v", got)
	}
	if note := movedNotes(h, other); len(note) != 1 || strings.Contains(note[0]["body"].(string), "不再符合") {
		t.Fatalf("notice to the other parent: %v", note)
	}
}
