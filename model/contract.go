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

// Family contract statuses.
const (
	ContractPending = "pending"
	// ContractScheduled is an approved renewal whose period starts after
	// today; it becomes active when its predecessor expires.
	ContractScheduled  = "scheduled"
	ContractActive     = "active"
	ContractRejected   = "rejected"
	ContractTerminated = "terminated"
	ContractExpired    = "expired"
)

// Who applied for a contract (or for one member of it).
const (
	AppliedBySelf     = "self"     // the member is the applicant
	AppliedByRelative = "relative" // a son or daughter applied for a parent, …
	AppliedByStaff    = "staff"    // clinic staff applied on the family's behalf
)

// FamilyContract is a whole-family (组团式) family-doctor contract: one
// application by a user for several of their family members with one team.
// Calendar dates are YYYY-MM-DD strings in the business time zone.
type FamilyContract struct {
	ID     int64 `gorm:"primaryKey"`
	UserID int64 `gorm:"not null;index"` // the family (owner of the members)
	// ix_contract_team_work is what the doctor's worklist reads of a team's
	// active contracts, without reading the rows (migration 00144).
	TeamID   int64  `gorm:"not null;index:ix_contract_team_work,priority:1"`
	ClinicID int64  `gorm:"not null;index:ix_contract_clinic_status,priority:1;index:ix_contract_clinic;index:ix_contract_team_work,priority:4"`
	Status   string `gorm:"size:16;not null;index:ix_contract_clinic_status,priority:2;index:ix_contract_status_until,priority:1;index:ix_contract_team_work,priority:2"`
	// AppliedBy is self when the applicant's own member is among those
	// covered, relative when the applicant acts only for relatives, staff
	// when staff applied for the family.
	AppliedBy       string `gorm:"size:16;not null"`
	AppliedByUserID int64  `gorm:"not null"`
	ValidFrom       string `gorm:"size:10;not null;default:''"`
	ValidUntil      string `gorm:"size:10;not null;default:'';index:ix_contract_status_until,priority:2;index:ix_contract_team_work,priority:3"`
	// RenewsID is the contract this one renews (its period starts the day
	// after the predecessor's ValidUntil).
	RenewsID *int64 `gorm:"index"`
	// RenewedByID is the open renewal of this contract, claimed by a
	// conditional update so a contract has at most one.
	RenewedByID *int64
	Reason      string `gorm:"size:255;not null;default:''"`
	DecidedAt   *time.Time
	DecidedBy   int64 `gorm:"not null;default:0"`
	// RemindedAt is set, by a conditional update, when the 30-days-ahead
	// expiry reminder was sent.
	RemindedAt *time.Time
	// Packages are the codes of the service packages (服务包) signed:
	// basic public health first, then the clinic's optional ones.
	Packages []string `gorm:"type:text;serializer:json"`
	// AgreementVersion is the version of the agreement text the family
	// accepted; ResponsibleDoctorID the team member responsible (a user id).
	AgreementVersion    string `gorm:"size:32;not null;default:''"`
	ResponsibleDoctorID int64  `gorm:"not null;default:0"`
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// PackageBasic is the code of the basic public health package every
// contract includes.
const PackageBasic = "basic_public_health"

// ServicePackage is a service package (服务包) a contract can name: the
// basic public health package (ClinicID 0) and the optional packages a
// clinic defines.
type ServicePackage struct {
	ID          int64  `gorm:"primaryKey"`
	ClinicID    int64  `gorm:"not null;default:0;uniqueIndex:ux_service_package,priority:1"`
	Code        string `gorm:"size:32;not null;uniqueIndex:ux_service_package,priority:2"`
	Name        string `gorm:"size:64;not null"`
	Description string `gorm:"size:500;not null;default:''"`
	Active      bool   `gorm:"not null;default:true"`
	CreatedAt   time.Time
}

// AgreementVersion is a published version of the family-doctor agreement
// text (签约协议) a family accepts when signing. A version is immutable once
// published; the current one is the latest published. Versions recorded on
// contracts before this table existed were moved into it by migration
// 00115 (title "历史版本 <v>", empty body, published at their first use).
type AgreementVersion struct {
	ID          int64     `gorm:"primaryKey"`
	Version     string    `gorm:"size:32;not null;uniqueIndex:ux_agreement_version"`
	Title       string    `gorm:"size:128;not null"`
	Body        string    `gorm:"type:text;not null"`
	PublishedAt time.Time `gorm:"not null;index:ix_agreement_published"`
	// CreatedBy is the admin who published it (0: moved from old contracts).
	CreatedBy int64 `gorm:"not null;default:0"`
	CreatedAt time.Time
}

// ContractMember is one member covered by a contract. Active is true while
// the contract is active and NULL otherwise: the unique key (member, active)
// lets a member be covered by one active contract at a time and by any
// number of pending or ended ones.
type ContractMember struct {
	ID int64 `gorm:"primaryKey"`
	// ix_contract_members_of: a contract's members, and which are covered,
	// from the index alone (the worklist, migration 00144).
	ContractID int64  `gorm:"not null;index:ix_contract_members_of,priority:1"`
	MemberID   int64  `gorm:"not null;uniqueIndex:ux_contract_member_active,priority:1;index:ix_contract_members_of,priority:3"`
	Active     *bool  `gorm:"uniqueIndex:ux_contract_member_active,priority:2;index:ix_contract_members_of,priority:2"`
	AppliedBy  string `gorm:"size:16;not null"`
}

// ContractEvent is one transition in a contract's history.
type ContractEvent struct {
	ID         int64 `gorm:"primaryKey"`
	ContractID int64 `gorm:"not null;index"`
	Transition `gorm:"embedded"`
}

func contractModels() []any {
	return []any{&DoctorTeam{}, &TeamDoctor{}, &FamilyContract{}, &ContractMember{}, &ContractEvent{}, &ServicePackage{}, &AgreementVersion{}}
}
