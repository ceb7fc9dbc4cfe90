package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"
	"familycare/pii"

	"gorm.io/gorm"
)

// Households (README, "Households and persons"). Membership is the
// boundary: an account sees the households it belongs to, and acts for
// every person of a household where it is a guardian and for its own person
// where it is self-only. Everything else answers like a row that does not
// exist.

// Errors of households.
var (
	ErrNotGuardian        = newErr(KindForbidden, "not_guardian", "only a guardian of the household may do this")
	ErrPersonExists       = newErr(KindConflict, "person_exists", "a person with this identity number is already known; ask to link to that person")
	ErrAlreadyInHousehold = newErr(KindConflict, "already_in_household", "this account or person is already in the household")
)

// Limits of households.
const (
	HouseholdInvitationTTL = 72 * time.Hour
	householdMaxPersons    = 30
	householdMaxAccounts   = 12
	invitationCodeBytes    = 10 // 16 base32 characters
)

// HouseholdService manages households, their accounts and their persons.
type HouseholdService struct {
	db    *gorm.DB
	clock Clock
	loc   *time.Location
	pii   *pii.Box
	log   *slog.Logger
}

// NewHouseholdService builds the household service.
func NewHouseholdService(deps Deps) *HouseholdService {
	return &HouseholdService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, pii: deps.PII, log: deps.Log}
}

// actsFor is the subquery of the ids of the persons the account acts for:
// every person of a household where it is a guardian, and its own person
// where it is self-only.
func actsFor(db *gorm.DB, userID int64) *gorm.DB {
	return db.Session(&gorm.Session{NewDB: true}).Table("household_persons AS hp").Select("hp.person_id").
		Joins("JOIN household_accounts AS ha ON ha.household_id = hp.household_id").
		Where("ha.user_id = ? AND hp.deleted_at IS NULL AND (ha.role = ? OR ha.person_id = hp.person_id)",
			userID, model.HouseholdGuardian)
}

// actedPerson returns person id when the account acts for it; anything
// else is ErrNotFound. With lock (a booking, a removal, an account
// deletion) the person's row and the household rows that give the account
// its say are read with locks, so a racing removal or account deletion is
// either seen committed or waits (a plain read would use the transaction's
// older snapshot).
func actedPerson(db *gorm.DB, userID, id int64, lock bool) (model.Person, error) {
	var p model.Person
	q := db.Session(&gorm.Session{NewDB: true})
	if lock {
		q = forUpdate(q)
	}
	if err := q.Where("id = ?", id).First(&p).Error; err != nil {
		return p, notFound(err)
	}
	var links []int64
	q = db.Session(&gorm.Session{NewDB: true}).Table("household_persons AS hp").
		Joins("JOIN household_accounts AS ha ON ha.household_id = hp.household_id").
		Where("ha.user_id = ? AND hp.person_id = ? AND hp.deleted_at IS NULL AND (ha.role = ? OR ha.person_id = hp.person_id)",
			userID, id, model.HouseholdGuardian)
	if lock {
		q = forUpdate(q)
	}
	if err := q.Limit(1).Pluck("hp.id", &links).Error; err != nil {
		return p, err
	}
	if len(links) == 0 {
		return model.Person{}, ErrNotFound
	}
	return p, nil
}

// account returns the caller's place in household id: not a member is
// ErrNotFound.
func (s *HouseholdService) account(db *gorm.DB, userID, id int64) (model.HouseholdAccount, error) {
	var a model.HouseholdAccount
	err := db.Where("household_id = ? AND user_id = ?", id, userID).First(&a).Error
	return a, notFound(err)
}

// guardian is account for what only guardians do (403 not_guardian for a
// self-only member).
func (s *HouseholdService) guardian(db *gorm.DB, userID, id int64) (model.HouseholdAccount, error) {
	a, err := s.account(db, userID, id)
	if err == nil && a.Role != model.HouseholdGuardian {
		err = ErrNotGuardian
	}
	return a, err
}

