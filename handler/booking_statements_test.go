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
