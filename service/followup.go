package service

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"
	"familycare/pii"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// followUpMachine is the visit state machine: planned by the plan job (or
// staff), done when a team member records it, cancelled when the plan no
// longer applies.
var followUpMachine = &Machine{
	Name: "follow-up visit", Table: "follow_up_visits",
	States: []string{model.FollowUpPlanned, model.FollowUpDone, model.FollowUpCancelled},
	Moves: []Move{
		{"", model.FollowUpPlanned, []string{SideSystem, SideStaff}},
		{model.FollowUpPlanned, model.FollowUpDone, []string{SideStaff}},
		{model.FollowUpPlanned, model.FollowUpCancelled, []string{SideStaff, SideSystem}},
	},
	model: func() any { return &model.FollowUpVisit{} },
	event: func(st Step, at time.Time) any {
		return &model.FollowUpEvent{VisitID: st.ID, Transition: st.record(at)}
	},
}

// DefaultFollowUpRules are the rules of the basic public health service:
// hypertension and type 2 diabetes at least four times a year, high-risk
// children monthly, postpartum visits in the first week and at 42 days.
// They are stored as data (follow_up_rules) and written once when missing.
var DefaultFollowUpRules = []model.FollowUpRule{
	{Code: "hypertension", Name: "高血压患者随访", Kind: model.RuleChronic, Keyword: "高血压", IntervalDays: 90, Active: true},
	{Code: "diabetes_t2", Name: "2型糖尿病患者随访", Kind: model.RuleChronic, Keyword: "糖尿病", IntervalDays: 90, Active: true},
	{Code: "child_high_risk", Name: "高危儿/体弱儿随访", Kind: model.RuleChildHighRisk, IntervalDays: 30, Active: true},
	{Code: "postpartum", Name: "产后访视", Kind: model.RulePostpartum, OffsetDays: []int{7, 42}, Active: true},
}

// Follow-up methods.
var followUpMethods = []string{"home", "clinic", "phone"}

// FollowUpService plans and records follow-up visits (随访) of persons
// covered by active contracts. Records are sealed and never logged.
type FollowUpService struct {
	db    *gorm.DB
	pii   *pii.Box
	clock Clock
	loc   *time.Location
	log   *slog.Logger
	// Growth flags high-risk children (the child-health plan).
	Growth *FirstDaysService
}

// NewFollowUpService builds the service.
func NewFollowUpService(deps Deps, growth *FirstDaysService) *FollowUpService {
	return &FollowUpService{db: deps.DB, pii: deps.PII, clock: deps.Clock, loc: deps.Loc, log: deps.Log, Growth: growth}
}

// FollowUpRecord is what a visit recorded (sealed at rest).
type FollowUpRecord struct {
	Systolic    *int     `json:"systolic,omitempty"`
	Diastolic   *int     `json:"diastolic,omitempty"`
	GlucoseMmol *float64 `json:"glucose_mmol,omitempty"`
	WeightKg    *float64 `json:"weight_kg,omitempty"`
	Notes       string   `json:"notes,omitempty"`
	NextStep    string   `json:"next_step,omitempty"`
}

// FollowUpView is a visit with its rule's name, whether it is overdue and
// its record.
type FollowUpView struct {
	Visit    model.FollowUpVisit
	RuleName string
	Overdue  bool
	Record   *FollowUpRecord
}

// ensureRules writes the default rules that are missing (idempotent).
func ensureRules(tx *gorm.DB) error {
	for _, r := range DefaultFollowUpRules {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error; err != nil {
			return err
		}
	}
	return nil
}

