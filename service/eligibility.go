package service

import (
	"fmt"
	"strings"
	"time"

	"familycare/model"
)

// ErrNotEligible: the person does not fit the service's rules; the message
// is the reason in Chinese, shown to the family as it is.
var ErrNotEligible = newErr(KindInvalid, "not_eligible", "the person does not meet the service's conditions")

// Candidate is what eligibility looks at of a person. It is built from the
// person record in one place (candidateOf), so the rules do not depend on
// where persons live.
type Candidate struct {
	BirthDate   string // YYYY-MM-DD or ""
	Gender      string // male, female, unknown
	DueDate     string // YYYY-MM-DD or "" (expectant mothers)
	Verified    bool   // a verified real-name person
	HasContract bool   // covered by an active family-doctor contract
}

// Eligibility is a service's rule set (see model.Service).
type Eligibility struct {
	MinAge, MaxAge           *int
	AgeUnit                  string
	Gender                   string
	PregnancyRequired        bool
	PregMinWeek, PregMaxWeek *int
	VerifiedRequired         bool
	ContractRequired         bool
}

// eligibilityOf is a service's rules.
func eligibilityOf(sv model.Service) Eligibility {
	return Eligibility{MinAge: sv.MinAge, MaxAge: sv.MaxAge, AgeUnit: sv.AgeUnit, Gender: sv.Gender,
		PregnancyRequired: sv.PregnancyRequired, PregMinWeek: sv.PregMinWeek, PregMaxWeek: sv.PregMaxWeek,
		VerifiedRequired: sv.VerifiedRequired, ContractRequired: sv.ContractRequired}
}

// AgeIn is the completed age of a person born on birth at the calendar date
// on, in days, months or years (the clinic's way: a child born on 3 May is
// one month old on 3 June).
func AgeIn(birth, on time.Time, unit string) int {
	switch unit {
	case model.AgeDays:
		return int(dateOnly(on).Sub(dateOnly(birth)).Hours() / 24)
	case model.AgeYears:
		return AgeIn(birth, on, model.AgeMonths) / 12
	}
	m := (on.Year()-birth.Year())*12 + int(on.Month()) - int(birth.Month())
	if on.Day() < birth.Day() {
		m--
	}
	return m
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// GestationDays is the pregnancy's age at the calendar date on, from the due
// date (孕周: the due date is the end of week 40, 280 days after the start).
func GestationDays(due, on time.Time) int {
	return 280 - int(dateOnly(due).Sub(dateOnly(on)).Hours()/24)
}

var ageUnitZH = map[string]string{model.AgeDays: "天龄", model.AgeMonths: "月龄", model.AgeYears: "岁"}

// ageRangeZH says an age range the clinic's way: "0–36 月龄", "60 岁及以上".
func ageRangeZH(e Eligibility) string {
	unit := ageUnitZH[e.AgeUnit]
	if unit == "" {
		unit = ageUnitZH[model.AgeMonths]
	}
	switch {
	case e.MinAge != nil && e.MaxAge != nil:
		return fmt.Sprintf("%d–%d %s", *e.MinAge, *e.MaxAge, unit)
	case e.MinAge != nil:
		return fmt.Sprintf("%d %s及以上", *e.MinAge, unit)
	case e.MaxAge != nil:
		return fmt.Sprintf("%d %s及以下", *e.MaxAge, unit)
	}
	return ""
}

// CheckEligibility is the rule check, a pure function: whether c fits e on
// the calendar date on (the session's day in the business zone). It returns
// "" when c fits, else the reason in Chinese.
func CheckEligibility(e Eligibility, c Candidate, on time.Time) string {
	if e.MinAge != nil || e.MaxAge != nil {
		who := "儿童"
		if e.AgeUnit == model.AgeYears && e.MinAge != nil && *e.MinAge >= 18 {
			who = "人群"
		}
		rule := "该服务仅限 " + ageRangeZH(e) + who
		birth, err := time.Parse(dateLayout, c.BirthDate)
		if err != nil {
			return rule + "，请先填写出生日期"
		}
		unit := e.AgeUnit
		if unit == "" {
			unit = model.AgeMonths
		}
		age := AgeIn(birth, on, unit)
		if on.Before(birth) || (e.MinAge != nil && age < *e.MinAge) || (e.MaxAge != nil && age > *e.MaxAge) {
			return rule
		}
	}
	if e.Gender == "male" && c.Gender != "male" {
		return "该服务仅限男性"
	}
	if e.Gender == "female" && c.Gender != "female" {
		return "该服务仅限女性"
	}
	if e.PregnancyRequired {
		due, err := time.Parse(dateLayout, c.DueDate)
		if err != nil {
			return "该服务仅限孕期妈妈，请先填写预产期"
		}
		days := GestationDays(due, on)
		week := days / 7
		if days < 0 || days > 44*7 {
			return "该服务仅限孕期妈妈"
		}
		if (e.PregMinWeek != nil && week < *e.PregMinWeek) || (e.PregMaxWeek != nil && week > *e.PregMaxWeek) {
			return fmt.Sprintf("该服务仅限孕 %s 周的孕妈妈（届时孕%d+%d周）", weekRangeZH(e), week, days%7)
		}
	}
	if e.VerifiedRequired && !c.Verified {
		return "该服务需要实名认证，请先完成实名认证"
	}
	if e.ContractRequired && !c.HasContract {
		return "该服务仅限已签约家庭医生的居民"
	}
	return ""
}

func weekRangeZH(e Eligibility) string {
	switch {
	case e.PregMinWeek != nil && e.PregMaxWeek != nil:
		return fmt.Sprintf("%d–%d", *e.PregMinWeek, *e.PregMaxWeek)
	case e.PregMinWeek != nil:
		return fmt.Sprintf("%d 及以上", *e.PregMinWeek)
	}
	return fmt.Sprintf("%d 及以下", *e.PregMaxWeek)
}

// EligibilityText is a service's rules as families read them ("0–36 月龄 ·
// 需签约家庭医生"); "" when anyone may book.
func EligibilityText(sv model.Service) string {
	e := eligibilityOf(sv)
	var parts []string
	if r := ageRangeZH(e); r != "" {
		parts = append(parts, r)
	}
	switch e.Gender {
	case "male":
		parts = append(parts, "男性")
	case "female":
		parts = append(parts, "女性")
	}
	if e.PregnancyRequired {
		if e.PregMinWeek != nil || e.PregMaxWeek != nil {
			parts = append(parts, "孕 "+weekRangeZH(e)+" 周")
		} else {
			parts = append(parts, "孕期")
		}
	}
	if e.VerifiedRequired {
		parts = append(parts, "需实名认证")
	}
	if e.ContractRequired {
		parts = append(parts, "需签约家庭医生")
	}
	return strings.Join(parts, " · ")
}