// defaultHousehold is the first household where the account is a guardian,
// made when it has none (the /me/members routes and a first sign-in).
func (s *HouseholdService) defaultHousehold(tx *gorm.DB, userID int64) (int64, error) {
	var ids []int64
	if err := tx.Model(&model.HouseholdAccount{}).Where("user_id = ? AND role = ?", userID, model.HouseholdGuardian).
		Order("household_id").Limit(1).Pluck("household_id", &ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	h, err := s.create(tx, userID, "")
	return h.ID, err
}

func (s *HouseholdService) create(tx *gorm.DB, userID int64, name string) (model.Household, error) {
	h := model.Household{Name: name, CreatedBy: userID}
	if err := tx.Create(&h).Error; err != nil {
		return h, err
	}
	return h, tx.Create(&model.HouseholdAccount{HouseholdID: h.ID, UserID: userID, Role: model.HouseholdGuardian}).Error
}

// HouseholdView is a household with its accounts and persons.
type HouseholdView struct {
	Household model.Household
	// Role is the caller's role in it.
	Role     string
	Accounts []HouseholdMember
	Persons  []PersonView
}

// HouseholdMember is an account of a household.
type HouseholdMember struct {
	UserID   int64
	Nickname string
	Role     string
	PersonID *int64
}

func householdName(in string) (string, error) {
	n := strings.TrimSpace(in)
	if utf8.RuneCountInString(n) > 64 || !displayName(n) {
		return "", InvalidField("name", "must be at most 64 characters, "+noHiddenChars)
	}
	return n, nil
}

// Households lists the caller's households.
func (s *HouseholdService) Households(ctx context.Context, p Principal) ([]HouseholdView, error) {
	db := s.db.WithContext(ctx)
	var ids []int64
	if err := db.Model(&model.HouseholdAccount{}).Where("user_id = ?", p.UserID).Order("household_id").
		Pluck("household_id", &ids).Error; err != nil {
		return nil, err
	}
	out := make([]HouseholdView, 0, len(ids))
	for _, id := range ids {
		v, err := s.view(db, p.UserID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Create makes a household with the caller as its guardian.
func (s *HouseholdService) Create(ctx context.Context, p Principal, name string) (HouseholdView, error) {
	n, err := householdName(name)
	if err != nil {
		return HouseholdView{}, err
	}
	var h model.Household
	if err := transact(ctx, s.db, func(tx *gorm.DB) error {
		h, err = s.create(tx, p.UserID, n)
		return err
	}); err != nil {
		return HouseholdView{}, err
	}
	return s.view(s.db.WithContext(ctx), p.UserID, h.ID)
}

// Household returns one of the caller's households.
func (s *HouseholdService) Household(ctx context.Context, p Principal, id int64) (HouseholdView, error) {
	db := s.db.WithContext(ctx)
	if _, err := s.account(db, p.UserID, id); err != nil {
		return HouseholdView{}, err
	}
	return s.view(db, p.UserID, id)
}

// Rename changes a household's name (guardians).
func (s *HouseholdService) Rename(ctx context.Context, p Principal, id int64, name string) (HouseholdView, error) {
	n, err := householdName(name)
	if err != nil {
		return HouseholdView{}, err
	}
	db := s.db.WithContext(ctx)
	if _, err := s.guardian(db, p.UserID, id); err != nil {
		return HouseholdView{}, err
	}
	if err := db.Model(&model.Household{}).Where("id = ?", id).Update("name", n).Error; err != nil {
		return HouseholdView{}, err
	}
	return s.view(db, p.UserID, id)
}

func (s *HouseholdService) view(db *gorm.DB, userID, id int64) (HouseholdView, error) {
	var v HouseholdView
	if err := db.First(&v.Household, id).Error; err != nil {
		return v, notFound(err)
	}
	var accts []model.HouseholdAccount
	if err := db.Where("household_id = ?", id).Order("id").Find(&accts).Error; err != nil {
		return v, err
	}
	uids := make([]int64, 0, len(accts))
	for _, a := range accts {
		uids = append(uids, a.UserID)
	}
	var users []model.User
	if err := db.Unscoped().Select("id", "nickname").Where("id IN ?", uids).Find(&users).Error; err != nil {
		return v, err
	}
	names := indexBy(users, func(u model.User) int64 { return u.ID })
	var mine model.HouseholdAccount
	for _, a := range accts {
		v.Accounts = append(v.Accounts, HouseholdMember{UserID: a.UserID, Nickname: names[a.UserID].Nickname, Role: a.Role, PersonID: a.PersonID})
		if a.UserID == userID {
			mine = a
		}
	}
	v.Role = mine.Role
	ps, err := s.persons(db, id, mine)
	v.Persons = ps
	return v, err
}

// persons are the persons of household id that account a sees: all of them
// for a guardian, its own for a self-only account.
func (s *HouseholdService) persons(db *gorm.DB, id int64, a model.HouseholdAccount) ([]PersonView, error) {
	var links []model.HouseholdPerson
	q := db.Where("household_id = ?", id)
	if a.Role != model.HouseholdGuardian {
		if a.PersonID == nil {
			return []PersonView{}, nil
		}
		q = q.Where("person_id = ?", *a.PersonID)
	}
	if err := q.Order("id").Find(&links).Error; err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(links))
	for _, l := range links {
		ids = append(ids, l.PersonID)
	}
	var ps []model.Person
	if err := db.Where("id IN ?", ids).Find(&ps).Error; err != nil {
		return nil, err
	}
	byID := indexBy(ps, func(p model.Person) int64 { return p.ID })
	out := make([]PersonView, 0, len(links))
	for _, l := range links {
		if p, ok := byID[l.PersonID]; ok {
			out = append(out, s.personView(p, l.HouseholdID, l.Relation))
		}
	}
	return out, nil
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

// PersonsOf lists the persons of one of the caller's households.
func (s *HouseholdService) PersonsOf(ctx context.Context, p Principal, id int64) ([]PersonView, error) {
	db := s.db.WithContext(ctx)
	a, err := s.account(db, p.UserID, id)
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

// AddPerson adds a person to one of the caller's households (guardians). A
// person whose identity number is already known is never made twice: the
// answer is 409 person_exists naming the person to ask a link for.
func (s *HouseholdService) AddPerson(ctx context.Context, p Principal, householdID int64, in PersonInput) (PersonView, error) {
	var out PersonView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		if _, err := s.guardian(tx, p.UserID, householdID); err != nil {
			return err
		}
		var err error
		out, err = s.addPerson(tx, p.UserID, householdID, in)
		return err
	})
	return out, err
}

func (s *HouseholdService) addPerson(tx *gorm.DB, userID, householdID int64, in PersonInput) (PersonView, error) {
	person := model.Person{UserID: userID, Gender: "unknown", ChronicConditions: []string{}}
	if err := s.apply(&person, in); err != nil {
		return PersonView{}, err
	}
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
	method := model.ConsentByGuardian
	if person.Relation == model.RelationSelf {
		method = model.ConsentBySelf
		// The account that adds itself is that person.
		if err := tx.Model(&model.HouseholdAccount{}).Where("household_id = ? AND user_id = ? AND person_id IS NULL", householdID, userID).
			Update("person_id", person.ID).Error; err != nil {
			return PersonView{}, err
		}
	}
	if err := recordConsent(tx, person.ID, model.ConsentPersonalData, method, userID, userID); err != nil {
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

// Invitation is a code to join a household.
type Invitation struct {
	Code      string
	ExpiresAt time.Time
}

func newInvitationCode() (string, error) {
	buf := make([]byte, invitationCodeBytes)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return base32.StdEncoding.EncodeToString(buf), nil
}

func invitationHash(code string) string {
	sum := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code))))
	return hex.EncodeToString(sum[:])
}

// Invite makes a one-time code to join household id (guardians). With
// personID the joining account becomes that person of the household (the
// father on his own phone); role self_only then lets it see only itself.
func (s *HouseholdService) Invite(ctx context.Context, p Principal, id int64, role string, personID *int64) (Invitation, error) {
	if role != model.HouseholdGuardian && role != model.HouseholdSelfOnly {
		return Invitation{}, InvalidField("role", "must be guardian or self_only")
	}
	if role == model.HouseholdSelfOnly && personID == nil {
		return Invitation{}, InvalidField("person_id", "a self_only account joins as one of the household's persons")
	}
	code, err := newInvitationCode()
	if err != nil {
		return Invitation{}, err
	}
	inv := Invitation{Code: code, ExpiresAt: s.clock.Now().Add(HouseholdInvitationTTL)}
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		if _, err := s.guardian(tx, p.UserID, id); err != nil {
			return err
		}
		return s.invite(tx, p.UserID, id, role, personID, code, inv.ExpiresAt)
	})
	return inv, err
}

