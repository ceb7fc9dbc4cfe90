package model

import "time"

// Clinic kinds.
const (
	ClinicMainHospital = "main_hospital"
	ClinicBranch       = "branch"
	ClinicStation      = "station"
)

// Clinic statuses: a closed clinic vanishes from public lists and its
// future sessions are cancelled.
const (
	ClinicOpen   = "open"
	ClinicClosed = "closed"
)

// What a clinic offers (Clinic.Offers).
const (
	OfferChildHealthCentre  = "child_health_centre"  // 儿童健康管理中心
	OfferCareGuidanceCentre = "care_guidance_centre" // 婴幼儿照护服务指导中心
	OfferVaccination        = "vaccination"          // 预防接种门诊
	OfferExpertStudio       = "expert_studio"        // 名医工作室
	OfferFamilyDoctor       = "family_doctor"        // 家庭医生签约
	OfferPediatricMassage   = "pediatric_massage"    // 小儿推拿
	OfferParentChildPlay    = "parent_child_play"    // 亲子活动
)

// ClinicOffers lists what a clinic may offer.
var ClinicOffers = []string{OfferChildHealthCentre, OfferCareGuidanceCentre, OfferVaccination, OfferExpertStudio,
	OfferFamilyDoctor, OfferPediatricMassage, OfferParentChildPlay}

// OpenHours is one rule of a clinic's opening hours: on these weekdays
// (1 = Monday … 7 = Sunday), from Start to End ("HH:MM", business time),
// optionally for one offer only (vaccination at noon and at weekends).
type OpenHours struct {
	Weekdays []int  `json:"weekdays"`
	Start    string `json:"start"`
	End      string `json:"end"`
	Offer    string `json:"offer,omitempty"`
}

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
	// Status is open or closed (ClinicOpen, ClinicClosed).
	Status string `gorm:"size:16;not null;default:open"`
	// Offers are what the clinic runs (ClinicOffers); Catchment the
	// villages and communities it serves; Hours its opening hours as data
	// (OpenHours stays the text shown).
	Offers    []string    `gorm:"type:text;serializer:json"`
	Catchment []string    `gorm:"type:text;serializer:json"`
	Hours     []OpenHours `gorm:"type:text;serializer:json"`
	Lat       *float64
	Lng       *float64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Expert is a named doctor of a 名医工作室 sitting at a clinic.
