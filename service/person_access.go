package service

import (
	"familycare/model"

	"gorm.io/gorm"
)

// Who may see a person's first-1000-days records. Persons do not exist yet:
// a person id is a members.id (persons keep the ids of today's members), and
// these are the only functions of the vaccination, growth, check-up and
// what's-next code that decide access, so the households work can re-point
// them at households in one place.
//
//   - acting for oneself (resident routes): the person is a member of the
//     caller's family;
//   - acting for a clinic (staff routes): withinClinicWork;
//   - acting for the network (admins): any person.
//
// Anything else is ErrNotFound (never 403: no probing of ids).

// personFor returns the person id as the caller p may act on it.
func personFor(db *gorm.DB, p Principal, id int64) (model.Member, error) {
	if p.Scope == ScopeSelf {
		return ownedMember(db, p.UserID, id)
	}
	var m model.Member
	if err := db.Where("id = ?", id).First(&m).Error; err != nil {
		return m, notFound(err)
	}
	if p.Scope == ScopeNetwork {
		return m, nil
	}
	ok, err := withinClinicWork(db, p, id)
	if err != nil {
		return model.Member{}, err
	}
	if !ok {
		return model.Member{}, ErrNotFound
	}
	return m, nil
}

// withinClinicWork is the staff reach rule (README, "What staff may see of
// families"): a person is within the work of the caller's clinics when they
// have a booking at one of its sessions or are on a family-doctor contract
// (any state: an application the family made counts) with one of its teams.
// Anyone else is, to staff, a person who does not exist.
func withinClinicWork(db *gorm.DB, p Principal, memberID int64) (bool, error) {
	if p.Scope == ScopeNetwork {
		return true, nil
	}
	if p.Scope != ScopeClinic {
		return false, nil
	}
	var n int64
	if err := db.Model(&model.Booking{}).Where("member_id = ? AND clinic_id IN ?", memberID, p.clinics()).Limit(1).Count(&n).Error; err != nil {
		return false, err
	}
	if n > 0 {
		return true, nil
	}
	err := db.Model(&model.ContractMember{}).
		Joins("JOIN family_contracts ON family_contracts.id = contract_members.contract_id").
		Where("contract_members.member_id = ? AND family_contracts.clinic_id IN ?", memberID, p.clinics()).Limit(1).Count(&n).Error
	return n > 0, err
}

// familyPersons returns the persons of the caller's family (GET /me/next).
func familyPersons(db *gorm.DB, p Principal) ([]model.Member, error) {
	var ms []model.Member
	err := db.Where("user_id = ?", p.UserID).Order("id").Find(&ms).Error
	return ms, err
}

// personOwner is the account that receives a person's reminders.
func personOwner(m model.Member) int64 { return m.UserID }
