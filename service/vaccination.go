package service

import (
	"context"
	"regexp"
	"strings"
	"time"

	"familycare/model"
	"familycare/pii"

	"gorm.io/gorm"
)

// Vaccination errors.
var (
	ErrDoseAlreadyRecorded = newErr(KindConflict, "dose_already_recorded", "该剂次已登记接种，不能重复登记")
	ErrDoseTooEarly        = newErr(KindInvalid, "dose_too_early", "未到该剂次的最早接种日期")
	ErrNoBirthDate         = newErr(KindInvalid, "birth_date_required", "请先填写出生日期")
)

// FirstDaysService runs the first 1000 days: the vaccination plan and dose
// records, the 儿保 and prenatal check-up plans, growth and what is next.
type FirstDaysService struct {
	db     *gorm.DB
	clock  Clock
	loc    *time.Location
	notify *NotificationService
	growth growthTables
	pii    *pii.Box
}

// NewFirstDaysService builds the service; the embedded growth tables are
// parsed once (an error means a broken build).
func NewFirstDaysService(deps Deps, notify *NotificationService) (*FirstDaysService, error) {
	t, err := loadGrowthTables()
	if err != nil {
		return nil, err
	}
	return &FirstDaysService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, notify: notify, growth: t, pii: deps.PII}, nil
}

// today is the business date now.
func (s *FirstDaysService) today() time.Time { return s.dateOf(s.clock.Now()) }

