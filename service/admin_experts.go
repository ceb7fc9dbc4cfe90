package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// Expert limits.
const maxSittings = 20

// ExpertView is an expert with their home hospital and the clinics where
// they sit (a 名医工作室 is a sitting with a studio name and a weekly time).
// A main-hospital expert sitting at a branch is shown under the home
// hospital's name, with the sitting place.
type ExpertView struct {
	model.Expert
	HomeClinicName string
	Sittings       []SittingView
}

// SittingView is one clinic where an expert sits.
type SittingView struct {
	model.ExpertSitting
	ClinicName string
	Weekdays   []int
}

// Sitting is a clinic where an expert sits; with a studio name, a
// 名医工作室 with its weekly sitting.
type Sitting struct {
	ClinicID           int64
	StudioName         string
	Weekdays           []int
	StartTime, EndTime string
}

// ExpertInput is an expert an admin adds or changes; nil fields stay as
// they are (a create needs name, home clinic and sittings). Sittings
// replaces the expert's sittings.
type ExpertInput struct {
	Name, Title, Specialty, Bio *string
	HomeClinicID                *int64
	Sittings                    *[]Sitting
}

// Experts lists experts by id, optionally those sitting at (or at home in)
// a clinic.
func (s *CatalogService) Experts(ctx context.Context, clinicID int64, p pagination.Page) ([]ExpertView, string, error) {
	q := s.db.WithContext(ctx).Model(&model.Expert{})
	if clinicID != 0 {
		q = q.Where("clinic_id = ? OR home_clinic_id = ? OR id IN (?)", clinicID, clinicID,
			s.db.Model(&model.ExpertSitting{}).Select("expert_id").Where("clinic_id = ?", clinicID))
	}
	rows, next, err := findPageByID(q, p, false, func(e model.Expert) int64 { return e.ID })
	if err != nil {
		return nil, "", err
	}
	views, err := s.expertViews(ctx, rows)
	return views, next, err
}

// Expert returns one expert.
func (s *CatalogService) Expert(ctx context.Context, id int64) (ExpertView, error) {
	var e model.Expert
	if err := s.db.WithContext(ctx).First(&e, id).Error; err != nil {
		return ExpertView{}, notFound(err)
	}
	v, err := s.expertViews(ctx, []model.Expert{e})
	if err != nil {
		return ExpertView{}, err
	}
	return v[0], nil
}

func (s *CatalogService) expertViews(ctx context.Context, rows []model.Expert) ([]ExpertView, error) {
	ids := make([]int64, len(rows))
	for i, e := range rows {
		ids[i] = e.ID
	}
	sittings, err := loadGrouped(s.db.WithContext(ctx), "expert_id", ids, "id", func(x model.ExpertSitting) int64 { return x.ExpertID })
	if err != nil {
		return nil, err
	}
	r, err := s.references(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ExpertView, len(rows))
	for i, e := range rows {
		v := ExpertView{Expert: e, Sittings: []SittingView{}}
		home := e.HomeClinicID
		if home == 0 {
			home = e.ClinicID
		}
		v.HomeClinicID = home
		v.HomeClinicName = s.clinicName(ctx, r, home)
		for _, st := range sittings[e.ID] {
			sv := SittingView{ExpertSitting: st, ClinicName: s.clinicName(ctx, r, st.ClinicID), Weekdays: []int{}}
			for _, d := range strings.Split(st.Weekdays, ",") {
				if n, err := strconv.Atoi(d); err == nil {
					sv.Weekdays = append(sv.Weekdays, n)
				}
			}
			v.Sittings = append(v.Sittings, sv)
		}
		out[i] = v
	}
	return out, nil
}

// clinicName names a clinic from the cache, reloading it once for a clinic
// made by another process since.
func (s *CatalogService) clinicName(ctx context.Context, r *refData, id int64) string {
	if c, ok := r.clinics[id]; ok {
		return c.Name
	}
	s.invalidate()
	if r2, err := s.references(ctx); err == nil {
		return r2.clinics[id].Name
	}
	return ""
}

// CreateExpert adds an expert with a home clinic and the clinics where they
// sit.
func (s *AdminService) CreateExpert(ctx context.Context, p Principal, in ExpertInput) (ExpertView, error) {
	fields := map[string]string{}
	if in.Name == nil {
		fields["name"] = "required"
	}
	if in.HomeClinicID == nil {
		fields["home_clinic_id"] = "required"
	}
	if in.Sittings == nil {
		fields["sitting_clinic_ids"] = "required"
	}
	if len(fields) > 0 {
		return ExpertView{}, Invalid(fields)
	}
	var e model.Expert
	if err := applyExpert(&e, in); err != nil {
		return ExpertView{}, err
	}
	now := s.clock.Now()
	err := transact(ctx, s.db.WithContext(ctx), func(tx *gorm.DB) error {
		if err := s.checkExpertClinics(tx, e.HomeClinicID, *in.Sittings); err != nil {
			return err
		}
		e.ID = 0
		if err := tx.Create(&e).Error; err != nil {
			return err
		}
		if err := replaceSittings(tx, e.ID, *in.Sittings, now); err != nil {
			return err
		}
		return writeAudit(tx, now, p, auditEntry{Action: AuditExpertCreate, TargetType: "expert", TargetID: e.ID, ClinicID: e.HomeClinicID,
			Detail: expertDetail(in)})
	})
	if err != nil {
		return ExpertView{}, err
	}
	s.catalog.invalidate()
	return s.catalog.Expert(ctx, e.ID)
}

