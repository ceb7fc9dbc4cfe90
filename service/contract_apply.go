package service

import (
	"context"
	"fmt"
	"sort"

	"familycare/model"

	"gorm.io/gorm"
)

// ContractApplyInput is an application for several members with one team.
// Packages (codes), AgreementVersion and ResponsibleDoctorID are the
// contract's content (contractContent).
type ContractApplyInput struct {
	TeamID              int64
	MemberIDs           []int64
	Packages            []string
	AgreementVersion    string
	ResponsibleDoctorID int64
}

// Apply lets a resident apply for members of their own family (themselves
// and relatives), or staff on a family's behalf (an elderly resident who
// phoned in: all members of one family, the team of the staff member's
// clinic). The contract starts pending; the staff of the team's clinic are
// notified.
func (s *ContractService) Apply(ctx context.Context, p Principal, in ContractApplyInput) (ContractView, error) {
	byStaff := p.Scope != ScopeSelf
	ids, err := contractMemberIDs(in.MemberIDs)
	if err != nil {
		return ContractView{}, err
	}
	var view ContractView
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		var team model.DoctorTeam
		if err := tx.First(&team, in.TeamID).Error; err != nil {
			return notFoundAs(err, ErrNotFound.Msg("no such doctor team"))
		}
		if p.Scope != ScopeSelf && !p.Sees(team.ClinicID) {
			return ErrNotFound.Msg("no such doctor team")
		}
		q := tx.Where("id IN ?", ids)
		if !byStaff {
			q = q.Where("id IN (?)", actsFor(tx, p.UserID))
		}
		var members []model.Person
		if err := q.Order("id").Find(&members).Error; err != nil {
			return err
		}
		if missing := missingContractMember(ids, members); missing != 0 {
			return ErrNotFound.Msg("no such family member").With(map[string]any{"member_id": missing})
		}
		if byStaff {
			// Staff enrol only families already within their clinic's work;
			// anyone else answers exactly as a member that does not exist.
			for _, m := range members {
				ok, err := withinClinicWork(tx, p, m.ID)
				if err != nil {
					return err
				}
				if !ok {
					return ErrNotFound.Msg("no such family member").With(map[string]any{"member_id": m.ID})
				}
			}
		}
		var shared []int64
		if err := tx.Model(&model.HouseholdPerson{}).Where("person_id IN ?", ids).
			Group("household_id").Having("COUNT(*) = ?", len(ids)).Limit(1).Pluck("household_id", &shared).Error; err != nil {
			return err
		}
		if len(shared) == 0 {
			return InvalidField("member_ids", "must all belong to one household")
		}
		owner := members[0].UserID
		if !byStaff {
			owner = p.UserID
		}
		if err := s.checkNotCovered(tx, ids, 0); err != nil {
			return err
		}
		packages, version, doctor, err := contractContent(tx, team, in.Packages, in.AgreementVersion, in.ResponsibleDoctorID)
		if err != nil {
			return err
		}
		c := model.FamilyContract{UserID: owner, TeamID: team.ID, ClinicID: team.ClinicID,
			Status: model.ContractPending, AppliedByUserID: p.UserID,
			Packages: packages, AgreementVersion: version, ResponsibleDoctorID: doctor}
		rows := contractCoverageRows(members, byStaff)
		c.AppliedBy = contractAppliedBy(rows, byStaff)
		if err := s.create(tx, &c, rows, actorOf(p), team); err != nil {
			return err
		}
		for _, r := range rows {
			method, by := model.ConsentByCounter, int64(0)
			if !byStaff {
				method, by = consentMethod(tx, p.UserID, r.MemberID), p.UserID
			}
			if err := recordConsent(tx, r.MemberID, model.ConsentContract, method, by, p.UserID); err != nil {
				return err
			}
		}
		if byStaff {
			if err := s.notify.Notify(tx, Notice{UserID: owner, Event: EventContractApplied, Title: "家庭医生签约申请已提交",
				Body:    fmt.Sprintf("工作人员已为您家 %d 位成员提交%s的签约申请，审核后通知您。", len(rows), team.Name),
				RefType: "family_contract", RefID: c.ID}); err != nil {
				return err
			}
		}
		view, err = s.view(tx, c)
		return err
	})
	if err != nil {
		return ContractView{}, err
	}
	s.log.Info("family contract applied", "contract_id", view.Contract.ID, "team_id", in.TeamID,
		"members", len(ids), "applied_by", view.Contract.AppliedBy)
	return view, nil
}