func (s *FollowUpService) today() time.Time {
	y, m, d := s.clock.Now().In(s.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// GeneratePlans writes the visits due under the rules for every person
// covered by an active contract; an existing visit is never written twice
// (the unique key), so any number of processes may run it. It answers how
// many visits this run planned.
func (s *FollowUpService) GeneratePlans(ctx context.Context) (int, error) {
	db := s.db.WithContext(ctx)
	if err := ensureRules(db); err != nil {
		return 0, err
	}
	var rules []model.FollowUpRule
	if err := db.Where("active = ?", true).Order("id").Find(&rules).Error; err != nil {
		return 0, err
	}
	type cover struct {
		RowID      int64
		MemberID   int64
		ContractID int64
		TeamID     int64
		ValidFrom  string
		ValidUntil string
	}
	planned, after := 0, int64(0)
	for {
		var rows []cover
		if err := db.Table("contract_members").
			Select("contract_members.id AS row_id, contract_members.member_id, family_contracts.id AS contract_id, family_contracts.team_id, family_contracts.valid_from, family_contracts.valid_until").
			Joins("JOIN family_contracts ON family_contracts.id = contract_members.contract_id").
			Where("contract_members.active = ? AND family_contracts.status = ? AND contract_members.id > ?", true, model.ContractActive, after).
			Order("contract_members.id").Limit(500).Scan(&rows).Error; err != nil {
			return planned, err
		}
		if len(rows) == 0 {
			return planned, nil
		}
		after = rows[len(rows)-1].RowID
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.MemberID
		}
		var members []model.Person
		if err := db.Where("id IN ?", ids).Find(&members).Error; err != nil {
			return planned, err
		}
		byID := indexBy(members, func(m model.Person) int64 { return m.ID })
		risky, err := s.highRisk(db, members)
		if err != nil {
			return planned, err
		}
		var have []model.FollowUpVisit
		if err := db.Select("person_id", "rule_code", "due_date").Where("person_id IN ?", ids).Find(&have).Error; err != nil {
			return planned, err
		}
		exists := map[string]bool{}
		for _, v := range have {
			exists[fmt.Sprint(v.PersonID, v.RuleCode, v.DueDate)] = true
		}
		for _, r := range rows {
			m, ok := byID[r.MemberID]
			if !ok {
				continue
			}
			for _, rule := range rules {
				for _, due := range s.dueDates(rule, m, risky[m.ID], r.ValidFrom, r.ValidUntil) {
					if exists[fmt.Sprint(m.ID, rule.Code, due)] {
						continue
					}
					n, err := s.plan(ctx, model.FollowUpVisit{PersonID: m.ID, RuleCode: rule.Code, DueDate: due, TeamID: r.TeamID,
						ContractID: r.ContractID})
					if err != nil {
						return planned, err
					}
					planned += n
				}
			}
		}
	}
}

// plan inserts one visit unless it exists, with its history row.
func (s *FollowUpService) plan(ctx context.Context, v model.FollowUpVisit) (int, error) {
	n := 0
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		n = 0
		now := s.clock.Now()
		sealed, err := s.pii.Seal("")
		if err != nil {
			return err
		}
		v.ID, v.Status, v.Record, v.CreatedAt, v.UpdatedAt = 0, model.FollowUpPlanned, sealed, now, now
		if err := tx.Create(&v).Error; err != nil {
			if isDuplicate(err) { // another process planned it first
				return nil
			}
			return err
		}
		n = 1
		return followUpMachine.Start(tx, now, Step{ID: v.ID, To: model.FollowUpPlanned, By: systemActor, Reason: "plan: " + v.RuleCode})
	})
	return n, err
}

// dueDates are a rule's visit dates for a member covered from `from` to
// `until` (YYYY-MM-DD). Interval rules run on a grid from the contract's
// start; a high-risk child's grid starts at today (flags come later).
func (s *FollowUpService) dueDates(rule model.FollowUpRule, m model.Person, risky bool, from, until string) []string {
	start, err1 := time.Parse(dateLayout, from)
	end, err2 := time.Parse(dateLayout, until)
	if err1 != nil || err2 != nil {
		return nil
	}
	today := s.today()
	var out []string
	grid := func(min time.Time) {
		if rule.IntervalDays <= 0 {
			return
		}
		for d := start.AddDate(0, 0, rule.IntervalDays); !d.After(end); d = d.AddDate(0, 0, rule.IntervalDays) {
			if !d.Before(min) {
				out = append(out, d.Format(dateLayout))
			}
		}
	}
	switch rule.Kind {
	case model.RuleChronic:
		if slices.ContainsFunc(m.ChronicConditions, func(c string) bool { return rule.Keyword != "" && strings.Contains(c, rule.Keyword) }) {
			grid(start)
		}
	case model.RuleChildHighRisk:
		if risky {
			grid(today)
		}
	case model.RulePostpartum:
		due, err := time.Parse(dateLayout, m.DueDate)
		if err != nil {
			return nil
		}
		for _, off := range rule.OffsetDays {
			if d := due.AddDate(0, 0, off); !d.Before(start) && !d.After(end) {
				out = append(out, d.Format(dateLayout))
			}
		}
	}
	return out
}

