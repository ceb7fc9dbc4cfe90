package model

import "time"

// AuditLog is one change an admin (or a clinic manager) made to the
// network: who, what, when and to which object. ClinicID is the clinic the
// change concerns (0: none), so managers read their clinic's rows.
type AuditLog struct {
	ID         int64  `gorm:"primaryKey"`
	ActorID    int64  `gorm:"not null;index"`
	ActorRole  string `gorm:"size:16;not null"`
	Action     string `gorm:"size:32;not null"`
	TargetType string `gorm:"size:16;not null;index:ix_audit_target,priority:1"`
	TargetID   int64  `gorm:"not null;index:ix_audit_target,priority:2"`
	ClinicID   int64  `gorm:"not null;default:0;index:ix_audit_clinic,priority:1;index:ix_audit_clinic_id"`
	// Detail records the fields the change set (never personal data).
	Detail    string    `gorm:"type:text"`
	CreatedAt time.Time `gorm:"not null;index:ix_audit_clinic,priority:2;index"`
}

// StaffInvitation is a one-time code that makes whoever redeems it staff
// of a clinic with a position. Only the code's hash is stored.
type StaffInvitation struct {
	ID         int64     `gorm:"primaryKey"`
	CodeHash   string    `gorm:"size:64;not null;uniqueIndex"`
	ClinicID   int64     `gorm:"not null;index"`
	Position   string    `gorm:"size:16;not null"`
	CreatedBy  int64     `gorm:"not null"`
	ExpiresAt  time.Time `gorm:"not null"`
	RedeemedBy *int64
	RedeemedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

func adminModels() []any { return []any{&AuditLog{}, &StaffInvitation{}} }
