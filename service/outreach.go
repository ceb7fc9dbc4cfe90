package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"

	"gorm.io/gorm"
)

// Outreach (流动专家) limits.
const (
	maxOutreachExperts = 20
	maxOutreachVisits  = 60
	maxOutreachList    = 100
)

// OutreachInput is an outreach team an admin adds or changes; nil fields
// stay as they are (a create needs name, home clinic and experts).
// ExpertIDs replaces the members; Visits are added to the tour.
type OutreachInput struct {
	Name, Description *string
	HomeClinicID      *int64
	ExpertIDs         *[]int64
	// Visits are sittings of the team at clinics: each a session of one of
	// that clinic's services, with one of the team's experts (the first
	// member when none is named).
	Visits []NewSession
}

// OutreachTeamView is a team with its home hospital, its experts and its
// visits still ahead.
type OutreachTeamView struct {
	model.OutreachTeam
	HomeClinicName string
	Experts        []ExpertView
	Visits         []OutreachVisitView
}

// OutreachVisitView is a visit with its team's name and its session.
type OutreachVisitView struct {
	model.OutreachVisit
	TeamName string
	Session  SessionView
}

// CreateOutreachTeam adds a team with its experts and its first visits, in
// one transaction (audited).
func (s *AdminService) CreateOutreachTeam(ctx context.Context, p Principal, in OutreachInput) (OutreachTeamView, error) {
	fields := map[string]string{}
	if in.Name == nil {
		fields["name"] = "required"
	}
	if in.HomeClinicID == nil {
		fields["home_clinic_id"] = "required"
	}
	if in.ExpertIDs == nil {
		fields["expert_ids"] = "required"
	}
	if len(fields) > 0 {
		return OutreachTeamView{}, Invalid(fields)
	}
	var team model.OutreachTeam
	err := s.saveOutreach(ctx, p, &team, in, AuditOutreachCreate)
	if err != nil {
		return OutreachTeamView{}, err
	}
	return s.catalog.OutreachTeam(ctx, team.ID)
}

// UpdateOutreachTeam changes a team: the fields sent, its experts when
// given (visits already published keep theirs), and adds the visits sent.
// A visit is called off by cancelling its session.
func (s *AdminService) UpdateOutreachTeam(ctx context.Context, p Principal, id int64, in OutreachInput) (OutreachTeamView, error) {
	var team model.OutreachTeam
	if err := s.db.WithContext(ctx).First(&team, id).Error; err != nil {
		return OutreachTeamView{}, notFound(err)
	}
	if err := s.saveOutreach(ctx, p, &team, in, AuditOutreachUpdate); err != nil {
		return OutreachTeamView{}, err
	}
	return s.catalog.OutreachTeam(ctx, id)
}

