package model

import "time"

// VaccinationDose is one dose given to a person (a child of the first 1000
// days), recorded by staff at the counter or from the paper 接种证. A dose of
// a vaccine is recorded once per person: the unique key refuses a second.
// PersonID holds members.id until persons replace members (same ids).
type VaccinationDose struct {
	ID           int64     `gorm:"primaryKey"`
	PersonID     int64     `gorm:"not null;uniqueIndex:ux_vacc_dose,priority:1"`
	Vaccine      string    `gorm:"size:32;not null;uniqueIndex:ux_vacc_dose,priority:2"`
	Dose         int       `gorm:"not null;uniqueIndex:ux_vacc_dose,priority:3"`
	GivenAt      time.Time `gorm:"not null"`
	Lot          string    `gorm:"size:64;not null;default:''"`
	Manufacturer string    `gorm:"size:128;not null;default:''"`
	Site         string    `gorm:"size:32;not null;default:''"`
	ClinicID     int64     `gorm:"not null;default:0;index"`
	BookingID    int64     `gorm:"not null;default:0"`
	RecordedBy   int64     `gorm:"not null"`
	CreatedAt    time.Time
}

// GrowthMeasurement is one weight/length/head measurement of a child.
// SelfReported marks what a parent entered (not measured by staff).
type GrowthMeasurement struct {
	ID           int64     `gorm:"primaryKey"`
	PersonID     int64     `gorm:"not null;index:ix_growth_person,priority:1"`
	MeasuredAt   time.Time `gorm:"not null;index:ix_growth_person,priority:2"`
	WeightKg     *float64
	LengthCm     *float64
	HeadCm       *float64
	SelfReported bool  `gorm:"not null;default:false"`
	ClinicID     int64 `gorm:"not null;default:0"`
	RecordedBy   int64 `gorm:"not null"`
	CreatedAt    time.Time
}

// CareReminder is the claim of one reminder (a dose coming due, a dose
// overdue, a check-up due): its unique key makes each reminder be sent once,
// whichever replica's job gets there first.
type CareReminder struct {
	ID        int64  `gorm:"primaryKey"`
	ClaimKey  string `gorm:"size:128;not null;uniqueIndex"`
	PersonID  int64  `gorm:"not null;index"`
	CreatedAt time.Time
}

// BookingPlannedDose is a vaccine dose a family plans to get at a booked
// vaccination session (the clinic sees them in its queue).
type BookingPlannedDose struct {
	ID        int64  `gorm:"primaryKey"`
	BookingID int64  `gorm:"not null;uniqueIndex:ux_booking_planned,priority:1"`
	Vaccine   string `gorm:"size:32;not null;uniqueIndex:ux_booking_planned,priority:2"`
	Dose      int    `gorm:"not null;uniqueIndex:ux_booking_planned,priority:3"`
}

// CustomVaccine is a non-programme (自费) vaccine an admin added, with its
// doses' minimum ages and intervals. A child's plan shows its later doses
// once a first one is recorded.
type CustomVaccine struct {
	ID        int64        `gorm:"primaryKey"`
	Code      string       `gorm:"size:32;not null;uniqueIndex"`
	Name      string       `gorm:"size:64;not null"`
	Doses     []CustomDose `gorm:"type:text;serializer:json"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CustomDose is one dose of a custom vaccine.
type CustomDose struct {
	Dose         int `json:"dose"`
	AgeMonths    int `json:"age_months"`
	IntervalDays int `json:"interval_days"`
}

// CheckupRecord is a 儿保 check-up of a child's plan done and recorded by
// staff — at the check-in of a growth-assessment booking or at the counter.
// A visit of the plan is recorded once per person (the unique key refuses a
// second), a booking carries at most one check-up (booking_id is NULL for a
// counter visit). MeasurementID is the growth measurement taken at the visit
// (0: none). Notes are sealed at rest (pii.Box).
type CheckupRecord struct {
	ID            int64     `gorm:"primaryKey"`
	PersonID      int64     `gorm:"not null;uniqueIndex:ux_checkup_record,priority:1"`
	Code          string    `gorm:"size:32;not null;uniqueIndex:ux_checkup_record,priority:2"`
	DoneAt        time.Time `gorm:"not null"`
	ClinicID      int64     `gorm:"not null;default:0;index"`
	BookingID     *int64    `gorm:"uniqueIndex"`
	MeasurementID int64     `gorm:"not null;default:0"`
	Notes         string    `gorm:"type:text;not null"`
	RecordedBy    int64     `gorm:"not null"`
	CreatedAt     time.Time
}

func firstDaysModels() []any {
	return []any{&VaccinationDose{}, &GrowthMeasurement{}, &CareReminder{}, &BookingPlannedDose{}, &CustomVaccine{}, &CheckupRecord{}}
}