// dateOf is t's business date, as a UTC midnight (dates compare as dates).
func (s *FirstDaysService) dateOf(t time.Time) time.Time {
	y, m, d := t.In(s.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func birthOf(m model.Person) (time.Time, bool) {
	if m.BirthDate == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(dateLayout, m.BirthDate)
	return t, err == nil
}

// VaccinationPlan is a person's plan.
type VaccinationPlan struct {
	Person          model.Person
	ScheduleVersion string
	Doses           []DosePlan
}

// Vaccinations returns the plan of person id as the caller may see it.
func (s *FirstDaysService) Vaccinations(ctx context.Context, p Principal, id int64) (VaccinationPlan, error) {
	db := s.db.WithContext(ctx)
	m, err := personFor(db, p, id)
	if err != nil {
		return VaccinationPlan{}, err
	}
	var rows []model.VaccinationDose
	if err := db.Where("person_id = ?", m.ID).Order("given_at, id").Find(&rows).Error; err != nil {
		return VaccinationPlan{}, err
	}
	custom, err := customDoses(db, rows)
	if err != nil {
		return VaccinationPlan{}, err
	}
	return VaccinationPlan{Person: m, ScheduleVersion: ScheduleVersion, Doses: s.plan(m, rows, custom)}, nil
}

// plan merges the schedule with the recorded doses. The doses of a 自费
// vaccine in custom are planned once the person has one of them; other
// doses outside the programme are listed as done after it.
func (s *FirstDaysService) plan(m model.Person, rows []model.VaccinationDose, custom []plannedDose) []DosePlan {
	given := map[doseRef]givenDose{}
	started := map[string]bool{}
	for _, r := range rows {
		given[doseRef{r.Vaccine, r.Dose}] = givenDose{Date: s.dateOf(r.GivenAt), ClinicID: r.ClinicID}
		started[r.Vaccine] = true
	}
	birth, ok := birthOf(m)
	if !ok {
		return []DosePlan{}
	}
	var extra []plannedDose
	for _, c := range custom {
		if started[c.Vaccine] {
			extra = append(extra, c)
		}
	}
	out := planDoses(birth, s.today(), given, extra...)
	inPlan := map[doseRef]bool{}
	for _, d := range out {
		inPlan[doseRef{d.Vaccine, d.Dose}] = true
	}
	for _, r := range rows {
		ref := doseRef{r.Vaccine, r.Dose}
		if inPlan[ref] {
			continue
		}
		at := s.dateOf(r.GivenAt)
		out = append(out, DosePlan{Vaccine: r.Vaccine, Name: r.Vaccine, Dose: r.Dose, State: DoseDone,
			DueDate: at, GivenAt: &at, ClinicID: r.ClinicID, Programme: isProgrammeVaccine(r.Vaccine)})
	}
	return out
}

var programmeVaccines = map[string]bool{"HepB": true, "BCG": true, "IPV": true, "bOPV": true, "DTaP": true, "DT": true,
	"MMR": true, "JE-L": true, "JE-I": true, "MPSV-A": true, "MPSV-AC": true, "HepA-L": true, "HepA-I": true}

func isProgrammeVaccine(v string) bool { return programmeVaccines[v] }

var vaccineCode = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,31}$`)

// NewDose is a dose to record.
type NewDose struct {
	Vaccine      string
	Dose         int
	GivenAt      time.Time
	Lot          string
	Manufacturer string
	Site         string
	ClinicID     int64 // 0: the caller's clinic
	BookingID    int64
}

// RecordDose records a dose given to person id (staff). A programme dose is
// checked against the schedule's minimum age and interval; a vaccine code
// outside the programme is a 自费 vaccine and recorded as given.
func (s *FirstDaysService) RecordDose(ctx context.Context, p Principal, id int64, in NewDose) (DosePlan, error) {
	in.Vaccine = strings.TrimSpace(in.Vaccine)
	fields := map[string]string{}
	if !vaccineCode.MatchString(in.Vaccine) {
		fields["vaccine"] = "疫苗代码应为 1–32 位字母、数字或连字符"
	}
	if in.Dose < 1 || in.Dose > 10 {
		fields["dose"] = "剂次应为 1–10"
	}
	if in.GivenAt.IsZero() {
		fields["given_at"] = "必填"
	} else if in.GivenAt.After(s.clock.Now().Add(5 * time.Minute)) {
		fields["given_at"] = "接种时间不能晚于现在"
	}
	for k, v := range map[string]string{"lot": in.Lot, "manufacturer": in.Manufacturer, "site": in.Site} {
		if len([]rune(v)) > 64 {
			fields[k] = "最长 64 个字符"
		}
	}
	if len(fields) > 0 {
		return DosePlan{}, Invalid(fields)
	}
	if in.ClinicID == 0 {
		in.ClinicID = p.ClinicID
	}
	var out DosePlan
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		m, err := personFor(tx, p, id)
		if err != nil {
			return err
		}
		birth, ok := birthOf(m)
		if !ok {
			return ErrNoBirthDate
		}
		var rows []model.VaccinationDose
		if err := tx.Where("person_id = ?", m.ID).Find(&rows).Error; err != nil {
			return err
		}
		given := map[doseRef]givenDose{}
		for _, r := range rows {
			given[doseRef{r.Vaccine, r.Dose}] = givenDose{Date: s.dateOf(r.GivenAt)}
		}
		ref := doseRef{in.Vaccine, in.Dose}
		if _, dup := given[ref]; dup {
			return ErrDoseAlreadyRecorded
		}
		var custom []plannedDose
		if !isProgrammeVaccine(in.Vaccine) {
			var cv []model.CustomVaccine
			if err := tx.Where("code = ?", in.Vaccine).Find(&cv).Error; err != nil {
				return err
			}
			custom = customPlanned(cv)
		}
		day := s.dateOf(in.GivenAt)
		if day.Before(birth) {
			return InvalidField("given_at", "接种日期早于出生日期")
		}
		if earliest, reason, ok := earliestFor(birth, ref, given, custom...); !ok && (isProgrammeVaccine(in.Vaccine) || len(custom) > 0) {
			return InvalidField("dose", "该疫苗没有这一剂次")
		} else if ok {
			if day.Before(earliest) {
				return ErrDoseTooEarly.Msg("%s：%s第%d剂最早可在 %s 接种", reason, in.Vaccine, in.Dose, earliest.Format(dateLayout)).
					With(map[string]any{"earliest": earliest.Format(dateLayout), "reason": reason})
			}
		}
		row := model.VaccinationDose{PersonID: m.ID, Vaccine: in.Vaccine, Dose: in.Dose, GivenAt: in.GivenAt.UTC(),
			Lot: strings.TrimSpace(in.Lot), Manufacturer: strings.TrimSpace(in.Manufacturer), Site: strings.TrimSpace(in.Site),
			ClinicID: in.ClinicID, BookingID: in.BookingID, RecordedBy: p.UserID}
		if err := tx.Create(&row).Error; err != nil {
			if isDuplicate(err) {
				return ErrDoseAlreadyRecorded
			}
			return err
		}
		for _, d := range s.plan(m, append(rows, row), custom) {
			if d.Vaccine == in.Vaccine && d.Dose == in.Dose {
				out = d
			}
		}
		return nil
	})
	return out, err
}
