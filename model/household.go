package model

import (
	"time"

	"gorm.io/gorm"
)

// Relations of a person to the head of a household (the account that made
// it), as Chinese families name them: 本人, 配偶, 子女, 父母, 孙子女/外孙子女,
// 祖父母/外祖父母, 兄弟姐妹, 其他.
const (
	RelationSelf        = "self"
	RelationSpouse      = "spouse"
	RelationChild       = "child"
	RelationParent      = "parent"
	RelationGrandchild  = "grandchild"
	RelationGrandparent = "grandparent"
	RelationSibling     = "sibling"
	RelationOther       = "other"
)

// Relations lists every relation, in the order forms show them.
var Relations = []string{RelationSelf, RelationSpouse, RelationChild, RelationParent, RelationGrandchild,
	RelationGrandparent, RelationSibling, RelationOther}

// Identity documents of a person (实名就医).
const (
	IDResident         = "resident_id"       // 居民身份证 (18 digits, GB 11643)
	IDBirthCertificate = "birth_certificate" // 出生医学证明
	IDHMTPermit        = "hmt_permit"        // 港澳台居民居住证 / 往来通行证
	IDPassport         = "passport"          // 护照
)

// IDTypes lists the identity documents.
var IDTypes = []string{IDResident, IDBirthCertificate, IDHMTPermit, IDPassport}

// Person is one human being, known to the network once: a child, an
// expectant mother, an elderly father. Persons keep the ids of the family
// members they replaced (table members, renamed by migration 00080), so
// every member_id column of bookings, contracts and orders names a person.
// Dates are YYYY-MM-DD strings (calendar dates have no time zone, and string
// order is date order on every database).
type Person struct {
	ID int64 `gorm:"primaryKey"`
	// UserID is the account that added the person. Who sees and acts for
	// the person is decided by households (HouseholdPerson), never by it.
	UserID int64 `gorm:"not null;index"`
	// Name and BirthDate are what records of one person share
	// (memberLineage): ix_person_lineage finds them.
	Name string `gorm:"size:64;not null;index:ix_person_lineage,priority:2"`
	// Relation is the relation given when the person was added; each
	// household keeps its own (HouseholdPerson.Relation).
	Relation          string   `gorm:"size:16;not null"`
	Gender            string   `gorm:"size:16;not null;default:unknown"`
	BirthDate         string   `gorm:"size:10;not null;default:'';index:ix_person_lineage,priority:1"`
	DueDate           string   `gorm:"size:10;not null;default:''"`
	ChronicConditions []string `gorm:"type:text;serializer:json"`
	CreatedAt         time.Time
	UpdatedAt         time.Time
	DeletedAt         gorm.DeletedAt `gorm:"index"`
	// IDType and IDNumber are the identity document; IDNumber is sealed
	// (pii.Box), IDMasked is what answers show (3307**********1234) and
	// IDHash the keyed blind index that finds the same number again: one
	// number, one person (NULL while the person has no number).
	IDType   string  `gorm:"size:24;not null;default:''"`
	IDNumber string  `gorm:"size:255;not null;default:''"`
	IDMasked string  `gorm:"size:32;not null;default:''"`
	IDHash   *string `gorm:"size:64;uniqueIndex"`
	// Verified: staff checked the document at the counter (a check digit
	// that agrees proves only that the number is well formed).
	Verified bool `gorm:"not null;default:false"`
	// The birth record of a child: birth weight in grams and gestational
	// age at birth in whole weeks (preterm under 37; 低出生体重 under 2500 g).
	BirthWeightG *int
	BirthWeeks   *int
	// Disabled (失能) and SpecialHardship (特困, 特困供养人员) are recorded
	// by staff (audited; a resident cannot set them): with 高龄 (80+, from
	// the birth date) they make an elderly person a key person of the
	// family-doctor coverage target (README "Coverage figures").
	Disabled        bool `gorm:"not null;default:false"`
	SpecialHardship bool `gorm:"not null;default:false"`
}

// TableName is persons (migration 00080 renamed members).
func (Person) TableName() string { return "persons" }

// Roles of an account in a household.
const (
	HouseholdGuardian = "guardian"  // manages the household's persons and acts for them
	HouseholdSelfOnly = "self_only" // sees and acts only for its own person
)