func (s *AdminService) saveOutreach(ctx context.Context, p Principal, team *model.OutreachTeam, in OutreachInput, action string) error {
	if err := applyOutreach(team, in); err != nil {
		return err
	}
	now := s.clock.Now()
	err := transact(ctx, s.db.WithContext(ctx), func(tx *gorm.DB) error {
		if team.ID != 0 {
			if err := forUpdate(tx).Select("id").First(&model.OutreachTeam{}, team.ID).Error; err != nil {
				return notFound(err)
			}
		}
		if in.HomeClinicID != nil {
			if err := openClinic(tx, team.HomeClinicID); errors.Is(err, ErrUnknownClinic) {
				return InvalidField("home_clinic_id", "no such clinic")
			} else if err != nil {
				return err
			}
		}
		if in.ExpertIDs != nil {
			var n int64
			if err := tx.Model(&model.Expert{}).Where("id IN ?", *in.ExpertIDs).Count(&n).Error; err != nil {
				return err
			}
			if int(n) != len(*in.ExpertIDs) {
				return InvalidField("expert_ids", "no such expert")
			}
		}
		if err := tx.Save(team).Error; err != nil {
			return err
		}
		if in.ExpertIDs != nil {
			if err := tx.Where("team_id = ?", team.ID).Delete(&model.OutreachMember{}).Error; err != nil {
				return err
			}
			for _, e := range *in.ExpertIDs {
				if err := tx.Create(&model.OutreachMember{TeamID: team.ID, ExpertID: e}).Error; err != nil {
					return err
				}
			}
		}
		var members []int64
		if err := tx.Model(&model.OutreachMember{}).Where("team_id = ?", team.ID).Order("id").Pluck("expert_id", &members).Error; err != nil {
			return err
		}
		visits := make([]int64, 0, len(in.Visits))
		for i, v := range in.Visits {
			sid, err := s.addVisit(tx, p, team.ID, members, v, now)
			if err != nil {
				return visitError(i, err)
			}
			visits = append(visits, sid)
		}
		detail := map[string]any{"name": team.Name, "home_clinic_id": team.HomeClinicID}
		if in.ExpertIDs != nil {
			detail["expert_ids"] = *in.ExpertIDs
		}
		if len(visits) > 0 {
			detail["session_ids"] = visits
		}
		return writeAudit(tx, now, p, auditEntry{Action: action, TargetType: "outreach_team", TargetID: team.ID,
			ClinicID: team.HomeClinicID, Detail: detail})
	})
	if err == nil {
		s.catalog.invalidate()
	}
	return err
}

// addVisit publishes a visit's session at its service's clinic and records
// the visit.
func (s *AdminService) addVisit(tx *gorm.DB, p Principal, team int64, members []int64, in NewSession, now time.Time) (int64, error) {
	if len(members) == 0 {
		return 0, InvalidField("expert_ids", "a team with visits needs experts")
	}
	if in.ExpertID == 0 {
		in.ExpertID = members[0]
	}
	if !slices.Contains(members, in.ExpertID) {
		return 0, InvalidField("expert_id", "must be one of the team's experts")
	}
	sv, err := s.catalog.staffService(tx, p, in.ServiceID)
	if err != nil {
		return 0, err
	}
	if fields := sessionFields(in, now); len(fields) > 0 {
		return 0, Invalid(fields)
	}
	row, err := publishSession(tx, sv, in, actorOf(p), now)
	if err != nil {
		if isDuplicate(err) {
			return 0, ErrSessionExists
		}
		return 0, err
	}
	return row.ID, tx.Create(&model.OutreachVisit{TeamID: team, ClinicID: sv.ClinicID, SessionID: row.ID, CreatedAt: now}).Error
}

// visitError names the visit a field error is about (visits[2].starts_at).
func visitError(i int, err error) error {
	var se *Error
	if !errors.As(err, &se) || se.Code != ErrInvalid.Code {
		return err
	}
	fields := map[string]string{}
	if f, ok := se.Details["fields"].(map[string]string); ok {
		for k, v := range f {
			fields[fmt.Sprintf("visits[%d].%s", i, k)] = v
		}
		return Invalid(fields)
	}
	return err
}

// applyOutreach validates in and copies it onto t.
func applyOutreach(t *model.OutreachTeam, in OutreachInput) error {
	fields := map[string]string{}
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		switch {
		case n == "":
			fields["name"] = "required"
		case utf8.RuneCountInString(n) > 64:
			fields["name"] = "must be at most 64 characters"
		case !displayName(n):
			fields["name"] = noHiddenChars
		}
		t.Name = n
	}
	if in.Description != nil {
		d := strings.TrimSpace(*in.Description)
		if utf8.RuneCountInString(d) > 500 {
			fields["description"] = "must be at most 500 characters"
		}
		t.Description = d
	}
	if in.HomeClinicID != nil {
		t.HomeClinicID = *in.HomeClinicID
	}
	if in.ExpertIDs != nil {
		ids := *in.ExpertIDs
		seen := map[int64]bool{}
		switch {
		case len(ids) == 0:
			fields["expert_ids"] = "required"
		case len(ids) > maxOutreachExperts:
			fields["expert_ids"] = fmt.Sprintf("must have at most %d items", maxOutreachExperts)
		}
		for _, id := range ids {
			if seen[id] {
				fields["expert_ids"] = "must be distinct experts"
			}
			seen[id] = true
		}
	}
	if len(in.Visits) > maxOutreachVisits {
		fields["visits"] = fmt.Sprintf("must have at most %d items", maxOutreachVisits)
	}
	if len(fields) > 0 {
		return Invalid(fields)
	}
	return nil
}

