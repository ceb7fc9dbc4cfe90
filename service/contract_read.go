package service

import (
	"context"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// List returns the contracts in the caller's scope: its family's, newest
// first, or its clinic's (the network's) oldest first, the approval queue.
func (s *ContractService) List(ctx context.Context, p Principal, status string, pg pagination.Page) ([]ContractView, string, error) {
	q := filterBy(s.db.WithContext(ctx), "status", status)
	rows, next, err := findPageByIDEach(p.ApplyEach(q, contractCols), pg, p.Scope == ScopeSelf, func(c model.FamilyContract) int64 { return c.ID })
	if err != nil {
		return nil, "", err
	}
	views, err := s.views(s.db.WithContext(ctx), rows)
	return views, next, err
}

// Get returns one contract in the caller's scope.
func (s *ContractService) Get(ctx context.Context, p Principal, id int64) (ContractView, error) {
	db := s.db.WithContext(ctx)
	c, err := s.load(db, p, id)
	if err != nil {
		return ContractView{}, err
	}
	return s.view(db, c)
}

// load reads a contract in the caller's scope; any other is not found.
func (s *ContractService) load(db *gorm.DB, p Principal, id int64) (model.FamilyContract, error) {
	var c model.FamilyContract
	err := p.Apply(db.Where("id = ?", id), contractCols).First(&c).Error
	return c, notFoundAs(err, ErrNotFound.Msg("no such contract"))
}

func (s *ContractService) view(db *gorm.DB, c model.FamilyContract) (ContractView, error) {
	vs, err := s.views(db, []model.FamilyContract{c})
	if err != nil {
		return ContractView{}, err
	}
	return vs[0], nil
}

// views loads teams, members and history of contracts in a few queries.
func (s *ContractService) views(db *gorm.DB, cs []model.FamilyContract) ([]ContractView, error) {
	out := make([]ContractView, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(cs))
	teamIDs := make([]int64, 0, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
		teamIDs = append(teamIDs, c.TeamID)
	}
	var teams []model.DoctorTeam
	if err := db.Where("id IN ?", teamIDs).Find(&teams).Error; err != nil {
		return nil, err
	}
	teamBy := indexBy(teams, func(t model.DoctorTeam) int64 { return t.ID })
	var cov []model.ContractMember
	if err := db.Where("contract_id IN ?", ids).Order("member_id").Find(&cov).Error; err != nil {
		return nil, err
	}
	memberIDs := make([]int64, 0, len(cov))
	for _, r := range cov {
		memberIDs = append(memberIDs, r.MemberID)
	}
	members, err := loadCareMembers(db, memberIDs, s.clock.Now(), s.loc)
	if err != nil {
		return nil, err
	}
	covBy := map[int64][]ContractMemberView{}
	for _, r := range cov {
		covBy[r.ContractID] = append(covBy[r.ContractID], ContractMemberView{CareMember: members[r.MemberID],
			AppliedBy: r.AppliedBy, Covered: r.Active != nil && *r.Active})
	}
	evBy, err := loadGrouped(db, "contract_id", ids, "id", func(e model.ContractEvent) int64 { return e.ContractID })
	if err != nil {
		return nil, err
	}
	doctors, err := responsibleDoctors(db, cs)
	if err != nil {
		return nil, err
	}
	for i, c := range cs {
		out[i] = ContractView{Contract: c, Team: teamBy[c.TeamID], Members: covBy[c.ID], History: evBy[c.ID]}
		if d, ok := doctors[[2]int64{c.TeamID, c.ResponsibleDoctorID}]; ok {
			out[i].Doctor = &d
		}
	}
	return out, nil
}

// responsibleDoctors names the responsible doctors of contracts, by (team,
// account): two queries for any number of contracts.
func responsibleDoctors(db *gorm.DB, cs []model.FamilyContract) (map[[2]int64]ResponsibleDoctor, error) {
	var users, teams []int64
	for _, c := range cs {
		if c.ResponsibleDoctorID != 0 {
			users, teams = append(users, c.ResponsibleDoctorID), append(teams, c.TeamID)
		}
	}
	out := map[[2]int64]ResponsibleDoctor{}
	if len(users) == 0 {
		return out, nil
	}
	var accounts []model.User
	if err := db.Unscoped().Select("id", "real_name", "nickname").Where("id IN ?", users).Find(&accounts).Error; err != nil {
		return nil, err
	}
	byUser := indexBy(accounts, func(u model.User) int64 { return u.ID })
	var members []model.DoctorTeamMember
	if err := db.Where("user_id IN ? AND team_id IN ?", users, teams).Find(&members).Error; err != nil {
		return nil, err
	}
	roles := map[[2]int64]string{}
	for _, m := range members {
		roles[[2]int64{m.TeamID, m.UserID}] = m.Role
	}
	for _, c := range cs {
		if c.ResponsibleDoctorID == 0 {
			continue
		}
		key := [2]int64{c.TeamID, c.ResponsibleDoctorID}
		u := byUser[c.ResponsibleDoctorID]
		u.ID = c.ResponsibleDoctorID
		out[key] = ResponsibleDoctor{UserID: u.ID, Name: staffName(u), Role: roles[key], Title: memberTitles[roles[key]]}
	}
	return out, nil
}
