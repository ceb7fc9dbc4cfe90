package seed

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// The demo network (issue 15) on top of Demo: ten branches, thirteen
// stations, seven child health centres, eight infant-care guidance centres,
// three 名医工作室 where main-hospital experts sit on Tuesdays, noon and
// weekend vaccination, 推拿 at several branches and a 流动专家 tour. Its
// sessions come from schedules (Schedule rows, CreatedBy 0), which TopUp
// keeps a few weeks ahead of today at every start. Invented names.

// TopUpDays is how far ahead TopUp keeps the demo sessions.
const TopUpDays = 21

type branchPlan struct {
	name, town string
	offers     []string
	stations   []string
}

// The three branches of Demo come first (same order), then seven more.
var branchPlans = []branchPlan{
	{"青山县人民医院城东分院", "城东街道", []string{model.OfferChildHealthCentre, model.OfferCareGuidanceCentre, model.OfferVaccination, model.OfferExpertStudio, model.OfferPediatricMassage}, []string{"东港社区"}},
	{"石桥镇卫生院", "石桥镇", []string{model.OfferChildHealthCentre, model.OfferCareGuidanceCentre, model.OfferVaccination, model.OfferExpertStudio, model.OfferFamilyDoctor}, []string{"石桥村"}},
	{"河口镇卫生院", "河口镇", []string{model.OfferChildHealthCentre, model.OfferCareGuidanceCentre, model.OfferVaccination, model.OfferFamilyDoctor}, []string{"滨河村"}},
	{"青山县人民医院城西分院", "城西街道", []string{model.OfferChildHealthCentre, model.OfferCareGuidanceCentre, model.OfferVaccination, model.OfferExpertStudio, model.OfferPediatricMassage}, []string{"西湾社区", "桃园村"}},
	{"松林镇卫生院", "松林镇", []string{model.OfferChildHealthCentre, model.OfferCareGuidanceCentre, model.OfferVaccination, model.OfferPediatricMassage}, []string{"松林村"}},
	{"白鹭镇卫生院", "白鹭镇", []string{model.OfferChildHealthCentre, model.OfferCareGuidanceCentre, model.OfferVaccination}, []string{"白鹭村"}},
	{"龙潭乡卫生院", "龙潭乡", []string{model.OfferCareGuidanceCentre, model.OfferVaccination, model.OfferFamilyDoctor}, []string{"龙潭村"}},
	{"青山街道社区卫生服务中心", "青山街道", []string{model.OfferCareGuidanceCentre, model.OfferVaccination, model.OfferPediatricMassage}, []string{"青山社区", "文昌社区"}},
	{"梅溪镇卫生院", "梅溪镇", []string{model.OfferVaccination, model.OfferFamilyDoctor}, []string{"梅溪村"}},
	{"高桥镇卫生院", "高桥镇", []string{model.OfferVaccination, model.OfferFamilyDoctor}, nil},
}

var weekdays = []model.OpenHours{{Weekdays: []int{1, 2, 3, 4, 5}, Start: "08:00", End: "17:00"}}

// noonAndWeekend are the vaccination clinics' extra hours: 中午不打烊，周末不休息
// (weekend noons too).
var noonAndWeekend = []model.OpenHours{
	{Weekdays: []int{1, 2, 3, 4, 5}, Start: "11:30", End: "14:00", Offer: model.OfferVaccination},
	{Weekdays: []int{6, 7}, Start: "08:30", End: "14:00", Offer: model.OfferVaccination},
}