// OutreachTeam returns a team with its experts and its visits ahead.
func (s *CatalogService) OutreachTeam(ctx context.Context, id int64) (OutreachTeamView, error) {
	db := s.db.WithContext(ctx)
	var t model.OutreachTeam
	if err := db.First(&t, id).Error; err != nil {
		return OutreachTeamView{}, notFound(err)
	}
	v := OutreachTeamView{OutreachTeam: t, Experts: []ExpertView{}}
	r, err := s.references(ctx)
	if err != nil {
		return v, err
	}
	v.HomeClinicName = s.clinicName(ctx, r, t.HomeClinicID)
	var experts []model.Expert
	if err := db.Where("id IN (?)", db.Session(&gorm.Session{NewDB: true}).Model(&model.OutreachMember{}).Select("expert_id").Where("team_id = ?", id)).
		Order("id").Find(&experts).Error; err != nil {
		return v, err
	}
	if v.Experts, err = s.expertViews(ctx, experts); err != nil {
		return v, err
	}
	v.Visits, err = s.OutreachVisits(ctx, 0, id, maxOutreachList)
	return v, err
}

// OutreachVisits lists the open visits still ahead, soonest first: at a
// clinic (0: anywhere), of a team (0: any), at most limit.
func (s *CatalogService) OutreachVisits(ctx context.Context, clinicID, teamID int64, limit int) ([]OutreachVisitView, error) {
	if limit <= 0 || limit > maxOutreachList {
		limit = maxOutreachList
	}
	db := s.db.WithContext(ctx)
	q := db.Model(&model.Session{}).Joins("JOIN outreach_visits ON outreach_visits.session_id = sessions.id").
		Where("sessions.status = ? AND sessions.starts_at > ?", model.SessionOpen, s.clock.Now())
	if clinicID != 0 {
		q = q.Where("outreach_visits.clinic_id = ?", clinicID)
	}
	if teamID != 0 {
		q = q.Where("outreach_visits.team_id = ?", teamID)
	}
	var sessions []model.Session
	if err := q.Select("sessions.*").Order("sessions.starts_at, sessions.id").Limit(limit).Find(&sessions).Error; err != nil {
		return nil, err
	}
	out := make([]OutreachVisitView, 0, len(sessions))
	if len(sessions) == 0 {
		return out, nil
	}
	ids := make([]int64, len(sessions))
	for i, x := range sessions {
		ids[i] = x.ID
	}
	var visits []model.OutreachVisit
	if err := db.Where("session_id IN ?", ids).Find(&visits).Error; err != nil {
		return nil, err
	}
	bySession := map[int64]model.OutreachVisit{}
	teamIDs := []int64{}
	for _, v := range visits {
		bySession[v.SessionID] = v
		teamIDs = append(teamIDs, v.TeamID)
	}
	var teams []model.OutreachTeam
	if err := db.Select("id", "name").Where("id IN ?", teamIDs).Find(&teams).Error; err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, t := range teams {
		names[t.ID] = t.Name
	}
	views, err := s.views(ctx, sessions)
	if err != nil {
		return nil, err
	}
	for _, sv := range views {
		v := bySession[sv.ID]
		out = append(out, OutreachVisitView{OutreachVisit: v, TeamName: names[v.TeamID], Session: sv})
	}
	return out, nil
}
