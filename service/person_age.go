package service

import (
	"fmt"
	"time"
)

// Age is a person's age the way a clinic says it: days for a newborn (under
// a month), 月龄 under 3 years, years and months under 6, years after.
type Age struct {
	Days, Months, Years int
	Text                string
}

// AgeOf is the age on the business date today of someone born on birthDate
// (YYYY-MM-DD); false without a usable birth date.
func AgeOf(birthDate string, today time.Time) (Age, bool) {
	b, err := time.Parse(dateLayout, birthDate)
	if err != nil {
		return Age{}, false
	}
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	if b.After(day) {
		return Age{}, false
	}
	months := (day.Year()-b.Year())*12 + int(day.Month()) - int(b.Month())
	if day.Day() < b.Day() {
		months--
	}
	a := Age{Days: int(day.Sub(b).Hours() / 24), Months: months, Years: months / 12}
	switch {
	case months < 1:
		a.Text = fmt.Sprintf("%d天", a.Days)
	case months < 36:
		a.Text = fmt.Sprintf("%d月龄", months)
	case months < 72:
		if months%12 == 0 {
			a.Text = fmt.Sprintf("%d岁", a.Years)
		} else {
			a.Text = fmt.Sprintf("%d岁%d个月", a.Years, months%12)
		}
	default:
		a.Text = fmt.Sprintf("%d岁", a.Years)
	}
	return a, true
}

// Gestation is a pregnancy's age, 孕周: whole weeks and days since the
// first day of the last period, 280 days before the due date.
type Gestation struct {
	Weeks, Days int
	Text        string
}

// gestationDays is the length of a pregnancy to the due date (40 weeks).
const gestationDays = 280

// GestationOf is the pregnancy age on today for a due date; false without a
// due date, or outside 0 to 42 weeks (before conception, or long after the
// due date: the pregnancy is over).
func GestationOf(dueDate string, today time.Time) (Gestation, bool) {
	due, err := time.Parse(dateLayout, dueDate)
	if err != nil {
		return Gestation{}, false
	}
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	d := gestationDays - int(due.Sub(day).Hours()/24)
	if d < 0 || d > 42*7 {
		return Gestation{}, false
	}
	return Gestation{Weeks: d / 7, Days: d % 7, Text: fmt.Sprintf("孕%d+%d周", d/7, d%7)}, true
}