// Network extends a freshly seeded Demo database into the demo network and
// creates its sessions (TopUp). It runs only where Demo just seeded.
func Network(ctx context.Context, db *gorm.DB, now time.Time, loc *time.Location) error {
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var clinics []model.Clinic
		if err := tx.Order("id").Find(&clinics).Error; err != nil {
			return err
		}
		byName := map[string]*model.Clinic{}
		for i := range clinics {
			byName[clinics[i].Name] = &clinics[i]
		}
		main := &clinics[0]
		main.Offers = []string{model.OfferChildHealthCentre, model.OfferExpertStudio, model.OfferVaccination, model.OfferPediatricMassage}
		main.Hours = append([]model.OpenHours{{Weekdays: []int{1, 2, 3, 4, 5, 6, 7}, Start: "08:00", End: "17:30"}}, noonAndWeekend...)
		main.Catchment = []string{"县城"}
		lat, lng := 29.60, 119.40
		main.Lat, main.Lng = &lat, &lng
		if err := tx.Save(main).Error; err != nil {
			return err
		}
		stationNo := 0
		for i, bp := range branchPlans {
			b := byName[bp.name]
			if b == nil {
				b = &model.Clinic{Name: bp.name, Kind: model.ClinicBranch, ParentID: &main.ID,
					Address: bp.town + "健康路 " + strconv.Itoa(10+i) + " 号", Phone: fmt.Sprintf("0571-8801 %02d00", i+1)}
			}
			b.Offers, b.Hours = bp.offers, weekdays
			b.OpenHours = "周一至周五 08:00-17:00"
			if i%2 == 0 { // every other vaccination clinic stays open at noon and at weekends
				b.Hours = append(append([]model.OpenHours{}, weekdays...), noonAndWeekend...)
				b.OpenHours += "；疫苗门诊中午不打烊，周末不休息"
			}
			b.Catchment = append([]string{bp.town}, bp.stations...)
			la, ln := 29.50+float64(i)*0.03, 119.30+float64(i)*0.02
			b.Lat, b.Lng = &la, &ln
			if err := tx.Save(b).Error; err != nil {
				return err
			}
			for _, village := range bp.stations {
				name := village + "卫生驿站"
				if byName[name] != nil {
					stationNo++
					continue
				}
				st := &model.Clinic{Name: name, Kind: model.ClinicStation, ParentID: &b.ID, Address: bp.town + village,
					Phone: fmt.Sprintf("0571-8802 %02d01", stationNo), OpenHours: "周一至周五 08:30-11:30",
					Offers: []string{model.OfferParentChildPlay}, Catchment: []string{village},
					Hours: []model.OpenHours{{Weekdays: []int{1, 2, 3, 4, 5}, Start: "08:30", End: "11:30"}}}
				if err := tx.Create(st).Error; err != nil {
					return err
				}
				stationNo++
			}
		}
		var all []model.Clinic
		if err := tx.Select("id", "name").Find(&all).Error; err != nil {
			return err
		}
		ids := map[string]int64{}
		for _, c := range all {
			ids[c.Name] = c.ID
		}
		return studiosAndSchedules(tx, main.ID, ids)
	})
	if err != nil {
		return err
	}
	_, err = TopUp(ctx, db, now, loc)
	return err
}

