package model

import "time"

// Roles of a staff account in a doctor team (doctor_team_members.role).
const (
	MemberRoleLead         = "lead"
	MemberRoleDoctor       = "doctor"
	MemberRoleNurse        = "nurse"
	MemberRolePublicHealth = "public_health"
	MemberRolePharmacist   = "pharmacist"
	MemberRoleChildHealth  = "child_health"
)

// MemberRoles lists the roles of team members.
var MemberRoles = []string{MemberRoleLead, MemberRoleDoctor, MemberRoleNurse, MemberRolePublicHealth,
	MemberRolePharmacist, MemberRoleChildHealth}

// DoctorTeamMember is a staff account in a family-doctor team: a doctor is
// a staff account that is a member of a team. A team has one lead.
type DoctorTeamMember struct {
	ID        int64  `gorm:"primaryKey"`
	TeamID    int64  `gorm:"not null;uniqueIndex:ux_team_member,priority:1"`
	UserID    int64  `gorm:"not null;uniqueIndex:ux_team_member,priority:2;index"`
	Role      string `gorm:"size:16;not null"`
	CreatedAt time.Time
}

// Consultation statuses.
const (
	ConsultOpen     = "open"     // waiting for the team's reply
	ConsultAnswered = "answered" // the team replied last
	ConsultClosed   = "closed"
)

