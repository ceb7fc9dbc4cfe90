package model

import "time"

// Booking statuses.
const (
	BookingPending    = "pending"
	BookingConfirmed  = "confirmed"
	BookingCheckedIn  = "checked_in"
	BookingCancelled  = "cancelled"
	BookingRejected   = "rejected"
	BookingNoShow     = "no_show"
	BookingWaitlisted = "waitlisted"
)

// Booking is a seat (or a waitlist place) for one family member in a session.
type Booking struct {
	ID        int64  `gorm:"primaryKey"`
	SessionID int64  `gorm:"not null;uniqueIndex:ux_booking_active,priority:1;index:ix_booking_wait,priority:1"`
	MemberID  int64  `gorm:"not null;uniqueIndex:ux_booking_active,priority:2;index:ix_booking_member_next,priority:1"`
	UserID    int64  `gorm:"not null;index"`
	ClinicID  int64  `gorm:"not null;index:ix_booking_clinic_start,priority:1;uniqueIndex:ux_booking_queue,priority:1"`
	Status    string `gorm:"size:16;not null;index:ix_booking_wait,priority:2"`
	// Active is true while the booking is pending, confirmed, waitlisted or
	// checked in, and NULL otherwise: the unique key (session, member, active)
	// lets a member hold one active booking per session and any number of
	// ended ones.
	Active *bool  `gorm:"uniqueIndex:ux_booking_active,priority:3;index:ix_booking_member_next,priority:2"`
	Note   string `gorm:"size:255;not null;default:''"`
	// WaitSeq orders the waitlist of a session (0 when never waitlisted).
	WaitSeq      int64 `gorm:"not null;default:0;index:ix_booking_wait,priority:3"`
	Reason       string
	StartsAt     time.Time  `gorm:"not null;index;index:ix_booking_clinic_start,priority:2;index:ix_booking_member_next,priority:3"`
	RemindedAt   *time.Time `gorm:"index"`
	NoShowMarked bool       `gorm:"not null;default:false"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// SlotID is the arrival slot of a sliced session (0: none); ArrivalAt
	// and EndsAt are the booked time (NULL: the session's).
	SlotID    int64      `gorm:"not null;default:0;index"`
	ArrivalAt *time.Time `gorm:""`
	EndsAt    *time.Time `gorm:""`
	// QueueDay and QueueNo are the 排队号 given at check-in: unique per
	// clinic and business day.
	QueueDay *string `gorm:"size:10;uniqueIndex:ux_booking_queue,priority:2"`
	QueueNo  *int    `gorm:"uniqueIndex:ux_booking_queue,priority:3"`
	// ReferralID is the referral the booking was made with (0: none);
	// ReservedSeat says it holds one of the session's reserved seats.
	ReferralID   int64 `gorm:"not null;default:0;index"`
	ReservedSeat bool  `gorm:"not null;default:false"`
	// MovedAt is when staff last moved the booking's session to another
	// time (NULL: never since it was made): moved inside the cancel window
	// of the new time, the family may still cancel online.
	MovedAt *time.Time
	// BookedBy is the staff account that booked for the family (POST
	// /staff/bookings); 0 when the family booked itself. UserID is then the
	// family's account (the person's owner), which gets the notices.
	BookedBy int64 `gorm:"not null;default:0"`
}

// SessionSlot is one arrival slot of a sliced session. Booked is changed
// only by conditional updates (booked < capacity) in the transaction that
// changes the booking, like Session.Booked.
type SessionSlot struct {
	ID        int64     `gorm:"primaryKey"`
	SessionID int64     `gorm:"not null;uniqueIndex:ux_slot_session_start,priority:1"`
	StartsAt  time.Time `gorm:"not null;uniqueIndex:ux_slot_session_start,priority:2"`
	EndsAt    time.Time `gorm:"not null"`
	Capacity  int       `gorm:"not null"`
	Booked    int       `gorm:"not null;default:0"`
	// Reserved of the slot's seats are kept for referrals (the session's
	// Reserved is their sum); ReservedBooked of them are taken.
	Reserved       int `gorm:"not null;default:0"`
	ReservedBooked int `gorm:"not null;default:0"`
}

// QueueCounter hands out a clinic's queue numbers of one business day.
type QueueCounter struct {
	ClinicID int64  `gorm:"primaryKey;autoIncrement:false"`
	Day      string `gorm:"primaryKey;size:10"`
	Last     int    `gorm:"not null;default:0"`
}

// BookingEvent is one transition in a booking's history.
type BookingEvent struct {
	ID         int64 `gorm:"primaryKey"`
	BookingID  int64 `gorm:"not null;index"`
	Transition `gorm:"embedded"`
}

// BookingSuspension stops a member from booking until EndsAt (no-shows).
type BookingSuspension struct {
	ID        int64     `gorm:"primaryKey"`
	MemberID  int64     `gorm:"not null;index"`
	EndsAt    time.Time `gorm:"not null"`
	CreatedAt time.Time
}

func bookingModels() []any {
	return []any{&Booking{}, &BookingEvent{}, &BookingSuspension{}, &SessionSlot{}, &QueueCounter{}}
}