// create inserts a pending contract with its coverage rows and first
// history row, and tells the staff of the clinic.
func (s *ContractService) create(tx *gorm.DB, c *model.FamilyContract, rows []model.ContractMember, by Actor, team model.DoctorTeam) error {
	now := s.clock.Now()
	c.CreatedAt, c.UpdatedAt = now, now
	if err := tx.Create(c).Error; err != nil {
		return err
	}
	for i := range rows {
		rows[i].ContractID = c.ID
	}
	if err := tx.Create(&rows).Error; err != nil {
		return err
	}
	if err := contractMachine.Start(tx, now, Step{ID: c.ID, To: model.ContractPending, By: by}); err != nil {
		return err
	}
	kind := "签约"
	if c.RenewsID != nil {
		kind = "续约"
	}
	return notifyClinicStaff(tx, s.notify, c.ClinicID, Notice{Event: EventContractApplied, Title: "新的家庭医生" + kind + "申请",
		Body:    fmt.Sprintf("%s收到一份%s申请（%d 位成员），请审核。", team.Name, kind, len(rows)),
		RefType: "family_contract", RefID: c.ID})
}

func contractMemberIDs(in []int64) ([]int64, error) {
	seen := map[int64]bool{}
	ids := make([]int64, 0, len(in))
	for _, id := range in {
		if id <= 0 {
			return nil, InvalidField("member_ids", "must be member ids")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, InvalidField("member_ids", "required")
	}
	if len(ids) > ContractMaxMembers {
		return nil, InvalidField("member_ids", fmt.Sprintf("must have at most %d items", ContractMaxMembers))
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

func missingContractMember(ids []int64, members []model.Person) int64 {
	found := map[int64]bool{}
	for _, m := range members {
		found[m.ID] = true
	}
	for _, id := range ids {
		if !found[id] {
			return id
		}
	}
	return 0
}

func contractCoverageRows(members []model.Person, byStaff bool) []model.ContractMember {
	rows := make([]model.ContractMember, len(members))
	for i, m := range members {
		by := model.AppliedByRelative
		switch {
		case byStaff:
			by = model.AppliedByStaff
		case m.Relation == model.RelationSelf:
			by = model.AppliedBySelf
		}
		rows[i] = model.ContractMember{MemberID: m.ID, AppliedBy: by}
	}
	return rows
}

// contractAppliedBy is staff for staff applications, self when the
// applicant's own member is covered, relative otherwise.
func contractAppliedBy(rows []model.ContractMember, byStaff bool) string {
	if byStaff {
		return model.AppliedByStaff
	}
	for _, r := range rows {
		if r.AppliedBy == model.AppliedBySelf {
			return model.AppliedBySelf
		}
	}
	return model.AppliedByRelative
}

// checkNotCovered answers 409 member_already_contracted (ids only: the
// member may be another family's, seen by staff),
// when one of ids is covered by an active contract other than except. The
// unique key on coverage rows is what really enforces it; this check gives
// the friendly answer in the common case.
func (s *ContractService) checkNotCovered(tx *gorm.DB, ids []int64, except int64) error {
	var held []model.ContractMember
	q := tx.Where("member_id IN ? AND active = ?", ids, true)
	if except > 0 {
		q = q.Where("contract_id <> ?", except)
	}
	if err := q.Order("member_id").Limit(1).Find(&held).Error; err != nil {
		return err
	}
	if len(held) == 0 {
		return nil
	}
	return s.alreadyContracted(tx, held[0].MemberID, held[0].ContractID)
}

func (s *ContractService) alreadyContracted(_ *gorm.DB, memberID, contractID int64) error {
	d := map[string]any{"member_id": memberID}
	if contractID > 0 {
		d["contract_id"] = contractID
	}
	return ErrMemberAlreadyContracted.With(d)
}

// claimCoverage marks the contract's members covered. The unique key
// (member_id, active) refuses a second active contract for a member, so of
// two approvals racing for one member at most one commits. Rows are claimed
// in member order, so two claims never wait on each other in a cycle.
func (s *ContractService) claimCoverage(tx *gorm.DB, contractID int64) error {
	var rows []model.ContractMember
	if err := tx.Where("contract_id = ?", contractID).Order("member_id").Find(&rows).Error; err != nil {
		return err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.MemberID
	}
	if len(ids) > 0 {
		if err := s.checkNotCovered(tx, ids, contractID); err != nil {
			return err
		}
	}
	for _, r := range rows {
		err := tx.Model(&model.ContractMember{}).Where("id = ?", r.ID).Update("active", true).Error
		if err != nil {
			if isDuplicate(err) {
				return s.alreadyContracted(tx, r.MemberID, 0)
			}
			return err
		}
	}
	return nil
}

func releaseContractCoverage(tx *gorm.DB, contractID int64) error {
	return tx.Model(&model.ContractMember{}).Where("contract_id = ? AND active IS NOT NULL", contractID).
		Update("active", nil).Error
}

// freeContractRenewal lets the predecessor of a renewal that will not happen be
// renewed again.
func freeContractRenewal(tx *gorm.DB, c model.FamilyContract) error {
	if c.RenewsID == nil {
		return nil
	}
	return tx.Model(&model.FamilyContract{}).Where("id = ? AND renewed_by_id = ?", *c.RenewsID, c.ID).
		Update("renewed_by_id", nil).Error
}
