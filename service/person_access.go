package service

import (
	"familycare/model"

	"gorm.io/gorm"
)

// Who may see a person's records (vaccinations, growth, check-ups, what is
// next, and what the doctor-care areas add):
//
//   - acting for oneself (resident routes): the caller acts for the person
//     through a household (actsFor: a guardian of a household that holds
//     the person, or the person's own self-only account);
//   - acting for a clinic (staff routes): withinClinicWork;
//   - acting for the network (admins): any person.
//
// Anything else is ErrNotFound (never 403: no probing of ids).

// personFor returns the person id as the caller p may act on it.
func personFor(db *gorm.DB, p Principal, id int64) (model.Person, error) {
	if p.Scope == ScopeSelf {
		return actedPerson(db, p.UserID, id, false)
	}
	var m model.Person
	if err := db.Where("id = ?", id).First(&m).Error; err != nil {
		return m, notFound(err)
	}
	if p.Scope == ScopeNetwork {
		return m, nil
	}
	ok, err := withinClinicWork(db, p, id)
	if err != nil {
		return model.Person{}, err
	}
	if !ok {
		return model.Person{}, ErrNotFound
	}
	return m, nil
}

// bookedPerson locks and returns the person a booking is made for, as the
// caller may book for them (README "Staff book for a family"): a family for
// a person it acts for (actedPerson); staff with a referral for the person
// the referral is for, when their clinics issued or receive it
// (referralScope); staff without one for a person within their clinics'
// work (withinClinicWork); an admin for anyone. Anything else is 404. The
// person's row is locked first, as in every booking and removal.
func bookedPerson(tx *gorm.DB, p Principal, id, referralID int64) (model.Person, error) {
	if p.Scope == ScopeSelf {
		m, err := actedPerson(tx, p.UserID, id, true)
		return m, notFoundAs(err, ErrNotFound.Msg("no such family member"))
	}
	var m model.Person
	if err := forUpdate(tx).Where("id = ?", id).First(&m).Error; err != nil {
		return m, notFoundAs(err, ErrNotFound.Msg("no such person"))
	}
	if referralID != 0 {
		var n int64
		q := tx.Model(&model.Referral{}).Where("id = ? AND person_id = ?", referralID, id)
		if err := referralScope(q, p).Count(&n).Error; err != nil {
			return model.Person{}, err
		}
		if n == 0 {
			return model.Person{}, ErrNotFound.Msg("no such referral")
		}
		return m, nil
	}
	ok, err := withinClinicWork(tx, p, id)
	if err != nil {
		return model.Person{}, err
	}
	if !ok {
		return model.Person{}, ErrNotFound.Msg("no such person")
	}
	return m, nil
}

// withinClinicWork is the staff reach rule (README, "What staff may see of
// families"): a person is within the work of the caller's clinics when they
// have a booking at one of its sessions, are on a family-doctor contract
// (any state: an application the family made counts) with one of its teams,
// belong to a household the clinic made at the counter, or to a household
// living in a village or community of the clinics' catchment.
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
	if err != nil || n > 0 {
		return n > 0, err
	}
	// A household the clinic made at the counter for a resident.
	err = db.Model(&model.HouseholdPerson{}).Joins("JOIN households ON households.id = household_persons.household_id").
		Where("household_persons.person_id = ? AND households.clinic_id IN ?", memberID, p.clinics()).Limit(1).Count(&n).Error
	if err != nil || n > 0 {
		return n > 0, err
	}
	// A household living in a village or community the clinics serve
	// (their catchment): a station's families.
	var clinics []model.Clinic
	if err := db.Select("id", "catchment").Where("id IN ?", p.clinics()).Find(&clinics).Error; err != nil {
		return false, err
	}
	var villages []string
	for _, c := range clinics {
		villages = append(villages, c.Catchment...)
	}
	if len(villages) == 0 {
		return false, nil
	}
	err = db.Model(&model.HouseholdPerson{}).Joins("JOIN households ON households.id = household_persons.household_id").
		Where("household_persons.person_id = ? AND households.village IN ?", memberID, villages).Limit(1).Count(&n).Error
	return n > 0, err
}

// familyPersons returns the persons the caller acts for (GET /me/next).
func familyPersons(db *gorm.DB, p Principal) ([]model.Person, error) {
	var ms []model.Person
	err := db.Where("id IN (?)", actsFor(db, p.UserID)).Order("id").Find(&ms).Error
	return ms, err
}

// personOwner is the account that receives a person's reminders.
func personOwner(m model.Person) int64 { return m.UserID }

// householdPersons returns the persons of household id the caller acts for
// (all of them for a guardian, itself for a self-only account); a household
// the caller is not in is ErrNotFound.
func householdPersons(db *gorm.DB, p Principal, id int64) ([]model.Person, error) {
	var n int64
	if err := db.Model(&model.HouseholdAccount{}).Where("household_id = ? AND user_id = ?", id, p.UserID).Count(&n).Error; err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrNotFound
	}
	var ms []model.Person
	err := db.Where("id IN (?) AND id IN (?)", actsFor(db, p.UserID),
		db.Session(&gorm.Session{NewDB: true}).Model(&model.HouseholdPerson{}).Select("person_id").Where("household_id = ?", id)).
		Order("id").Find(&ms).Error
	return ms, err
}
