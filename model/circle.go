package model

import "time"

// Circle is a peer circle (备孕圈, 孕妈圈, 宝妈圈).
type Circle struct {
	ID          int64  `gorm:"primaryKey"`
	Slug        string `gorm:"size:32;not null;uniqueIndex"`
	Name        string `gorm:"size:64;not null"`
	Description string `gorm:"size:512;not null;default:''"`
	// Stage is the life stage the circle suits (preconception, pregnancy,
	// postpartum…); joining is never blocked by it.
	Stage       string `gorm:"size:32;not null;default:''"`
	MemberCount int    `gorm:"not null;default:0"`
	PostCount   int    `gorm:"not null;default:0"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func circleModels() []any { return []any{&Circle{}} }
