package handler_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"familycare/model"
	"familycare/service"
	"familycare/testkit"
)

// TestScope_StaffClinicsFollowTheNetwork: the one staff scope rule on the
// seeded network: a branch sees itself and its stations, a station and the
// main hospital only themselves, an admin everything.
func TestScope_StaffClinicsFollowTheNetwork(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	var clinics []model.Clinic
	if err := h.DB.Order("id").Find(&clinics).Error; err != nil || len(clinics) < 5 {
		t.Fatal(err)
	}
	for _, c := range clinics {
		want := []int64{c.ID}
		if c.Kind == model.ClinicBranch {
			for _, s := range clinics {
				if s.Kind == model.ClinicStation && s.ParentID != nil && *s.ParentID == c.ID {
					want = append(want, s.ID)
				}
			}
		}
		p, err := service.ActFor(context.Background(), h.DB, service.Principal{UserID: 1, Role: model.RoleStaff, ClinicID: c.ID}, true)
		if err != nil {
			t.Fatal(err)
		}
		if p.Scope != service.ScopeClinic || !slices.Equal(p.Clinics, want) {
			t.Errorf("staff of %s (%s): scope %v clinics %v, want %v", c.Name, c.Kind, p.Scope, p.Clinics, want)
		}
		for _, o := range clinics {
			if p.Sees(o.ID) != slices.Contains(want, o.ID) {
				t.Errorf("staff of %d Sees(%d) = %v", c.ID, o.ID, p.Sees(o.ID))
			}
		}
	}
	admin, err := service.ActFor(context.Background(), h.DB, service.Principal{UserID: 1, Role: model.RoleAdmin}, true)
	if err != nil || admin.Scope != service.ScopeNetwork || !admin.Sees(clinics[len(clinics)-1].ID) {
		t.Fatalf("admin: %+v %v", admin, err)
	}
	res, err := service.ActFor(context.Background(), h.DB, service.Principal{UserID: 1, Role: model.RoleStaff, ClinicID: 2}, false)
	if err != nil || res.Scope != service.ScopeSelf || res.Sees(2) {
		t.Fatalf("a resident route acts for the caller only: %+v %v", res, err)
	}
}

// TestScope_StationFamiliesOverHTTP: the rule through the staff routes. A
// family booked at station 5 (under branch 3) is seen by the station's
// staff and the branch's — its booking, its person found by name and its
// records — and by nobody of branch 2; the station's staff see nothing of
// the branch's own bookings.
func TestScope_StationFamiliesOverHTTP(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	admin := testkit.Token(h.Admin("scope-admin").Token)
	const station = 5
	sv := ctID(h.Do("POST", "/api/v1/staff/services", map[string]any{"clinic_id": station, "kind": "parent_child_play", "name": "亲子活动",
		"duration_minutes": 60}, admin).Expect(201).Map())
	start := h.Clock.Now().Add(48 * time.Hour).Truncate(time.Hour)
	sess := ctID(h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": sv, "starts_at": start.Format(time.RFC3339),
		"ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": 5}, admin).Expect(201).Map())
	atStation := id(w.book(w.parent, sess, w.child, false).Expect(201).Map())
	atBranch := id(w.book(w.parent, w.session(5, 72*time.Hour), w.child2, false).Expect(201).Map())
	stationStaff := h.Staff("scope-station", station)
	seesBooking := func(u testkit.User, b string) bool {
		return h.Do("GET", "/api/v1/staff/bookings/"+b, nil, testkit.Token(u.Token)).Status == 200
	}
	findsChild := func(u testkit.User) bool {
		var out struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		h.Do("GET", "/api/v1/staff/persons?name=大宝&birth_date="+h.DateAgo(3, 0, 0), nil, testkit.Token(u.Token)).Expect(200).JSON(&out)
		return len(out.Items) == 1 && out.Items[0].ID == w.child
	}
	records := func(u testkit.User) int {
		return h.Do("GET", fmt.Sprintf("/api/v1/staff/persons/%d/vaccinations", w.child), nil, testkit.Token(u.Token)).Status
	}
	for _, tc := range []struct {
		who                 string
		u                   testkit.User
		station, branch, fd bool
		records             int
	}{
		{"station 5", stationStaff, true, false, true, 200},
		{"branch 3", w.staff, true, true, true, 200},
		{"branch 2", w.staffB, false, false, false, 404},
	} {
		if got := seesBooking(tc.u, atStation); got != tc.station {
			t.Errorf("%s sees the station's booking: %v", tc.who, got)
		}
		if got := seesBooking(tc.u, atBranch); got != tc.branch {
			t.Errorf("%s sees the branch's booking: %v", tc.who, got)
		}
		if got := findsChild(tc.u); got != tc.fd {
			t.Errorf("%s finds the child: %v", tc.who, got)
		}
		if got := records(tc.u); got != tc.records {
			t.Errorf("%s reads the child's records: %d", tc.who, got)
		}
	}
}

