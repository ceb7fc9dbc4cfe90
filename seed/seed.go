// Package seed fills an empty database with demo data for trying familycare
// in dev: a county medical community with clinics, experts, services, two
// weeks of sessions, circles, guidance and a family-doctor team.
package seed

import (
	"context"
	"fmt"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// Demo seeds the demo data once; a database that already has clinics is left
// alone, so it is safe to call at every start.
func Demo(ctx context.Context, db *gorm.DB, now time.Time, loc *time.Location) (bool, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&model.Clinic{}).Count(&n).Error; err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		s := seeder{tx: tx, now: now, loc: loc}
		for _, step := range []func() error{s.clinics, s.experts, s.sessions, s.circles, s.articles, s.teams} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	return err == nil, err
}

type seeder struct {
	tx        *gorm.DB
	now       time.Time
	loc       *time.Location
	clinicsBy map[string]*model.Clinic
	expertsBy map[string]*model.Expert
}

func (s *seeder) clinics() error {
	main := &model.Clinic{Name: "青山县人民医院", Kind: model.ClinicMainHospital, Address: "青山县人民路 1 号",
		Phone: "0571-8800 1200", OpenHours: "周一至周日 08:00-17:30；急诊 24 小时"}
	if err := s.tx.Create(main).Error; err != nil {
		return err
	}
	s.clinicsBy = map[string]*model.Clinic{"main": main}
	for _, c := range []struct{ key, name, kind, parent, addr, phone, hours string }{
		{"east", "青山县人民医院城东分院", model.ClinicBranch, "main", "城东街道建设路 88 号", "0571-8800 2200", "周一至周六 08:00-17:00"},
		{"shiqiao", "石桥镇卫生院", model.ClinicBranch, "main", "石桥镇中心街 12 号", "0571-8800 3300", "周一至周日 08:00-17:00；疫苗门诊中午不休"},
		{"hekou", "河口镇卫生院", model.ClinicBranch, "main", "河口镇滨河路 5 号", "0571-8800 4400", "周一至周六 08:00-17:00"},
		{"liushu", "柳树村卫生驿站", model.ClinicStation, "shiqiao", "石桥镇柳树村村委旁", "0571-8800 3301", "周一至周五 08:30-11:30"},
		{"xinhua", "新华社区卫生驿站", model.ClinicStation, "east", "城东街道新华社区服务中心一楼", "0571-8800 2201", "周一至周六 08:30-16:30"},
	} {
		parent := s.clinicsBy[c.parent].ID
		cl := &model.Clinic{Name: c.name, Kind: c.kind, ParentID: &parent, Address: c.addr, Phone: c.phone, OpenHours: c.hours}
		if err := s.tx.Create(cl).Error; err != nil {
			return err
		}
		s.clinicsBy[c.key] = cl
	}
	return nil
}

func (s *seeder) experts() error {
	s.expertsBy = map[string]*model.Expert{}
	for _, e := range []struct{ key, name, title, spec, clinic, bio string }{
		{"wang", "王建华", "主任医师 · 儿科主任", "儿童生长发育、儿童哮喘", "shiqiao", "从事儿科临床 28 年，每周二上午在石桥镇卫生院名医工作室坐诊。"},
		{"li", "李秀英", "副主任医师", "儿童保健、婴幼儿喂养", "east", "儿童健康管理中心负责人，擅长婴幼儿喂养与生长评估。"},
		{"chen", "陈明", "主治中医师", "中医儿科、小儿推拿", "main", "省级小儿推拿传承工作室成员，定期为家长和托育老师授课。"},
	} {
		ex := &model.Expert{Name: e.name, Title: e.title, Specialty: e.spec, ClinicID: s.clinicsBy[e.clinic].ID, Bio: e.bio}
		if err := s.tx.Create(ex).Error; err != nil {
			return err
		}
		s.expertsBy[e.key] = ex
	}
	return nil
}

// session plans: service, clinic, expert, weekdays (1=Mon…7=Sun), start, minutes, capacity.
type plan struct {
	kind, name, desc, clinic, expert string
	weekdays                         []time.Weekday
	start                            string
	minutes, capacity                int
}

var plans = []plan{
	{model.ServiceExpertClinic, "王建华儿科名医工作室", "儿科主任坐诊：生长发育、反复咳喘等", "shiqiao", "wang", []time.Weekday{time.Tuesday}, "08:30", 180, 15},
	{model.ServicePediatricMassage, "小儿推拿体验课", "中医师手把手教家长小儿推拿手法", "main", "chen", []time.Weekday{time.Monday, time.Wednesday, time.Friday}, "15:00", 60, 12},
	{model.ServiceParentingClass, "新手爸妈育儿课堂", "科学育儿：睡眠、哭闹、辅食添加", "xinhua", "", []time.Weekday{time.Saturday}, "09:30", 90, 20},
	{model.ServiceVaccination, "疫苗接种（午间门诊）", "中午不休，方便上班族家长", "shiqiao", "", []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, "12:00", 120, 30},
	{model.ServiceVaccination, "疫苗接种（周末门诊）", "周六周日上午开放", "shiqiao", "", []time.Weekday{time.Saturday, time.Sunday}, "09:00", 150, 40},
	{model.ServiceGrowthAssessment, "儿童生长发育评估", "身高体重、骨龄、发育筛查", "east", "li", []time.Weekday{time.Thursday}, "14:00", 120, 10},
	{model.ServicePrenatalCheckup, "孕期检查", "产检与孕期营养指导", "hekou", "", []time.Weekday{time.Monday, time.Thursday}, "08:30", 180, 25},
}

func (s *seeder) sessions() error {
	today := s.now.In(s.loc)
	day0 := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, s.loc)
	for _, p := range plans {
		svc := &model.Service{Kind: p.kind, Name: p.name, Description: p.desc, DurationMinutes: p.minutes, ClinicID: s.clinicsBy[p.clinic].ID}
		if err := s.tx.Create(svc).Error; err != nil {
			return err
		}
		var expertID int64
		if p.expert != "" {
			expertID = s.expertsBy[p.expert].ID
		}
		hh, mm := 0, 0
		if _, err := fmt.Sscanf(p.start, "%d:%d", &hh, &mm); err != nil {
			return err
		}
		for d := 0; d < 14; d++ {
			day := day0.AddDate(0, 0, d)
			if !hasDay(p.weekdays, day.Weekday()) {
				continue
			}
			start := time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, s.loc)
			if !start.After(s.now) {
				continue
			}
			sess := &model.Session{ServiceID: svc.ID, ExpertID: expertID, ClinicID: svc.ClinicID, Kind: p.kind,
				StartsAt: start.UTC(), EndsAt: start.Add(time.Duration(p.minutes) * time.Minute).UTC(),
				Capacity: p.capacity, Status: model.SessionOpen}
			if err := s.tx.Create(sess).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

func hasDay(days []time.Weekday, d time.Weekday) bool {
	for _, x := range days {
		if x == d {
			return true
		}
	}
	return false
}
