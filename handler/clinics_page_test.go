package handler_test

import (
	"testing"

	"familycare/testkit"
)

// TestClinics_Paged: without limit and cursor the answer holds every clinic
// (clients from before paging); with limit, pages in the same order follow
// next_cursor to the same list.
func TestClinics_Paged(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	type list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	var all list
	h.Do("GET", "/api/v1/clinics", nil).Expect(200).JSON(&all)
	if len(all.Items) < 3 || all.NextCursor != "" {
		t.Fatalf("the whole list: %d clinics, next %q", len(all.Items), all.NextCursor)
	}
	var got []int64
	cursor, pages := "", 0
	for {
		var p list
		h.Do("GET", "/api/v1/clinics?limit=2&cursor="+cursor, nil).Expect(200).JSON(&p)
		pages++
		if len(p.Items) > 2 || len(p.Items) == 0 {
			t.Fatalf("page %d has %d items", pages, len(p.Items))
		}
		for _, c := range p.Items {
			got = append(got, c.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
		if pages > 50 {
			t.Fatal("paging does not end")
		}
	}
	if len(got) != len(all.Items) {
		t.Fatalf("pages hold %d clinics, the list %d", len(got), len(all.Items))
	}
	for i, c := range all.Items {
		if got[i] != c.ID {
			t.Fatalf("order differs at %d: %v vs the list", i, got)
		}
	}
	if want := (len(all.Items) + 1) / 2; pages != want {
		t.Errorf("%d pages, want %d", pages, want)
	}
	// Filters page too; bad input is 422.
	var branches list
	h.Do("GET", "/api/v1/clinics?kind=branch&limit=100", nil).Expect(200).JSON(&branches)
	if branches.NextCursor != "" {
		t.Errorf("one page of branches has a next cursor")
	}
	h.Do("GET", "/api/v1/clinics?limit=0", nil).ExpectError(422, "invalid_request")
	h.Do("GET", "/api/v1/clinics?limit=101", nil).ExpectError(422, "invalid_request")
	h.Do("GET", "/api/v1/clinics?cursor=not-a-cursor", nil).ExpectError(422, "invalid_request")
}
