package model

import "time"

// OutreachTeam is a 流动专家 team: experts of a home hospital touring the
// branches. Its visits are sessions of the visited clinic's services, so
// families book them like any other.
type OutreachTeam struct {
	ID           int64  `gorm:"primaryKey"`
	Name         string `gorm:"size:64;not null"`
	HomeClinicID int64  `gorm:"not null;index"`
	Description  string `gorm:"size:500;not null;default:''"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// OutreachMember is an expert of an outreach team.
type OutreachMember struct {
	ID       int64 `gorm:"primaryKey"`
	TeamID   int64 `gorm:"not null;uniqueIndex:ux_outreach_member,priority:1"`
	ExpertID int64 `gorm:"not null;uniqueIndex:ux_outreach_member,priority:2;index"`
}

// OutreachVisit is a team's sitting at a clinic: the session it published
// there (its service, expert, times and seats are the session's).
type OutreachVisit struct {
	ID        int64 `gorm:"primaryKey"`
	TeamID    int64 `gorm:"not null;index"`
	ClinicID  int64 `gorm:"not null;index"`
	SessionID int64 `gorm:"not null;uniqueIndex"`
	CreatedAt time.Time
}

func outreachModels() []any { return []any{&OutreachTeam{}, &OutreachMember{}, &OutreachVisit{}} }
