package service

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// ErrAccountSuspended refuses sign-in to an account an admin suspended.
var ErrAccountSuspended = newErr(KindForbidden, "account_suspended", "this account is suspended; ask the hospital")

// UserFilter filters the users directory.
type UserFilter struct {
	// Q matches a name (nickname or real name, contains), a whole phone
	// number or a user id.
	Q        string
	ClinicID int64
	Role     string
}

// DirectoryEntry is a user as the directory shows it.
type DirectoryEntry struct {
	model.User // Phone opened (the handler masks it)
	ClinicName string
}

// Users lists the users directory by id (admins).
func (s *AdminService) Users(ctx context.Context, f UserFilter, pg pagination.Page) ([]DirectoryEntry, string, error) {
	db := s.db.WithContext(ctx)
	q := filterBy(db.Model(&model.User{}), "clinic_id", f.ClinicID, "role", f.Role)
	if t := strings.TrimSpace(f.Q); t != "" {
		conds := []string{"nickname LIKE ? ESCAPE '!'", "real_name LIKE ? ESCAPE '!'"}
		args := []any{likeContains(t), likeContains(t)}
		if len(t) == 11 && isDigits(t) {
			conds, args = append(conds, "phone_hash = ?"), append(args, s.pii.Hash(t))
		}
		if id, err := strconv.ParseInt(t, 10, 64); err == nil && id > 0 {
			conds, args = append(conds, "id = ?"), append(args, id)
		}
		q = q.Where("("+strings.Join(conds, " OR ")+")", args...)
	}
	rows, next, err := findPageByID(q, pg, false, func(u model.User) int64 { return u.ID })
	if err != nil {
		return nil, "", err
	}
	out, err := s.directory(db, rows)
	return out, next, err
}

// directory opens users' personal fields and names their clinics.
func (s *AdminService) directory(db *gorm.DB, rows []model.User) ([]DirectoryEntry, error) {
	var ids []int64
	for _, u := range rows {
		if u.ClinicID != nil {
			ids = append(ids, *u.ClinicID)
		}
	}
	names := map[int64]string{}
	if len(ids) > 0 {
		var clinics []model.Clinic
		if err := db.Select("id", "name").Where("id IN ?", ids).Find(&clinics).Error; err != nil {
			return nil, err
		}
		for _, c := range clinics {
			names[c.ID] = c.Name
		}
	}
	out := make([]DirectoryEntry, len(rows))
	for i, u := range rows {
		u, err := openUser(s.pii, u)
		if err != nil {
			return nil, err
		}
		out[i] = DirectoryEntry{User: u}
		if u.ClinicID != nil {
			out[i].ClinicName = names[*u.ClinicID]
		}
	}
	return out, nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// UserChange is what an admin changes about an account: suspend or lift a
// suspension, move staff to another clinic, change their position, or take
// the staff role away. Each raises the account's auth version, so tokens
// issued before stop working.
type UserChange struct {
	Suspended   *bool
	ClinicID    *int64
	Position    *string
	RemoveStaff bool
	Reason      string
}

// UpdateUser applies a change to an account (admins; not to their own).
func (s *AdminService) UpdateUser(ctx context.Context, p Principal, id int64, ch UserChange) (DirectoryEntry, error) {
	if id == p.UserID {
		return DirectoryEntry{}, ErrForbidden.Msg("you cannot change your own account here")
	}
	if ch.Suspended == nil && ch.ClinicID == nil && ch.Position == nil && !ch.RemoveStaff {
		return DirectoryEntry{}, InvalidField("suspended", "give suspended, clinic_id, position or remove_staff")
	}
	if ch.RemoveStaff && (ch.ClinicID != nil || ch.Position != nil) {
		return DirectoryEntry{}, InvalidField("remove_staff", "cannot be combined with clinic_id or position")
	}
	if ch.Position != nil && !slices.Contains(model.StaffPositions, *ch.Position) {
		return DirectoryEntry{}, InvalidField("position", "must be one of "+strings.Join(model.StaffPositions, ", "))
	}
	now := s.clock.Now()
	err := transact(ctx, s.db.WithContext(ctx), func(tx *gorm.DB) error {
		var u model.User
		if err := forUpdate(tx).First(&u, id).Error; err != nil {
			return notFound(err)
		}
		if (ch.ClinicID != nil || ch.Position != nil || ch.RemoveStaff) && u.Role != model.RoleStaff {
			return ErrInvalidTransition.Msg("only a staff account has a clinic and a position")
		}
		fields := map[string]any{}
		var audits []auditEntry
		clinic := derefOr(u.ClinicID)
		entry := func(action string, clinicID int64, detail map[string]any) {
			if ch.Reason != "" {
				detail["reason"] = ch.Reason
			}
			audits = append(audits, auditEntry{Action: action, TargetType: "user", TargetID: u.ID, ClinicID: clinicID, Detail: detail})
		}
		if ch.Suspended != nil && *ch.Suspended != (u.SuspendedAt != nil) {
			if *ch.Suspended {
				fields["suspended_at"] = now
				entry(AuditUserSuspend, clinic, map[string]any{})
			} else {
				fields["suspended_at"] = nil
				entry(AuditUserUnsuspend, clinic, map[string]any{})
			}
		}
		if ch.ClinicID != nil && *ch.ClinicID != clinic {
			if err := openClinic(tx, *ch.ClinicID); err != nil {
				return err
			}
			fields["clinic_id"] = *ch.ClinicID
			// Both clinics' managers read the move.
			entry(AuditUserMove, clinic, map[string]any{"from_clinic_id": clinic, "to_clinic_id": *ch.ClinicID})
			entry(AuditUserMove, *ch.ClinicID, map[string]any{"from_clinic_id": clinic, "to_clinic_id": *ch.ClinicID})
		}
		if ch.Position != nil && *ch.Position != u.Position {
			fields["position"] = *ch.Position
			entry(AuditUserPosition, clinic, map[string]any{"from": u.Position, "to": *ch.Position})
		}
		if ch.RemoveStaff {
			fields["role"], fields["clinic_id"], fields["position"] = model.RoleResident, nil, ""
			entry(AuditUserUnstaff, clinic, map[string]any{"position": u.Position})
		}
		if len(fields) == 0 {
			return nil // already so: nothing changes, nothing to audit
		}
		fields["auth_version"] = gorm.Expr("auth_version + 1")
		fields["updated_at"] = now
		if err := tx.Model(&model.User{}).Where("id = ?", u.ID).Updates(fields).Error; err != nil {
			return err
		}
		for _, e := range audits {
			if err := writeAudit(tx, now, p, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return DirectoryEntry{}, err
	}
	s.auth.Forget(id)
	db := s.db.WithContext(ctx)
	var u model.User
	if err := db.First(&u, id).Error; err != nil {
		return DirectoryEntry{}, notFound(err)
	}
	out, err := s.directory(db, []model.User{u})
	if err != nil {
		return DirectoryEntry{}, err
	}
	return out[0], nil
}
