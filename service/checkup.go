package service

import (
	"context"
	"time"

	"familycare/model"
)

// The 儿保 check-up plan of the national basic public health service
// (《国家基本公共卫生服务规范（第三版）》0–6岁儿童健康管理): a newborn home visit
// within 7 days of discharge, the 满月 visit at 28–30 days, then check-ups at
// 3, 6, 8, 12, 18, 24, 30 and 36 months and once a year at 4, 5 and 6 years.
// The prenatal plan is the service's five checks (孕13周前, 16–20, 21–24,
// 28–36, 37–40 weeks), the postpartum visit 3–7 days after birth and the
// 42-day check. Windows are this code's reading of those ranges.
// A visit is due at Months + Days, with a window of Span days (0: a month).
var childCheckups = []childCheckup{
	{"newborn_visit", "新生儿家庭访视", 0, 3, 5},
	{"one_month", "满月健康检查", 0, 28, 8},
	{"m3", "3月龄健康检查", 3, 0, 0}, {"m6", "6月龄健康检查", 6, 0, 0}, {"m8", "8月龄健康检查", 8, 0, 0},
	{"m12", "12月龄健康检查", 12, 0, 0}, {"m18", "18月龄健康检查", 18, 0, 0}, {"m24", "24月龄健康检查", 24, 0, 0},
	{"m30", "30月龄健康检查", 30, 0, 0}, {"m36", "36月龄健康检查", 36, 0, 0},
	{"y4", "4岁健康检查", 48, 0, 0}, {"y5", "5岁健康检查", 60, 0, 0}, {"y6", "6岁健康检查", 72, 0, 0},
}

var prenatalChecks = []struct {
	Code, Name       string
	FromWeek, ToWeek int // inclusive weeks of gestation
}{
	{"prenatal_1", "第1次产前检查（孕13周前）", 6, 12},
	{"prenatal_2", "第2次产前检查（孕16–20周）", 16, 20},
	{"prenatal_3", "第3次产前检查（孕21–24周）", 21, 24},
	{"prenatal_4", "第4次产前检查（孕28–36周）", 28, 36},
	{"prenatal_5", "第5次产前检查（孕37–40周）", 37, 40},
}

// Check-up states: done, due, overdue, upcoming as for doses; a prenatal
// check whose window has passed is "past" (its visit is not recorded here).
const CheckupPast = "past"

// CheckupItem is one check-up of a plan.
type CheckupItem struct {
	Kind      string // child, prenatal, postpartum
	Code      string
	Name      string
	DueDate   time.Time
	WindowEnd time.Time
	State     string
	// Record is the check-up staff recorded for this visit (nil: none; the
	// visit may still be done by a staff measurement in its window).
	Record *model.CheckupRecord
}

// CheckupPlan is a person's check-up plans.
type CheckupPlan struct {
	Person    model.Person
	Child     []CheckupItem
	Prenatal  []CheckupItem
	Gestation *Gestation
}

// Checkups returns the check-up plans of person id.
func (s *FirstDaysService) Checkups(ctx context.Context, p Principal, id int64) (CheckupPlan, error) {
	db := s.db.WithContext(ctx)
	m, err := personFor(db, p, id)
	if err != nil {
		return CheckupPlan{}, err
	}
	var rows []model.GrowthMeasurement
	if err := db.Where("person_id = ? AND self_reported = ?", m.ID, false).Find(&rows).Error; err != nil {
		return CheckupPlan{}, err
	}
	var recs []model.CheckupRecord
	if err := db.Where("person_id = ?", m.ID).Find(&recs).Error; err != nil {
		return CheckupPlan{}, err
	}
	return s.checkupPlan(m, rows, recs), nil
}

// checkupPlan: a child check-up is done when staff recorded it, or when
// staff measured the child between checkupEarlyDays before it is due and
// the end of its window.
func (s *FirstDaysService) checkupPlan(m model.Person, staffMeasured []model.GrowthMeasurement, records []model.CheckupRecord) CheckupPlan {
	today := s.today()
	out := CheckupPlan{Person: m, Child: []CheckupItem{}, Prenatal: []CheckupItem{}}
	if birth, ok := birthOf(m); ok {
		for _, c := range childCheckups {
			due, end := c.window(birth)
			it := CheckupItem{Kind: "child", Code: c.Code, Name: c.Name, DueDate: due, WindowEnd: end}
			for i := range records {
				if records[i].Code == c.Code {
					it.State, it.Record = DoseDone, &records[i]
				}
			}
			for _, r := range staffMeasured {
				if d := s.dateOf(r.MeasuredAt); !d.Before(due.AddDate(0, 0, -checkupEarlyDays)) && !d.After(end) {
					it.State = DoseDone
				}
			}
			if it.State == "" {
				it.State = windowState(today, due, end, DoseOverdue)
			}
			out.Child = append(out.Child, it)
		}
	}
	if dueDate, err := time.Parse(dateLayout, m.DueDate); err == nil && m.DueDate != "" {
		lmp := dueDate.AddDate(0, 0, -280)
		for _, c := range prenatalChecks {
			from, to := lmp.AddDate(0, 0, 7*c.FromWeek), lmp.AddDate(0, 0, 7*c.ToWeek+6)
			out.Prenatal = append(out.Prenatal, CheckupItem{Kind: "prenatal", Code: c.Code, Name: c.Name,
				DueDate: from, WindowEnd: to, State: windowState(today, from, to, CheckupPast)})
		}
		for _, c := range []struct {
			code, name string
			from, to   int
		}{{"postpartum_visit", "产后访视（产后3–7天）", 3, 7}, {"postpartum_42d", "产后42天健康检查", 42, 49}} {
			from, to := dueDate.AddDate(0, 0, c.from), dueDate.AddDate(0, 0, c.to)
			out.Prenatal = append(out.Prenatal, CheckupItem{Kind: "postpartum", Code: c.code, Name: c.name,
				DueDate: from, WindowEnd: to, State: windowState(today, from, to, CheckupPast)})
		}
		if g, ok := GestationOf(m.DueDate, today); ok {
			out.Gestation = &g
		}
	}
	return out
}

func windowState(today, from, to time.Time, after string) string {
	switch {
	case today.Before(from):
		return DoseUpcoming
	case !today.After(to):
		return DoseDue
	}
	return after
}