// UpdateExpert changes an expert; sittings, when given, replace theirs.
func (s *AdminService) UpdateExpert(ctx context.Context, p Principal, id int64, in ExpertInput) (ExpertView, error) {
	now := s.clock.Now()
	err := transact(ctx, s.db.WithContext(ctx), func(tx *gorm.DB) error {
		var e model.Expert
		if err := forUpdate(tx).First(&e, id).Error; err != nil {
			return notFound(err)
		}
		if e.HomeClinicID == 0 {
			e.HomeClinicID = e.ClinicID
		}
		if err := applyExpert(&e, in); err != nil {
			return err
		}
		if in.HomeClinicID != nil || in.Sittings != nil {
			var sittings []Sitting
			if in.Sittings != nil {
				sittings = *in.Sittings
			}
			if err := s.checkExpertClinics(tx, e.HomeClinicID, sittings); err != nil {
				return err
			}
		}
		if err := tx.Save(&e).Error; err != nil {
			return err
		}
		if in.Sittings != nil {
			if err := replaceSittings(tx, e.ID, *in.Sittings, now); err != nil {
				return err
			}
		}
		return writeAudit(tx, now, p, auditEntry{Action: AuditExpertUpdate, TargetType: "expert", TargetID: e.ID, ClinicID: e.HomeClinicID,
			Detail: expertDetail(in)})
	})
	if err != nil {
		return ExpertView{}, err
	}
	s.catalog.invalidate()
	return s.catalog.Expert(ctx, id)
}

// applyExpert validates in and copies it onto e; the expert's clinic_id
// (where sessions and the old API place them) is their first sitting.
func applyExpert(e *model.Expert, in ExpertInput) error {
	fields := map[string]string{}
	text := func(name string, v *string, max int, dst *string, required bool) {
		if v == nil {
			return
		}
		t := strings.TrimSpace(*v)
		switch {
		case required && t == "":
			fields[name] = "required"
		case utf8.RuneCountInString(t) > max:
			fields[name] = fmt.Sprintf("must be at most %d characters", max)
		case name != "bio" && !displayName(t):
			fields[name] = noHiddenChars
		}
		*dst = t
	}
	text("name", in.Name, 64, &e.Name, true)
	text("title", in.Title, 64, &e.Title, false)
	text("specialty", in.Specialty, 128, &e.Specialty, false)
	text("bio", in.Bio, 2000, &e.Bio, false)
	if in.HomeClinicID != nil {
		e.HomeClinicID = *in.HomeClinicID
	}
	if in.Sittings != nil {
		ss := *in.Sittings
		seen := map[int64]bool{}
		switch {
		case len(ss) == 0:
			fields["sitting_clinic_ids"] = "required"
		case len(ss) > maxSittings:
			fields["sitting_clinic_ids"] = fmt.Sprintf("must have at most %d items", maxSittings)
		default:
			e.ClinicID = ss[0].ClinicID
		}
		for _, st := range ss {
			if seen[st.ClinicID] {
				fields["sitting_clinic_ids"] = "must be distinct clinics"
			}
			seen[st.ClinicID] = true
			if st.StudioName == "" && (len(st.Weekdays) > 0 || st.StartTime != "") {
				fields["studios"] = "a weekly sitting needs a studio name"
			}
			if st.StudioName != "" {
				if utf8.RuneCountInString(st.StudioName) > 128 || !displayName(st.StudioName) {
					fields["studios"] = "each studio needs a name of at most 128 characters"
				} else if reason := checkHours([]model.OpenHours{{Weekdays: st.Weekdays, Start: st.StartTime, End: st.EndTime}}); reason != "" {
					fields["studios"] = reason
				}
			}
		}
	}
	if len(fields) > 0 {
		return Invalid(fields)
	}
	return nil
}

// checkExpertClinics: the home clinic and every sitting clinic exist and
// are open.
func (s *AdminService) checkExpertClinics(tx *gorm.DB, home int64, sittings []Sitting) error {
	if err := openClinic(tx, home); err != nil {
		if errors.Is(err, ErrUnknownClinic) {
			return InvalidField("home_clinic_id", "no such clinic")
		}
		return err
	}
	for _, st := range sittings {
		if err := openClinic(tx, st.ClinicID); err != nil {
			if errors.Is(err, ErrUnknownClinic) {
				return InvalidField("sitting_clinic_ids", "no such clinic")
			}
			return err
		}
	}
	return nil
}

func replaceSittings(tx *gorm.DB, expertID int64, sittings []Sitting, now time.Time) error {
	if err := tx.Where("expert_id = ?", expertID).Delete(&model.ExpertSitting{}).Error; err != nil {
		return err
	}
	for _, st := range sittings {
		days := make([]string, len(st.Weekdays))
		for i, d := range st.Weekdays {
			days[i] = strconv.Itoa(d)
		}
		row := model.ExpertSitting{ExpertID: expertID, ClinicID: st.ClinicID, StudioName: strings.TrimSpace(st.StudioName),
			Weekdays: strings.Join(days, ","), StartTime: st.StartTime, EndTime: st.EndTime, CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}

func expertDetail(in ExpertInput) map[string]any {
	d := map[string]any{}
	if in.HomeClinicID != nil {
		d["home_clinic_id"] = *in.HomeClinicID
	}
	if in.Sittings != nil {
		ids := make([]int64, 0, len(*in.Sittings))
		for _, st := range *in.Sittings {
			ids = append(ids, st.ClinicID)
		}
		slices.Sort(ids)
		d["sitting_clinic_ids"] = ids
	}
	if in.Name != nil {
		d["name"] = strings.TrimSpace(*in.Name)
	}
	return d
}
