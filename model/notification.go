package model

import "time"

// Push states of a notification's WeChat subscribe message.
const (
	PushNone    = "none"    // no template configured for the event
	PushPending = "pending" // to be sent (or retried) by the push job
	PushSent    = "sent"
	PushSkipped = "skipped" // the user had no unused subscription acceptance
	PushFailed  = "failed"  // gave up after retries
)

// Notification is an in-app message to a user, optionally pushed as a WeChat
// subscribe message.
type Notification struct {
	ID           int64  `gorm:"primaryKey"`
	UserID       int64  `gorm:"not null;index:ix_notif_user,priority:1"`
	Event        string `gorm:"size:32;not null"`
	Title        string `gorm:"size:128;not null"`
	Body         string `gorm:"size:512;not null"`
	RefType      string `gorm:"size:32;not null;default:''"`
	RefID        int64  `gorm:"not null;default:0"`
	ReadAt       *time.Time
	PushStatus   string     `gorm:"size:16;not null;default:none;index:ix_notif_push,priority:1"`
	PushAttempts int        `gorm:"not null;default:0"`
	PushNextAt   *time.Time `gorm:"index:ix_notif_push,priority:2"`
	PushError    string     `gorm:"size:255;not null;default:''"`
	CreatedAt    time.Time  `gorm:"index:ix_notif_user,priority:2"`
}

// SubscriptionQuota counts a user's unused one-time acceptances of a
// subscribe-message template (each accepted wx.requestSubscribeMessage allows
// one message).
type SubscriptionQuota struct {
	ID         int64  `gorm:"primaryKey"`
	UserID     int64  `gorm:"not null;uniqueIndex:ux_sub_user_tpl,priority:1"`
	TemplateID string `gorm:"size:64;not null;uniqueIndex:ux_sub_user_tpl,priority:2"`
	Remaining  int    `gorm:"not null;default:0"`
	UpdatedAt  time.Time
}

// IdempotencyRecord remembers the first response to a create request sent
// with an Idempotency-Key.
type IdempotencyRecord struct {
	ID           int64  `gorm:"primaryKey"`
	UserID       int64  `gorm:"not null;uniqueIndex:ux_idem_user_key,priority:1"`
	Key          string `gorm:"size:128;not null;uniqueIndex:ux_idem_user_key,priority:2"` // SHA-256 hex of the client's key
	RequestHash  string `gorm:"size:64;not null"`
	State        string `gorm:"size:16;not null"`
	StatusCode   int    `gorm:"not null;default:0"`
	ResponseBody []byte
	CreatedAt    time.Time `gorm:"not null"`
	ExpiresAt    time.Time `gorm:"not null;index"`
	Sealed       bool      `gorm:"not null;default:false"` // ResponseBody is sealed (pii)
}

func notificationModels() []any {
	return []any{&Notification{}, &SubscriptionQuota{}, &IdempotencyRecord{}}
}
