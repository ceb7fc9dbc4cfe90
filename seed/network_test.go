package seed_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"familycare/model"
	"familycare/seed"
	"familycare/testkit"
)

func TestNetwork_ShapeAndSessionsAhead(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ctx, loc := context.Background(), h.Config.Location()
	if err := seed.Network(ctx, h.DB, h.Clock.Now(), loc); err != nil {
		t.Fatal(err)
	}
	var clinics []model.Clinic
	if err := h.DB.Find(&clinics).Error; err != nil {
		t.Fatal(err)
	}
	kinds, offers := map[string]int{}, map[string]int{}
	noonWeekend := 0
	for _, c := range clinics {
		kinds[c.Kind]++
		for _, o := range c.Offers {
			offers[o]++
		}
		if slices.ContainsFunc(c.Hours, func(o model.OpenHours) bool {
			return o.Offer == model.OfferVaccination && o.Start <= "12:00" && o.End >= "13:00" && slices.Contains(o.Weekdays, 6)
		}) {
			noonWeekend++
		}
	}
	if kinds[model.ClinicMainHospital] != 1 || kinds[model.ClinicBranch] != 10 || kinds[model.ClinicStation] != 13 ||
		offers[model.OfferChildHealthCentre] != 7 || offers[model.OfferCareGuidanceCentre] != 8 || noonWeekend < 3 {
		t.Fatalf("kinds %v offers %v noon+weekend %d", kinds, offers, noonWeekend)
	}
	var studios []model.ExpertSitting
	h.DB.Where("studio_name <> ''").Find(&studios)
	if len(studios) != 3 || slices.ContainsFunc(studios, func(s model.ExpertSitting) bool { return s.Weekdays != "2" }) {
		t.Fatalf("studios: %+v", studios)
	}
	var past int64
	h.DB.Model(&model.Session{}).Where("starts_at <= ?", h.Clock.Now()).Count(&past)
	if past != 0 {
		t.Fatalf("%d seeded sessions in the past", past)
	}
	// Topping up again creates nothing; a month later it fills the weeks ahead.
	if n, err := seed.TopUp(ctx, h.DB, h.Clock.Now(), loc); err != nil || n != 0 {
		t.Fatalf("second top-up: %d %v", n, err)
	}
	h.Clock.Advance(30 * 24 * time.Hour)
	n, err := seed.TopUp(ctx, h.DB, h.Clock.Now(), loc)
	if err != nil || n < 50 {
		t.Fatalf("top-up a month later: %d %v", n, err)
	}
	var ahead int64
	h.DB.Model(&model.Session{}).Where("starts_at > ? AND kind = ?", h.Clock.Now(), model.ServiceExpertClinic).Count(&ahead)
	if ahead < 6 { // three studios, every Tuesday of three weeks
		t.Fatalf("%d expert sessions ahead", ahead)
	}
}
