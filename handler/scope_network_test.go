package handler_test

import (
	"context"
	"slices"
	"testing"

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
