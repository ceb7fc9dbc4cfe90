package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// SubscribeSender sends WeChat subscribe messages.
type SubscribeSender interface {
	SendSubscribe(ctx context.Context, m SubscribeMessage) error
}

// Notification events. Each may have a subscribe-message template configured
// (config WECHAT_TEMPLATES event=template_id,...).
const (
	EventBookingConfirmed = "booking_confirmed"
	EventBookingRejected  = "booking_rejected"
	EventBookingPromoted  = "booking_promoted"
	EventSessionCancelled = "session_cancelled"
	EventBookingReminder  = "booking_reminder"
	EventBookingNoShow    = "booking_no_show"
	// EventBookingMadeByStaff tells the family that staff booked a seat for
	// one of its persons (POST /staff/bookings).
	EventBookingMadeByStaff = "booking_made_by_staff"
)

// NotificationEvents is every event a notification can carry: the closed
// set of NotificationDTO.event in the spec. An area that adds an event adds
// it here (Notify refuses an event or a ref type not listed).
var NotificationEvents = []string{
	EventBookingConfirmed, EventBookingRejected, EventBookingPromoted, EventSessionCancelled,
	EventBookingReminder, EventBookingNoShow, EventBookingMadeByStaff,
	EventReferralIssued, EventReferralReceived, EventReferralCancelled, EventReferralExpired,
	EventContractApplied, EventContractApproved, EventContractRejected, EventContractTerminated,
	EventContractExpiring, EventContractExpired, EventContractActivated,
	EventMedicineRequested, EventMedicineApproved, EventMedicineRejected, EventMedicineCancelled,
	EventMedicineDispatched, EventMedicineDelivered, EventMedicineHandoverLocked, EventMedicineHandoverReset,
	EventPostHidden, EventPostRestored, EventPostPublished, EventPostRejected, EventCircleMuted,
	EventCommentHidden, EventImageRemoved,
	EventVaccineDueSoon, EventVaccineOverdue, EventConsultReplied,
}

// NotificationRefTypes is every kind of object a notification refers to
// (NotificationDTO.ref_type; empty when it refers to none).
var NotificationRefTypes = []string{
	"booking", "referral", "family_contract", "medicine_order", "consultation", "member", "person", "user",
	"post", "comment", "consultation_message", "article", RefUserAvatar,
}

// Notice is a notification to create.
type Notice struct {
	UserID  int64
	Event   string
	Title   string
	Body    string
	RefType string
	RefID   int64
}

// NotificationService keeps in-app notifications and pushes them as WeChat
// subscribe messages while the user has an unused acceptance.
type NotificationService struct {
	db        *gorm.DB
	clock     Clock
	sender    SubscribeSender
	templates SubscribeTemplates
	loc       *time.Location
	log       *slog.Logger
}

// NewNotificationService builds the service with the subscribe templates
// of the configuration (validated at start-up by app.New).
func NewNotificationService(deps Deps, sender SubscribeSender) *NotificationService {
	templates, _, _ := ParseSubscribeTemplates(deps.Config)
	return &NotificationService{db: deps.DB, clock: deps.Clock, sender: sender,
		templates: templates, loc: deps.Loc, log: deps.Log}
}

// SubscribeScenes maps each scene to the template ids the mini-program
// passes to wx.requestSubscribeMessage there.
func (s *NotificationService) SubscribeScenes() map[string][]string { return s.templates.Scenes() }

// Notify records a notification inside the caller's transaction, so it exists
// exactly when the change it reports does. The push happens later, in the
// push job, and can never fail the caller.
func (s *NotificationService) Notify(tx *gorm.DB, n Notice) error {
	if !slices.Contains(NotificationEvents, n.Event) || (n.RefType != "" && !slices.Contains(NotificationRefTypes, n.RefType)) {
		return fmt.Errorf("notify: event %q or ref type %q is not in NotificationEvents/NotificationRefTypes (the spec's enums): add it there", n.Event, n.RefType)
	}
	row := model.Notification{UserID: n.UserID, Event: n.Event, Title: truncate(n.Title, 128),
		Body: truncate(n.Body, 512), RefType: n.RefType, RefID: n.RefID, PushStatus: model.PushNone}
	if _, ok := s.templates[n.Event]; ok {
		now := s.clock.Now()
		row.PushStatus = model.PushPending
		row.PushNextAt = &now
	}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// List returns the user's notifications, newest first.
func (s *NotificationService) List(ctx context.Context, userID int64, unreadOnly bool, p pagination.Page) ([]model.Notification, string, error) {
	q := s.db.WithContext(ctx).Where("user_id = ?", userID)
	if unreadOnly {
		q = q.Where("read_at IS NULL")
	}
	return findPageByID(q, p, true, func(n model.Notification) int64 { return n.ID })
}

// UnreadCount counts the user's unread notifications.
func (s *NotificationService) UnreadCount(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&model.Notification{}).Where("user_id = ? AND read_at IS NULL", userID).Count(&n).Error
	return n, err
}

// MarkRead marks one of the user's notifications read (idempotent).
func (s *NotificationService) MarkRead(ctx context.Context, userID, id int64) (model.Notification, error) {
	db := s.db.WithContext(ctx)
	now := s.clock.Now()
	if err := db.Model(&model.Notification{}).Where("id = ? AND user_id = ? AND read_at IS NULL", id, userID).
		Update("read_at", now).Error; err != nil {
		return model.Notification{}, err
	}
	var n model.Notification
	return n, notFound(db.Where("id = ? AND user_id = ?", id, userID).First(&n).Error)
}

