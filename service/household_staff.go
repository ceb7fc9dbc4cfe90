package service

import (
	"context"
	"strings"

	"familycare/model"

	"gorm.io/gorm"
)

// Staff at the counter or on the phone: finding a person, making a
// household for a resident without WeChat (handed to an account later by an
// invitation), adding and verifying persons. Staff reach only persons within
// their clinics' work (withinClinicWork) and the households their clinics
// made; anyone else is, to them, a person who does not exist.

// PersonQuery finds persons: by identity number (exact, through the blind
// index), by a guardian's phone, or by name and birth date.
type PersonQuery struct {
	IDType, IDNumber, Phone, Name, BirthDate string
}

// StaffPersonView is a person as a nurse needs them: with the first
// guardian's name and masked phone.
type StaffPersonView struct {
	PersonView
	GuardianName  string
	GuardianPhone string // already masked
}

// FindPersons looks persons up within the caller's reach (at most 20).
func (s *HouseholdService) FindPersons(ctx context.Context, p Principal, in PersonQuery) ([]StaffPersonView, error) {
	db := s.db.WithContext(ctx)
	q := db.Model(&model.Person{})
	switch {
	case in.IDNumber != "":
		t := in.IDType
		if t == "" {
			t = model.IDResident
		}
		norm, _, _ := normaliseIDNumber(t, in.IDNumber, "", "", s.clock.Now().In(s.loc))
		q = q.Where("id_hash = ?", s.pii.Hash(idLookup(t, norm)))
	case in.Phone != "":
		phone := strings.TrimSpace(in.Phone)
		q = q.Where("id IN (?)", db.Session(&gorm.Session{NewDB: true}).Table("household_persons AS hp").Select("hp.person_id").
			Joins("JOIN household_accounts AS ha ON ha.household_id = hp.household_id").
			Joins("JOIN users AS u ON u.id = ha.user_id").
			Where("u.phone_hash = ? AND hp.deleted_at IS NULL", s.pii.Hash(phone)))
	case in.Name != "" && in.BirthDate != "":
		q = q.Where("name = ? AND birth_date = ?", strings.TrimSpace(in.Name), in.BirthDate)
	default:
		return []StaffPersonView{}, nil // nothing asked, nothing found
	}
	var found []model.Person
	if err := q.Order("id").Limit(200).Find(&found).Error; err != nil {
		return nil, err
	}
	out := []StaffPersonView{}
	for _, person := range found {
		ok, err := withinClinicWork(db, p, person.ID)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		v, err := s.staffView(db, person)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if len(out) == 20 {
			break
		}
	}
	return out, nil
}

// staffView adds the guardian a nurse calls: the first guardian account of
// the person's first household.
func (s *HouseholdService) staffView(db *gorm.DB, person model.Person) (StaffPersonView, error) {
	var link model.HouseholdPerson
	if err := db.Where("person_id = ?", person.ID).Order("household_id").Limit(1).Find(&link).Error; err != nil {
		return StaffPersonView{}, err
	}
	v := StaffPersonView{PersonView: s.personView(person, link.HouseholdID, link.Relation)}
	if link.ID == 0 {
		return v, nil
	}
	var u model.User
	err := db.Joins("JOIN household_accounts AS ha ON ha.user_id = users.id").
		Where("ha.household_id = ? AND ha.role = ?", link.HouseholdID, model.HouseholdGuardian).Order("ha.id").Limit(1).Find(&u).Error
	if err != nil || u.ID == 0 {
		return v, err
	}
	if u, err = openUser(s.pii, u); err != nil {
		return v, err
	}
	v.GuardianName = u.RealName
	if v.GuardianName == "" {
		v.GuardianName = u.Nickname
	}
	v.GuardianPhone = MaskPhone(u.Phone)
	return v, nil
}

// MaskPhone shows a mainland mobile as 138****1234.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 7 {
		if len(r) == 0 {
			return ""
		}
		return "****"
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

// linkAtCounter links person id, known elsewhere, to householdID from the
// document staff hold, and verifies it.
func (s *HouseholdService) linkAtCounter(tx *gorm.DB, p Principal, householdID, id int64, in PersonInput) (PersonView, error) {
	person, err := s.documentMatches(tx, id, in)
	if err != nil {
		return PersonView{}, err
	}
	rel := model.RelationOther
	if in.Relation != nil && validRelation(*in.Relation) {
		rel = *in.Relation
	}
	if err := s.link(tx, householdID, person.ID, rel, p.UserID); err != nil {
		return PersonView{}, err
	}
	if err := tx.Model(&model.Person{}).Where("id = ?", person.ID).Update("verified", true).Error; err != nil {
		return PersonView{}, err
	}
	person.Verified = true
	return s.personView(person, householdID, rel), recordConsent(tx, person.ID, model.ConsentPersonalData, model.ConsentByCounter, 0, p.UserID)
}

// documentMatches finds person id by the document staff hold: its type and
// number must be the person's (404 otherwise, like a person that does not
// exist).
func (s *HouseholdService) documentMatches(tx *gorm.DB, id int64, in PersonInput) (model.Person, error) {
	var person model.Person
	if in.IDType == nil || in.IDNumber == nil {
		return person, InvalidField("id_number", "linking a known person needs the document: id_type and id_number")
	}
	norm, _, _ := normaliseIDNumber(*in.IDType, *in.IDNumber, "", "", s.clock.Now().In(s.loc))
	err := forUpdate(tx).Where("id = ? AND id_hash = ?", id, s.pii.Hash(idLookup(*in.IDType, norm))).First(&person).Error
	return person, notFound(err)
}

// Verify marks a person verified after staff checked the document (and
// records its number when the person had none).
func (s *HouseholdService) Verify(ctx context.Context, p Principal, id int64, idType, idNumber string) (StaffPersonView, error) {
	var out StaffPersonView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		var person model.Person
		if err := forUpdate(tx).First(&person, id).Error; err != nil {
			return notFound(err)
		}
		if ok, err := withinClinicWork(tx, p, id); err != nil || !ok {
			if err == nil {
				err = ErrNotFound
			}
			return err
		}
		if err := s.apply(&person, PersonInput{IDType: &idType, IDNumber: &idNumber}); err != nil {
			return err
		}
		person.Verified = true
		err := tx.Model(&person).Select("gender", "birth_date", "id_type", "id_number", "id_masked", "id_hash", "verified").Updates(&person).Error
		if err != nil {
			if isDuplicate(err) {
				return ErrPersonExists
			}
			return err
		}
		out, err = s.staffView(tx, person)
		return err
	})
	return out, err
}
