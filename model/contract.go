package model

import "time"

// Roles of a doctor in a family-doctor team.
const (
	TeamRoleLead         = "lead_doctor"
	TeamRoleNurse        = "nurse"
	TeamRolePublicHealth = "public_health"
	TeamRolePharmacist   = "pharmacist"
)

// DoctorTeam is a family-doctor team (家庭医生团队) of a clinic.
type DoctorTeam struct {
	ID          int64  `gorm:"primaryKey"`
	ClinicID    int64  `gorm:"not null;index"`
	Name        string `gorm:"size:128;not null"`
	Description string `gorm:"size:512;not null;default:''"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TeamDoctor is one person of a doctor team.
type TeamDoctor struct {
	ID     int64  `gorm:"primaryKey"`
	TeamID int64  `gorm:"not null;index"`
	Name   string `gorm:"size:64;not null"`
	Title  string `gorm:"size:64;not null;default:''"`
	Role   string `gorm:"size:32;not null"`
}

func contractModels() []any { return []any{&DoctorTeam{}, &TeamDoctor{}} }
