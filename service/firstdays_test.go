package service

import (
	"math"
	"testing"
	"time"
)

func day(s string) time.Time { return mustDate(s) }

// TestSchedule_DueDates: a child born on 2025-03-31 (new DTaP schedule;
// month ends clamp) gets exactly these due dates.
func TestSchedule_DueDates(t *testing.T) {
	want := map[doseRef]string{
		{"HepB", 1}: "2025-03-31", {"HepB", 2}: "2025-04-30", {"HepB", 3}: "2025-09-30",
		{"BCG", 1}: "2025-03-31",
		{"IPV", 1}: "2025-05-31", {"IPV", 2}: "2025-06-30",
		{"bOPV", 1}: "2025-07-31", {"bOPV", 2}: "2029-03-31",
		{"DTaP", 1}: "2025-05-31", {"DTaP", 2}: "2025-07-31", {"DTaP", 3}: "2025-09-30", {"DTaP", 4}: "2026-09-30", {"DTaP", 5}: "2031-03-31",
		{"MMR", 1}: "2025-11-30", {"MMR", 2}: "2026-09-30",
		{"JE-L", 1}: "2025-11-30", {"JE-L", 2}: "2027-03-31",
		{"MPSV-A", 1}: "2025-09-30", {"MPSV-A", 2}: "2025-12-31",
		{"MPSV-AC", 1}: "2028-03-31", {"MPSV-AC", 2}: "2031-03-31",
		{"HepA-L", 1}: "2026-09-30",
	}
	got := planDoses(day("2025-03-31"), day("2025-03-31"), nil)
	if len(got) != len(want) {
		t.Fatalf("%d doses, want %d: %+v", len(got), len(want), got)
	}
	for _, d := range got {
		w, ok := want[doseRef{d.Vaccine, d.Dose}]
		if !ok || d.DueDate.Format(dateLayout) != w {
			t.Errorf("%s %d due %s, want %q", d.Vaccine, d.Dose, d.DueDate.Format(dateLayout), w)
		}
	}
}

// TestSchedule_DTaPChangeByBirthDate: the 3/4/5-month primary series and
// the 6-year DT dose before the cutoffs, 2/4/6 months and DTaP at 6 after.
func TestSchedule_DTaPChangeByBirthDate(t *testing.T) {
	dates := func(birth string) map[doseRef]string {
		out := map[doseRef]string{}
		for _, d := range planDoses(day(birth), day(birth), nil) {
			if d.Vaccine == "DTaP" || d.Vaccine == "DT" {
				out[doseRef{d.Vaccine, d.Dose}] = d.DueDate.Format(dateLayout)
			}
		}
		return out
	}
	cases := []struct {
		birth string
		want  map[doseRef]string
	}{
		{"2018-12-31", map[doseRef]string{{"DTaP", 1}: "2019-03-31", {"DTaP", 2}: "2019-04-30", {"DTaP", 3}: "2019-05-31", {"DTaP", 4}: "2020-06-30", {"DT", 1}: "2024-12-31"}},
		{"2019-01-01", map[doseRef]string{{"DTaP", 1}: "2019-04-01", {"DTaP", 2}: "2019-05-01", {"DTaP", 3}: "2019-06-01", {"DTaP", 4}: "2020-07-01", {"DTaP", 5}: "2025-01-01"}},
		{"2024-10-31", map[doseRef]string{{"DTaP", 1}: "2025-01-31", {"DTaP", 2}: "2025-02-28", {"DTaP", 3}: "2025-03-31", {"DTaP", 4}: "2026-04-30", {"DTaP", 5}: "2030-10-31"}},
		{"2024-11-01", map[doseRef]string{{"DTaP", 1}: "2025-01-01", {"DTaP", 2}: "2025-03-01", {"DTaP", 3}: "2025-05-01", {"DTaP", 4}: "2026-05-01", {"DTaP", 5}: "2030-11-01"}},
	}
	for _, c := range cases {
		got := dates(c.birth)
		if len(got) != len(c.want) {
			t.Errorf("born %s: %v, want %v", c.birth, got, c.want)
			continue
		}
		for k, w := range c.want {
			if got[k] != w {
				t.Errorf("born %s: %s %d due %s, want %s", c.birth, k.Vaccine, k.Dose, got[k], w)
			}
		}
	}
}

