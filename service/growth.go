package service

import (
	"context"
	"math"
	"strings"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// GrowthPoint is a measurement with its z-scores and percentiles (keys:
// the indicators; an indicator without a value or outside its table is
// absent).
type GrowthPoint struct {
	model.GrowthMeasurement
	AgeMonths  float64
	Z          map[string]float64
	Percentile map[string]float64
}

// GrowthFlag is a finding from the measurements.
type GrowthFlag struct {
	Code  string // underweight, stunting, faltering
	Label string
}

// GrowthView is a person's measurements and flags.
type GrowthView struct {
	Person   model.Person
	Sex      string
	Standard string
	Points   []GrowthPoint
	Flags    []GrowthFlag
	// HighRisk: a flag makes the child 高危儿/体弱儿, followed up by the
	// family-doctor team.
	HighRisk bool
}

// daysPerMonth is WHO's average month (igrowup: age in days / 30.4375).
const daysPerMonth = 30.4375

// Growth returns the measurements of person id, oldest first.
func (s *FirstDaysService) Growth(ctx context.Context, p Principal, id int64) (GrowthView, error) {
	db := s.db.WithContext(ctx)
	m, err := personFor(db, p, id)
	if err != nil {
		return GrowthView{}, err
	}
	var rows []model.GrowthMeasurement
	if err := db.Where("person_id = ?", m.ID).Order("measured_at, id").Find(&rows).Error; err != nil {
		return GrowthView{}, err
	}
	return s.growthView(m, rows), nil
}

func (s *FirstDaysService) growthView(m model.Person, rows []model.GrowthMeasurement) GrowthView {
	v := GrowthView{Person: m, Sex: m.Gender, Standard: GrowthStandardsVersion, Points: make([]GrowthPoint, 0, len(rows)), Flags: []GrowthFlag{}}
	birth, hasBirth := birthOf(m)
	for _, r := range rows {
		pt := GrowthPoint{GrowthMeasurement: r, Z: map[string]float64{}, Percentile: map[string]float64{}}
		set := func(ind string, z float64) {
			pt.Z[ind], pt.Percentile[ind] = round2(z), math.Round(percentile(z)*10)/10
		}
		var months float64
		if hasBirth {
			months = s.dateOf(r.MeasuredAt).Sub(birth).Hours() / 24 / daysPerMonth
			pt.AgeMonths = round2(months)
			for ind, val := range map[string]*float64{IndicatorWeightForAge: r.WeightKg, IndicatorLengthForAge: r.LengthCm, IndicatorHeadForAge: r.HeadCm} {
				if val == nil {
					continue
				}
				if z, ok := s.zFor(ind, m.Gender, months, *val); ok {
					set(ind, z)
				}
			}
		}
		if r.WeightKg != nil && r.LengthCm != nil {
			if ind, z, ok := s.zWeightForLength(m.Gender, months, hasBirth, *r.WeightKg, *r.LengthCm); ok {
				set(ind, z)
			}
		}
		v.Points = append(v.Points, pt)
	}
	v.Flags = growthFlags(m, v.Points)
	v.HighRisk = len(v.Flags) > 0
	return v
}

func (s *FirstDaysService) zFor(indicator, sex string, months, x float64) (float64, bool) {
	p, ok := s.growth.at(indicator, sex, months)
	if !ok || x <= 0 {
		return 0, false
	}
	return zScore(p, x), true
}

// zWeightForLength is the weight-for-length (under 24 months) or
// weight-for-height (from 24 months) z-score; false outside the tables (a
// child older than 5 years, or a length outside 45–110 / 65–120 cm).
func (s *FirstDaysService) zWeightForLength(sex string, months float64, hasAge bool, kg, cm float64) (string, float64, bool) {
	if hasAge && months > 60 || kg <= 0 {
		return "", 0, false
	}
	ind, p, ok := s.growth.weightForLength(sex, months, hasAge, cm)
	if !ok {
		return "", 0, false
	}
	return ind, zScore(p, kg), true
}

// growthFlags: the birth record says 早产 (born before 37 weeks) and 低出生体重
// (under 2500 g; also a weight under 2.5 kg measured on the day of birth),
// the latest weight-for-age below −2 SD is 低体重, the latest length-for-age
// below −2 SD 生长迟缓, the latest weight-for-length/height below −2 SD 消瘦
// (wasting), and a fall of weight-for-age by more than 0.67 SD (crossing two
// percentile lines) between the last two weights 体重增长缓慢. Any flag makes
// the child 高危儿/体弱儿 (HighRisk).
func growthFlags(m model.Person, points []GrowthPoint) []GrowthFlag {
	flags := []GrowthFlag{}
	var wfa []float64
	var lfa, wfl *float64
	if m.BirthWeeks != nil && *m.BirthWeeks < 37 {
		flags = append(flags, GrowthFlag{Code: "preterm", Label: "早产"})
	}
	lowBirthWeight := m.BirthWeightG != nil && *m.BirthWeightG < 2500
	for _, p := range points {
		lowBirthWeight = lowBirthWeight || (p.WeightKg != nil && *p.WeightKg < 2.5 && p.AgeMonths*daysPerMonth < 1.5)
		if z, ok := p.Z[IndicatorWeightForAge]; ok {
			wfa = append(wfa, z)
		}
		if z, ok := p.Z[IndicatorLengthForAge]; ok {
			lfa = &z
		}
		for _, ind := range []string{IndicatorWeightForLength, IndicatorWeightForHeight} {
			if z, ok := p.Z[ind]; ok {
				wfl = &z
			}
		}
	}
	if lowBirthWeight {
		flags = append(flags, GrowthFlag{Code: "low_birth_weight", Label: "低出生体重"})
	}
	if n := len(wfa); n > 0 && wfa[n-1] < -2 {
		flags = append(flags, GrowthFlag{Code: "underweight", Label: "低体重"})
	}
	if lfa != nil && *lfa < -2 {
		flags = append(flags, GrowthFlag{Code: "stunting", Label: "生长迟缓"})
	}
	if wfl != nil && *wfl < -2 {
		flags = append(flags, GrowthFlag{Code: "wasting", Label: "消瘦"})
	}
	if n := len(wfa); n > 1 && wfa[n-2]-wfa[n-1] > 0.67 {
		flags = append(flags, GrowthFlag{Code: "faltering", Label: "体重增长缓慢"})
	}
	return flags
}

// NewMeasurement is a measurement to add.
type NewMeasurement struct {
	MeasuredAt                 time.Time
	WeightKg, LengthCm, HeadCm *float64
}

// any reports whether a value was measured.
func (in NewMeasurement) any() bool {
	return in.WeightKg != nil || in.LengthCm != nil || in.HeadCm != nil
}

// measurementFields checks a measurement's values (and that it is not in the
// future); required: at least one value.
func (s *FirstDaysService) measurementFields(in NewMeasurement, required bool) map[string]string {
	fields := map[string]string{}
	if required && !in.any() {
		fields["weight_kg"] = "体重、身长、头围至少填一项"
	}
	check := func(name string, v *float64, lo, hi float64) {
		if v != nil && (math.IsNaN(*v) || *v < lo || *v > hi) {
			fields[name] = "数值不在合理范围内"
		}
	}
	check("weight_kg", in.WeightKg, 0.3, 80)
	check("length_cm", in.LengthCm, 20, 200)
	check("head_cm", in.HeadCm, 15, 70)
	if in.MeasuredAt.After(s.clock.Now().Add(5 * time.Minute)) {
		fields["measured_at"] = "测量时间不能晚于现在"
	}
	return fields
}

// AddGrowth adds a measurement of person id. A family's own entry (resident
// route) is marked self-reported; staff entries are measured at the clinic.
func (s *FirstDaysService) AddGrowth(ctx context.Context, p Principal, id int64, in NewMeasurement) (GrowthPoint, error) {
	if in.MeasuredAt.IsZero() {
		in.MeasuredAt = s.clock.Now()
	}
	if fields := s.measurementFields(in, true); len(fields) > 0 {
		return GrowthPoint{}, Invalid(fields)
	}
	var out GrowthPoint
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		m, err := personFor(tx, p, id)
		if err != nil {
			return err
		}
		if b, ok := birthOf(m); ok && s.dateOf(in.MeasuredAt).Before(b) {
			return InvalidField("measured_at", "测量日期早于出生日期")
		} else if ok {
			age := s.dateOf(in.MeasuredAt).Sub(b).Hours() / 24 / daysPerMonth
			if bad := s.implausible(m.Gender, age, in); len(bad) > 0 {
				return Invalid(bad)
			}
		}
		row := model.GrowthMeasurement{PersonID: m.ID, MeasuredAt: in.MeasuredAt.UTC(), WeightKg: in.WeightKg,
			LengthCm: in.LengthCm, HeadCm: in.HeadCm, SelfReported: p.Scope == ScopeSelf, RecordedBy: p.UserID}
		if p.Scope != ScopeSelf {
			row.ClinicID = p.ClinicID
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		out = s.growthView(m, []model.GrowthMeasurement{row}).Points[0]
		return nil
	})
	return out, err
}

