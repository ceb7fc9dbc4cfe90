package service

// Persons of households: adding (one number, one person), reading,
// changing and removing them.

import (
	"context"
	"familycare/model"
	"gorm.io/gorm"
	"strconv"
	"time"
)

// ErrPersonNotVerified refuses care that needs a real-name person.
var ErrPersonNotVerified = newErr(KindInvalid, "person_not_verified", "this needs a person whose identity document staff have checked")

// requireVerified refuses, when on, persons whose identity staff have not
// checked (family-doctor contracts and medicine deliveries: 实名).
func requireVerified(on bool, ps ...model.Person) error {
	if !on {
		return nil
	}
	for _, p := range ps {
		if !p.Verified {
			return ErrPersonNotVerified.With(map[string]any{"person_id": p.ID})
		}
	}
	return nil
}

// consentMethod is how an account consents for a person: as that person
// (its own account) or as a guardian or relative.
func consentMethod(db *gorm.DB, userID, personID int64) string {
	var n int64
	if err := db.Model(&model.HouseholdAccount{}).Where("user_id = ? AND person_id = ?", userID, personID).Count(&n).Error; err == nil && n > 0 {
		return model.ConsentBySelf
	}
	return model.ConsentByGuardian
}

// PersonView is a person as one household sees them.
type PersonView struct {
	Person      model.Person
	HouseholdID int64
	Relation    string
	Age         *Age
	Gestation   *Gestation
}

func (s *HouseholdService) personView(p model.Person, householdID int64, relation string) PersonView {
	return newPersonView(p, householdID, relation, s.clock.Now().In(s.loc))
}

func newPersonView(p model.Person, householdID int64, relation string, today time.Time) PersonView {
	v := PersonView{Person: p, HouseholdID: householdID, Relation: relation}
	if a, ok := AgeOf(p.BirthDate, today); ok {
		v.Age = &a
	}
	if g, ok := GestationOf(p.DueDate, today); ok {
		v.Gestation = &g
	}
	return v
}

// PersonsOf lists the persons of a household in the caller's reach.
func (s *HouseholdService) PersonsOf(ctx context.Context, p Principal, id int64) ([]PersonView, error) {
	db := s.db.WithContext(ctx)
	a, err := s.reach(db, p, id, false)
	if err != nil {
		return nil, err
	}
	return s.persons(db, id, a)
}

// PersonInput is a person to add or the fields to change (nil: unchanged).
type PersonInput struct {
	Name, Relation, Gender, BirthDate, DueDate *string
	ChronicConditions                          *[]string
	IDType, IDNumber                           *string
	// BirthWeightG and BirthWeeks are the birth record (0 clears).
	BirthWeightG, BirthWeeks *int
}

// AddPersonInput is a person to add to a household: a new one, or on staff
// routes (PersonID with the document in hand) a person known elsewhere,
// linked and verified at the counter.
type AddPersonInput struct {
	PersonInput
	PersonID *int64
}

// AddPerson adds a person to a household in the caller's reach: one of its
// guardians', or on staff routes one its clinic holds, where a person added
// from the document in hand is verified. A person whose identity number is
// already known is never made twice: the answer is 409 person_exists naming
// the person to ask a link for (staff link it with person_id and the
// document instead).
func (s *HouseholdService) AddPerson(ctx context.Context, p Principal, householdID int64, in AddPersonInput) (PersonView, error) {
	counter := p.Scope != ScopeSelf
	if in.PersonID != nil && !counter {
		return PersonView{}, InvalidField("person_id", "a person of another household joins by a link request")
	}
	var out PersonView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		if _, err := s.reach(tx, p, householdID, true); err != nil {
			return err
		}
		var err error
		if in.PersonID != nil {
			out, err = s.linkAtCounter(tx, p, householdID, *in.PersonID, in.PersonInput)
		} else {
			out, err = s.addPerson(tx, p.UserID, householdID, in.PersonInput, counter)
		}
		return err
	})
	return out, err
}