// Consultation is a conversation (咨询) of a household with the doctor team
// of a person's active contract. Only the household and that team see it.
type Consultation struct {
	ID       int64 `gorm:"primaryKey;index:ix_consult_queue,priority:5,sort:desc"`
	PersonID int64 `gorm:"not null;index;index:ix_consult_team_status,priority:3"`
	// OpenedBy is the account that asked first.
	OpenedBy   int64  `gorm:"not null"`
	TeamID     int64  `gorm:"not null;index:ix_consult_team_status,priority:1;index:ix_consult_queue,priority:1"`
	ClinicID   int64  `gorm:"not null"`
	ContractID int64  `gorm:"not null"`
	Status     string `gorm:"size:16;not null;index:ix_consult_team_status,priority:2;index:ix_consult_status_last,priority:1"`
	// DueAt is when the team's reply is due (set while open).
	// ix_consult_team_status holds a team's open consultations with their
	// persons and due times: the worklist reads only the index (00144).
	DueAt         *time.Time `gorm:"index:ix_consult_queue,priority:3;index:ix_consult_team_status,priority:4"`
	LastMessageAt time.Time  `gorm:"not null;index:ix_consult_status_last,priority:2;index:ix_consult_queue,priority:4,sort:desc"`
	Reopens       int        `gorm:"not null;default:0"`
	ClosedAt      *time.Time
	// Unread messages of each side.
	ResidentUnread int `gorm:"not null;default:0"`
	StaffUnread    int `gorm:"not null;default:0"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// QueueRank is the status's place in the team's queue (ConsultQueueRank),
	// written with the status by the consultation machine: the staff list
	// reads ix_consult_queue in its order instead of sorting.
	QueueRank int16 `gorm:"not null;default:0;index:ix_consult_queue,priority:2"`
}

// ConsultQueueRank is a status's place in the staff queue: open, answered,
// closed. ConsultQueueRankFill is the same in SQL.
func ConsultQueueRank(status string) int16 {
	switch status {
	case ConsultOpen:
		return 0
	case ConsultAnswered:
		return 1
	}
	return 2
}

// ConsultQueueRankFill gives every consultation the rank of its status: what
// migration 00142 runs on MySQL, and model.Migrate once on SQLite when the
// column appears.
const ConsultQueueRankFill = "UPDATE consultations SET queue_rank = CASE status WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END"

// ConsultationMessage is one message. Body is health data, sealed
// (pii.Box). A message the content check flagged is Held for the team with
// HeldReason: never published anywhere, never dropped.
type ConsultationMessage struct {
	ID             int64   `gorm:"primaryKey"`
	ConsultationID int64   `gorm:"not null;index"`
	Side           string  `gorm:"size:16;not null"` // resident or staff
	UserID         int64   `gorm:"not null"`
	Body           string  `gorm:"type:text;not null"`
	UploadIDs      []int64 `gorm:"type:text;serializer:json"`
	Held           bool    `gorm:"not null;default:false"`
	HeldReason     string  `gorm:"size:255;not null;default:''"`
	CreatedAt      time.Time
}

// ConsultationEvent is one transition in a consultation's history.
type ConsultationEvent struct {
	ID             int64 `gorm:"primaryKey"`
	ConsultationID int64 `gorm:"not null;index"`
	Transition     `gorm:"embedded"`
}

// Follow-up rule kinds: who a rule covers.
const (
	RuleChronic       = "chronic"         // a chronic condition named by Keyword
	RuleChildHighRisk = "child_high_risk" // a child with a growth flag (高危儿/体弱儿)
	RulePostpartum    = "postpartum"      // a mother after her due date
)

// FollowUpRule is a follow-up rule stored as data: whom it covers and when
// visits fall due (every IntervalDays through the contract period, or at
// OffsetDays after the due date for postpartum visits).
type FollowUpRule struct {
	ID           int64  `gorm:"primaryKey"`
	Code         string `gorm:"size:32;not null;uniqueIndex"`
	Name         string `gorm:"size:64;not null"`
	Kind         string `gorm:"size:16;not null"`
	Keyword      string `gorm:"size:32;not null;default:''"`
	IntervalDays int    `gorm:"not null;default:0"`
	OffsetDays   []int  `gorm:"type:text;serializer:json"`
	Active       bool   `gorm:"not null;default:true"`
}

// Follow-up visit statuses.
const (
	FollowUpPlanned   = "planned"
	FollowUpDone      = "done"
	FollowUpCancelled = "cancelled"
)

// FollowUpVisit is one visit (随访) of a person's plan, due on a date. The
// unique key makes plan generation idempotent. Record is sealed (pii.Box):
// the measurements, notes and next step as JSON.
type FollowUpVisit struct {
	ID         int64  `gorm:"primaryKey"`
	PersonID   int64  `gorm:"not null;uniqueIndex:ux_followup_visit,priority:1;index:ix_followup_team_work,priority:3"`
	RuleCode   string `gorm:"size:32;not null;uniqueIndex:ux_followup_visit,priority:2;index:ix_followup_team_work,priority:5"`
	DueDate    string `gorm:"size:10;not null;uniqueIndex:ux_followup_visit,priority:3;index:ix_followup_team_work,priority:4"`
	TeamID     int64  `gorm:"not null;index:ix_followup_team_work,priority:1"`
	ContractID int64  `gorm:"not null"`
	Status     string `gorm:"size:16;not null;index:ix_followup_team_work,priority:2"`
	Method     string `gorm:"size:16;not null;default:''"`
	Record     string `gorm:"type:text;not null"`
	DoneAt     *time.Time
	RecordedBy int64 `gorm:"not null;default:0"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// FollowUpEvent is one transition in a visit's history.
type FollowUpEvent struct {
	ID         int64 `gorm:"primaryKey"`
	VisitID    int64 `gorm:"not null;index"`
	Transition `gorm:"embedded"`
}

// Medication is one drug of a covered person's long-term medication list,
// kept by the team of the person's contract.
type Medication struct {
	ID                 int64  `gorm:"primaryKey"`
	PersonID           int64  `gorm:"not null;index"`
	Position           int    `gorm:"not null"`
	Drug               string `gorm:"size:64;not null"`
	Strength           string `gorm:"size:32;not null;default:''"`
	Form               string `gorm:"size:32;not null;default:''"`
	Dose               string `gorm:"size:64;not null;default:''"`
	QuantityPerRefill  int    `gorm:"not null"`
	RefillIntervalDays int    `gorm:"not null"`
	LastPrescribed     string `gorm:"size:10;not null;default:''"`
	UpdatedBy          int64  `gorm:"not null;default:0"`
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func practiceModels() []any {
	return []any{&DoctorTeamMember{}, &Consultation{}, &ConsultationMessage{}, &ConsultationEvent{},
		&FollowUpRule{}, &FollowUpVisit{}, &FollowUpEvent{}, &Medication{}}
}
