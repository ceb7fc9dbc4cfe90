package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"familycare/model"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CustomVaccineInput is a 自费 vaccine an admin adds or changes (by code).
type CustomVaccineInput struct {
	Code  string
	Name  string
	Doses []model.CustomDose
}

// SaveCustomVaccine adds or replaces a non-programme vaccine (admins). Its
// doses run 1, 2, …; each has a minimum age (months) and a minimum interval
// after the previous dose (days).
func (s *FirstDaysService) SaveCustomVaccine(ctx context.Context, in CustomVaccineInput) (model.CustomVaccine, error) {
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	fields := map[string]string{}
	if !vaccineCode.MatchString(in.Code) {
		fields["code"] = "疫苗代码应为 1–32 位字母、数字或连字符"
	} else if isProgrammeVaccine(in.Code) {
		fields["code"] = "国家免疫规划疫苗不能作为自费疫苗添加"
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 64 {
		fields["name"] = "名称应为 1–64 个字符"
	}
	if len(in.Doses) == 0 || len(in.Doses) > 10 {
		fields["doses"] = "应有 1–10 剂"
	}
	for i, d := range in.Doses {
		if d.Dose != i+1 || d.AgeMonths < 0 || d.AgeMonths > 216 || d.IntervalDays < 0 || d.IntervalDays > 3650 {
			fields["doses"] = "剂次应从 1 起连续，月龄 0–216，间隔 0–3650 天"
		}
	}
	if len(fields) > 0 {
		return model.CustomVaccine{}, Invalid(fields)
	}
	db := s.db.WithContext(ctx)
	row := model.CustomVaccine{Code: in.Code, Name: in.Name, Doses: in.Doses}
	err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "code"}},
		DoUpdates: clause.AssignmentColumns([]string{"name", "doses", "updated_at"})}).Create(&row).Error
	if err != nil {
		return row, err
	}
	return row, db.Where("code = ?", in.Code).First(&row).Error
}

// CustomVaccines lists the 自费 vaccines.
func (s *FirstDaysService) CustomVaccines(ctx context.Context) ([]model.CustomVaccine, error) {
	var out []model.CustomVaccine
	return out, s.db.WithContext(ctx).Order("code").Find(&out).Error
}

// customDoses turns the custom vaccines a person has started (a dose
// recorded) into planned doses.
func customDoses(db *gorm.DB, rows []model.VaccinationDose) ([]plannedDose, error) {
	var codes []string
	seen := map[string]bool{}
	for _, r := range rows {
		if !isProgrammeVaccine(r.Vaccine) && !seen[r.Vaccine] {
			seen[r.Vaccine] = true
			codes = append(codes, r.Vaccine)
		}
	}
	if len(codes) == 0 {
		return nil, nil
	}
	var vs []model.CustomVaccine
	if err := db.Where("code IN ?", codes).Find(&vs).Error; err != nil {
		return nil, err
	}
	return customPlanned(vs), nil
}

func customPlanned(vs []model.CustomVaccine) []plannedDose {
	var out []plannedDose
	for _, v := range vs {
		for _, d := range v.Doses {
			p := plannedDose{Vaccine: v.Code, Name: v.Name, Dose: d.Dose, AgeMonths: d.AgeMonths}
			if d.Dose > 1 {
				p.After, p.IntervalDays = doseRef{v.Code, d.Dose - 1}, d.IntervalDays
			}
			out = append(out, p)
		}
	}
	return out
}
