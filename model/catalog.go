package model

import "time"

// Clinic kinds.
const (
	ClinicMainHospital = "main_hospital"
	ClinicBranch       = "branch"
	ClinicStation      = "station"
)

// Clinic is a node of the county medical community: the main hospital, its
// branch clinics and village stations.
type Clinic struct {
	ID        int64  `gorm:"primaryKey"`
	Name      string `gorm:"size:128;not null"`
	Kind      string `gorm:"size:16;not null;index"`
	ParentID  *int64 `gorm:"index"`
	Address   string `gorm:"size:255;not null;default:''"`
	Phone     string `gorm:"size:32;not null;default:''"`
	OpenHours string `gorm:"size:255;not null;default:''"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Expert is a named doctor of a 名医工作室 sitting at a clinic.
type Expert struct {
	ID        int64  `gorm:"primaryKey"`
	Name      string `gorm:"size:64;not null"`
	Title     string `gorm:"size:64;not null;default:''"`
	Specialty string `gorm:"size:128;not null;default:''"`
	ClinicID  int64  `gorm:"not null;index"`
	Bio       string `gorm:"type:text"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Service kinds.
const (
	ServicePediatricMassage = "pediatric_massage"
	ServiceExpertClinic     = "expert_clinic"
	ServiceParentingClass   = "parenting_class"
	ServiceVaccination      = "vaccination"
	ServiceGrowthAssessment = "growth_assessment"
	ServicePrenatalCheckup  = "prenatal_checkup"
)

// ServiceKinds lists every service kind.
var ServiceKinds = []string{ServicePediatricMassage, ServiceExpertClinic, ServiceParentingClass,
	ServiceVaccination, ServiceGrowthAssessment, ServicePrenatalCheckup}

// Service is something a clinic offers in sessions (a class, a clinic sitting…).
type Service struct {
	ID              int64  `gorm:"primaryKey"`
	Kind            string `gorm:"size:32;not null;index"`
	Name            string `gorm:"size:128;not null"`
	Description     string `gorm:"type:text"`
	DurationMinutes int    `gorm:"not null"`
	ClinicID        int64  `gorm:"not null;index"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Session statuses as stored; "full" and "past" are derived when read.
const (
	SessionOpen      = "open"
	SessionCancelled = "cancelled"
)

// Session is one bookable occurrence of a service. Booked counts seat-holding
// bookings (pending + confirmed) and is only changed by conditional updates in
// the transaction that changes a booking, so it never exceeds Capacity.
type Session struct {
	ID        int64 `gorm:"primaryKey"`
	ServiceID int64 `gorm:"not null;uniqueIndex:ux_session_slot,priority:1"`
	// ExpertID is 0 when no expert is named (0, not NULL, so the unique slot
	// key also dedupes sessions without an expert).
	ExpertID     int64     `gorm:"not null;default:0;uniqueIndex:ux_session_slot,priority:2;index"`
	StartsAt     time.Time `gorm:"not null;uniqueIndex:ux_session_slot,priority:3;index:ix_session_clinic_start,priority:2;index:ix_session_kind_start,priority:2;index"`
	ClinicID     int64     `gorm:"not null;index:ix_session_clinic_start,priority:1"`
	Kind         string    `gorm:"size:32;not null;index:ix_session_kind_start,priority:1"`
	EndsAt       time.Time `gorm:"not null"`
	Capacity     int       `gorm:"not null"`
	Booked       int       `gorm:"not null;default:0"`
	Waitlisted   int       `gorm:"not null;default:0"`
	WaitlistSeq  int64     `gorm:"not null;default:0"`
	Status       string    `gorm:"size:16;not null;default:open"`
	CancelReason string    `gorm:"size:255;not null;default:''"`
	ScheduleID   *int64    `gorm:"index"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Schedule is a recurring rule that created sessions.
type Schedule struct {
	ID        int64  `gorm:"primaryKey"`
	ServiceID int64  `gorm:"not null;index"`
	ExpertID  int64  `gorm:"not null;default:0"`
	ClinicID  int64  `gorm:"not null;index"`
	Weekdays  string `gorm:"size:32;not null"`
	StartTime string `gorm:"size:5;not null"`
	EndTime   string `gorm:"size:5;not null"`
	Capacity  int    `gorm:"not null"`
	FromDate  string `gorm:"size:10;not null"`
	ToDate    string `gorm:"size:10;not null"`
	CreatedBy int64  `gorm:"not null"`
	CreatedAt time.Time
}

func catalogModels() []any {
	return []any{&Clinic{}, &Expert{}, &Service{}, &Session{}, &Schedule{}, &SessionEvent{}}
}

// SessionEvent is one transition in a session's history (published,
// cancelled).
type SessionEvent struct {
	ID         int64 `gorm:"primaryKey"`
	SessionID  int64 `gorm:"not null;index"`
	Transition `gorm:"embedded"`
}
