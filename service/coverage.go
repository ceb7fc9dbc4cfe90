package service

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"familycare/model"

	"gorm.io/gorm"
)

// Coverage figures that mean what the policy means (README "Coverage
// figures"): the 2027 target (80 %) is about key elderly persons — aged 65
// or more (基本公卫) and disabled (失能), very old (高龄, 80+) or in special
// hardship (特困) — living in a clinic's catchment, counted once each,
// signed when an active family-doctor contract covers them.

// VeryOldAge is the age of 高龄 (very old).
const VeryOldAge = 80

// Audit actions of the coverage flags and places.
const (
	AuditPersonCoverageFlags = "person.coverage_flags"
	AuditHouseholdVillage    = "household.village"
)

// ErrVillageNotInCatchment: a household placed in a village no clinic (of
// the caller's, for staff) serves.
var ErrVillageNotInCatchment = newErr(KindInvalid, "village_not_in_catchment",
	"this village or community is not in the catchment of a clinic you may choose from; pick one of a clinic's catchment names")

// CoverageFlagsInput are the flags staff record on a person; nil leaves one
// as it is.
type CoverageFlagsInput struct {
	Disabled        *bool
	SpecialHardship *bool
}

// SetCoverageFlags records 失能 and 特困 on a person within the caller's
// reach (staff: withinClinicWork; admins: anyone), with an audit row.
func (s *HouseholdService) SetCoverageFlags(ctx context.Context, p Principal, id int64, in CoverageFlagsInput) (StaffPersonView, error) {
	var out StaffPersonView
	if in.Disabled == nil && in.SpecialHardship == nil {
		return out, InvalidField("disabled", "send disabled, special_hardship or both")
	}
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		if _, err := personFor(tx, p, id); err != nil {
			return err
		}
		var person model.Person
		if err := forUpdate(tx).First(&person, id).Error; err != nil {
			return notFound(err)
		}
		was := map[string]bool{"disabled": person.Disabled, "special_hardship": person.SpecialHardship}
		if in.Disabled != nil {
			person.Disabled = *in.Disabled
		}
		if in.SpecialHardship != nil {
			person.SpecialHardship = *in.SpecialHardship
		}
		if err := tx.Model(&person).Select("disabled", "special_hardship").Updates(&person).Error; err != nil {
			return err
		}
		if err := writeAudit(tx, s.clock.Now(), p, auditEntry{Action: AuditPersonCoverageFlags, TargetType: "person",
			TargetID: id, ClinicID: p.ClinicID, Detail: map[string]any{"was": was,
				"now": map[string]bool{"disabled": person.Disabled, "special_hardship": person.SpecialHardship}}}); err != nil {
			return err
		}
		var err error
		out, err = s.staffView(tx, person)
		return err
	})
	return out, err
}

// SetVillage places a household in a village or community of a clinic's
// catchment ("" clears it). A guardian (resident routes) picks any open
// clinic's catchment name; staff at the counter one of their clinics'
// catchment, for a household their clinic made or one of whose persons is
// within their clinic's work; admins any household and any open clinic's
// name. Audited.
func (s *HouseholdService) SetVillage(ctx context.Context, p Principal, id int64, village string) (HouseholdView, error) {
	village = strings.TrimSpace(village)
	if utf8.RuneCountInString(village) > 64 {
		return HouseholdView{}, InvalidField("village", "at most 64 characters")
	}
	var out HouseholdView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		a, others, err := s.placeReach(tx, p, id)
		if err != nil {
			return err
		}
		if village != "" {
			names, err := catchmentOf(tx, p, 0)
			if err != nil {
				return err
			}
			if !slices.Contains(names, village) {
				return ErrVillageNotInCatchment.With(map[string]any{"village": village})
			}
		}
		var h model.Household
		if err := forUpdate(tx).First(&h, id).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Model(&model.Household{}).Where("id = ?", id).Update("village", village).Error; err != nil {
			return err
		}
		if err := writeAudit(tx, s.clock.Now(), p, auditEntry{Action: AuditHouseholdVillage, TargetType: "household",
			TargetID: id, ClinicID: p.ClinicID, Detail: map[string]any{"was": h.Village, "now": village}}); err != nil {
			return err
		}
		if out, err = s.view(tx, id, a); err != nil {
			return err
		}
		// Staff who reach the household through some of its persons see
		// those persons only.
		out.Persons = slices.DeleteFunc(out.Persons, func(v PersonView) bool { return others[v.Person.ID] })
		return nil
	})
	return out, err
}