func (s *HouseholdService) invite(tx *gorm.DB, by, id int64, role string, personID *int64, code string, expires time.Time) error {
	if personID != nil {
		var n int64
		if err := tx.Model(&model.HouseholdPerson{}).Where("household_id = ? AND person_id = ?", id, *personID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return InvalidField("person_id", "not a person of this household")
		}
		if err := tx.Model(&model.HouseholdAccount{}).Where("household_id = ? AND person_id = ?", id, *personID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyInHousehold.Msg("this person already has an account in the household")
		}
	}
	return tx.Create(&model.HouseholdInvitation{HouseholdID: id, CodeHash: invitationHash(code), Role: role, PersonID: personID,
		CreatedBy: by, ExpiresAt: expires}).Error
}

// RevokeInvitation withdraws an unused code (guardians).
func (s *HouseholdService) RevokeInvitation(ctx context.Context, p Principal, id int64, code string) error {
	db := s.db.WithContext(ctx)
	if _, err := s.guardian(db, p.UserID, id); err != nil {
		return err
	}
	res := db.Model(&model.HouseholdInvitation{}).Where("household_id = ? AND code_hash = ? AND used_at IS NULL AND revoked_at IS NULL",
		id, invitationHash(code)).Update("revoked_at", s.clock.Now())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// Join redeems a code: the caller joins the household with the code's role.
// A code works once, whatever the concurrency (a conditional update claims
// it).
func (s *HouseholdService) Join(ctx context.Context, p Principal, code string) (HouseholdView, error) {
	var hid int64
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		var inv model.HouseholdInvitation
		if err := tx.Where("code_hash = ?", invitationHash(code)).First(&inv).Error; err != nil {
			return notFoundAs(err, ErrInvitationInvalid)
		}
		now := s.clock.Now()
		res := tx.Model(&model.HouseholdInvitation{}).Where("id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?", inv.ID, now).
			Updates(map[string]any{"used_by": p.UserID, "used_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrInvitationInvalid
		}
		var n int64
		if err := tx.Model(&model.HouseholdAccount{}).Where("household_id = ?", inv.HouseholdID).Count(&n).Error; err != nil {
			return err
		}
		if n >= householdMaxAccounts {
			return InvalidField("code", "a household holds at most 12 accounts")
		}
		if err := tx.Create(&model.HouseholdAccount{HouseholdID: inv.HouseholdID, UserID: p.UserID, Role: inv.Role, PersonID: inv.PersonID}).Error; err != nil {
			if isDuplicate(err) {
				return ErrAlreadyInHousehold
			}
			return err
		}
		if inv.PersonID != nil {
			if err := recordConsent(tx, *inv.PersonID, model.ConsentPersonalData, model.ConsentBySelf, p.UserID, p.UserID); err != nil {
				return err
			}
		}
		hid = inv.HouseholdID
		return nil
	})
	if err != nil {
		return HouseholdView{}, err
	}
	return s.view(s.db.WithContext(ctx), p.UserID, hid)
}

