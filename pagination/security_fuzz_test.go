package pagination_test

import (
	"testing"
	"time"

	"familycare/pagination"
)

// fuzzCursor has the shapes of the services' cursors: a time, an id and a
// small number.
type fuzzCursor struct {
	H  int       `json:"h,omitempty"`
	T  time.Time `json:"t"`
	ID int64     `json:"id"`
}

// FuzzCursorDecode: Decode never panics whatever the cursor; what it
// accepts has times a database takes and survives a round trip; what
// Encode makes decodes back to the same position.
func FuzzCursorDecode(f *testing.F) {
	f.Add("", int64(0), int64(0))
	f.Add(pagination.Encode(fuzzCursor{T: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC), ID: 42}), int64(42), int64(1795399200))
	f.Add("eyJ0IjoiMDAwMC0wMS0wMVQwMDowMDowMFoiLCJpZCI6LTF9", int64(-1), int64(-62167219200))
	f.Add("!!!not base64", int64(9223372036854775807), int64(253402300799))
	f.Fuzz(func(t *testing.T, cursor string, id, sec int64) {
		var c fuzzCursor
		err := pagination.Decode(cursor, &c)
		var ids struct {
			ID int64 `json:"id"`
		}
		_ = pagination.Decode(cursor, &ids)
		var m map[string]any
		_ = pagination.Decode(cursor, &m)
		if len(cursor) > 512 && err == nil {
			t.Fatalf("a %d-character cursor was accepted", len(cursor))
		}
		if err == nil && cursor != "" {
			if y := c.T.UTC().Year(); y < 1 || y > 9999 {
				t.Fatalf("accepted a cursor with year %d: %q", y, cursor)
			}
			var again fuzzCursor
			if err := pagination.Decode(pagination.Encode(c), &again); err != nil || !again.T.Equal(c.T) || again.ID != c.ID || again.H != c.H {
				t.Fatalf("%+v does not survive a round trip: %+v, %v", c, again, err)
			}
		}

		want := fuzzCursor{T: time.Unix(sec, 0).UTC(), ID: id, H: int(id % 7)}
		enc := pagination.Encode(want)
		if enc == "" {
			if y := want.T.Year(); y >= 0 && y <= 9999 {
				t.Fatalf("Encode failed on %+v", want)
			}
			return
		}
		var got fuzzCursor
		if err := pagination.Decode(enc, &got); err != nil {
			if y := want.T.Year(); y >= 1 && y <= 9999 {
				t.Fatalf("Decode(Encode(%+v)): %v", want, err)
			}
			return
		}
		if !got.T.Equal(want.T) || got.ID != want.ID || got.H != want.H {
			t.Fatalf("Decode(Encode(%+v)) = %+v", want, got)
		}
	})
}