// placeReach is the caller's hold on household id for placing it: reach (a
// guardian's account; a household the caller's clinics hold), or for staff
// a household one of whose persons is within their clinic's work (admins:
// any household). others are then the persons of it the caller does not
// reach, left out of the answer. Anything else is ErrNotFound.
func (s *HouseholdService) placeReach(tx *gorm.DB, p Principal, id int64) (model.HouseholdAccount, map[int64]bool, error) {
	a, err := s.reach(tx, p, id, true)
	if p.Scope == ScopeSelf || !errors.Is(err, ErrNotFound) {
		return a, nil, err
	}
	a = model.HouseholdAccount{HouseholdID: id, Role: model.HouseholdGuardian}
	var persons []int64
	if err := tx.Model(&model.HouseholdPerson{}).Where("household_id = ?", id).Order("person_id").
		Pluck("person_id", &persons).Error; err != nil {
		return a, nil, err
	}
	if p.Scope == ScopeNetwork {
		var n int64
		if err := tx.Model(&model.Household{}).Where("id = ?", id).Count(&n).Error; err != nil || n == 0 {
			if err == nil {
				err = ErrNotFound
			}
			return a, nil, err
		}
		return a, nil, nil
	}
	others := map[int64]bool{}
	for _, person := range persons {
		ok, err := withinClinicWork(tx, p, person)
		if err != nil {
			return a, nil, err
		}
		if !ok {
			others[person] = true
		}
	}
	if len(others) == len(persons) {
		return a, nil, ErrNotFound
	}
	return a, others, nil
}