// RequestLink asks to add a person known to another household to one of
// the caller's households. The caller proves what it knows: the person's
// identity number, the one its add was refused for.
func (s *HouseholdService) RequestLink(ctx context.Context, p Principal, personID, householdID int64, relation, idType, idNumber string) (model.LinkRequest, error) {
	var lr model.LinkRequest
	if !validRelation(relation) {
		return lr, InvalidField("relation", "must be one of "+strings.Join(model.Relations, ", "))
	}
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		if _, err := s.guardian(tx, p.UserID, householdID); err != nil {
			return err
		}
		norm, _ := normaliseIDNumber(idType, idNumber, "", "", s.clock.Now().In(s.loc))
		var person model.Person
		if err := tx.Where("id = ? AND id_hash = ?", personID, s.pii.Hash(idLookup(idType, norm))).First(&person).Error; err != nil {
			return notFound(err)
		}
		var n int64
		if err := tx.Model(&model.HouseholdPerson{}).Where("household_id = ? AND person_id = ?", householdID, personID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyInHousehold
		}
		if err := tx.Where("person_id = ? AND household_id = ? AND status = ?", personID, householdID, model.LinkPending).
			Find(&lr).Error; err != nil || lr.ID != 0 {
			return err
		}
		lr = model.LinkRequest{PersonID: personID, HouseholdID: householdID, Relation: relation, RequestedBy: p.UserID, Status: model.LinkPending}
		if err := tx.Create(&lr).Error; err != nil {
			return err
		}
		return linkMachine.Start(tx, s.clock.Now(), Step{ID: lr.ID, To: lr.Status, By: actorOf(p)})
	})
	return lr, err
}

