package model

import "time"

// Transition is one step of a state machine as its history tables keep it
// (booking, contract, medicine order, post and comment events embed it).
type Transition struct {
	FromStatus string    `gorm:"size:16;not null;default:''"`
	ToStatus   string    `gorm:"size:16;not null"`
	At         time.Time `gorm:"not null"`
	ByUserID   int64     `gorm:"not null;default:0"`
	ByRole     string    `gorm:"size:16;not null"`
	Reason     string    `gorm:"size:255;not null;default:''"`
}
