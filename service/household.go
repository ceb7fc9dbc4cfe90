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
