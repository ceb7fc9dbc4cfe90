package service

import "time"

// The national immunization programme schedule (国家免疫规划疫苗儿童免疫程序),
// as data.
//
// Source: 《国家免疫规划疫苗儿童免疫程序及说明（2021年版）》 (National Health
// Commission, 国卫办疾控函〔2021〕75号), with the 2024 adjustment of the
// DTaP/DT schedule in force since 2025-01-01 (百白破疫苗 at 2, 4, 6 and 18
// months and 6 years; the 6-year 白破 (DT) dose replaced by 百白破). The
// official documents could not be fetched where this was written; the
// schedule below was checked against secondary copies of the 2021 table and
// of the 2025 DTaP change (third-party pages quoting "自2025年1月1日起，接种程序
// 由原来的3、4、5月龄和18月龄各接种1剂调整为2、4、6月龄和18月龄接种；6周岁原接种
// 白破疫苗改为接种百白破疫苗"). NOT confirmed against the notice's own text:
// which birth dates the change applies to. This code's reading, kept as data
// below (dtapNewPrimaryFrom, dtapSchoolDoseFrom) so it can be corrected in one
// place: children born on or after 2024-11-01 (two months old on or after
// 2025-01-01) get the new 2/4/6-month primary series, older children the
// 3/4/5-month one; children born on or after 2019-01-01 (six on or after
// 2025-01-01) get 百白破 at 6 years, older ones 白破.
//
// Minimum ages: a dose is never given before its scheduled age (the 2021
// 说明: 起始接种年龄). Minimum intervals (same source): 28 days between the
// doses of a primary series; HepB dose 3 at least 60 days after dose 2;
// DTaP dose 4 at least 6 months after dose 3; MPSV-A doses at least 3
// months apart; MPSV-AC dose 1 at least 12 months after MPSV-A dose 2 and
// MPSV-AC doses at least 3 years apart; HepA-I doses at least 6 months
// apart; JE-I doses 1 and 2 at least 7 days apart; bOPV dose 1 at least 28
// days after IPV dose 2. A dose given late moves the next by its interval.
//
// Alternatives: JE-L (live, 2 doses) or JE-I (inactivated, 4 doses); HepA-L
// (1 dose) or HepA-I (2 doses). The plan shows the live vaccine until a dose
// of the inactivated one is recorded.
//
// To update: add a new schedule version (a new nipSchedule value and
// ScheduleVersion), never edit a released one in place.
const ScheduleVersion = "NIP-2021+DTaP-2025"

var (
	dtapNewPrimaryFrom = mustDate("2024-11-01")
	dtapSchoolDoseFrom = mustDate("2019-01-01")
)

func mustDate(s string) time.Time {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// plannedDose is one dose of the schedule.
type plannedDose struct {
	Vaccine string
	Name    string // Chinese name for people
	Dose    int
	// AgeMonths is the scheduled (and minimum) age; AgeDays is added to it.
	AgeMonths, AgeDays int
	// After is the dose this one must follow by at least Interval (months +
	// days); zero Vaccine: none.
	After          doseRef
	IntervalMonths int
	IntervalDays   int
	// Group names alternatives (JE, HepA); Variant is this dose's variant.
	Group string
}

type doseRef struct {
	Vaccine string
	Dose    int
}

func d(v, name string, dose, ageMonths int) plannedDose {
	p := plannedDose{Vaccine: v, Name: name, Dose: dose, AgeMonths: ageMonths}
	if dose > 1 {
		p.After = doseRef{v, dose - 1}
		p.IntervalDays = 28
	}
	return p
}

func (p plannedDose) after(v string, dose, months, days int) plannedDose {
	p.After, p.IntervalMonths, p.IntervalDays = doseRef{v, dose}, months, days
	return p
}

func (p plannedDose) group(g string) plannedDose { p.Group = g; return p }

// scheduleFor returns the doses a child born on birth is planned for.
func scheduleFor(birth time.Time) []plannedDose {
	s := []plannedDose{
		d("HepB", "乙肝疫苗", 1, 0),
		d("HepB", "乙肝疫苗", 2, 1),
		d("HepB", "乙肝疫苗", 3, 6).after("HepB", 2, 0, 60),
		d("BCG", "卡介苗", 1, 0),
		d("IPV", "脊灰灭活疫苗", 1, 2),
		d("IPV", "脊灰灭活疫苗", 2, 3),
		d("bOPV", "脊灰减毒活疫苗", 1, 4).after("IPV", 2, 0, 28),
		d("bOPV", "脊灰减毒活疫苗", 2, 48),
	}
	if !birth.Before(dtapNewPrimaryFrom) {
		s = append(s, d("DTaP", "百白破疫苗", 1, 2), d("DTaP", "百白破疫苗", 2, 4), d("DTaP", "百白破疫苗", 3, 6))
	} else {
		s = append(s, d("DTaP", "百白破疫苗", 1, 3), d("DTaP", "百白破疫苗", 2, 4), d("DTaP", "百白破疫苗", 3, 5))
	}
	s = append(s, d("DTaP", "百白破疫苗", 4, 18).after("DTaP", 3, 6, 0))
	if !birth.Before(dtapSchoolDoseFrom) {
		s = append(s, d("DTaP", "百白破疫苗", 5, 72).after("DTaP", 4, 12, 0))
	} else {
		s = append(s, d("DT", "白破疫苗", 1, 72))
	}
	s = append(s,
		d("MMR", "麻腮风疫苗", 1, 8),
		d("MMR", "麻腮风疫苗", 2, 18),
		d("JE-L", "乙脑减毒活疫苗", 1, 8).group("JE"),
		d("JE-L", "乙脑减毒活疫苗", 2, 24).group("JE"),
		d("JE-I", "乙脑灭活疫苗", 1, 8).group("JE"),
		plannedDose{Vaccine: "JE-I", Name: "乙脑灭活疫苗", Dose: 2, AgeMonths: 8, AgeDays: 7, After: doseRef{"JE-I", 1}, IntervalDays: 7, Group: "JE"},
		d("JE-I", "乙脑灭活疫苗", 3, 24).group("JE"),
		d("JE-I", "乙脑灭活疫苗", 4, 72).group("JE"),
		d("MPSV-A", "A群流脑多糖疫苗", 1, 6),
		d("MPSV-A", "A群流脑多糖疫苗", 2, 9).after("MPSV-A", 1, 3, 0),
		d("MPSV-AC", "A群C群流脑多糖疫苗", 1, 36).after("MPSV-A", 2, 12, 0),
		d("MPSV-AC", "A群C群流脑多糖疫苗", 2, 72).after("MPSV-AC", 1, 36, 0),
		d("HepA-L", "甲肝减毒活疫苗", 1, 18).group("HepA"),
		d("HepA-I", "甲肝灭活疫苗", 1, 18).group("HepA"),
		d("HepA-I", "甲肝灭活疫苗", 2, 24).after("HepA-I", 1, 6, 0).group("HepA"),
	)
	return s
}

// addMonths adds calendar months, clamping to the month's last day (a child
// born on 31 January is 1 month old on 28/29 February).
func addMonths(t time.Time, months int) time.Time {
	y, m, day := t.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, t.Location())
	last := first.AddDate(0, 1, -1).Day()
	if day > last {
		day = last
	}
	return time.Date(first.Year(), first.Month(), day, 0, 0, 0, 0, t.Location())
}