// TestSchedule_LateDoseShiftsNext: a late dose moves the next by its
// minimum interval, and states follow the business date.
func TestSchedule_LateDoseShiftsNext(t *testing.T) {
	given := map[doseRef]givenDose{
		{"HepB", 1}: {Date: day("2025-03-31")}, {"HepB", 2}: {Date: day("2025-08-20")},
		{"DTaP", 1}: {Date: day("2025-06-01")}, {"DTaP", 2}: {Date: day("2025-08-01")}, {"DTaP", 3}: {Date: day("2026-06-01")},
	}
	by := map[doseRef]DosePlan{}
	for _, d := range planDoses(day("2025-03-31"), day("2025-10-01"), given) {
		by[doseRef{d.Vaccine, d.Dose}] = d
	}
	for ref, w := range map[doseRef]string{{"HepB", 3}: "2025-10-19", {"DTaP", 4}: "2026-12-01"} {
		if got := by[ref].DueDate.Format(dateLayout); got != w {
			t.Errorf("%v due %s, want %s", ref, got, w)
		}
	}
	states := map[doseRef]string{{"HepB", 2}: DoseDone, {"HepB", 3}: DoseUpcoming, {"IPV", 1}: DoseOverdue,
		{"MPSV-A", 1}: DoseDue, {"MMR", 1}: DoseUpcoming}
	for ref, w := range states {
		if by[ref].State != w {
			t.Errorf("%v state %s, want %s", ref, by[ref].State, w)
		}
	}
	if at, _, _ := earliestFor(day("2025-03-31"), doseRef{"HepB", 3}, given); at.Format(dateLayout) != "2025-10-19" {
		t.Errorf("earliest HepB 3 = %s", at.Format(dateLayout))
	}
}

// TestSchedule_InactivatedAlternative: a JE-I dose switches the plan to the
// four-dose inactivated series.
func TestSchedule_InactivatedAlternative(t *testing.T) {
	n := map[string]int{}
	for _, d := range planDoses(day("2025-03-31"), day("2025-12-01"), map[doseRef]givenDose{{"JE-I", 1}: {Date: day("2025-11-30")}}) {
		n[d.Vaccine]++
		if d.Vaccine == "JE-I" && d.Dose == 2 && d.DueDate.Format(dateLayout) != "2025-12-07" {
			t.Errorf("JE-I 2 due %s, want 2025-12-07", d.DueDate.Format(dateLayout))
		}
	}
	if n["JE-I"] != 4 || n["JE-L"] != 0 || n["HepA-L"] != 1 {
		t.Fatalf("vaccines %v", n)
	}
}

