package service

import (
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// personVerified reports whether a person is a verified real-name person
// (staff checked the document: README, "Households and persons").
func personVerified(m model.Person) bool { return m.Verified }

// hasActiveContract reports whether an active family-doctor contract covers
// the person.
func hasActiveContract(tx *gorm.DB, personID int64) (bool, error) {
	var n int64
	err := tx.Model(&model.ContractMember{}).
		Joins("JOIN family_contracts ON family_contracts.id = contract_members.contract_id").
		Where("contract_members.member_id = ? AND family_contracts.status = ?", personID, model.ContractActive).Limit(1).Count(&n).Error
	return n > 0, err
}

// candidateOf is what the eligibility rules see of a person.
func candidateOf(tx *gorm.DB, m model.Person, e Eligibility) (Candidate, error) {
	c := Candidate{BirthDate: m.BirthDate, Gender: m.Gender, DueDate: m.DueDate, Verified: personVerified(m)}
	if e.ContractRequired {
		var err error
		if c.HasContract, err = hasActiveContract(tx, m.ID); err != nil {
			return c, err
		}
	}
	return c, nil
}

// checkEligible refuses (422 not_eligible, the reason in Chinese) a person
// who does not fit the rules of the session's service on the session's day.
func checkEligible(tx *gorm.DB, loc *time.Location, sv model.Service, m model.Person, startsAt time.Time) error {
	e := eligibilityOf(sv)
	c, err := candidateOf(tx, m, e)
	if err != nil {
		return err
	}
	local := startsAt.In(loc)
	on := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	if reason := CheckEligibility(e, c, on); reason != "" {
		return ErrNotEligible.Msg("%s", reason).With(map[string]any{"reason": reason, "service_id": sv.ID})
	}
	return nil
}