// Household is a family (家庭): several accounts, several persons.
type Household struct {
	ID        int64  `gorm:"primaryKey"`
	Name      string `gorm:"size:64;not null;default:''"`
	CreatedBy int64  `gorm:"not null;index"`
	// ClinicID is set when staff made the household for a resident without
	// WeChat (it is handed to an account later by an invitation).
	ClinicID *int64 `gorm:"index"`
	// Village is the village or community (村/社区) the household lives in,
	// one of the names of a clinic's catchment ('' while unknown): the
	// coverage figures count a clinic's catchment through it.
	Village   string `gorm:"size:64;not null;default:'';index"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// HouseholdAccount is an account's place in a household. PersonID links an
// account that is itself one of the persons (the father on his own phone).
type HouseholdAccount struct {
	ID          int64  `gorm:"primaryKey"`
	HouseholdID int64  `gorm:"not null;uniqueIndex:ux_household_account,priority:1"`
	UserID      int64  `gorm:"not null;uniqueIndex:ux_household_account,priority:2;index"`
	Role        string `gorm:"size:16;not null"`
	PersonID    *int64 `gorm:"index"`
	CreatedAt   time.Time
}

// HouseholdPerson is a person in a household, with the relation to its head.
// A removed person keeps the row (DeletedAt), so the history of who was in a
// household (suspensions, lineage) survives; adding back restores it.
type HouseholdPerson struct {
	ID          int64  `gorm:"primaryKey"`
	HouseholdID int64  `gorm:"not null;uniqueIndex:ux_household_person,priority:1;index:ix_household_person_links,priority:2"`
	PersonID    int64  `gorm:"not null;uniqueIndex:ux_household_person,priority:2;index:ix_household_person_links,priority:1"`
	Relation    string `gorm:"size:16;not null"`
	AddedBy     int64  `gorm:"not null;default:0"`
	CreatedAt   time.Time
	DeletedAt   gorm.DeletedAt `gorm:"index"`
}

// TableName is household_persons (GORM would say household_people).
func (HouseholdPerson) TableName() string { return "household_persons" }

// HouseholdInvitation is a one-time code to join a household. Only the
// SHA-256 of the code is stored.
type HouseholdInvitation struct {
	ID          int64  `gorm:"primaryKey"`
	HouseholdID int64  `gorm:"not null;index"`
	CodeHash    string `gorm:"size:64;not null;uniqueIndex"`
	Role        string `gorm:"size:16;not null"`
	PersonID    *int64
	CreatedBy   int64     `gorm:"not null"`
	ExpiresAt   time.Time `gorm:"not null"`
	UsedBy      *int64
	UsedAt      *time.Time
	RevokedAt   *time.Time
	CreatedAt   time.Time
}

// Link request states.
const (
	LinkPending  = "pending"
	LinkApproved = "approved"
	LinkRejected = "rejected"
)

// LinkRequest asks to add a person known to another household to the
// requester's household; a guardian of a household that holds the person
// (or staff at the counter) approves it.
type LinkRequest struct {
	ID          int64  `gorm:"primaryKey"`
	PersonID    int64  `gorm:"not null;index"`
	HouseholdID int64  `gorm:"not null;index"`
	Relation    string `gorm:"size:16;not null"`
	RequestedBy int64  `gorm:"not null"`
	Status      string `gorm:"size:16;not null"`
	DecidedBy   *int64
	DecidedAt   *time.Time
	CreatedAt   time.Time
}

// LinkRequestEvent is one step of a link request's history.
type LinkRequestEvent struct {
	ID            int64 `gorm:"primaryKey"`
	LinkRequestID int64 `gorm:"not null;index"`
	Transition    `gorm:"embedded"`
}

// Consent purposes and how consent was obtained (PIPL).
const (
	ConsentPersonalData = "personal_data"   // the person's data kept by the network
	ConsentContract     = "family_contract" // a family-doctor contract
	ConsentDelivery     = "medicine_delivery"

	ConsentBySelf     = "self"     // the person in the app
	ConsentByGuardian = "guardian" // a guardian for a child, or a relative for an adult who asked them
	ConsentByCounter  = "counter"  // staff, in person
	ConsentByPhone    = "phone"    // staff, on the phone
)

// Consent records who consented to what for a person, when and how.
type Consent struct {
	ID       int64  `gorm:"primaryKey"`
	PersonID int64  `gorm:"not null;index"`
	Purpose  string `gorm:"size:32;not null"`
	Method   string `gorm:"size:16;not null"`
	// GivenBy is the account that consented (0: the person without an
	// account, through staff); RecordedBy the account that recorded it.
	GivenBy    int64 `gorm:"not null;default:0"`
	RecordedBy int64 `gorm:"not null;default:0"`
	CreatedAt  time.Time
}

func householdModels() []any {
	return []any{&Person{}, &Household{}, &HouseholdAccount{}, &HouseholdPerson{}, &HouseholdInvitation{},
		&LinkRequest{}, &LinkRequestEvent{}, &Consent{}}
}

// HouseholdBackfill moves the data of the build before households into
// them, in portable SQL (SQLite, MySQL 8, MariaDB, TiDB): every account that
// is a resident or added family members becomes the guardian of a household
// of its own; every member (now a person) joins its account's household with
// the relation it had; an account's "self" member becomes the account's
// person. Each statement skips what is already there, so a rerun adds
// nothing. Persons deleted before stay deleted and in no household (their
// bookings and suspensions still name them).
var HouseholdBackfill = []string{
	`INSERT INTO households (name, created_by, created_at, updated_at)
	 SELECT '', u.id, u.created_at, u.created_at FROM users u
	 WHERE u.deleted_at IS NULL
	   AND (u.role = 'resident' OR EXISTS (SELECT 1 FROM persons p WHERE p.user_id = u.id AND p.deleted_at IS NULL))
	   AND NOT EXISTS (SELECT 1 FROM households h WHERE h.created_by = u.id)`,
	`INSERT INTO household_accounts (household_id, user_id, role, person_id, created_at)
	 SELECT h.id, h.created_by, 'guardian',
	        (SELECT MIN(p.id) FROM persons p WHERE p.user_id = h.created_by AND p.relation = 'self' AND p.deleted_at IS NULL),
	        h.created_at
	 FROM households h
	 WHERE NOT EXISTS (SELECT 1 FROM household_accounts a WHERE a.household_id = h.id)`,
	`INSERT INTO household_persons (household_id, person_id, relation, added_by, created_at)
	 SELECT (SELECT MIN(h.id) FROM households h WHERE h.created_by = p.user_id), p.id, p.relation, p.user_id, p.created_at
	 FROM persons p
	 WHERE p.deleted_at IS NULL
	   AND EXISTS (SELECT 1 FROM households h WHERE h.created_by = p.user_id)
	   AND NOT EXISTS (SELECT 1 FROM household_persons x WHERE x.person_id = p.id)`,
}