// TestScope_StationSeesTheFamiliesOfItsVillages: a family the clinic has
// never met (no booking, no contract) whose household lives in a village of
// station 5's catchment is found by the station's staff and by its branch's,
// and by nobody of branch 2; moving the household out of the catchment takes
// it out of their reach again.
func TestScope_StationSeesTheFamiliesOfItsVillages(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	admin := testkit.Token(h.Admin("village-admin").Token)
	const station = 5
	h.Do("PUT", fmt.Sprintf("/api/v1/admin/clinics/%d", station), map[string]any{"catchment": []string{"柳树村"}}, admin).Expect(200)
	parent := h.Login("village-parent")
	hh := firstHouseholdOrNew(t, h, parent)
	child := ctID(h.Do("POST", fmt.Sprintf("/api/v1/households/%d/persons", hh), map[string]any{"name": "柳柳", "relation": "child",
		"gender": "female", "birth_date": h.DateAgo(1, 0, 0)}, testkit.Token(parent.Token)).Expect(201).Map())
	finds := func(u testkit.User) bool {
		var out struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		h.Do("GET", "/api/v1/staff/persons?name=柳柳&birth_date="+h.DateAgo(1, 0, 0), nil, testkit.Token(u.Token)).Expect(200).JSON(&out)
		return len(out.Items) == 1 && out.Items[0].ID == child
	}
	stationStaff := h.Staff("village-station", station)
	check := func(when string, station, branch3, branch2 bool) {
		t.Helper()
		for _, tc := range []struct {
			who  string
			u    testkit.User
			want bool
		}{{"station 5", stationStaff, station}, {"branch 3", w.staff, branch3}, {"branch 2", w.staffB, branch2}} {
			if got := finds(tc.u); got != tc.want {
				t.Errorf("%s: %s finds the child: %v, want %v", when, tc.who, got, tc.want)
			}
		}
	}
	check("no village", false, false, false)
	h.Do("PUT", fmt.Sprintf("/api/v1/households/%d/village", hh), map[string]any{"village": "柳树村"}, testkit.Token(parent.Token)).Expect(200)
	check("in the station's village", true, true, false)
	h.Do("PUT", fmt.Sprintf("/api/v1/households/%d/village", hh), map[string]any{"village": ""}, testkit.Token(parent.Token)).Expect(200)
	check("moved out", false, false, false)
}

