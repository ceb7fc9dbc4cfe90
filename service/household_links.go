package service

// Joining households: one-time invitations, and link requests for a person
// known to another household.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"familycare/model"
	"gorm.io/gorm"
	"strings"
	"time"
)

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

// Invite makes a one-time code to join household id: its guardians, or on
// staff routes the clinic that holds it (handing a household made at the
// counter to the resident's child, or to the resident once on WeChat). With
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
		if _, err := s.reach(tx, p, id, true); err != nil {
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
	if _, err := s.reach(db, p, id, true); err != nil {
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
	return s.show(s.db.WithContext(ctx), p, hid)
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
		norm, _, _ := normaliseIDNumber(idType, idNumber, "", "", s.clock.Now().In(s.loc))
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
