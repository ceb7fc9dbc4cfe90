package model

import "time"

// Referral statuses.
const (
	ReferralIssued    = "issued"
	ReferralBooked    = "booked"
	ReferralCompleted = "completed"
	ReferralExpired   = "expired"
	ReferralCancelled = "cancelled"
)

// Referral is a family doctor's referral of a person to a service or an
// expert of (usually) the main hospital. It lets the family book a seat
// reserved for referrals. Reason is sealed (pii.Box): it is health data.
type Referral struct {
	ID                int64     `gorm:"primaryKey"`
	PersonID          int64     `gorm:"not null;index"`
	UserID            int64     `gorm:"not null;index"` // the account that receives the family's notices
	FromClinicID      int64     `gorm:"not null;index"`
	ToClinicID        int64     `gorm:"not null;index"`
	ServiceID         int64     `gorm:"not null;default:0"`
	ExpertID          int64     `gorm:"not null;default:0"`
	Reason            string    `gorm:"type:text"`
	Urgency           string    `gorm:"size:16;not null"`
	PriorityAdmission bool      `gorm:"not null;default:true"`
	Status            string    `gorm:"size:16;not null;index;index:ix_referral_status_expiry,priority:1"`
	BookingID         int64     `gorm:"not null;default:0"`
	IssuedBy          int64     `gorm:"not null"`
	ExpiresAt         time.Time `gorm:"not null;index:ix_referral_status_expiry,priority:2"`
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// ReferralEvent is one transition in a referral's history.
type ReferralEvent struct {
	ID         int64 `gorm:"primaryKey"`
	ReferralID int64 `gorm:"not null;index"`
	Transition `gorm:"embedded"`
}

func referralModels() []any { return []any{&Referral{}, &ReferralEvent{}} }