// Dose states.
const (
	DoseDone     = "done"
	DoseDue      = "due"
	DoseOverdue  = "overdue"
	DoseUpcoming = "upcoming"
)

// givenDose is what the plan needs of a recorded dose.
type givenDose struct {
	Date     time.Time // business date given
	ClinicID int64
}

// DosePlan is one dose of a child's plan.
type DosePlan struct {
	Vaccine   string
	Name      string
	Dose      int
	State     string
	DueDate   time.Time // business date the dose becomes due
	Programme bool      // part of the national programme (false: 自费)
	GivenAt   *time.Time
	ClinicID  int64
}

// planDoses computes every dose's due date and state for a child born on
// birth, given the doses recorded (by vaccine and dose), on the business date
// today. A dose is due from its due date to the end of the month of age that
// follows, overdue after.
func planDoses(birth, today time.Time, given map[doseRef]givenDose, extra ...plannedDose) []DosePlan {
	sched := append(scheduleFor(birth), extra...)
	// The variant of each group: inactivated once any of its doses is given.
	variant := map[string]string{"JE": "JE-L", "HepA": "HepA-L"}
	for ref := range given {
		switch ref.Vaccine {
		case "JE-I":
			variant["JE"] = "JE-I"
		case "HepA-I":
			variant["HepA"] = "HepA-I"
		}
	}
	due := map[doseRef]time.Time{}
	var out []DosePlan
	for _, p := range sched {
		if p.Group != "" && variant[p.Group] != p.Vaccine {
			continue
		}
		ref := doseRef{p.Vaccine, p.Dose}
		at := addMonths(birth, p.AgeMonths).AddDate(0, 0, p.AgeDays)
		if p.After.Vaccine != "" {
			prev, ok := given[p.After]
			prevDate := prev.Date
			if !ok {
				prevDate, ok = due[p.After]
			}
			if ok {
				if min := addMonths(prevDate, p.IntervalMonths).AddDate(0, 0, p.IntervalDays); min.After(at) {
					at = min
				}
			}
		}
		due[ref] = at
		dp := DosePlan{Vaccine: p.Vaccine, Name: p.Name, Dose: p.Dose, DueDate: at, Programme: isProgrammeVaccine(p.Vaccine)}
		switch g, ok := given[ref]; {
		case ok:
			gd := g.Date
			dp.State, dp.GivenAt, dp.ClinicID = DoseDone, &gd, g.ClinicID
		case today.Before(at):
			dp.State = DoseUpcoming
		case today.Before(addMonths(at, 1)):
			dp.State = DoseDue
		default:
			dp.State = DoseOverdue
		}
		out = append(out, dp)
	}
	return out
}

// earliestFor is the first business date dose ref may be given to a child
// born on birth, with the doses already given, and the reason when it has a
// rule; ok is false when ref is not a dose of the programme.
func earliestFor(birth time.Time, ref doseRef, given map[doseRef]givenDose, extra ...plannedDose) (at time.Time, reason string, ok bool) {
	for _, p := range append(scheduleFor(birth), extra...) {
		if p.Vaccine != ref.Vaccine || p.Dose != ref.Dose {
			continue
		}
		at = addMonths(birth, p.AgeMonths).AddDate(0, 0, p.AgeDays)
		reason = "未到最小接种月龄"
		if prev, has := given[p.After]; p.After.Vaccine != "" && has {
			if min := addMonths(prev.Date, p.IntervalMonths).AddDate(0, 0, p.IntervalDays); min.After(at) {
				at, reason = min, "与前一剂次间隔不足"
			}
		}
		return at, reason, true
	}
	return time.Time{}, "", false
}
