package service

import (
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// Contracts and medicine orders share these: the members they care for, and
// the contract that covers a member.

// CareMember is a family member as contract and medicine views show it.
type CareMember struct {
	ID                int64
	Name              string
	Relation          string
	Gender            string
	BirthDate         string
	AgeYears          int // -1 without a birth date
	ChronicConditions []string
}

// loadCareMembers loads members (removed ones too: history keeps their
// names) with their age on the business date.
func loadCareMembers(db *gorm.DB, ids []int64, now time.Time, loc *time.Location) (map[int64]CareMember, error) {
	out := map[int64]CareMember{}
	if len(ids) == 0 {
		return out, nil
	}
	var ms []model.Person
	if err := db.Unscoped().Select("id", "name", "relation", "gender", "birth_date", "chronic_conditions").
		Where("id IN ?", ids).Find(&ms).Error; err != nil {
		return nil, err
	}
	for _, m := range ms {
		out[m.ID] = CareMember{ID: m.ID, Name: m.Name, Relation: m.Relation, Gender: m.Gender, BirthDate: m.BirthDate,
			AgeYears: AgeYears(m.BirthDate, now, loc), ChronicConditions: m.ChronicConditions}
	}
	return out, nil
}

// coveringContract is the active contract covering a member, its row
// locked (MySQL) so a concurrent termination either waits for the caller
// or is seen by it; gorm.ErrRecordNotFound when none covers it.
func coveringContract(tx *gorm.DB, memberID int64) (model.FamilyContract, error) {
	var c model.FamilyContract
	var covering []int64
	if err := tx.Model(&model.ContractMember{}).Where("member_id = ? AND active = ?", memberID, true).
		Limit(1).Pluck("contract_id", &covering).Error; err != nil {
		return c, err
	}
	if len(covering) == 0 {
		return c, gorm.ErrRecordNotFound
	}
	err := forUpdate(tx).Where("id = ? AND status = ?", covering[0], model.ContractActive).First(&c).Error
	return c, err
}
