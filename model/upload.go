package model

import "time"

// Purposes of an upload: where it may be attached.
const (
	UploadPost         = "post"
	UploadComment      = "comment"
	UploadConsultation = "consultation"
	UploadAvatar       = "avatar"
	UploadArticleCover = "article_cover"
)

// Content-check states of an upload (WeChat mediaCheckAsync).
const (
	CheckNone    = "none"    // not checked: staff uploads, consultation images
	CheckPending = "pending" // sent to WeChat, result not yet pushed back
	CheckPass    = "pass"
	CheckReview  = "review" // WeChat wants a human: staff decide
	CheckRisky   = "risky"  // removed
)

// Upload is an image a user uploaded. The file is stored under Key (the
// SHA-256 of the cleaned bytes and an extension), so two identical uploads
// share one file; the row belongs to its uploader, and RefType/RefID name
// what it is attached to (empty while unattached).
type Upload struct {
	ID          int64  `gorm:"primaryKey"`
	UserID      int64  `gorm:"not null;index"`
	Purpose     string `gorm:"size:16;not null"`
	BlobKey     string `gorm:"size:80;not null;index"`
	ContentType string `gorm:"size:32;not null"`
	Size        int64  `gorm:"not null"`
	Width       int    `gorm:"not null"`
	Height      int    `gorm:"not null"`
	CheckState  string `gorm:"size:16;not null;default:none;index:ix_upload_check,priority:1"`
	// CheckTraceID is mediaCheckAsync's trace_id, by which the result is
	// matched when WeChat pushes it.
	CheckTraceID string     `gorm:"size:64;not null;default:'';index"`
	RefType      string     `gorm:"size:32;not null;default:'';index:ix_upload_ref,priority:1"`
	RefID        int64      `gorm:"not null;default:0;index:ix_upload_ref,priority:2"`
	CreatedAt    time.Time  `gorm:"not null;index;index:ix_upload_check,priority:2"`
	AttachedAt   *time.Time // nil: never attached (the cleanup job deletes it after a day)
}

// PushEvent is one message WeChat pushed to /wechat/push, kept so that a
// retried delivery of the same event changes nothing: DedupKey is unique.
type PushEvent struct {
	ID        int64     `gorm:"primaryKey"`
	DedupKey  string    `gorm:"size:128;not null;uniqueIndex"`
	Event     string    `gorm:"size:64;not null"`
	OpenID    string    `gorm:"size:64;not null;default:''"`
	CreatedAt time.Time `gorm:"not null;index"`
}

// SubscriptionState is what WeChat last told about a user's stance on a
// template: accept, reject or ban (switched off in WeChat's settings).
// A reject or a ban stops sends whatever the client said.
type SubscriptionState struct {
	ID         int64     `gorm:"primaryKey"`
	UserID     int64     `gorm:"not null;uniqueIndex:ux_substate_user_tpl,priority:1"`
	TemplateID string    `gorm:"size:64;not null;uniqueIndex:ux_substate_user_tpl,priority:2"`
	Status     string    `gorm:"size:16;not null"`
	UpdatedAt  time.Time `gorm:"not null"`
}

func uploadModels() []any {
	return []any{&Upload{}, &PushEvent{}, &SubscriptionState{}}
}