// studiosAndSchedules makes three 名医工作室: main-hospital pediatric heads sitting at
// branches on Tuesday mornings, and the services and schedules around the
// network (noon and weekend vaccination, 推拿, the 流动专家 tour).
func studiosAndSchedules(tx *gorm.DB, mainID int64, ids map[string]int64) error {
	clinicID := func(name string) int64 { return ids[name] }
	// Demo's weekly plans become schedules too, so TopUp keeps them ahead.
	for _, p := range plans {
		var sv model.Service
		if err := tx.Where("name = ? AND kind = ?", p.name, p.kind).First(&sv).Error; err != nil {
			return err
		}
		days := make([]string, len(p.weekdays))
		for i, d := range p.weekdays {
			wd := int(d)
			if wd == 0 {
				wd = 7
			}
			days[i] = strconv.Itoa(wd)
		}
		var expertID int64
		if p.expert != "" {
			var e model.Expert
			if err := tx.Where("name = ?", map[string]string{"wang": "王建华", "li": "李秀英", "chen": "陈明"}[p.expert]).First(&e).Error; err != nil {
				return err
			}
			expertID = e.ID
		}
		end := clock(p.start) + p.minutes
		if err := tx.Create(&model.Schedule{ServiceID: sv.ID, ExpertID: expertID, ClinicID: sv.ClinicID, Weekdays: strings.Join(days, ","),
			StartTime: p.start, EndTime: fmt.Sprintf("%02d:%02d", end/60, end%60), Capacity: p.capacity}).Error; err != nil {
			return err
		}
	}
	var wang model.Expert
	if err := tx.Where("name = ?", "王建华").First(&wang).Error; err != nil {
		return err
	}
	wang.HomeClinicID = mainID
	if err := tx.Save(&wang).Error; err != nil {
		return err
	}
	experts := []struct {
		e      *model.Expert
		clinic string
		studio string
	}{
		{&wang, "石桥镇卫生院", "王建华儿科名医工作室"},
		{&model.Expert{Name: "林淑芬", Title: "主任医师 · 儿童保健科主任", Specialty: "生长发育、矮小症", HomeClinicID: mainID,
			Bio: "县人民医院儿童保健科主任，每周二上午在城西分院名医工作室坐诊。"}, "青山县人民医院城西分院", "林淑芬儿童保健名医工作室"},
		{&model.Expert{Name: "黄志远", Title: "副主任医师 · 新生儿科", Specialty: "早产儿随访、喂养困难", HomeClinicID: mainID,
			Bio: "专注高危儿随访，每周二上午在松林镇卫生院名医工作室坐诊。"}, "松林镇卫生院", "黄志远新生儿名医工作室"},
	}
	for _, x := range experts {
		cid := clinicID(x.clinic)
		x.e.ClinicID = cid
		if x.e.ID == 0 {
			if err := tx.Create(x.e).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(&model.ExpertSitting{ExpertID: x.e.ID, ClinicID: cid, StudioName: x.studio, Weekdays: "2", StartTime: "08:30", EndTime: "11:30"}).Error; err != nil {
			return err
		}
		if x.e.Name == "王建华" {
			continue // Demo already runs his studio's service
		}
		if err := schedule(tx, cid, x.e.ID, model.ServiceExpertClinic, x.studio, "县人民医院专家每周二坐诊", 180, 15, "2", "08:30", "11:30"); err != nil {
			return err
		}
	}
	for _, name := range []string{"青山县人民医院城西分院", "白鹭镇卫生院"} {
		cid := clinicID(name)
		if err := schedule(tx, cid, 0, model.ServiceVaccination, "疫苗接种（午间门诊）", "中午不打烊，方便上班族家长", 120, 30, "1,2,3,4,5", "11:30", "13:30"); err != nil {
			return err
		}
		if err := schedule(tx, cid, 0, model.ServiceVaccination, "疫苗接种（周末门诊）", "周末不休息，含周末中午", 300, 40, "6,7", "08:30", "13:30"); err != nil {
			return err
		}
	}
	for _, name := range []string{"青山县人民医院城东分院", "松林镇卫生院", "青山街道社区卫生服务中心"} {
		if err := schedule(tx, clinicID(name), 0, model.ServicePediatricMassage, "小儿推拿", "中医小儿推拿，家长可现场学习手法", 40, 8, "3,6", "14:00", "16:00"); err != nil {
			return err
		}
	}
	// 流动专家: free bone-age and foot screening touring the branches, one a
	// weekday.
	for i, name := range []string{"河口镇卫生院", "龙潭乡卫生院", "梅溪镇卫生院", "高桥镇卫生院"} {
		if err := schedule(tx, clinicID(name), 0, model.ServiceGrowthAssessment, "流动专家：骨龄与足底筛查", "县人民医院流动专家团队免费骨龄测量、足底筛查",
			180, 30, strconv.Itoa(i+1), "09:00", "12:00"); err != nil {
			return err
		}
	}
	return nil
}

// schedule adds a service and its weekly schedule (sessions come from
// TopUp).
func schedule(tx *gorm.DB, clinicID, expertID int64, kind, name, desc string, minutes, capacity int, days, start, end string) error {
	sv := &model.Service{Kind: kind, Name: name, Description: desc, DurationMinutes: minutes, ClinicID: clinicID}
	if err := tx.Create(sv).Error; err != nil {
		return err
	}
	return tx.Create(&model.Schedule{ServiceID: sv.ID, ExpertID: expertID, ClinicID: clinicID, Weekdays: days, StartTime: start,
		EndTime: end, Capacity: capacity}).Error
}

// TopUp keeps the demo schedules' sessions (Schedule rows made by the seed:
// CreatedBy 0, no dates) TopUpDays ahead of now, creating only the
// sessions that are missing: cheap at every start, and it never touches a
// session that exists.
func TopUp(ctx context.Context, db *gorm.DB, now time.Time, loc *time.Location) (int, error) {
	db = db.WithContext(ctx)
	var scheds []model.Schedule
	if err := db.Where("created_by = 0 AND from_date = ''").Order("id").Find(&scheds).Error; err != nil {
		return 0, err
	}
	if len(scheds) == 0 {
		return 0, nil
	}
	var services []model.Service
	if err := db.Find(&services).Error; err != nil {
		return 0, err
	}
	kinds := map[int64]string{}
	for _, sv := range services {
		kinds[sv.ID] = sv.Kind
	}
	today := now.In(loc)
	day0 := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	horizon := day0.AddDate(0, 0, TopUpDays)
	// Only the schedules' services up to the horizon: on a big database
	// every future session would be read (500,000 rows, 500 MB).
	svcIDs := make([]int64, 0, len(scheds))
	for _, sc := range scheds {
		svcIDs = append(svcIDs, sc.ServiceID)
	}
	var existing []model.Session
	if err := db.Select("service_id", "expert_id", "starts_at").
		Where("service_id IN ? AND starts_at > ? AND starts_at <= ?", svcIDs, model.Trunc(now), horizon.UTC()).Find(&existing).Error; err != nil {
		return 0, err
	}
	have := map[string]bool{}
	key := func(svc, exp int64, t time.Time) string { return fmt.Sprint(svc, "/", exp, "/", t.UTC().Unix()) }
	for _, s := range existing {
		have[key(s.ServiceID, s.ExpertID, s.StartsAt)] = true
	}
	var rows []model.Session
	for _, sc := range scheds {
		st, et := clock(sc.StartTime), clock(sc.EndTime)
		hh, mm, eh, em := st/60, st%60, et/60, et%60
		for d := day0; d.Before(horizon); d = d.AddDate(0, 0, 1) {
			wd := int(d.Weekday())
			if wd == 0 {
				wd = 7
			}
			if !strings.Contains(","+sc.Weekdays+",", ","+strconv.Itoa(wd)+",") {
				continue
			}
			start := time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, loc)
			if !start.After(now) || have[key(sc.ServiceID, sc.ExpertID, start)] {
				continue
			}
			id := sc.ID
			rows = append(rows, model.Session{ServiceID: sc.ServiceID, ExpertID: sc.ExpertID, ClinicID: sc.ClinicID, Kind: kinds[sc.ServiceID],
				StartsAt: start.UTC(), EndsAt: time.Date(d.Year(), d.Month(), d.Day(), eh, em, 0, 0, loc).UTC(),
				Capacity: sc.Capacity, Status: model.SessionOpen, ScheduleID: &id})
		}
	}
	if len(rows) == 0 {
		return 0, nil
	}
	if err := db.CreateInBatches(rows, 200).Error; err != nil {
		return 0, err
	}
	return len(rows), nil
}

// clock is minutes after midnight of "HH:MM".
func clock(hm string) int {
	h, m, _ := strings.Cut(hm, ":")
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	return hh*60 + mm
}
