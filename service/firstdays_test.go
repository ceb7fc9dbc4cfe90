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