// TestGrowth_PublishedValues: the shipped tables reproduce WHO's published
// −2/0/+2 SD columns (rounded to 0.1), and z-scores of a table of cases
// match the LMS formula's values to two decimals.
func TestGrowth_PublishedValues(t *testing.T) {
	tabs, err := loadGrowthTables()
	if err != nil {
		t.Fatal(err)
	}
	published := []struct {
		ind, sex    string
		month       int
		m2, med, p2 float64
	}{
		{IndicatorWeightForAge, "male", 0, 2.5, 3.3, 4.4},
		{IndicatorWeightForAge, "male", 12, 7.7, 9.6, 12.0},
		{IndicatorWeightForAge, "male", 60, 14.1, 18.3, 24.2},
		{IndicatorWeightForAge, "female", 8, 6.3, 7.9, 10.2},
		{IndicatorWeightForAge, "female", 60, 13.7, 18.2, 24.9},
		{IndicatorLengthForAge, "male", 0, 46.1, 49.9, 53.7},
		{IndicatorLengthForAge, "male", 24, 81.7, 87.8, 93.9},
		{IndicatorLengthForAge, "female", 12, 68.9, 74.0, 79.2},
		{IndicatorHeadForAge, "male", 0, 31.9, 34.5, 37.0},
	}
	for _, c := range published {
		p, ok := tabs.at(c.ind, c.sex, float64(c.month))
		if !ok {
			t.Fatalf("%s %s %d: no row", c.ind, c.sex, c.month)
		}
		for _, v := range []struct{ z, want float64 }{{-2, c.m2}, {0, c.med}, {2, c.p2}} {
			if got := math.Round(lmsValue(p, v.z)*10) / 10; got != v.want {
				t.Errorf("%s %s month %d: %+.0f SD = %.1f, WHO publishes %.1f", c.ind, c.sex, c.month, v.z, got, v.want)
			}
		}
	}
	cases := []struct {
		ind, sex string
		months   float64
		x, z     float64
	}{
		{IndicatorWeightForAge, "male", 0, 3.3464, 0},
		{IndicatorWeightForAge, "male", 12, 8.0, -1.70},
		{IndicatorWeightForAge, "female", 6, 6.0, -1.62},
		{IndicatorLengthForAge, "male", 24, 80, -2.56},
		{IndicatorHeadForAge, "female", 12, 43.0, -1.40},
		{IndicatorWeightForAge, "male", 8, 5.5, -3.93}, // beyond −3 SD: WHO's restricted rule
		{IndicatorWeightForAge, "male", 6.5, 7.5, -0.72},
	}
	for _, c := range cases {
		p, _ := tabs.at(c.ind, c.sex, c.months)
		if got := round2(zScore(p, c.x)); got != c.z {
			t.Errorf("%s %s %.1f months %.2f: z = %.2f, want %.2f", c.ind, c.sex, c.months, c.x, got, c.z)
		}
	}
	if got := round2(percentile(-2)); got != 2.28 {
		t.Errorf("percentile(-2) = %v", got)
	}
}

