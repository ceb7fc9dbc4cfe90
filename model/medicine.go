package model

import "time"

// Medicine order statuses.
const (
	MedicineRequested  = "requested"
	MedicineApproved   = "approved"
	MedicineDispatched = "dispatched"
	MedicineDelivered  = "delivered"
	MedicineRejected   = "rejected"
	MedicineCancelled  = "cancelled"
)

// MedicineOrder is a request to deliver a contracted member's regular
// medicines home. ClinicID is the clinic of the covering contract's team,
// whose staff handle the order. Address and ContactPhone are personal data:
// never log them.
type MedicineOrder struct {
	// ix_medicine_clinic_status is a clinic's orders of a status in id order
	// (the staff list) and, with member_id, the pending orders the worklist
	// counts without reading the rows (migration 00144).
	ID         int64  `gorm:"primaryKey;index:ix_medicine_clinic_status,priority:3"`
	UserID     int64  `gorm:"not null;index"`
	MemberID   int64  `gorm:"not null;index;index:ix_medicine_clinic_status,priority:4"`
	ContractID int64  `gorm:"not null;index"`
	ClinicID   int64  `gorm:"not null;index:ix_medicine_clinic_status,priority:1;index:ix_medicine_clinic"`
	Status     string `gorm:"size:16;not null;index:ix_medicine_clinic_status,priority:2"`
	// Address, ContactPhone and HandoverCode are sealed (pii.Box).
	Address         string `gorm:"type:text;not null"`
	ContactPhone    string `gorm:"size:255;not null"`
	PreferredWindow string `gorm:"size:64;not null;default:''"`
	Note            string `gorm:"size:500;not null;default:''"`
	// HandoverCode is the 6-digit code the resident tells the courier;
	// HandoverFailures counts wrong codes (locked at the limit).
	HandoverCode     string `gorm:"size:255;not null"`
	HandoverFailures int    `gorm:"not null;default:0"`
	Courier          string `gorm:"size:64;not null;default:''"`
	ETA              *time.Time
	Reason           string `gorm:"size:255;not null;default:''"`
	ReorderOfID      *int64
	// NeedsReview is set when an item is free text (not from the person's
	// medication list): a pharmacist must review the request.
	NeedsReview bool `gorm:"not null;default:false"`
	// RefillReason is why an item is asked for before its refill interval.
	RefillReason string `gorm:"size:255;not null;default:''"`
	// RequestedVia is how the resident asked: app, or (placed by staff,
	// PlacedBy) phone, counter or visit.
	RequestedVia string     `gorm:"size:16;not null;default:'app'"`
	PlacedBy     int64      `gorm:"not null;default:0"`
	DeliveredAt  *time.Time `gorm:"index"`
	CreatedAt    time.Time  `gorm:"index"`
	UpdatedAt    time.Time
}

// Medicine order channels (MedicineOrder.RequestedVia).
const (
	RequestedViaApp     = "app"
	RequestedViaPhone   = "phone"
	RequestedViaCounter = "counter"
	RequestedViaVisit   = "visit"
)

// MedicineOrderItem is one medicine of an order: picked from the person's
// medication list (MedicationID, the list entry when ordered) or free text
// (nil) for the pharmacist to review.
type MedicineOrderItem struct {
	ID           int64 `gorm:"primaryKey"`
	OrderID      int64 `gorm:"not null;index"`
	Position     int   `gorm:"not null"`
	MedicationID *int64
	Name         string `gorm:"size:64;not null"`
	Spec         string `gorm:"size:64;not null;default:''"`
	Quantity     int    `gorm:"not null"`
}

// MedicineOrderEvent is one transition in a medicine order's history.
type MedicineOrderEvent struct {
	ID         int64 `gorm:"primaryKey"`
	OrderID    int64 `gorm:"not null;index"`
	Transition `gorm:"embedded"`
}

func medicineModels() []any {
	return []any{&MedicineOrder{}, &MedicineOrderItem{}, &MedicineOrderEvent{}}
}
