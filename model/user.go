// Package model holds the GORM models of familycare, their indexes and the
// migrations. Request and response shapes live in handler/, never here.
package model

import (
	"time"

	"gorm.io/gorm"
)

// Roles of a user.
const (
	RoleResident = "resident"
	RoleStaff    = "staff"
	RoleAdmin    = "admin"
)

// Staff positions.
const (
	PositionNurse      = "nurse"
	PositionDoctor     = "doctor"
	PositionPharmacist = "pharmacist"
	PositionModerator  = "moderator"
	PositionManager    = "manager"
)

// StaffPositions lists every staff position.
var StaffPositions = []string{PositionNurse, PositionDoctor, PositionPharmacist, PositionModerator, PositionManager}

// User is one WeChat user of the mini-program (or a staff member).
type User struct {
	ID         int64  `gorm:"primaryKey"`
	OpenID     string `gorm:"size:64;not null;uniqueIndex"`
	UnionID    string `gorm:"size:64;not null;default:''"`
	SessionKey string `gorm:"size:255;not null;default:''"`
	Role       string `gorm:"size:16;not null;default:resident"`
	// AuthVersion goes up when the user's access shrinks (staff demoted or
	// moved to another clinic): tokens issued before are refused.
	AuthVersion int    `gorm:"not null;default:0"`
	ClinicID    *int64 `gorm:"index"`
	// Position is a staff member's job at the clinic (StaffPositions).
	Position string `gorm:"size:16;not null;default:''"`
	// SuspendedAt is set while an admin has suspended the account: it
	// cannot sign in and its tokens are refused.
	SuspendedAt *time.Time
	Nickname    string `gorm:"size:64;not null;default:''"`
	RealName    string `gorm:"size:64;not null;default:''"`
	AvatarURL   string `gorm:"size:512;not null;default:''"`
	// Phone is sealed (pii.Box); PhoneHash is its lookup hash.
	Phone     string `gorm:"size:255;not null;default:''"`
	PhoneHash string `gorm:"size:64;not null;default:'';index"`
	CreatedAt time.Time
	UpdatedAt time.Time
	// DeletedAt marks an account deleted at its owner's request (its
	// personal data is gone; the row stays for aggregate history).
	DeletedAt gorm.DeletedAt `gorm:"index"`
}

func userModels() []any { return []any{&User{}} }
