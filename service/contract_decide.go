package service

import (
	"context"
	"fmt"
	"strings"

	"familycare/model"

	"gorm.io/gorm"
)

// move applies one contract move through the machine and reads c again.
func (s *ContractService) move(tx *gorm.DB, c *model.FamilyContract, st Step) error {
	st.ID, st.From, st.Row = c.ID, c.Status, c
	return contractMachine.Apply(tx, s.clock.Now(), st)
}

// change runs fn on a contract in the caller's scope in one transaction and
// answers the view of the contract fn leaves in c (a renewal leaves the new
// contract there).
func (s *ContractService) change(ctx context.Context, p Principal, id int64, what string, fn func(tx *gorm.DB, c *model.FamilyContract) error) (ContractView, error) {
	var view ContractView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		c, err := s.load(tx, p, id)
		if err != nil {
			return err
		}
		if err := fn(tx, &c); err != nil {
			return err
		}
		view, err = s.view(tx, c)
		return err
	})
	if err != nil {
		return ContractView{}, err
	}
	s.log.Info("family contract "+what, "contract_id", view.Contract.ID, "id", id, "status", view.Contract.Status,
		"by", p.UserID, "role", p.Role)
	return view, nil
}

// ContractApproveInput is what staff may settle at approval: the
// responsible doctor (0 keeps the one named at signing).
type ContractApproveInput struct {
	ResponsibleDoctorID int64
}

// Approve makes a pending contract active from today for one year. A
// renewal starts the day after its predecessor ends instead; when that day
// is still ahead the renewal is scheduled and the expiry job starts it.
// Staff may name the responsible doctor, a member of the contract's team
// (422 otherwise).
func (s *ContractService) Approve(ctx context.Context, p Principal, id int64, in ContractApproveInput) (ContractView, error) {
	if in.ResponsibleDoctorID < 0 {
		return ContractView{}, InvalidField("responsible_doctor_id", "must be a member of the team")
	}
	return s.change(ctx, p, id, "approved", func(tx *gorm.DB, c *model.FamilyContract) error {
		if !contractMachine.Allowed(c.Status, model.ContractActive, SideStaff) {
			return contractMachine.refuse(c.Status, model.ContractActive)
		}
		doctor := c.ResponsibleDoctorID
		if in.ResponsibleDoctorID != 0 {
			_, ok, err := teamRole(tx, c.TeamID, in.ResponsibleDoctorID)
			if err != nil {
				return err
			}
			if !ok {
				return InvalidField("responsible_doctor_id", "must be a member of the team")
			}
			doctor = in.ResponsibleDoctorID
		}
		if s.realName {
			// 实名: staff check each person's document (POST
			// /staff/persons/{id}/verify; the application puts the family
			// within the clinic's reach) before signing.
			var persons []model.Person
			if err := tx.Where("id IN (?)", tx.Session(&gorm.Session{NewDB: true}).Model(&model.ContractMember{}).
				Select("member_id").Where("contract_id = ?", c.ID)).Order("id").Find(&persons).Error; err != nil {
				return err
			}
			if err := requireVerified(true, persons...); err != nil {
				return err
			}
		}
		today := s.today()
		from := today
		if c.RenewsID != nil {
			var prev model.FamilyContract
			if err := tx.First(&prev, *c.RenewsID).Error; err != nil {
				return err
			}
			// A predecessor past its end that the job has not reached yet
			// ends now, so its members are free for the renewal.
			if _, err := s.expireOne(tx, &prev, today); err != nil {
				return err
			}
			if prev.Status == model.ContractActive ||
				(prev.Status == model.ContractExpired && prev.ValidUntil >= contractAddDays(today, -ContractRenewalGraceDays)) {
				from = contractAddDays(prev.ValidUntil, 1)
			}
		}
		to := model.ContractActive
		if from > today {
			to = model.ContractScheduled
		}
		now := s.clock.Now()
		if err := s.move(tx, c, Step{To: to, By: actorOf(p), Set: map[string]any{
			"valid_from": from, "valid_until": contractAddYears(from, 1), "decided_at": now, "decided_by": p.UserID,
			"responsible_doctor_id": doctor,
		}}); err != nil {
			return err
		}
		if to == model.ContractActive {
			if err := s.claimCoverage(tx, c.ID); err != nil {
				return err
			}
		}
		body := fmt.Sprintf("您家的家庭医生签约已生效，有效期 %s 至 %s。", c.ValidFrom, c.ValidUntil)
		if to == model.ContractScheduled {
			body = fmt.Sprintf("您家的家庭医生续约已通过，新的有效期 %s 至 %s，与当前签约无缝衔接。", c.ValidFrom, c.ValidUntil)
		}
		return s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractApproved, Title: "家庭医生签约已通过",
			Body: body, RefType: "family_contract", RefID: c.ID})
	})
}

