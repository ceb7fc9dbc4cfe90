package handler_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"

	"gorm.io/gorm"
)

// recordStatements records every statement the app sends through gorm
// (BEGIN and COMMIT are not gorm statements), each as "VERB table".
func recordStatements(t *testing.T, db *gorm.DB) func() []string {
	var (
		mu  sync.Mutex
		out []string
	)
	record := func(tx *gorm.DB) {
		if tx.Statement == nil || tx.Statement.SQL.Len() == 0 {
			return
		}
		f := strings.Fields(tx.Statement.SQL.String())
		verb, table := strings.ToUpper(f[0]), tx.Statement.Table
		mu.Lock()
		out = append(out, verb+" "+table)
		mu.Unlock()
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("test:stmts", record),
		cb.Row().After("gorm:row").Register("test:stmts", record),
		cb.Raw().After("gorm:raw").Register("test:stmts", record),
		cb.Create().After("gorm:create").Register("test:stmts", record),
		cb.Update().After("gorm:update").Register("test:stmts", record),
		cb.Delete().After("gorm:delete").Register("test:stmts", record),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		taken := out
		out = nil
		return taken
	}
}

// A plain booking is five statements between BEGIN and COMMIT, the seat
// taken last; with an Idempotency-Key, six (the record with its answer, in
// the same transaction), and a replay answers the same bytes.
func TestBooking_StatementsOfAPlainBooking(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(5, 48*time.Hour)
	s2 := w.session(5, 72*time.Hour)
	// Warm the catalog cache (a 30 s cache read outside the transaction).
	h.Do("GET", fmt.Sprintf("/api/v1/sessions/%d", s), nil).Expect(200)
	take := recordStatements(t, h.DB)

	b := w.book(w.parent, s, w.child, false).Expect(201).Map()
	want := []string{"SELECT persons", "SELECT sessions", "INSERT bookings", "INSERT booking_events", "UPDATE sessions"}
	if got := take(); strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("statements of a booking:\n got %v\nwant %v", got, want)
	}
	if sess := b["session"].(map[string]any); sess["booked"] != float64(1) || sess["available"] != float64(4) {
		t.Fatalf("the answer's session: %v", sess)
	}

	body := map[string]any{"session_id": s2, "member_id": w.child}
	first := h.Do("POST", "/api/v1/bookings", body, testkit.Token(w.parent.Token), testkit.Header("Idempotency-Key", "stmts-1")).Expect(201)
	want = []string{"SELECT persons", "SELECT sessions", "INSERT bookings", "INSERT booking_events", "INSERT idempotency_records", "UPDATE sessions"}
	if got := take(); strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("statements of a booking with an Idempotency-Key:\n got %v\nwant %v", got, want)
	}
	again := h.Do("POST", "/api/v1/bookings", body, testkit.Token(w.parent.Token), testkit.Header("Idempotency-Key", "stmts-1")).Expect(201)
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
		t.Fatalf("replay: %v\n%s\nfirst:\n%s", again.Header, again.Body, first.Body)
	}
	var recs []model.IdempotencyRecord
	h.DB.Find(&recs)
	if len(recs) != 1 || recs[0].State != "done" || recs[0].StatusCode != 201 {
		t.Fatalf("idempotency records: %+v", recs)
	}
	var n int64
	h.DB.Model(&model.Booking{}).Where("session_id = ?", s2).Count(&n)
	if n != 1 {
		t.Fatalf("%d bookings of the second session, want 1", n)
	}
}

// A request refused before the booking (bad input) with a key still
// stores its answer, and the same key with another body is refused as
// reused, as with every other create route.
func TestBooking_KeyOfARefusedRequest(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(1, 48*time.Hour)
	key := testkit.Header("Idempotency-Key", "refused-1")
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s}, testkit.Token(w.parent.Token), key).ExpectError(422, "invalid_request")
	r := h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s}, testkit.Token(w.parent.Token), key)
	if r.Status != 422 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay of a refused request: %d %v", r.Status, r.Header)
	}
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": w.child}, testkit.Token(w.parent.Token), key).
		ExpectError(422, "idempotency_key_reused")
	// A full session with a key: the full path answers 409 and stores it.
	other := h.Login("other")
	m := h.Member(other, map[string]any{"name": "x", "relation": "child"})
	w.book(other, s, m, false).Expect(201)
	full := testkit.Header("Idempotency-Key", "full-1")
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": w.child}, testkit.Token(w.parent.Token), full).ExpectError(409, "session_full")
	r = h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": w.child}, testkit.Token(w.parent.Token), full)
	if r.Status != 409 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay of session_full: %d %v", r.Status, r.Header)
	}
}

// The short path's reads send a booking to the full path when they cannot
// rule a refusal out, and the full path decides: a running suspension of
// another family's person with the same name and birth date does not
// refuse the booking; one of the member's own does. Overlap is found at
// the bound of the range read (a 12-hour session that began 11 h 30 min
// before), and not one minute past it.
func TestBooking_ShortPathSendsDoubtToTheFullPath(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	var child model.Person
	if err := h.DB.First(&child, w.child).Error; err != nil {
		t.Fatal(err)
	}
	stranger := h.Login("same-name-stranger")
	twin := h.Member(stranger, map[string]any{"name": child.Name, "relation": "child", "birth_date": child.BirthDate})
	suspend := func(member int64) {
		t.Helper()
		if err := h.DB.Create(&model.BookingSuspension{MemberID: member, EndsAt: h.Clock.Now().Add(24 * time.Hour)}).Error; err != nil {
			t.Fatal(err)
		}
	}
	suspend(twin)
	w.book(w.parent, w.session(5, 48*time.Hour+7*time.Minute), w.child, false).Expect(201)
	w.book(stranger, w.session(5, 49*time.Hour+7*time.Minute), twin, false).ExpectError(409, "booking_suspended")
	suspend(w.child)
	w.book(w.parent, w.session(5, 50*time.Hour+7*time.Minute), w.child, false).ExpectError(409, "booking_suspended")

	base := h.Clock.Now().Add(80*time.Hour + 17*time.Minute)
	at := func(from, length time.Duration) int64 {
		t.Helper()
		start := base.Add(from)
		var out struct {
			ID int64 `json:"id"`
		}
		h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": serviceA, "starts_at": start.Format(time.RFC3339),
			"ends_at": start.Add(length).Format(time.RFC3339), "capacity": 5}, testkit.Token(w.staff.Token)).Expect(201).JSON(&out)
		return out.ID
	}
	w.book(w.parent, at(0, 12*time.Hour), w.child2, false).Expect(201)
	w.book(w.parent, at(11*time.Hour+30*time.Minute, time.Hour), w.child2, false).ExpectError(409, "time_conflict")
	w.book(w.parent, at(12*time.Hour, time.Hour), w.child2, false).Expect(201)
	w.book(w.parent, at(-time.Hour, time.Hour), w.child2, false).Expect(201)
}