// catchmentOf is the villages and communities p may place households in:
// the catchment of clinic (with its stations', for a branch) when clinic is
// not 0; otherwise every open clinic's (resident and network scopes) or
// those of the caller's clinics (clinic scope).
func catchmentOf(db *gorm.DB, p Principal, clinic int64) ([]string, error) {
	q := db.Model(&model.Clinic{}).Select("id", "kind", "parent_id", "catchment", "status")
	switch {
	case clinic != 0:
		q = q.Where("id = ? OR parent_id = ?", clinic, clinic)
	case p.Scope == ScopeClinic:
		q = q.Where("id IN ?", p.clinics())
	default:
		q = q.Where("status = ?", model.ClinicOpen)
	}
	var cs []model.Clinic
	if err := q.Order("id").Find(&cs).Error; err != nil {
		return nil, err
	}
	var out []string
	for _, c := range cs {
		if clinic != 0 && c.ID != clinic && c.Kind != model.ClinicStation {
			continue
		}
		for _, v := range c.Catchment {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// CoverageFigures are the figures of one catchment, each person counted
// once however many households name them.
type CoverageFigures struct {
	// Catchment: the villages and communities counted; Clinics: the
	// clinics whose teams count in SignedHere (a branch with its stations).
	Catchment []string
	Clinics   []int64
	// Elderly: persons aged ElderlyAge+ living there; KeyElderly those of
	// them disabled, VeryOldAge+ or in special hardship (the denominator);
	// Disabled, VeryOld and SpecialHardship break KeyElderly down (one
	// person may be in several).
	Elderly, KeyElderly, Disabled, VeryOld, SpecialHardship int64
	// Signed: key elderly persons covered by an active contract of any
	// team; SignedHere: by a team of the clinic (and, for a branch, of its
	// stations). Rate = Signed/KeyElderly (nil without key persons).
	Signed, SignedHere int64
	Rate               *float64
}

// ClinicCoverage is a clinic's row of the figures.
type ClinicCoverage struct {
	Clinic model.Clinic
	CoverageFigures
}

// CoverageReport is the figures of the caller's scope: a row per clinic and
// the total over their catchments (persons in two clinics' catchments
// counted once). Unplaced (network scope only) counts the key elderly
// persons in no catchment: no household, or households without a village
// of any clinic's catchment.
type CoverageReport struct {
	AsOf     string
	Network  bool
	Target   float64
	Total    CoverageFigures
	Unplaced *int64
	Clinics  []ClinicCoverage
}

// elderPerson is a person aged ElderlyAge+ as the figures need them.
type elderPerson struct {
	ID              int64
	BirthDate       string
	Disabled        bool
	SpecialHardship bool
}

// Coverage returns the coverage figures: admins every open clinic (or the
// clinic asked for) and the network; staff the clinics of their scope (or
// one of them; another clinic is 403).
func (s *ContractService) Coverage(ctx context.Context, p Principal, clinicID int64) (CoverageReport, error) {
	db := s.db.WithContext(ctx)
	now := s.clock.Now().In(s.loc)
	rep := CoverageReport{AsOf: now.Format(dateLayout), Target: CoverageTarget, Network: p.Scope == ScopeNetwork && clinicID == 0}
	if clinicID != 0 && !p.Sees(clinicID) {
		return rep, ErrForbidden.Msg("staff see the figures of their own clinics only")
	}
	q := db.Model(&model.Clinic{}).Order("id")
	switch {
	case clinicID != 0:
		q = q.Where("id = ?", clinicID)
	case p.Scope == ScopeNetwork:
		q = q.Where("status = ?", model.ClinicOpen)
	default:
		q = p.Apply(q, Cols{Clinic: "id"})
	}
	var clinics []model.Clinic
	if err := q.Find(&clinics).Error; err != nil {
		return rep, err
	}
	if clinicID != 0 && len(clinics) == 0 {
		return rep, ErrNotFound.Msg("no such clinic")
	}
	// A row's catchment and teams: the clinic's own, with its stations'
	// for a branch.
	var all []model.Clinic
	if err := db.Select("id", "kind", "parent_id", "catchment").Order("id").Find(&all).Error; err != nil {
		return rep, err
	}
	type area struct {
		villages []string
		clinics  []int64
	}
	areaOf := func(c model.Clinic) area {
		a := area{villages: append([]string{}, c.Catchment...), clinics: []int64{c.ID}}
		if c.Kind != model.ClinicBranch {
			return a
		}
		for _, st := range all {
			if st.Kind == model.ClinicStation && st.ParentID != nil && *st.ParentID == c.ID {
				a.clinics = append(a.clinics, st.ID)
				for _, v := range st.Catchment {
					if !slices.Contains(a.villages, v) {
						a.villages = append(a.villages, v)
					}
				}
			}
		}
		return a
	}
	areas := make([]area, len(clinics))
	total := area{}
	for i, c := range clinics {
		areas[i] = areaOf(c)
		for _, v := range areas[i].villages {
			if !slices.Contains(total.villages, v) {
				total.villages = append(total.villages, v)
			}
		}
		for _, id := range areas[i].clinics {
			if !slices.Contains(total.clinics, id) {
				total.clinics = append(total.clinics, id)
			}
		}
	}

	cut65, cut80 := elderlyBornBy(now, ElderlyAge), elderlyBornBy(now, VeryOldAge)
	key := func(e elderPerson) bool { return e.Disabled || e.SpecialHardship || e.BirthDate <= cut80 }
	elders := func() *gorm.DB {
		return db.Session(&gorm.Session{NewDB: true}).Model(&model.Person{}).
			Where("deleted_at IS NULL AND birth_date <> '' AND birth_date <= ?", cut65)
	}
	// Where the elderly live: (person, village) through every household
	// that holds them.
	var places []struct {
		PersonID int64
		Village  string
	}
	if len(total.villages) > 0 {
		if err := db.Table("household_persons AS hp").Select("DISTINCT hp.person_id, h.village").
			Joins("JOIN households AS h ON h.id = hp.household_id").
			Where("hp.deleted_at IS NULL AND h.village IN ? AND hp.person_id IN (?)", total.villages, elders().Select("id")).
			Scan(&places).Error; err != nil {
			return rep, err
		}
	}
	ids := make([]int64, 0, len(places))
	for _, pl := range places {
		ids = append(ids, pl.PersonID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	persons := map[int64]elderPerson{}
	var keyAll []elderPerson
	if rep.Network {
		// Every key elderly person, to count those in no catchment.
		if err := elders().Select("id", "birth_date", "disabled", "special_hardship").
			Where("disabled = ? OR special_hardship = ? OR birth_date <= ?", true, true, cut80).Scan(&keyAll).Error; err != nil {
			return rep, err
		}
	}
	for chunk := range slices.Chunk(ids, 1000) {
		var rows []elderPerson
		if err := elders().Select("id", "birth_date", "disabled", "special_hardship").Where("id IN ?", chunk).Scan(&rows).Error; err != nil {
			return rep, err
		}
		for _, e := range rows {
			persons[e.ID] = e
		}
	}
	// The clinic of each elderly person's active contract (at most one:
	// ux_contract_member_active).
	contractClinic := map[int64]int64{}
	var signed []struct {
		MemberID int64
		ClinicID int64
	}
	if len(persons) > 0 {
		if err := db.Table("contract_members AS cm").Select("cm.member_id, fc.clinic_id").
			Joins("JOIN family_contracts AS fc ON fc.id = cm.contract_id").
			Where("cm.active = ? AND fc.status = ? AND cm.member_id IN (?)", true, model.ContractActive, elders().Select("id")).
			Scan(&signed).Error; err != nil {
			return rep, err
		}
	}
	for _, r := range signed {
		contractClinic[r.MemberID] = r.ClinicID
	}
	livesIn := map[string][]int64{}
	for _, pl := range places {
		if _, ok := persons[pl.PersonID]; ok {
			livesIn[pl.Village] = append(livesIn[pl.Village], pl.PersonID)
		}
	}
	// anyTeam: SignedHere counts every contract (the network's total).
	figures := func(a area, anyTeam bool) CoverageFigures {
		f := CoverageFigures{Catchment: a.villages, Clinics: a.clinics}
		seen := map[int64]bool{}
		for _, v := range a.villages {
			for _, id := range livesIn[v] {
				if seen[id] {
					continue
				}
				seen[id] = true
				e := persons[id]
				f.Elderly++
				if !key(e) {
					continue
				}
				f.KeyElderly++
				if e.Disabled {
					f.Disabled++
				}
				if e.BirthDate <= cut80 {
					f.VeryOld++
				}
				if e.SpecialHardship {
					f.SpecialHardship++
				}
				if c, ok := contractClinic[id]; ok {
					f.Signed++
					if anyTeam || slices.Contains(a.clinics, c) {
						f.SignedHere++
					}
				}
			}
		}
		if f.KeyElderly > 0 {
			r := math.Round(float64(f.Signed)/float64(f.KeyElderly)*10000) / 10000
			f.Rate = &r
		}
		return f
	}
	for i, c := range clinics {
		rep.Clinics = append(rep.Clinics, ClinicCoverage{Clinic: c, CoverageFigures: figures(areas[i], false)})
	}
	rep.Total = figures(total, rep.Network)
	if rep.Network {
		n := int64(len(keyAll)) - rep.Total.KeyElderly
		rep.Unplaced = &n
	}
	return rep, nil
}