// TestScope_BranchListsMergeClinicsInOrder: a branch's staff lists read each
// of the branch's clinics in the list's order and merge them (service
// mergePage). Paged three at a time, the bookings of branch 3 and station 5
// (sessions interleaved in time, two at the same hour: the id decides), the
// articles and the referrals (newest first; one between the branch and its
// station, or within one clinic, is met on both sides) come each once, in
// order, and are exactly the rows of the two clinics.
func TestScope_BranchListsMergeClinicsInOrder(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	admin := testkit.Token(h.Admin("merge-admin").Token)
	branch := testkit.Token(w.staff.Token)
	const station = 5
	atStation := testkit.Token(h.Staff("merge-station", station).Token)
	sv := ctID(h.Do("POST", "/api/v1/staff/services", map[string]any{"clinic_id": station, "kind": "parent_child_play", "name": "亲子活动",
		"duration_minutes": 60}, admin).Expect(201).Map())
	base := h.Clock.Now().Add(48 * time.Hour).Truncate(time.Hour).Add(7 * time.Minute) // off the seeded hours
	sessionAt := func(service int64, hours int) int64 {
		start := base.Add(time.Duration(hours) * time.Hour)
		return ctID(h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": service, "starts_at": start.Format(time.RFC3339),
			"ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": 5}, admin).Expect(201).Map())
	}
	// The branch at 0, 2, 4 and 6 h, the station at 1, 4, 5 and 9 h; at 4 h
	// one child in each (a member holds one seat at a time).
	for i, hours := range []int{0, 1, 2, 4, 4, 5, 6, 9} {
		service := int64(serviceA)
		if slices.Contains([]int{1, 4, 5, 7}, i) {
			service = sv
		}
		s := sessionAt(service, hours)
		if hours != 4 || service == serviceA {
			w.book(w.parent, s, w.child, false).Expect(201)
		}
		if hours != 4 || service == sv {
			w.book(w.parent, s, w.child2, false).Expect(201)
		}
	}
	for i := range 3 {
		guidanceDraft(t, h, w.staff, map[string]any{"title": fmt.Sprintf("分院文章%d", i)})
		h.Do("POST", "/api/v1/staff/articles", map[string]any{"title": fmt.Sprintf("卫生站文章%d", i), "body": "<p>正文</p>",
			"category": "nutrition", "stages": []string{"pregnancy"}}, atStation).Expect(201)
	}
	refer := func(by testkit.Req, person, service int64) {
		h.Do("POST", "/api/v1/staff/referrals", map[string]any{"person_id": person, "service_id": service,
			"reason": "建议进一步评估", "urgency": "routine"}, by).Expect(201)
	}
	refer(branch, w.child, sv)           // 3 → 5
	refer(atStation, w.child2, serviceA) // 5 → 3
	refer(branch, w.child2, serviceA)    // 3 → 3
	refer(atStation, w.child, sv)        // 5 → 5
	refer(branch, w.child, serviceA)     // 3 → 3

	clinics := []int64{clinicA, station}
	var bookings, articles, referrals []int64
	h.DB.Model(&model.Booking{}).Where("clinic_id IN ?", clinics).Order("starts_at, id").Pluck("id", &bookings)
	h.DB.Model(&model.Article{}).Where("clinic_id IN ?", clinics).Order("id DESC").Pluck("id", &articles)
	h.DB.Model(&model.Referral{}).Where("from_clinic_id IN ? OR to_clinic_id IN ?", clinics, clinics).Order("id DESC").Pluck("id", &referrals)
	if len(bookings) != 14 || len(referrals) != 5 || len(articles) < 6 {
		t.Fatalf("made %d bookings, %d referrals, %d articles; want 14, 5, at least 6", len(bookings), len(referrals), len(articles))
	}
	var clinicOf []int64
	h.DB.Model(&model.Booking{}).Where("clinic_id IN ?", clinics).Order("starts_at, id").Pluck("clinic_id", &clinicOf)
	if changes := countChanges(clinicOf); changes < 5 {
		t.Fatalf("the bookings' clinics in order %v change %d times: not interleaved", clinicOf, changes)
	}
	for _, tc := range []struct {
		path string
		want []int64
	}{
		{"/api/v1/staff/bookings", bookings},
		{"/api/v1/staff/articles", articles},
		{"/api/v1/staff/referrals", referrals},
	} {
		var got []int64
		path := tc.path + "?limit=3"
		for pages := 0; path != ""; pages++ {
			if pages > len(tc.want) {
				t.Fatalf("%s: more pages than rows", tc.path)
			}
			var page struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
				Next string `json:"next_cursor"`
			}
			h.Do("GET", path, nil, branch).Expect(200).JSON(&page)
			for _, it := range page.Items {
				got = append(got, it.ID)
			}
			path = ""
			if page.Next != "" {
				path = tc.path + "?limit=3&cursor=" + url.QueryEscape(page.Next)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s pages %v, want %v", tc.path, got, tc.want)
		}
	}
}

// countChanges is how many times a sequence changes value.
func countChanges(xs []int64) int {
	n := 0
	for i := 1; i < len(xs); i++ {
		if xs[i] != xs[i-1] {
			n++
		}
	}
	return n
}
