package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"familycare/model"

	"gorm.io/gorm"
)

// TeamService keeps family-doctor teams built from staff accounts (admin
// routes) and answers which teams a staff account works in.
type TeamService struct {
	db    *gorm.DB
	clock Clock
}

// NewTeamService builds the service.
func NewTeamService(deps Deps) *TeamService { return &TeamService{db: deps.DB, clock: deps.Clock} }

// TeamMemberInput is one staff account of a team and its role.
type TeamMemberInput struct {
	UserID int64
	Role   string
}

// TeamInput creates or replaces a team: its clinic, name and members.
type TeamInput struct {
	ClinicID    int64
	Name        string
	Description string
	Members     []TeamMemberInput
}

// TeamMemberView is a member with the account's name and clinic.
type TeamMemberView struct {
	UserID   int64
	Name     string
	ClinicID int64
	Role     string
}

// TeamAdminView is a team with its member accounts.
type TeamAdminView struct {
	Team    model.DoctorTeam
	Members []TeamMemberView
}

// teamMaxMembers bounds a team.
const teamMaxMembers = 30

func (in *TeamInput) normalize() error {
	f := map[string]string{}
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	if in.ClinicID <= 0 {
		f["clinic_id"] = "required"
	}
	if n := utf8.RuneCountInString(in.Name); n < 1 || n > 64 {
		f["name"] = "must be 1 to 64 characters"
	}
	if utf8.RuneCountInString(in.Description) > 255 {
		f["description"] = "must be at most 255 characters"
	}
	switch n := len(in.Members); {
	case n == 0:
		f["members"] = "must have at least 1 items"
	case n > teamMaxMembers:
		f["members"] = fmt.Sprintf("must have at most %d items", teamMaxMembers)
	}
	leads, seen := 0, map[int64]bool{}
	for i, m := range in.Members {
		if !slices.Contains(model.MemberRoles, m.Role) {
			f[fmt.Sprintf("members[%d].role", i)] = "must be one of " + strings.Join(model.MemberRoles, " ")
		}
		if m.Role == model.MemberRoleLead {
			leads++
		}
		if m.UserID <= 0 {
			f[fmt.Sprintf("members[%d].user_id", i)] = "required"
		} else if seen[m.UserID] {
			f[fmt.Sprintf("members[%d].user_id", i)] = "must name each account once"
		}
		seen[m.UserID] = true
	}
	if len(in.Members) > 0 && leads != 1 {
		f["members"] = "must have exactly one lead"
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

// teamReach are the clinics whose staff may be members of a team of
// clinic c: c itself, the branch above it and the stations under it.
func teamReach(tx *gorm.DB, c model.Clinic) ([]int64, error) {
	ids := []int64{c.ID}
	if c.ParentID != nil {
		ids = append(ids, *c.ParentID)
	}
	var kids []int64
	if err := tx.Model(&model.Clinic{}).Where("parent_id = ?", c.ID).Pluck("id", &kids).Error; err != nil {
		return nil, err
	}
	return append(ids, kids...), nil
}

// Create makes a team of staff accounts (admins).
func (s *TeamService) Create(ctx context.Context, p Principal, in TeamInput) (TeamAdminView, error) {
	return s.save(ctx, 0, in)
}

// Update replaces a team's clinic, name and members (admins).
func (s *TeamService) Update(ctx context.Context, p Principal, id int64, in TeamInput) (TeamAdminView, error) {
	return s.save(ctx, id, in)
}

func (s *TeamService) save(ctx context.Context, id int64, in TeamInput) (TeamAdminView, error) {
	if err := in.normalize(); err != nil {
		return TeamAdminView{}, err
	}
	var view TeamAdminView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		var c model.Clinic
		if err := tx.First(&c, in.ClinicID).Error; err != nil {
			return notFoundAs(err, InvalidField("clinic_id", "must be an existing clinic"))
		}
		reach, err := teamReach(tx, c)
		if err != nil {
			return err
		}
		ids := make([]int64, len(in.Members))
		for i, m := range in.Members {
			ids[i] = m.UserID
		}
		var users []model.User
		if err := tx.Where("id IN ? AND role = ?", ids, model.RoleStaff).Find(&users).Error; err != nil {
			return err
		}
		byID := indexBy(users, func(u model.User) int64 { return u.ID })
		bad := map[string]string{}
		for i, m := range in.Members {
			u, ok := byID[m.UserID]
			if !ok || u.ClinicID == nil || !slices.Contains(reach, *u.ClinicID) {
				bad[fmt.Sprintf("members[%d].user_id", i)] = "must be a staff account of the team's clinic, the branch above it or the stations under it"
			}
		}
		if len(bad) > 0 {
			return Invalid(bad)
		}
		now := s.clock.Now()
		team := model.DoctorTeam{ID: id}
		if id == 0 {
			team = model.DoctorTeam{ClinicID: c.ID, Name: in.Name, Description: in.Description, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&team).Error; err != nil {
				return err
			}
		} else {
			if err := forUpdate(tx).First(&team, id).Error; err != nil {
				return notFound(err)
			}
			if err := tx.Model(&team).Updates(map[string]any{"clinic_id": c.ID, "name": in.Name,
				"description": in.Description, "updated_at": now}).Error; err != nil {
				return err
			}
			for _, m := range []any{&model.DoctorTeamMember{}, &model.TeamDoctor{}} {
				if err := tx.Where("team_id = ?", id).Delete(m).Error; err != nil {
					return err
				}
			}
		}
		rows := make([]model.DoctorTeamMember, len(in.Members))
		docs := make([]model.TeamDoctor, len(in.Members))
		for i, m := range in.Members {
			rows[i] = model.DoctorTeamMember{TeamID: team.ID, UserID: m.UserID, Role: m.Role, CreatedAt: now}
			role := m.Role
			if role == model.MemberRoleLead {
				role = model.TeamRoleLead
			}
			docs[i] = model.TeamDoctor{TeamID: team.ID, Name: staffName(byID[m.UserID]), Role: role}
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		if err := tx.Create(&docs).Error; err != nil {
			return err
		}
		view, err = teamView(tx, team.ID)
		return err
	})
	return view, err
}

// staffName is how a staff account is named to families.
func staffName(u model.User) string {
	if u.RealName != "" {
		return truncate(u.RealName, 64)
	}
	if u.Nickname != "" {
		return truncate(u.Nickname, 64)
	}
	return fmt.Sprintf("医生%d", u.ID)
}

// Get reads a team with its member accounts (admins).
func (s *TeamService) Get(ctx context.Context, p Principal, id int64) (TeamAdminView, error) {
	return teamView(s.db.WithContext(ctx), id)
}

func teamView(db *gorm.DB, id int64) (TeamAdminView, error) {
	var v TeamAdminView
	if err := db.First(&v.Team, id).Error; err != nil {
		return v, notFound(err)
	}
	var rows []model.DoctorTeamMember
	if err := db.Where("team_id = ?", id).Order("id").Find(&rows).Error; err != nil {
		return v, err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.UserID
	}
	var users []model.User
	if len(ids) > 0 {
		if err := db.Unscoped().Where("id IN ?", ids).Find(&users).Error; err != nil {
			return v, err
		}
	}
	byID := indexBy(users, func(u model.User) int64 { return u.ID })
	v.Members = make([]TeamMemberView, len(rows))
	for i, r := range rows {
		u := byID[r.UserID]
		var clinic int64
		if u.ClinicID != nil {
			clinic = *u.ClinicID
		}
		v.Members[i] = TeamMemberView{UserID: r.UserID, Name: staffName(u), ClinicID: clinic, Role: r.Role}
	}
	return v, nil
}

// myTeams are the teams the staff account p works in, with its roles.
func myTeams(db *gorm.DB, p Principal) (map[int64]string, error) {
	var rows []model.DoctorTeamMember
	if err := db.Where("user_id = ?", p.UserID).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.TeamID] = r.Role
	}
	return out, nil
}

// inTeam reports whether p is a member of team, and in which role.
func inTeam(db *gorm.DB, p Principal, team int64) (string, bool, error) {
	return teamRole(db, team, p.UserID)
}

// teamRole is the role of the account userID in team (ok false: not a
// member).
func teamRole(db *gorm.DB, team, userID int64) (role string, ok bool, err error) {
	var row model.DoctorTeamMember
	err = db.Where("team_id = ? AND user_id = ?", team, userID).Limit(1).Find(&row).Error
	return row.Role, row.ID != 0, err
}
