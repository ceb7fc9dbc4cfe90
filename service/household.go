package service

import (
	"context"
	"log/slog"
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
	return actingLinks(db).Select("hp.person_id").Where("ha.user_id = ?", userID)
}

// actingLinks is the one statement of the rule: the household persons
// (hp) joined with the accounts (ha) that act for them, a guardian of the
// household or the person's own account. Callers add whose accounts or
// which persons, and whether to lock.
func actingLinks(db *gorm.DB) *gorm.DB {
	return db.Session(&gorm.Session{NewDB: true}).Table("household_persons AS hp").
		Joins("JOIN household_accounts AS ha ON ha.household_id = hp.household_id").
		Where("hp.deleted_at IS NULL AND (ha.role = ? OR ha.person_id = hp.person_id)", model.HouseholdGuardian)
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
	q = actingLinks(db).Where("ha.user_id = ? AND hp.person_id = ?", userID, id)
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

// reach is the caller's hold on household id in its scope (404 outside
// it). On resident routes it is the caller's account there; with guardian
// set, a guardian's (403 not_guardian for a self-only account). On staff
// routes it is a household one of the caller's clinics holds (admins: any
// clinic's), seen as its guardian sees it: every person.
func (s *HouseholdService) reach(db *gorm.DB, p Principal, id int64, guardian bool) (model.HouseholdAccount, error) {
	if p.Scope == ScopeSelf {
		if guardian {
			return s.guardian(db, p.UserID, id)
		}
		return s.account(db, p.UserID, id)
	}
	var h model.Household
	if err := db.Select("id", "clinic_id").First(&h, id).Error; err != nil {
		return model.HouseholdAccount{}, notFound(err)
	}
	if h.ClinicID == nil || !p.Sees(*h.ClinicID) {
		return model.HouseholdAccount{}, ErrNotFound
	}
	return model.HouseholdAccount{HouseholdID: id, Role: model.HouseholdGuardian}, nil
}

// show is household id as the caller sees it in its scope.
func (s *HouseholdService) show(db *gorm.DB, p Principal, id int64) (HouseholdView, error) {
	a, err := s.reach(db, p, id, false)
	if err != nil {
		return HouseholdView{}, err
	}
	return s.view(db, id, a)
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
	h, err := s.create(tx, Principal{UserID: userID, Scope: ScopeSelf}, "")
	return h.ID, err
}

// create makes a household owned as the caller's scope says: on resident
// routes the caller is its guardian; on staff routes the caller's clinic
// holds it (for a resident without WeChat) until an invitation hands it to
// an account.
func (s *HouseholdService) create(tx *gorm.DB, p Principal, name string) (model.Household, error) {
	h := model.Household{Name: name, CreatedBy: p.UserID}
	if p.Scope != ScopeSelf {
		if p.ClinicID == 0 {
			return h, ErrForbidden.Msg("a staff account of a clinic makes households")
		}
		clinic := p.ClinicID
		h.ClinicID = &clinic
		return h, tx.Create(&h).Error
	}
	if err := tx.Create(&h).Error; err != nil {
		return h, err
	}
	return h, tx.Create(&model.HouseholdAccount{HouseholdID: h.ID, UserID: p.UserID, Role: model.HouseholdGuardian}).Error
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
	var accts []model.HouseholdAccount
	if err := db.Where("user_id = ?", p.UserID).Order("household_id").Find(&accts).Error; err != nil {
		return nil, err
	}
	out := make([]HouseholdView, 0, len(accts))
	for _, a := range accts {
		v, err := s.view(db, a.HouseholdID, a)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Create makes a household: the caller's (as its guardian), or on staff
// routes one the caller's clinic holds (see create).
func (s *HouseholdService) Create(ctx context.Context, p Principal, name string) (HouseholdView, error) {
	n, err := householdName(name)
	if err != nil {
		return HouseholdView{}, err
	}
	var h model.Household
	if err := transact(ctx, s.db, func(tx *gorm.DB) error {
		h, err = s.create(tx, p, n)
		return err
	}); err != nil {
		return HouseholdView{}, err
	}
	return s.show(s.db.WithContext(ctx), p, h.ID)
}

// Household returns a household in the caller's reach.
func (s *HouseholdService) Household(ctx context.Context, p Principal, id int64) (HouseholdView, error) {
	return s.show(s.db.WithContext(ctx), p, id)
}

// Rename changes a household's name (guardians).
func (s *HouseholdService) Rename(ctx context.Context, p Principal, id int64, name string) (HouseholdView, error) {
	n, err := householdName(name)
	if err != nil {
		return HouseholdView{}, err
	}
	db := s.db.WithContext(ctx)
	a, err := s.reach(db, p, id, true)
	if err != nil {
		return HouseholdView{}, err
	}
	if err := db.Model(&model.Household{}).Where("id = ?", id).Update("name", n).Error; err != nil {
		return HouseholdView{}, err
	}
	return s.view(db, id, a)
}

// view is household id as account a sees it (a is not a stored row for
// staff: then no role of the caller is given).
func (s *HouseholdService) view(db *gorm.DB, id int64, a model.HouseholdAccount) (HouseholdView, error) {
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
	for _, m := range accts {
		v.Accounts = append(v.Accounts, HouseholdMember{UserID: m.UserID, Nickname: names[m.UserID].Nickname, Role: m.Role, PersonID: m.PersonID})
	}
	if a.ID != 0 {
		v.Role = a.Role
	}
	ps, err := s.persons(db, id, a)
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
