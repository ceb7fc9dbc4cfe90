package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// Audit actions: every change to the network an admin (or a clinic
// manager) makes writes one row in the same transaction as the change.
const (
	AuditClinicCreate  = "clinic.create"
	AuditClinicUpdate  = "clinic.update"
	AuditClinicClose   = "clinic.close"
	AuditClinicReopen  = "clinic.reopen"
	AuditInviteCreate  = "staff_invitation.create"
	AuditInviteRevoke  = "staff_invitation.revoke"
	AuditInviteRedeem  = "staff_invitation.redeem"
	AuditUserSuspend   = "user.suspend"
	AuditUserUnsuspend = "user.unsuspend"
	AuditUserMove      = "user.move"
	AuditUserPosition  = "user.position"
	AuditUserUnstaff   = "user.remove_staff"
	AuditExpertCreate  = "expert.create"
	AuditExpertUpdate  = "expert.update"
	// 流动专家 outreach teams (service/outreach.go).
	AuditOutreachCreate = "outreach_team.create"
	AuditOutreachUpdate = "outreach_team.update"
)

// AuditActions is every audit action: the closed set of AuditLogDTO.action
// and of ?action in the spec. An area that audits a new change adds its
// action here (writeAudit refuses one not listed).
var AuditActions = []string{
	AuditClinicCreate, AuditClinicUpdate, AuditClinicClose, AuditClinicReopen,
	AuditInviteCreate, AuditInviteRevoke, AuditInviteRedeem,
	AuditUserSuspend, AuditUserUnsuspend, AuditUserMove, AuditUserPosition, AuditUserUnstaff,
	AuditExpertCreate, AuditExpertUpdate, AuditOutreachCreate, AuditOutreachUpdate,
	AuditPersonCoverageFlags, AuditHouseholdVillage,
	AuditPackageCreate, AuditPackageUpdate, AuditAgreementPublish,
}

// auditEntry is one audited change.
type auditEntry struct {
	Action     string
	TargetType string // clinic, user, invitation, expert, outreach_team, person, household, service_package, agreement
	TargetID   int64
	ClinicID   int64 // the clinic the change concerns (managers read it)
	Detail     map[string]any
}

// writeAudit records e by p at now, inside the change's transaction.
func writeAudit(tx *gorm.DB, now time.Time, p Principal, e auditEntry) error {
	if !slices.Contains(AuditActions, e.Action) {
		return fmt.Errorf("audit: action %q is not in AuditActions (the spec's enum): add it there", e.Action)
	}
	detail := ""
	if len(e.Detail) > 0 {
		raw, err := json.Marshal(e.Detail)
		if err != nil {
			return err
		}
		detail = string(raw)
	}
	return tx.Create(&model.AuditLog{ActorID: p.UserID, ActorRole: p.Role, Action: e.Action, TargetType: e.TargetType,
		TargetID: e.TargetID, ClinicID: e.ClinicID, Detail: detail, CreatedAt: now}).Error
}

// AuditFilter filters the audit log.
type AuditFilter struct {
	Action     string
	TargetType string
	TargetID   int64
	ActorID    int64
	ClinicID   int64
}

// AuditView is an audit row with its actor's name.
type AuditView struct {
	model.AuditLog
	ActorName string
}

// AuditLogs lists the audit log newest first: the whole network for an
// admin, the rows of their clinics for a clinic manager (anyone else: 403).
func (s *AdminService) AuditLogs(ctx context.Context, p Principal, f AuditFilter, pg pagination.Page) ([]AuditView, string, error) {
	db := s.db.WithContext(ctx)
	if err := s.requireManager(db, p); err != nil {
		return nil, "", err
	}
	q := p.Apply(db.Model(&model.AuditLog{}), Cols{Clinic: "clinic_id"})
	q = filterBy(q, "action", f.Action, "target_type", f.TargetType, "target_id", f.TargetID, "actor_id", f.ActorID, "clinic_id", f.ClinicID)
	rows, next, err := findPageByID(q, pg, true, func(r model.AuditLog) int64 { return r.ID })
	if err != nil {
		return nil, "", err
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ActorID)
	}
	var users []model.User
	if len(ids) > 0 {
		if err := db.Unscoped().Select("id", "nickname", "real_name").Where("id IN ?", ids).Find(&users).Error; err != nil {
			return nil, "", err
		}
	}
	names := map[int64]string{}
	for _, u := range users {
		names[u.ID] = displayOf(u)
	}
	out := make([]AuditView, len(rows))
	for i, r := range rows {
		out[i] = AuditView{AuditLog: r, ActorName: names[r.ActorID]}
	}
	return out, next, nil
}

// displayOf is the name staff see for a user: the real name, else the
// nickname.
func displayOf(u model.User) string {
	if u.RealName != "" {
		return u.RealName
	}
	return u.Nickname
}
