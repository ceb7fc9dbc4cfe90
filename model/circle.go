package model

import "time"

// Circle is a peer circle (备孕圈, 孕妈圈, 宝妈圈).
type Circle struct {
	ID          int64  `gorm:"primaryKey"`
	Slug        string `gorm:"size:32;not null;uniqueIndex"`
	Name        string `gorm:"size:64;not null"`
	Description string `gorm:"size:512;not null;default:''"`
	// Stage is the life stage the circle suits (preconception, pregnancy,
	// postpartum…); joining is never blocked by it.
	Stage       string `gorm:"size:32;not null;default:''"`
	MemberCount int    `gorm:"not null;default:0"`
	// PostCount counts the circle's published posts (what its feed shows).
	PostCount int `gorm:"not null;default:0"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CircleMember is a user's membership of a circle.
type CircleMember struct {
	ID        int64 `gorm:"primaryKey"`
	CircleID  int64 `gorm:"not null;uniqueIndex:ux_circle_member,priority:1"`
	UserID    int64 `gorm:"not null;uniqueIndex:ux_circle_member,priority:2;index"`
	CreatedAt time.Time
}

// States of posts and comments. A text is published only after it passed
// WeChat's content-security check (or staff approved it).
const (
	PostPublished     = "published"
	PostPendingReview = "pending_review" // seen by its author and staff only
	PostHidden        = "hidden"         // hidden by staff
	PostRejected      = "rejected"       // WeChat's recheck found it risky
	PostDeleted       = "deleted"        // deleted by its author or staff
)

// Why a text waits in pending_review.
const (
	PostCheckDone    = ""        // checked (or decided by staff)
	PostCheckRecheck = "recheck" // WeChat did not answer: the recheck job asks again
	PostCheckStaff   = "staff"   // WeChat suggested a human review: staff decide
)

// Post is a post in a circle.
type Post struct {
	ID        int64    `gorm:"primaryKey"`
	CircleID  int64    `gorm:"not null;index:ix_post_feed,priority:1;index:ix_post_circle_time,priority:1;index:ix_post_circle"`
	UserID    int64    `gorm:"not null;index"`
	Content   string   `gorm:"type:text;not null"`
	ImageURLs []string `gorm:"type:text;serializer:json"`
	Anonymous bool     `gorm:"not null;default:false"`
	Status    string   `gorm:"size:16;not null;index:ix_post_feed,priority:2;index:ix_post_check,priority:1"`
	// CheckState says why a pending_review post waits; NextCheckAt is when
	// the recheck job may ask WeChat again.
	CheckState    string     `gorm:"size:16;not null;default:'';index:ix_post_check,priority:2"`
	CheckAttempts int        `gorm:"not null;default:0"`
	NextCheckAt   *time.Time `gorm:"index:ix_post_check,priority:3"`
	LikeCount     int        `gorm:"not null;default:0"`
	CommentCount  int        `gorm:"not null;default:0"`
	ReportCount   int        `gorm:"not null;default:0"`
	// ModReason is why staff (or the recheck) hid or rejected the post.
	ModReason   string `gorm:"size:512;not null;default:''"`
	ModeratedBy int64  `gorm:"not null;default:0"`
	ModeratedAt *time.Time
	DeletedBy   int64 `gorm:"not null;default:0"`
	DeletedAt   *time.Time
	CreatedAt   time.Time `gorm:"index:ix_post_circle_time,priority:2"`
	UpdatedAt   time.Time
}

// PostComment is a comment on a post.
type PostComment struct {
	ID            int64      `gorm:"primaryKey"`
	PostID        int64      `gorm:"not null;index:ix_comment_post,priority:1;index:ix_comment_post_time,priority:1;index:ix_comment_post_id"`
	UserID        int64      `gorm:"not null;index"`
	Content       string     `gorm:"type:text;not null"`
	Status        string     `gorm:"size:16;not null;index:ix_comment_post,priority:2;index:ix_comment_check,priority:1"`
	CheckState    string     `gorm:"size:16;not null;default:'';index:ix_comment_check,priority:2"`
	CheckAttempts int        `gorm:"not null;default:0"`
	NextCheckAt   *time.Time `gorm:"index:ix_comment_check,priority:3"`
	ModReason     string     `gorm:"size:512;not null;default:''"`
	ModeratedBy   int64      `gorm:"not null;default:0"`
	ModeratedAt   *time.Time
	CreatedAt     time.Time `gorm:"index:ix_comment_post_time,priority:2"`
	UpdatedAt     time.Time
}

// PostLike is one user's like of a post (at most one per user and post).
type PostLike struct {
	ID        int64 `gorm:"primaryKey"`
	PostID    int64 `gorm:"not null;uniqueIndex:ux_post_like,priority:1"`
	UserID    int64 `gorm:"not null;uniqueIndex:ux_post_like,priority:2;index"`
	CreatedAt time.Time
}

// Report states.
const (
	ReportOpen      = "open"
	ReportResolved  = "resolved"  // staff hid the post
	ReportDismissed = "dismissed" // staff found nothing wrong
)

// PostReport is a user's report of a post (at most one per user and post).
type PostReport struct {
	ID         int64  `gorm:"primaryKey"`
	PostID     int64  `gorm:"not null;uniqueIndex:ux_post_report,priority:1"`
	ReporterID int64  `gorm:"not null;uniqueIndex:ux_post_report,priority:2"`
	CircleID   int64  `gorm:"not null;index"`
	Reason     string `gorm:"size:512;not null"`
	Status     string `gorm:"size:16;not null;index:ix_report_status_time,priority:1"`
	Resolution string `gorm:"size:512;not null;default:''"`
	ResolvedBy int64  `gorm:"not null;default:0"`
	ResolvedAt *time.Time
	CreatedAt  time.Time `gorm:"index:ix_report_status_time,priority:2"`
}

// CircleMute stops a user posting and commenting in every circle until a
// time. One row per user; muting again replaces the end.
type CircleMute struct {
	ID        int64     `gorm:"primaryKey"`
	UserID    int64     `gorm:"not null;uniqueIndex"`
	EndsAt    time.Time `gorm:"not null"`
	Reason    string    `gorm:"size:512;not null;default:''"`
	MutedBy   int64     `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ModerationLog is the audit log of circle moderation: who did what to
// which object, when and why. ActorID 0 is the content-security recheck job.
type ModerationLog struct {
	ID         int64  `gorm:"primaryKey"`
	ActorID    int64  `gorm:"not null;index"`
	Action     string `gorm:"size:32;not null"`
	TargetType string `gorm:"size:16;not null;index:ix_modlog_target,priority:1"`
	TargetID   int64  `gorm:"not null;index:ix_modlog_target,priority:2"`
	Reason     string `gorm:"size:512;not null;default:''"`
	// Detail records facts of the action (the state it left, a mute's end).
	Detail    string    `gorm:"size:255;not null;default:''"`
	CreatedAt time.Time `gorm:"not null;index"`
}

func circleModels() []any {
	return []any{&Circle{}, &CircleMember{}, &Post{}, &PostComment{}, &PostLike{}, &PostReport{}, &CircleMute{}, &ModerationLog{}, &TextEvent{}}
}

// TextEvent is one transition in the history of a post, a comment or a
// report (the author's own changes too; staff actions are also in
// ModerationLog).
type TextEvent struct {
	ID         int64  `gorm:"primaryKey"`
	TargetType string `gorm:"size:16;not null;index:ix_text_event_target,priority:1"` // post, comment
	TargetID   int64  `gorm:"not null;index:ix_text_event_target,priority:2"`
	Transition `gorm:"embedded"`
}
