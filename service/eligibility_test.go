package service

import (
	"testing"
	"time"
)

func ip(n int) *int { return &n }

func TestCheckEligibility_Table(t *testing.T) {
	on := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	kids := Eligibility{MinAge: ip(0), MaxAge: ip(36), AgeUnit: "months"}
	preg := Eligibility{PregnancyRequired: true, PregMinWeek: ip(16), PregMaxWeek: ip(20)}
	for _, tc := range []struct {
		name string
		e    Eligibility
		c    Candidate
		want string
	}{
		{"7 months fits 0-36", kids, Candidate{BirthDate: "2026-05-01"}, ""},
		{"36 months to the day fits", kids, Candidate{BirthDate: "2023-12-01"}, ""},
		{"37 months does not", kids, Candidate{BirthDate: "2023-11-01"}, "该服务仅限 0–36 月龄儿童"},
		{"76 years does not", kids, Candidate{BirthDate: "1950-01-01"}, "该服务仅限 0–36 月龄儿童"},
		{"not born yet", kids, Candidate{BirthDate: "2026-12-05"}, "该服务仅限 0–36 月龄儿童"},
		{"no birth date", kids, Candidate{}, "该服务仅限 0–36 月龄儿童，请先填写出生日期"},
		{"days", Eligibility{MaxAge: ip(28), AgeUnit: "days"}, Candidate{BirthDate: "2026-11-02"}, "该服务仅限 28 天龄及以下儿童"},
		{"elderly", Eligibility{MinAge: ip(60), AgeUnit: "years"}, Candidate{BirthDate: "1970-01-01"}, "该服务仅限 60 岁及以上人群"},
		{"female only", Eligibility{Gender: "female"}, Candidate{Gender: "male"}, "该服务仅限女性"},
		{"孕20+0 fits 16-20", preg, Candidate{DueDate: "2027-04-20"}, ""},
		{"孕21 does not", preg, Candidate{DueDate: "2027-04-13"}, "该服务仅限孕 16–20 周的孕妈妈（届时孕21+0周）"},
		{"no due date", preg, Candidate{}, "该服务仅限孕期妈妈，请先填写预产期"},
		{"verified", Eligibility{VerifiedRequired: true}, Candidate{}, "该服务需要实名认证，请先完成实名认证"},
		{"contract", Eligibility{ContractRequired: true}, Candidate{Verified: true}, "该服务仅限已签约家庭医生的居民"},
		{"contract held", Eligibility{ContractRequired: true}, Candidate{HasContract: true}, ""},
	} {
		if got := CheckEligibility(tc.e, tc.c, on); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	if g := GestationDays(time.Date(2027, 4, 20, 0, 0, 0, 0, time.UTC), on); g != 140 {
		t.Fatalf("gestation %d", g)
	}
}