// WHO's limits of biologically plausible z-scores (WHO Anthro / igrowup:
// weight-for-age −6…+5, length-for-age −6…+6, head-for-age −5…+5,
// weight-for-length/height −5…+5).
var plausibleZ = map[string][2]float64{
	IndicatorWeightForAge: {-6, 5}, IndicatorLengthForAge: {-6, 6}, IndicatorHeadForAge: {-5, 5},
	IndicatorWeightForLength: {-5, 5}, IndicatorWeightForHeight: {-5, 5},
}

// implausible names the values outside WHO's plausible range at this age
// (for a person of unknown sex: outside it for both sexes).
func (s *FirstDaysService) implausible(sex string, months float64, in NewMeasurement) map[string]string {
	sexes := []string{sex}
	if sex != "male" && sex != "female" {
		sexes = []string{"male", "female"}
	}
	bad := map[string]string{}
	out := func(ind string, z float64) bool { return z < plausibleZ[ind][0] || z > plausibleZ[ind][1] }
	for ind, f := range map[string]struct {
		field string
		v     *float64
	}{IndicatorWeightForAge: {"weight_kg", in.WeightKg}, IndicatorLengthForAge: {"length_cm", in.LengthCm}, IndicatorHeadForAge: {"head_cm", in.HeadCm}} {
		if f.v == nil {
			continue
		}
		n := 0
		for _, sx := range sexes {
			if z, ok := s.zFor(ind, sx, months, *f.v); ok && out(ind, z) {
				n++
			}
		}
		if n == len(sexes) {
			bad[f.field] = "数值超出该月龄的合理范围（WHO 生物学合理值），请核对"
		}
	}
	if in.WeightKg != nil && in.LengthCm != nil && bad["weight_kg"] == "" && bad["length_cm"] == "" {
		n := 0
		for _, sx := range sexes {
			if ind, z, ok := s.zWeightForLength(sx, months, true, *in.WeightKg, *in.LengthCm); ok && out(ind, z) {
				n++
			}
		}
		if n == len(sexes) {
			bad["weight_kg"] = "体重与身长/身高不相称（超出 WHO 生物学合理值），请核对"
		}
	}
	return bad
}