// addPerson makes a person of householdID. At the counter (staff with the
// document in hand) a person with an identity number is verified and the
// consent is recorded as given there; otherwise the adding account gives
// it, as guardian or for itself.
func (s *HouseholdService) addPerson(tx *gorm.DB, userID, householdID int64, in PersonInput, counter bool) (PersonView, error) {
	person := model.Person{UserID: userID, Gender: "unknown", ChronicConditions: []string{}}
	if err := s.apply(&person, in); err != nil {
		return PersonView{}, err
	}
	person.Verified = counter && person.IDHash != nil
	if missing := requiredPersonFields(person); missing != nil {
		return PersonView{}, missing
	}
	var n int64
	if err := tx.Model(&model.HouseholdPerson{}).Where("household_id = ?", householdID).Count(&n).Error; err != nil {
		return PersonView{}, err
	}
	if n >= householdMaxPersons {
		return PersonView{}, InvalidField("household", "a household holds at most 30 persons")
	}
	if person.IDHash != nil {
		if err := s.refuseKnown(tx, *person.IDHash, householdID); err != nil {
			return PersonView{}, err
		}
	}
	if err := tx.Create(&person).Error; err != nil {
		if isDuplicate(err) && person.IDHash != nil {
			// Another household added the same number at the same moment:
			// a locking read sees its committed row.
			if err := s.refuseKnown(forUpdate(tx.Session(&gorm.Session{NewDB: true})), *person.IDHash, householdID); err != nil {
				return PersonView{}, err
			}
			return PersonView{}, ErrPersonExists
		}
		return PersonView{}, err
	}
	if err := tx.Create(&model.HouseholdPerson{HouseholdID: householdID, PersonID: person.ID, Relation: person.Relation, AddedBy: userID}).Error; err != nil {
		return PersonView{}, err
	}
	method, givenBy := model.ConsentByGuardian, userID
	switch {
	case counter:
		method, givenBy = model.ConsentByCounter, 0
	case person.Relation == model.RelationSelf:
		method = model.ConsentBySelf
		// The account that adds itself is that person.
		if err := tx.Model(&model.HouseholdAccount{}).Where("household_id = ? AND user_id = ? AND person_id IS NULL", householdID, userID).
			Update("person_id", person.ID).Error; err != nil {
			return PersonView{}, err
		}
	}
	if err := recordConsent(tx, person.ID, model.ConsentPersonalData, method, givenBy, userID); err != nil {
		return PersonView{}, err
	}
	return s.personView(person, householdID, person.Relation), nil
}

func requiredPersonFields(p model.Person) error {
	f := map[string]string{}
	if p.Name == "" {
		f["name"] = "required"
	}
	if p.Relation == "" {
		f["relation"] = "required"
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

// refuseKnown answers a known identity number: already in this household,
// or known elsewhere (the details name the person and the link route; no
// name, no age: the caller proved only that they know the number). An
// unknown number is nil.
func (s *HouseholdService) refuseKnown(db *gorm.DB, idHash string, householdID int64) error {
	var known model.Person
	if err := db.Unscoped().Where("id_hash = ?", idHash).Limit(1).Find(&known).Error; err != nil || known.ID == 0 {
		return err
	}
	db = db.Session(&gorm.Session{NewDB: true})
	var n int64
	if err := db.Model(&model.HouseholdPerson{}).Where("household_id = ? AND person_id = ?", householdID, known.ID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return ErrAlreadyInHousehold.With(map[string]any{"person_id": known.ID})
	}
	return ErrPersonExists.With(map[string]any{"person_id": known.ID,
		"link_request": map[string]any{"method": "POST", "path": "/api/v1/persons/" + strconv.FormatInt(known.ID, 10) + "/link-requests",
			"body": map[string]any{"household_id": householdID}}})
}

// Person returns a person the caller acts for.
func (s *HouseholdService) Person(ctx context.Context, p Principal, id int64) (PersonView, error) {
	db := s.db.WithContext(ctx)
	person, err := actedPerson(db, p.UserID, id, false)
	if err != nil {
		return PersonView{}, err
	}
	return s.inHousehold(db, p.UserID, person)
}

// inHousehold is the person as the first of the caller's households that
// holds them sees them.
func (s *HouseholdService) inHousehold(db *gorm.DB, userID int64, person model.Person) (PersonView, error) {
	var link model.HouseholdPerson
	err := db.Joins("JOIN household_accounts AS ha ON ha.household_id = household_persons.household_id AND ha.user_id = ?", userID).
		Where("household_persons.person_id = ?", person.ID).Order("household_persons.household_id").First(&link).Error
	if err != nil {
		return PersonView{}, notFound(err)
	}
	return s.personView(person, link.HouseholdID, link.Relation), nil
}

// UpdatePerson changes a person the caller acts for. A verified identity is
// changed only by staff.
func (s *HouseholdService) UpdatePerson(ctx context.Context, p Principal, id int64, in PersonInput) (PersonView, error) {
	var out PersonView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		person, err := actedPerson(tx, p.UserID, id, true)
		if err != nil {
			return err
		}
		if person.Verified && (in.IDType != nil || in.IDNumber != nil || in.BirthDate != nil || in.Name != nil) {
			return InvalidField("id_number", "a verified person's name, birth date and identity are changed at the clinic")
		}
		if in.IDNumber == nil && in.IDType == nil && (in.BirthDate != nil || in.Gender != nil) && person.IDType == model.IDResident {
			// A resident ID number must keep agreeing with birth date and sex.
			num, err := s.pii.Open(person.IDNumber)
			if err != nil {
				return err
			}
			t := person.IDType
			in.IDType, in.IDNumber = &t, &num
		}
		oldHash := person.IDHash
		if err := s.apply(&person, in); err != nil {
			return err
		}
		if person.IDHash != nil && (oldHash == nil || *oldHash != *person.IDHash) {
			var link model.HouseholdPerson
			if err := tx.Where("person_id = ?", id).Order("household_id").First(&link).Error; err != nil {
				return notFound(err)
			}
			if err := s.refuseKnown(tx.Where("id <> ?", person.ID), *person.IDHash, link.HouseholdID); err != nil {
				// (the condition names persons only: refuseKnown reads the
				// household on a new session)
				return err
			}
		}
		if person.Relation == "" {
			person.Relation = model.RelationOther
		}
		err = tx.Model(&person).Select("name", "gender", "birth_date", "due_date", "chronic_conditions",
			"id_type", "id_number", "id_masked", "id_hash", "verified", "birth_weight_g", "birth_weeks").Updates(&person).Error
		if err != nil {
			if isDuplicate(err) {
				return ErrPersonExists
			}
			return err
		}
		if in.Relation != nil {
			if err := tx.Model(&model.HouseholdPerson{}).Where("person_id = ? AND household_id IN (?)", id,
				tx.Session(&gorm.Session{NewDB: true}).Model(&model.HouseholdAccount{}).Select("household_id").
					Where("user_id = ? AND role = ?", p.UserID, model.HouseholdGuardian)).
				Update("relation", *in.Relation).Error; err != nil {
				return err
			}
		}
		out, err = s.inHousehold(tx, p.UserID, person)
		return err
	})
	return out, err
}

