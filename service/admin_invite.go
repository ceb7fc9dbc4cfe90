package service

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// Invitation errors.
var (
	ErrInvitationInvalid = newErr(KindNotFound, "invitation_invalid", "the invitation code is wrong, used, revoked or expired")
	ErrInvitationUsed    = newErr(KindConflict, "invitation_used", "this invitation code has been used")
	ErrInvitationExpired = newErr(KindConflict, "invitation_expired", "this invitation code has expired")
)

// Invitation codes: 10 characters of an alphabet without look-alikes (no
// 0/O, 1/I/L, U), about 49 bits; only their keyed hash is stored.
const (
	inviteAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
	inviteCodeLen  = 10
	maxInviteTTL   = 30 * 24 * time.Hour
)

// NewInvitation is a staff invitation to make: a clinic, a position and,
// optionally, how long it stays valid (0: the configured default).
type NewInvitation struct {
	ClinicID int64
	Position string
	ValidFor time.Duration
}

// InvitationView is an invitation with its code, shown once when made.
type InvitationView struct {
	model.StaffInvitation
	Code string
}

func newInviteCode() (string, error) {
	b := make([]byte, inviteCodeLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	out := make([]byte, inviteCodeLen)
	for i, v := range b {
		// 256 % 30 leaves a bias of under 1 %: negligible for a one-time,
		// expiring, rate-limited code.
		out[i] = inviteAlphabet[int(v)%len(inviteAlphabet)]
	}
	return string(out), nil
}

// normalizeCode lets people type a code in lower case, with spaces or
// dashes.
func normalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code)))
}

// CreateInvitation makes a one-time code that makes its redeemer staff of
// the clinic with the position. Admins invite to any open clinic; a clinic
// manager to the clinics they see (their own, and a branch's stations), and
// not as manager.
func (s *AdminService) CreateInvitation(ctx context.Context, p Principal, in NewInvitation) (InvitationView, error) {
	db := s.db.WithContext(ctx)
	if err := s.requireManager(db, p); err != nil {
		return InvitationView{}, err
	}
	fields := map[string]string{}
	if !slices.Contains(model.StaffPositions, in.Position) {
		fields["position"] = "must be one of " + strings.Join(model.StaffPositions, ", ")
	}
	if in.ValidFor < 0 || in.ValidFor > maxInviteTTL {
		fields["valid_hours"] = "must be between 1 and 720"
	}
	if len(fields) > 0 {
		return InvitationView{}, Invalid(fields)
	}
	if !p.IsAdmin() {
		if in.Position == model.PositionManager {
			return InvitationView{}, ErrForbidden.Msg("only an admin invites clinic managers")
		}
		if !p.Sees(in.ClinicID) {
			return InvitationView{}, ErrForbidden.Msg("you may invite staff of your own clinic only")
		}
	}
	ttl := in.ValidFor
	if ttl == 0 {
		ttl = s.inviteTTL
	}
	code, err := newInviteCode()
	if err != nil {
		return InvitationView{}, err
	}
	now := s.clock.Now()
	inv := model.StaffInvitation{CodeHash: s.pii.Hash(code), ClinicID: in.ClinicID, Position: in.Position, CreatedBy: p.UserID,
		ExpiresAt: now.Add(ttl).Truncate(time.Second), CreatedAt: now}
	err = transact(ctx, db, func(tx *gorm.DB) error {
		if err := openClinic(tx, in.ClinicID); err != nil {
			return err
		}
		inv.ID = 0
		if err := tx.Create(&inv).Error; err != nil {
			return err
		}
		return writeAudit(tx, now, p, auditEntry{Action: AuditInviteCreate, TargetType: "invitation", TargetID: inv.ID, ClinicID: inv.ClinicID,
			Detail: map[string]any{"position": inv.Position, "expires_at": inv.ExpiresAt}})
	})
	if err != nil {
		return InvitationView{}, err
	}
	return InvitationView{StaffInvitation: inv, Code: code}, nil
}