// LinkRequests lists the pending requests for persons the caller acts for
// as a guardian.
func (s *HouseholdService) LinkRequests(ctx context.Context, p Principal) ([]model.LinkRequest, error) {
	db := s.db.WithContext(ctx)
	var out []model.LinkRequest
	err := db.Where("status = ? AND person_id IN (?)", model.LinkPending, actsFor(db, p.UserID)).Order("id").Find(&out).Error
	return out, err
}

// ApproveLink approves a request: a guardian of a household that holds the
// person (residents), or staff within whose reach the person is (at the
// counter, after checking the documents).
func (s *HouseholdService) ApproveLink(ctx context.Context, p Principal, id int64) (model.LinkRequest, error) {
	var lr model.LinkRequest
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.First(&lr, id).Error; err != nil {
			return notFound(err)
		}
		if p.Scope == ScopeSelf {
			if _, err := actedPerson(tx, p.UserID, lr.PersonID, false); err != nil {
				return err
			}
		} else if ok, err := withinClinicWork(tx, p, lr.PersonID); err != nil || !ok {
			if err == nil {
				err = ErrNotFound
			}
			return err
		}
		if err := linkMachine.Apply(tx, s.clock.Now(), Step{ID: lr.ID, From: lr.Status, To: model.LinkApproved, By: actorOf(p),
			Set: map[string]any{"decided_by": p.UserID}, Row: &lr}); err != nil {
			return err
		}
		return s.link(tx, lr.HouseholdID, lr.PersonID, lr.Relation, p.UserID)
	})
	return lr, err
}

// linkMachine: a request to add a person known to another household is
// made by a guardian (resident) and approved by a guardian of a household
// that holds the person or by staff at the counter.
var linkMachine = &Machine{
	Name: "link request", Table: "link_requests",
	States: []string{model.LinkPending, model.LinkApproved, model.LinkRejected},
	Moves: []Move{
		{"", model.LinkPending, []string{SideResident}},
		{model.LinkPending, model.LinkApproved, []string{SideResident, SideStaff}},
		{model.LinkPending, model.LinkRejected, []string{SideResident, SideStaff}},
	},
	model: func() any { return &model.LinkRequest{} },
	stamp: "decided_at",
	event: func(st Step, at time.Time) any {
		return &model.LinkRequestEvent{LinkRequestID: st.ID, Transition: st.record(at)}
	},
}

// link puts a person into a household, restoring a removed link.
func (s *HouseholdService) link(tx *gorm.DB, householdID, personID int64, relation string, by int64) error {
	res := tx.Unscoped().Model(&model.HouseholdPerson{}).Where("household_id = ? AND person_id = ?", householdID, personID).
		Updates(map[string]any{"deleted_at": nil, "relation": relation})
	if res.Error != nil || res.RowsAffected > 0 {
		return res.Error
	}
	err := tx.Create(&model.HouseholdPerson{HouseholdID: householdID, PersonID: personID, Relation: relation, AddedBy: by}).Error
	if err != nil && isDuplicate(err) {
		return nil
	}
	return err
}

func validRelation(r string) bool {
	for _, x := range model.Relations {
		if x == r {
			return true
		}
	}
	return false
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
			norm, bad := normaliseIDNumber(t, n, person.BirthDate, person.Gender, today)
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
				_, rid, _ := ParseResidentID(norm, today)
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