// MarkAllRead marks every notification of the user read.
func (s *NotificationService) MarkAllRead(ctx context.Context, userID int64) error {
	return s.db.WithContext(ctx).Model(&model.Notification{}).Where("user_id = ? AND read_at IS NULL", userID).
		Update("read_at", s.clock.Now()).Error
}

// Subscribe records that the user accepted these templates once each in
// wx.requestSubscribeMessage: each acceptance allows one message.
func (s *NotificationService) Subscribe(ctx context.Context, userID int64, templateIDs []string) (map[string]int, error) {
	out := map[string]int{}
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		for _, tpl := range templateIDs {
			res := tx.Model(&model.SubscriptionQuota{}).Where("user_id = ? AND template_id = ?", userID, tpl).
				Updates(map[string]any{"remaining": gorm.Expr("remaining + 1"), "updated_at": s.clock.Now()})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				if err := tx.Create(&model.SubscriptionQuota{UserID: userID, TemplateID: tpl, Remaining: 1}).Error; err != nil {
					return err
				}
			}
			var q model.SubscriptionQuota
			if err := tx.Where("user_id = ? AND template_id = ?", userID, tpl).First(&q).Error; err != nil {
				return err
			}
			out[tpl] = q.Remaining
		}
		return nil
	})
	return out, err
}

// push backoff: attempts 1..5 wait 1, 2, 4, 8, 16 minutes; then give up.
const maxPushAttempts = 5

// WeChat answers that mean the user has no usable subscription.
const (
	wxSubscribeRefused = 43101
)

// PushPending sends due subscribe messages. Each row is claimed with a
// conditional update, so several processes running the job send each message
// once. It returns how many were sent.
func (s *NotificationService) PushPending(ctx context.Context) (int, error) {
	now := s.clock.Now()
	var due []model.Notification
	if err := s.db.WithContext(ctx).Where("push_status = ? AND push_next_at <= ?", model.PushPending, now).
		Order("id").Limit(100).Find(&due).Error; err != nil {
		return 0, err
	}
	sent := 0
	for _, n := range due {
		ok, err := s.pushOne(ctx, n, now)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

func (s *NotificationService) pushOne(ctx context.Context, n model.Notification, now time.Time) (bool, error) {
	db := s.db.WithContext(ctx)
	// Claim: push the next attempt time forward; only one worker wins.
	lease := now.Add(5 * time.Minute)
	res := db.Model(&model.Notification{}).Where("id = ? AND push_status = ? AND push_next_at <= ?", n.ID, model.PushPending, now).
		Updates(map[string]any{"push_next_at": lease, "push_attempts": gorm.Expr("push_attempts + 1")})
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	t := s.templates[n.Event]
	tpl := t.TemplateID
	finish := func(status, msg string, next *time.Time) error {
		return db.Model(&model.Notification{}).Where("id = ?", n.ID).
			Updates(map[string]any{"push_status": status, "push_error": truncate(msg, 255), "push_next_at": next}).Error
	}
	data, page, err := s.render(ctx, n, t)
	if err != nil {
		return false, err
	}
	// Consume one acceptance; none left means WeChat would refuse (43101).
	q := db.Model(&model.SubscriptionQuota{}).Where("user_id = ? AND template_id = ? AND remaining > 0", n.UserID, tpl).
		Update("remaining", gorm.Expr("remaining - 1"))
	if q.Error != nil {
		return false, q.Error
	}
	if q.RowsAffected == 0 {
		return false, finish(model.PushSkipped, "no unused subscription", nil)
	}
	var u model.User
	if err := db.Select("id", "open_id").First(&u, n.UserID).Error; err != nil {
		return false, notFound(err)
	}
	err = s.sender.SendSubscribe(ctx, SubscribeMessage{ToOpenID: u.OpenID, TemplateID: tpl, Page: page, Data: data})
	if err == nil {
		return true, finish(model.PushSent, "", nil)
	}
	var we *WeChatError
	if errors.As(err, &we) && we.ErrCode == wxSubscribeRefused {
		// WeChat says there is no acceptance: ours was stale; do not retry.
		s.log.Info("subscribe message refused", "notification_id", n.ID, "errcode", we.ErrCode)
		if err := db.Model(&model.SubscriptionQuota{}).Where("user_id = ? AND template_id = ?", n.UserID, tpl).
			Update("remaining", 0).Error; err != nil {
			return false, err
		}
		return false, finish(model.PushSkipped, err.Error(), nil)
	}
	// WeChat failed: give the acceptance back and retry later.
	s.log.Warn("subscribe message failed, will retry", "notification_id", n.ID, "attempt", n.PushAttempts+1, "err", err.Error())
	if err := db.Model(&model.SubscriptionQuota{}).Where("user_id = ? AND template_id = ?", n.UserID, tpl).
		Update("remaining", gorm.Expr("remaining + 1")).Error; err != nil {
		return false, err
	}
	if n.PushAttempts+1 >= maxPushAttempts {
		return false, finish(model.PushFailed, err.Error(), nil)
	}
	next := now.Add(time.Duration(1<<n.PushAttempts) * time.Minute)
	return false, finish(model.PushPending, err.Error(), &next)
}