// TestGrowth_NewRanges: weight-for-length (45–110 cm), weight-for-height
// (65–120 cm), height-for-age and head-for-age 24–60 months reproduce WHO's
// tables. The expected values were computed outside this code from WHO's own
// rows (WHO Anthro's wflanthro.txt, wfhanthro.txt, lenanthro.txt,
// hcanthro.txt): the SD columns (M·(1+L·S·z)^(1/L) at z = −2, 0, +2 of a
// row), and z-scores of children at exact ages in days from the daily rows,
// which the shipped monthly rows must reproduce through interpolation.
func TestGrowth_NewRanges(t *testing.T) {
	tabs, err := loadGrowthTables()
	if err != nil {
		t.Fatal(err)
	}
	// WHO SD columns: the −2 SD, median and +2 SD weights at a length/height.
	sdRows := []struct {
		months      float64 // age that picks the table (under / over 24 months)
		sex         string
		cm          float64
		m2, med, p2 float64
	}{
		{6, "male", 45, 2.0431, 2.441, 2.9513},
		{12, "male", 75, 8.0881, 9.5032, 11.2748},
		{3, "female", 60, 4.9232, 5.8742, 7.0994},
		{23, "female", 110, 15.2887, 18.3324, 22.2827},
		{36, "male", 90, 11.0222, 12.8864, 15.2036},
		{59, "female", 120, 18.8783, 22.8173, 27.9909},
		{48, "male", 120, 18.6244, 22.353, 27.1665},
		{25, "female", 65, 6.0707, 7.2402, 8.7459},
	}
	for _, c := range sdRows {
		for _, v := range []struct{ x, z float64 }{{c.m2, -2}, {c.med, 0}, {c.p2, 2}} {
			ind, p, ok := tabs.weightForLength(c.sex, c.months, true, c.cm)
			if !ok {
				t.Fatalf("%s %.0f months %.1f cm: no row", c.sex, c.months, c.cm)
			}
			if got := round2(zScore(p, v.x)); got != v.z {
				t.Errorf("%s %s %.1f cm weight %.4f: z = %.2f, WHO's SD column says %.0f", ind, c.sex, c.cm, v.x, got, v.z)
			}
		}
	}
	// The indicator follows the age: under 24 months lying length, from 24
	// months standing height; without an age, 87 cm decides.
	for _, c := range []struct {
		months float64
		hasAge bool
		cm     float64
		want   string
	}{
		{23.9, true, 90, IndicatorWeightForLength}, {24.1, true, 80, IndicatorWeightForHeight},
		{0, false, 86.9, IndicatorWeightForLength}, {0, false, 87, IndicatorWeightForHeight},
	} {
		if ind, _, _ := tabs.weightForLength("male", c.months, c.hasAge, c.cm); ind != c.want {
			t.Errorf("%.1f months (age known %v), %.1f cm: %s, want %s", c.months, c.hasAge, c.cm, ind, c.want)
		}
	}
	if _, _, ok := tabs.weightForLength("male", 12, true, 44.9); ok {
		t.Error("44.9 cm is outside weight-for-length (45–110)")
	}
	if _, _, ok := tabs.weightForLength("male", 30, true, 120.1); ok {
		t.Error("120.1 cm is outside weight-for-height (65–120)")
	}
	// Children at exact ages in days: z from WHO's daily row of that day.
	byDay := []struct {
		ind, sex string
		day      float64
		x, z     float64
	}{
		{IndicatorLengthForAge, "male", 1004, 90.0, -1.14},
		{IndicatorLengthForAge, "female", 1461, 98.0, -1.10},
		{IndicatorLengthForAge, "male", 1826, 120.0, 2.17},
		{IndicatorLengthForAge, "female", 852, 92.5, 0.99},
		{IndicatorLengthForAge, "male", 1004, 101.1854, 2},
		{IndicatorHeadForAge, "male", 1004, 48.0, -0.86},
		{IndicatorHeadForAge, "female", 1461, 50.0, 0.47},
		{IndicatorHeadForAge, "male", 1826, 52.5, 1.18},
		{IndicatorHeadForAge, "female", 852, 46.0, -1.21},
		{IndicatorHeadForAge, "male", 1004, 49.214, 0},
	}
	for _, c := range byDay {
		p, ok := tabs.at(c.ind, c.sex, c.day/daysPerMonth)
		if !ok {
			t.Fatalf("%s %s day %.0f: no row", c.ind, c.sex, c.day)
		}
		if got := round2(zScore(p, c.x)); got != c.z {
			t.Errorf("%s %s day %.0f, %.4f: z = %.2f, WHO's daily row gives %.2f", c.ind, c.sex, c.day, c.x, got, c.z)
		}
	}
	// Between rows of weight-for-length/height (interpolated like the ages).
	for _, c := range []struct {
		sex        string
		months, cm float64
		kg, z      float64
	}{
		{"male", 10, 72.35, 8.0, -1.38},
		{"male", 14, 80, 7.0, -4.85}, // beyond −3 SD: WHO's restricted rule
		{"female", 40, 101.25, 13.0, -2.06},
	} {
		_, p, _ := tabs.weightForLength(c.sex, c.months, true, c.cm)
		if got := round2(zScore(p, c.kg)); got != c.z {
			t.Errorf("%s %.2f cm %.1f kg: z = %.2f, want %.2f", c.sex, c.cm, c.kg, got, c.z)
		}
	}
	// Length-for-age switches to standing height at 731 days (WHO Anthro):
	// month 24 itself is still lying length (87.8 cm median for boys), just
	// after it the standing height median (87.1).
	p24, _ := tabs.at(IndicatorLengthForAge, "male", 24)
	p24h, _ := tabs.at(IndicatorLengthForAge, "male", 731/daysPerMonth)
	if math.Round(p24.M*10)/10 != 87.8 || math.Round(p24h.M*10)/10 != 87.1 {
		t.Errorf("month 24 median %.4f (want lying 87.8), day 731 %.4f (want standing 87.1)", p24.M, p24h.M)
	}
}