// Reject refuses a pending contract with a reason.
func (s *ContractService) Reject(ctx context.Context, p Principal, id int64, reason string) (ContractView, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ContractView{}, InvalidField("reason", "required")
	}
	return s.change(ctx, p, id, "rejected", func(tx *gorm.DB, c *model.FamilyContract) error {
		if err := s.move(tx, c, Step{To: model.ContractRejected, By: actorOf(p), Reason: reason,
			Set: map[string]any{"reason": truncate(reason, 255), "decided_at": s.clock.Now(), "decided_by": p.UserID}}); err != nil {
			return err
		}
		return s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractRejected, Title: "家庭医生签约未通过",
			Body: "原因：" + reason, RefType: "family_contract", RefID: c.ID})
	})
}

// Terminate ends an active (or scheduled) contract in the caller's scope.
func (s *ContractService) Terminate(ctx context.Context, p Principal, id int64, reason string) (ContractView, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ContractView{}, InvalidField("reason", "required")
	}
	return s.change(ctx, p, id, "terminated", func(tx *gorm.DB, c *model.FamilyContract) error {
		if err := s.terminateOne(tx, c, actorOf(p), reason); err != nil {
			return err
		}
		// A scheduled renewal of it ends with it.
		if c.RenewedByID != nil {
			var next model.FamilyContract
			if err := tx.First(&next, *c.RenewedByID).Error; err != nil {
				return err
			}
			if next.Status == model.ContractScheduled {
				return s.terminateOne(tx, &next, actorOf(p), reason)
			}
		}
		return nil
	})
}

func (s *ContractService) terminateOne(tx *gorm.DB, c *model.FamilyContract, by Actor, reason string) error {
	if err := s.move(tx, c, Step{To: model.ContractTerminated, By: by, Reason: reason,
		Set: map[string]any{"reason": truncate(reason, 255)}}); err != nil {
		return err
	}
	return s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractTerminated, Title: "家庭医生签约已解约",
		Body: "原因：" + reason, RefType: "family_contract", RefID: c.ID})
}

// Renew applies for the next period of an active contract, or of one
// expired at most ContractRenewalGraceDays ago: same team, same (remaining)
// members, pending until staff approve; the period then starts the day
// after the old one ends, without a gap. The answer is the renewal.
func (s *ContractService) Renew(ctx context.Context, p Principal, id int64) (ContractView, error) {
	return s.change(ctx, p, id, "renewal applied", func(tx *gorm.DB, prev *model.FamilyContract) error {
		today := s.today()
		switch {
		case prev.Status == model.ContractActive:
		case prev.Status == model.ContractExpired && prev.ValidUntil >= contractAddDays(today, -ContractRenewalGraceDays):
		case prev.Status == model.ContractExpired:
			return ErrRenewalWindowClosed.With(map[string]any{"valid_until": prev.ValidUntil})
		default:
			return contractMachine.refuse(prev.Status, prev.Status)
		}
		if prev.RenewedByID != nil {
			return ErrContractAlreadyRenewed.With(map[string]any{"renewal_id": *prev.RenewedByID})
		}
		var ids []int64
		if err := tx.Model(&model.ContractMember{}).Where("contract_id = ?", prev.ID).Order("member_id").
			Pluck("member_id", &ids).Error; err != nil {
			return err
		}
		var members []model.Person
		if len(ids) > 0 {
			if err := tx.Where("id IN ?", ids).Order("id").Find(&members).Error; err != nil {
				return err
			}
		}
		if len(members) == 0 {
			return contractMachine.refuse(prev.Status, prev.Status).(*Error).Msg("none of the contract's members remain in the family")
		}
		live := make([]int64, len(members))
		for i, m := range members {
			live[i] = m.ID
		}
		if err := s.checkNotCovered(tx, live, prev.ID); err != nil {
			return err
		}
		var team model.DoctorTeam
		if err := tx.First(&team, prev.TeamID).Error; err != nil {
			return err
		}
		rows, renews := contractCoverageRows(members, false), prev.ID
		c := model.FamilyContract{UserID: prev.UserID, TeamID: prev.TeamID, ClinicID: prev.ClinicID,
			Status: model.ContractPending, AppliedBy: contractAppliedBy(rows, false), AppliedByUserID: p.UserID,
			RenewsID: &renews, Packages: prev.Packages, AgreementVersion: prev.AgreementVersion, ResponsibleDoctorID: prev.ResponsibleDoctorID}
		if err := s.create(tx, &c, rows, actorOf(p), team); err != nil {
			return err
		}
		// One open renewal per contract, claimed by a conditional update.
		if err := s.move(tx, prev, Step{To: prev.Status, By: actorOf(p), Reason: fmt.Sprintf("renewal #%d applied", c.ID),
			Set: map[string]any{"renewed_by_id": c.ID}, Where: []any{"renewed_by_id IS NULL"}, Else: ErrContractAlreadyRenewed}); err != nil {
			return err
		}
		*prev = c
		return nil
	})
}