// openClinic checks that a clinic named in a request exists (422) and is
// open (409).
func openClinic(tx *gorm.DB, id int64) error {
	var c model.Clinic
	if err := tx.Select("id", "status").First(&c, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrUnknownClinic
		}
		return err
	}
	if c.Status == model.ClinicClosed {
		return ErrClinicClosed
	}
	return nil
}

// RevokeInvitation withdraws an unused invitation (revoking twice is
// fine; a used one is 409 invitation_used). Managers revoke their clinics'
// invitations; another clinic's is 404.
func (s *AdminService) RevokeInvitation(ctx context.Context, p Principal, id int64) error {
	db := s.db.WithContext(ctx)
	if err := s.requireManager(db, p); err != nil {
		return err
	}
	return transact(ctx, db, func(tx *gorm.DB) error {
		var inv model.StaffInvitation
		if err := p.Apply(forUpdate(tx).Where("id = ?", id), Cols{Clinic: "clinic_id"}).First(&inv).Error; err != nil {
			return notFound(err)
		}
		switch {
		case inv.RedeemedAt != nil:
			return ErrInvitationUsed
		case inv.RevokedAt != nil:
			return nil
		}
		now := s.clock.Now()
		res := tx.Model(&model.StaffInvitation{}).Where("id = ? AND redeemed_at IS NULL AND revoked_at IS NULL", id).Update("revoked_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrInvitationUsed
		}
		return writeAudit(tx, now, p, auditEntry{Action: AuditInviteRevoke, TargetType: "invitation", TargetID: inv.ID, ClinicID: inv.ClinicID,
			Detail: map[string]any{"position": inv.Position}})
	})
}

// RedeemInvitation makes the caller staff of the invitation's clinic with
// its position, and returns a fresh session with the new role. A code is
// redeemed once, however many people try at once: the conditional update
// decides. Moving staff to another clinic or position raises their auth
// version (older tokens stop working).
func (s *AdminService) RedeemInvitation(ctx context.Context, p Principal, code string) (Session, error) {
	code = normalizeCode(code)
	if len(code) != inviteCodeLen {
		return Session{}, ErrInvitationInvalid
	}
	hash := s.pii.Hash(code)
	now := s.clock.Now()
	err := transact(ctx, s.db.WithContext(ctx), func(tx *gorm.DB) error {
		var inv model.StaffInvitation
		if err := forUpdate(tx).Where("code_hash = ?", hash).First(&inv).Error; err != nil {
			return notFoundAs(err, ErrInvitationInvalid)
		}
		switch {
		case inv.RevokedAt != nil:
			return ErrInvitationInvalid
		case inv.RedeemedAt != nil:
			return ErrInvitationUsed
		case !inv.ExpiresAt.After(now):
			return ErrInvitationExpired
		}
		var u model.User
		if err := forUpdate(tx).First(&u, p.UserID).Error; err != nil {
			return notFound(err)
		}
		if u.Role == model.RoleAdmin {
			return ErrForbidden.Msg("an admin does not redeem staff invitations")
		}
		res := tx.Model(&model.StaffInvitation{}).Where("id = ? AND redeemed_at IS NULL AND revoked_at IS NULL", inv.ID).
			Updates(map[string]any{"redeemed_by": p.UserID, "redeemed_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrInvitationUsed
		}
		fields := map[string]any{"role": model.RoleStaff, "clinic_id": inv.ClinicID, "position": inv.Position, "updated_at": now}
		if u.Role == model.RoleStaff && (!sameClinic(u.ClinicID, inv.ClinicID) || u.Position != inv.Position) {
			fields["auth_version"] = gorm.Expr("auth_version + 1")
		}
		if err := tx.Model(&model.User{}).Where("id = ?", u.ID).Updates(fields).Error; err != nil {
			return err
		}
		return writeAudit(tx, now, p, auditEntry{Action: AuditInviteRedeem, TargetType: "invitation", TargetID: inv.ID, ClinicID: inv.ClinicID,
			Detail: map[string]any{"position": inv.Position, "user_id": u.ID}})
	})
	if err != nil {
		return Session{}, err
	}
	s.auth.Forget(p.UserID)
	return s.auth.Refresh(ctx, p.UserID)
}