// RemovePerson takes a person out of the caller's households (guardians).
// The person's record, bookings, vaccinations and other history stay (the
// clinic keeps them); a person left in no household is closed (soft
// deleted), as a deleted family member was. A person with active bookings or
// a running suspension is not removed.
func (s *HouseholdService) RemovePerson(ctx context.Context, p Principal, id int64) error {
	return transact(ctx, s.db, func(tx *gorm.DB) error {
		person, err := actedPerson(tx, p.UserID, id, true)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&model.Booking{}).Where("member_id = ? AND active = ?", person.ID, true).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrMemberHasActiveBookings
		}
		if err := tx.Model(&model.BookingSuspension{}).Where("member_id = ? AND ends_at > ?", person.ID, s.clock.Now()).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrMemberSuspended
		}
		mine := tx.Session(&gorm.Session{NewDB: true}).Model(&model.HouseholdAccount{}).Select("household_id").
			Where("user_id = ? AND (role = ? OR person_id = ?)", p.UserID, model.HouseholdGuardian, id)
		if err := tx.Where("person_id = ? AND household_id IN (?)", id, mine).Delete(&model.HouseholdPerson{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&model.HouseholdPerson{}).Where("person_id = ?", id).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := tx.Model(&model.HouseholdAccount{}).Where("person_id = ?", id).Update("person_id", nil).Error; err != nil {
			return err
		}
		return tx.Delete(&person).Error
	})
}

// MePerson is the person the caller's account is.
func (s *HouseholdService) MePerson(ctx context.Context, p Principal) (PersonView, error) {
	db := s.db.WithContext(ctx)
	var a model.HouseholdAccount
	if err := db.Where("user_id = ? AND person_id IS NOT NULL", p.UserID).Order("id").First(&a).Error; err != nil {
		return PersonView{}, notFound(err)
	}
	return s.Person(ctx, p, *a.PersonID)
}

// apply validates in and copies it onto person.
func (s *HouseholdService) apply(person *model.Person, in PersonInput) error {
	today := s.clock.Now().In(s.loc)
	fields := validatePerson(person, in, today)
	if in.IDType != nil || in.IDNumber != nil {
		t, n := person.IDType, ""
		if in.IDType != nil {
			t = *in.IDType
		}
		if in.IDNumber != nil {
			n = *in.IDNumber
		}
		switch {
		case t == "" && n == "":
			person.IDType, person.IDNumber, person.IDMasked, person.IDHash, person.Verified = "", "", "", nil, false
		case n == "":
			fields["id_number"] = "required with id_type"
		default:
			norm, rid, bad := normaliseIDNumber(t, n, person.BirthDate, person.Gender, today)
			if len(bad) > 0 {
				if len(fields) == 0 {
					return ErrInvalidIDNumber.With(map[string]any{"fields": bad})
				}
				for k, v := range bad {
					fields[k] = v
				}
				break
			}
			sealed, err := s.pii.Seal(norm)
			if err != nil {
				return err
			}
			h := s.pii.Hash(idLookup(t, norm))
			person.IDType, person.IDNumber, person.IDMasked, person.IDHash = t, sealed, MaskIDNumber(norm), &h
			if t == model.IDResident {
				// The number itself says birth date and sex: fill them in.
				person.BirthDate, person.Gender = rid.BirthDate, rid.Gender
			}
		}
	}
	if len(fields) > 0 {
		return Invalid(fields)
	}
	return nil
}

// recordConsent writes who consented to what for a person (PIPL).
func recordConsent(tx *gorm.DB, personID int64, purpose, method string, givenBy, recordedBy int64) error {
	return tx.Create(&model.Consent{PersonID: personID, Purpose: purpose, Method: method, GivenBy: givenBy, RecordedBy: recordedBy}).Error
}