type Expert struct {
	ID        int64  `gorm:"primaryKey"`
	Name      string `gorm:"size:64;not null"`
	Title     string `gorm:"size:64;not null;default:''"`
	Specialty string `gorm:"size:128;not null;default:''"`
	// ClinicID is where the expert mainly sits (the first sitting);
	// HomeClinicID the hospital the expert belongs to (0: the same).
	ClinicID     int64  `gorm:"not null;index"`
	HomeClinicID int64  `gorm:"not null;default:0"`
	Bio          string `gorm:"type:text"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ExpertSitting is a clinic where an expert sits; with a StudioName it is a
// 名医工作室 there, a named place with a weekly sitting (Weekdays "2" =
// Tuesday, Start–End business time).
type ExpertSitting struct {
	ID         int64  `gorm:"primaryKey"`
	ExpertID   int64  `gorm:"not null;uniqueIndex:ux_expert_sitting,priority:1"`
	ClinicID   int64  `gorm:"not null;uniqueIndex:ux_expert_sitting,priority:2;index"`
	StudioName string `gorm:"size:128;not null;default:''"`
	Weekdays   string `gorm:"size:32;not null;default:''"`
	StartTime  string `gorm:"size:5;not null;default:''"`
	EndTime    string `gorm:"size:5;not null;default:''"`
	CreatedAt  time.Time
}

// Service kinds.
const (
	ServicePediatricMassage = "pediatric_massage"
	ServiceExpertClinic     = "expert_clinic"
	ServiceParentingClass   = "parenting_class"
	ServiceVaccination      = "vaccination"
	ServiceGrowthAssessment = "growth_assessment"
	ServicePrenatalCheckup  = "prenatal_checkup"
	ServiceVisionCheck      = "vision_check"        // 视力检查
	ServicePsychCounselling = "psych_counselling"   // 心理咨询
	ServicePostpartum       = "postpartum_recovery" // 产后康复
	ServiceParentChild      = "parent_child_play"   // 亲子活动
	ServiceHealthTalk       = "health_talk"         // 健康讲座
	ServiceScreening        = "bone_foot_screening" // 骨龄/足底筛查 (outreach)
)

// ServiceKinds lists the built-in service kinds; admins add more
// (ServiceKind rows).
var ServiceKinds = []string{ServicePediatricMassage, ServiceExpertClinic, ServiceParentingClass,
	ServiceVaccination, ServiceGrowthAssessment, ServicePrenatalCheckup,
	ServiceVisionCheck, ServicePsychCounselling, ServicePostpartum, ServiceParentChild, ServiceHealthTalk, ServiceScreening}

// ServiceKind is a kind of service an admin added to the built-in ones.
type ServiceKind struct {
	Code      string `gorm:"primaryKey;size:32"`
	Name      string `gorm:"size:64;not null"`
	CreatedBy int64  `gorm:"not null"`
	CreatedAt time.Time
}

// Confirmation policies of a service, and what happens to a booking staff
// have not confirmed in time.
const (
	ConfirmByStaff     = "staff"
	ConfirmAuto        = "auto"
	UnconfirmedCancel  = "cancel"
	UnconfirmedConfirm = "confirm"
)

// Age units of an eligibility rule.
const (
	AgeDays   = "days"
	AgeMonths = "months"
	AgeYears  = "years"
)

// Service is something a clinic offers in sessions (a class, a clinic sitting…).
type Service struct {
	ID              int64  `gorm:"primaryKey"`
	Kind            string `gorm:"size:32;not null;index"`
	Name            string `gorm:"size:128;not null"`
	Description     string `gorm:"type:text"`
	DurationMinutes int    `gorm:"not null"`
	ClinicID        int64  `gorm:"not null;index"`
	// SlotMinutes slices each session into arrival slots (0: not sliced).
	SlotMinutes int `gorm:"not null;default:0"`
	// PriceText is shown to families ("免费", "80元/次"); nothing is charged.
	PriceText string `gorm:"size:32;not null;default:''"`
	// Eligibility: an age range in AgeUnit (either end open), a gender
	// ("" any), pregnancy with a 孕周 range, a verified real-name person, an
	// active family-doctor contract.
	MinAge            *int   `gorm:""`
	MaxAge            *int   `gorm:""`
	AgeUnit           string `gorm:"size:8;not null;default:''"`
	Gender            string `gorm:"size:16;not null;default:''"`
	PregnancyRequired bool   `gorm:"not null;default:false"`
	PregMinWeek       *int   `gorm:""`
	PregMaxWeek       *int   `gorm:""`
	VerifiedRequired  bool   `gorm:"not null;default:false"`
	ContractRequired  bool   `gorm:"not null;default:false"`
	// Confirmation is staff or auto; a staff-confirmed booking still pending
	// ConfirmByMinutes before the start (0: the configured default) is
	// cancelled or confirmed (UnconfirmedAction) by a job.
	Confirmation      string `gorm:"size:8;not null;default:staff"`
	ConfirmByMinutes  int    `gorm:"not null;default:0"`
	UnconfirmedAction string `gorm:"size:8;not null;default:cancel"`
	// ReservedSeats of each new session (spread over its slots) only a
	// referral can take until they open to everyone.
	ReservedSeats int `gorm:"not null;default:0"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
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
	ExpertID     int64     `gorm:"not null;default:0;uniqueIndex:ux_session_slot,priority:2;index:ix_session_expert_start,priority:1"`
	StartsAt     time.Time `gorm:"not null;uniqueIndex:ux_session_slot,priority:3;index:ix_session_clinic_start,priority:2;index:ix_session_kind_start,priority:2;index:ix_session_expert_start,priority:2;index"`
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
	// Reserved seats (within Capacity) only a referral can take until
	// ReferralSeatsOpen before the start; ReservedBooked counts those taken.
	Reserved       int `gorm:"not null;default:0"`
	ReservedBooked int `gorm:"not null;default:0"`
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
	return []any{&Clinic{}, &Expert{}, &ExpertSitting{}, &Service{}, &Session{}, &Schedule{}, &SessionEvent{}, &ServiceKind{}}
}

// SessionEvent is one transition in a session's history (published,
// cancelled).
type SessionEvent struct {
	ID         int64 `gorm:"primaryKey"`
	SessionID  int64 `gorm:"not null;index"`
	Transition `gorm:"embedded"`
}