// CurvePoint is one point of a reference curve: a month (age-based
// indicators) or a length/height in cm (weight-for-length/height).
type CurvePoint struct {
	X                           float64
	Measure                     string // length_for_age: "length" (lying, 0–24 months) or "height" (standing, 24–60)
	SDNeg3, SDNeg2, Median      float64
	SD2, SD3, P3, P15, P85, P97 float64
}

// GrowthStandardUnits: the x axis and the measurement unit of each indicator.
var GrowthStandardUnits = map[string][2]string{
	IndicatorWeightForAge: {"month", "kg"}, IndicatorLengthForAge: {"month", "cm"}, IndicatorHeadForAge: {"month", "cm"},
	IndicatorWeightForLength: {"cm", "kg"}, IndicatorWeightForHeight: {"cm", "kg"},
}

// curveStepCm: the weight-for-length/height curves are given every 0.5 cm
// (the tables have a row every 0.1 cm; z-scores use every row).
const curveStepCm = 0.5

// GrowthStandard returns the reference curves of an indicator and sex:
// age-based indicators by completed month 0–60 (length-for-age: lying length
// to 24 months, then standing height from 24 — month 24 appears once for
// each), weight-for-length 45–110 cm and weight-for-height 65–120 cm.
func (s *FirstDaysService) GrowthStandard(indicator, sex string) ([]CurvePoint, error) {
	fields := map[string]string{}
	if _, ok := GrowthStandardUnits[indicator]; !ok {
		fields["indicator"] = "应为 " + strings.Join(GrowthIndicators, "、") + " 之一"
	}
	if sex != "male" && sex != "female" {
		fields["sex"] = "应为 male 或 female"
	}
	if len(fields) > 0 {
		return nil, Invalid(fields)
	}
	const zP3, zP15 = -1.880793608, -1.036433389
	point := func(x float64, measure string, r lms) CurvePoint {
		v := func(z float64) float64 { return math.Round(lmsValue(r, z)*100) / 100 }
		return CurvePoint{X: x, Measure: measure, SDNeg3: v(-3), SDNeg2: v(-2), Median: v(0), SD2: v(2), SD3: v(3),
			P3: v(zP3), P15: v(zP15), P85: v(-zP15), P97: v(-zP3)}
	}
	var out []CurvePoint
	table := func(tab, measure string, every int) {
		t := s.growth[tab][sex]
		for i, r := range t.rows {
			if i%every == 0 {
				out = append(out, point(math.Round((t.start+t.step*float64(i))*10)/10, measure, r))
			}
		}
	}
	switch indicator {
	case IndicatorLengthForAge:
		table("lhfa", "length", 1)
		table("hfa", "height", 1)
	case IndicatorWeightForLength, IndicatorWeightForHeight:
		tab := map[string]string{IndicatorWeightForLength: "wfl", IndicatorWeightForHeight: "wfh"}[indicator]
		table(tab, "", int(math.Round(curveStepCm/s.growth[tab][sex].step)))
	default:
		table(ageTable(indicator, 0), "", 1)
	}
	return out, nil
}