// highRisk flags the children under six among members from their birth
// record and growth measurements (the child-health plan's 高危儿/体弱儿).
func (s *FollowUpService) highRisk(db *gorm.DB, members []model.Person) (map[int64]bool, error) {
	out := map[int64]bool{}
	if s.Growth == nil {
		return out, nil
	}
	var kids []int64
	now := s.clock.Now()
	for _, m := range members {
		if a := AgeYears(m.BirthDate, now, s.loc); a >= 0 && a < 6 {
			kids = append(kids, m.ID)
		}
	}
	if len(kids) == 0 {
		return out, nil
	}
	var rows []model.GrowthMeasurement
	if err := db.Where("person_id IN ?", kids).Order("measured_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	byPerson := map[int64][]model.GrowthMeasurement{}
	for _, r := range rows {
		byPerson[r.PersonID] = append(byPerson[r.PersonID], r)
	}
	for _, m := range members {
		if s.Growth.growthView(m, byPerson[m.ID]).HighRisk { // the birth record alone can flag
			out[m.ID] = true
		}
	}
	return out, nil
}

// ForPerson lists a person's visits by due date (the household on resident
// routes, through personFor; staff within their reach).
func (s *FollowUpService) ForPerson(ctx context.Context, p Principal, id int64) ([]FollowUpView, error) {
	db := s.db.WithContext(ctx)
	m, err := personFor(db, p, id)
	if err != nil {
		return nil, err
	}
	var visits []model.FollowUpVisit
	if err := db.Where("person_id = ?", m.ID).Order("due_date, id").Find(&visits).Error; err != nil {
		return nil, err
	}
	return s.views(db, visits)
}

func (s *FollowUpService) views(db *gorm.DB, visits []model.FollowUpVisit) ([]FollowUpView, error) {
	var rules []model.FollowUpRule
	if err := db.Find(&rules).Error; err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, r := range rules {
		names[r.Code] = r.Name
	}
	today := s.today().Format(dateLayout)
	out := make([]FollowUpView, 0, len(visits))
	for _, v := range visits {
		fv := FollowUpView{Visit: v, RuleName: names[v.RuleCode], Overdue: v.Status == model.FollowUpPlanned && v.DueDate < today}
		plain, err := s.pii.Open(v.Record)
		if err != nil {
			return nil, err
		}
		if plain != "" {
			var rec FollowUpRecord
			if err := json.Unmarshal([]byte(plain), &rec); err != nil {
				return nil, fmt.Errorf("follow-up record %d: %w", v.ID, err)
			}
			fv.Record = &rec
		}
		fv.Visit.Record = ""
		out = append(out, fv)
	}
	return out, nil
}

// FollowUpInput records a visit.
type FollowUpInput struct {
	Method string
	FollowUpRecord
}

func (in *FollowUpInput) normalize() error {
	f := map[string]string{}
	in.Notes, in.NextStep = strings.TrimSpace(in.Notes), strings.TrimSpace(in.NextStep)
	if !slices.Contains(followUpMethods, in.Method) {
		f["method"] = "must be one of home clinic phone"
	}
	between := func(field string, v, lo, hi float64) {
		if v < lo || v > hi {
			f[field] = fmt.Sprintf("must be between %g and %g", lo, hi)
		}
	}
	if in.Systolic != nil {
		between("systolic", float64(*in.Systolic), 50, 260)
	}
	if in.Diastolic != nil {
		between("diastolic", float64(*in.Diastolic), 30, 160)
	}
	if in.GlucoseMmol != nil {
		between("glucose_mmol", *in.GlucoseMmol, 1, 40)
	}
	if in.WeightKg != nil {
		between("weight_kg", *in.WeightKg, 0.5, 300)
	}
	if utf8.RuneCountInString(in.Notes) > 1000 {
		f["notes"] = "must be at most 1000 characters"
	}
	if utf8.RuneCountInString(in.NextStep) > 255 {
		f["next_step"] = "must be at most 255 characters"
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

// Record records a planned visit as done (home, clinic or phone), by a
// member of the visit's team; anyone else gets 404.
func (s *FollowUpService) Record(ctx context.Context, p Principal, id int64, in FollowUpInput) (FollowUpView, error) {
	if err := in.normalize(); err != nil {
		return FollowUpView{}, err
	}
	raw, err := json.Marshal(in.FollowUpRecord)
	if err != nil {
		return FollowUpView{}, err
	}
	sealed, err := s.pii.Seal(string(raw))
	if err != nil {
		return FollowUpView{}, err
	}
	var v model.FollowUpVisit
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		if err := forUpdate(tx).First(&v, id).Error; err != nil {
			return notFound(err)
		}
		if _, ok, err := inTeam(tx, p, v.TeamID); err != nil || !ok {
			if err != nil {
				return err
			}
			return ErrNotFound
		}
		now := s.clock.Now()
		return followUpMachine.Apply(tx, now, Step{ID: v.ID, From: v.Status, To: model.FollowUpDone, By: actorOf(p), Row: &v,
			Set: map[string]any{"method": in.Method, "record": sealed, "done_at": now, "recorded_by": p.UserID}})
	})
	if err != nil {
		return FollowUpView{}, err
	}
	s.log.Info("follow-up recorded", "visit_id", id, "method", in.Method)
	vs, err := s.views(s.db.WithContext(ctx), []model.FollowUpVisit{v})
	if err != nil {
		return FollowUpView{}, err
	}
	return vs[0], nil
}
