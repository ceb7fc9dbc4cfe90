package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// EventCommentHidden tells a user staff hid their comment.
const EventCommentHidden = "comment_hidden"

// Moderation actions written to the audit log.
const (
	ModHidePost       = "hide_post"
	ModUnhidePost     = "unhide_post"
	ModApprovePost    = "approve_post" // staff published a pending_review post
	ModDeletePost     = "delete_post"
	ModHideComment    = "hide_comment"
	ModUnhideComment  = "unhide_comment"
	ModApproveComment = "approve_comment"
	ModDismissReport  = "dismiss_report"
	ModMuteUser       = "mute_user"
	ModUnmuteUser     = "unmute_user"
	ModRecheckPass    = "recheck_publish" // the recheck job (actor 0) published a text
	ModRecheckReject  = "recheck_reject"
	ModRecheckReview  = "recheck_review" // WeChat asked for a human review: staff decide
)

// audit writes one moderation log row in the caller's transaction.
func (s *CircleService) audit(tx *gorm.DB, actorID int64, action, targetType string, targetID int64, reason, detail string) error {
	return tx.Create(&model.ModerationLog{ActorID: actorID, Action: action, TargetType: targetType, TargetID: targetID,
		Reason: truncate(reason, 512), Detail: truncate(detail, 255), CreatedAt: s.clock.Now()}).Error
}

func modReason(reason string, required bool) (string, error) {
	r := strings.TrimSpace(reason)
	n := utf8.RuneCountInString(r)
	if (required && n < 1) || n > maxReasonChars {
		if required {
			return "", InvalidField("reason", fmt.Sprintf("must be 1 to %d characters", maxReasonChars))
		}
		return "", InvalidField("reason", fmt.Sprintf("must be at most %d characters", maxReasonChars))
	}
	return r, nil
}

// StaffPostFilter filters the staff list of posts.
type StaffPostFilter struct {
	Status   string
	CircleID int64
	UserID   int64
}

// StaffPosts lists posts in any state, newest first (staff: e.g. the
// pending_review queue).
func (s *CircleService) StaffPosts(ctx context.Context, p Principal, f StaffPostFilter, pg pagination.Page) ([]PostView, string, error) {
	db := s.db.WithContext(ctx)
	q := filterBy(db.Model(&model.Post{}), "status", f.Status, "circle_id", f.CircleID, "user_id", f.UserID)
	rows, next, err := findPageByID(q, pg, true, func(r model.Post) int64 { return r.ID })
	if err != nil {
		return nil, "", err
	}
	views, err := s.postViews(db, p, rows)
	return views, next, err
}

// HidePost hides a post (published or waiting for review) with a reason:
// its open reports are resolved, the author is notified and the action is
// logged.
func (s *CircleService) HidePost(ctx context.Context, p Principal, id int64, reason string) (PostView, error) {
	reason, err := modReason(reason, true)
	if err != nil {
		return PostView{}, err
	}
	var out PostView
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		var post model.Post
		if err := tx.First(&post, id).Error; err != nil {
			return notFound(err)
		}
		from := post.Status
		now := s.clock.Now()
		if err := s.movePost(tx, &post, model.PostHidden, actorOf(p), reason, map[string]any{"mod_reason": reason, "moderated_by": p.UserID,
			"moderated_at": now, "check_state": model.PostCheckDone, "next_check_at": nil}); err != nil {
			return err
		}
		var reports []model.PostReport
		if err := forUpdate(tx).Where("post_id = ? AND status = ?", id, model.ReportOpen).Order("id").Find(&reports).Error; err != nil {
			return err
		}
		for _, r := range reports {
			if err := reportMachine.Apply(tx, now, Step{ID: r.ID, From: r.Status, To: model.ReportResolved, By: actorOf(p), Reason: reason,
				Set: map[string]any{"resolution": reason, "resolved_by": p.UserID}}); err != nil {
				return err
			}
		}
		if err := s.audit(tx, p.UserID, ModHidePost, "post", id, reason, "from "+from); err != nil {
			return err
		}
		if err := s.notify.Notify(tx, Notice{UserID: post.UserID, Event: EventPostHidden, Title: "你的帖子已被隐藏",
			Body: "原因：" + reason, RefType: "post", RefID: id}); err != nil {
			return err
		}
		return s.reloadPost(tx, p, id, &out)
	})
	return out, err
}

// UnhidePost publishes a hidden post again, or approves a post waiting in
// pending_review; the author is notified and the action logged.
func (s *CircleService) UnhidePost(ctx context.Context, p Principal, id int64, reason string) (PostView, error) {
	reason, err := modReason(reason, false)
	if err != nil {
		return PostView{}, err
	}
	var out PostView
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		var post model.Post
		if err := tx.First(&post, id).Error; err != nil {
			return notFound(err)
		}
		from := post.Status
		if err := s.movePost(tx, &post, model.PostPublished, actorOf(p), reason, map[string]any{"mod_reason": "", "moderated_by": p.UserID,
			"moderated_at": s.clock.Now(), "check_state": model.PostCheckDone, "next_check_at": nil}); err != nil {
			return err
		}
		action, event, title := ModUnhidePost, EventPostRestored, "你的帖子已恢复显示"
		if from == model.PostPendingReview {
			action, event, title = ModApprovePost, EventPostPublished, "你的帖子已通过审核并发布"
		}
		if err := s.audit(tx, p.UserID, action, "post", id, reason, "from "+from); err != nil {
			return err
		}
		if err := s.notify.Notify(tx, Notice{UserID: post.UserID, Event: event, Title: title,
			Body: truncate(post.Content, 40), RefType: "post", RefID: id}); err != nil {
			return err
		}
		return s.reloadPost(tx, p, id, &out)
	})
	return out, err
}

func (s *CircleService) reloadPost(tx *gorm.DB, p Principal, id int64, out *PostView) error {
	var post model.Post
	if err := tx.First(&post, id).Error; err != nil {
		return notFound(err)
	}
	v, err := s.postView(tx, p, post)
	*out = v
	return err
}

// StaffCommentFilter filters the staff list of comments.
type StaffCommentFilter struct {
	Status string
	PostID int64
}

// StaffComments lists comments in any state, newest first.
func (s *CircleService) StaffComments(ctx context.Context, p Principal, f StaffCommentFilter, pg pagination.Page) ([]CommentView, string, error) {
	db := s.db.WithContext(ctx)
	q := filterBy(db.Model(&model.PostComment{}), "status", f.Status, "post_id", f.PostID)
	rows, next, err := findPageByID(q, pg, true, func(r model.PostComment) int64 { return r.ID })
	if err != nil {
		return nil, "", err
	}
	out := make([]CommentView, 0, len(rows))
	for _, c := range rows {
		v, err := s.commentView(db, p, c)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	return out, next, nil
}

func (s *CircleService) commentView(db *gorm.DB, p Principal, c model.PostComment) (CommentView, error) {
	var post model.Post
	if err := db.Select("id", "user_id", "anonymous").First(&post, c.PostID).Error; err != nil {
		return CommentView{}, notFound(err)
	}
	vs, err := s.commentViews(db, p, post, []model.PostComment{c})
	if err != nil {
		return CommentView{}, err
	}
	return vs[0], nil
}

// HideComment hides a comment with a reason; its author is notified.
func (s *CircleService) HideComment(ctx context.Context, p Principal, id int64, reason string) (CommentView, error) {
	reason, err := modReason(reason, true)
	if err != nil {
		return CommentView{}, err
	}
	return s.moderateComment(ctx, p, id, model.PostHidden, reason)
}

// UnhideComment publishes a hidden comment again, or approves one waiting in
// pending_review.
func (s *CircleService) UnhideComment(ctx context.Context, p Principal, id int64, reason string) (CommentView, error) {
	reason, err := modReason(reason, false)
	if err != nil {
		return CommentView{}, err
	}
	return s.moderateComment(ctx, p, id, model.PostPublished, reason)
}

func (s *CircleService) moderateComment(ctx context.Context, p Principal, id int64, to, reason string) (CommentView, error) {
	var out CommentView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		var c model.PostComment
		if err := tx.First(&c, id).Error; err != nil {
			return notFound(err)
		}
		from := c.Status
		modText := reason
		if to == model.PostPublished {
			modText = ""
		}
		if err := s.moveComment(tx, &c, to, actorOf(p), reason, map[string]any{"mod_reason": modText, "moderated_by": p.UserID,
			"moderated_at": s.clock.Now(), "check_state": model.PostCheckDone, "next_check_at": nil}); err != nil {
			return err
		}
		action := ModHideComment
		switch {
		case to == model.PostPublished && from == model.PostPendingReview:
			action = ModApproveComment
		case to == model.PostPublished:
			action = ModUnhideComment
		}
		if err := s.audit(tx, p.UserID, action, "comment", id, reason, "from "+from); err != nil {
			return err
		}
		if to == model.PostHidden {
			if err := s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventCommentHidden, Title: "你的评论已被隐藏",
				Body: "原因：" + reason, RefType: "post", RefID: c.PostID}); err != nil {
				return err
			}
		}
		if err := tx.First(&c, id).Error; err != nil {
			return notFound(err)
		}
		v, err := s.commentView(tx, p, c)
		out = v
		return err
	})
	return out, err
}

// ReportFilter filters the report queue.
type ReportFilter struct {
	Status   string // default open
	CircleID int64
	PostID   int64
}

// ReportView is a report with the reported post.
type ReportView struct {
	model.PostReport
	Post *PostView
}

// Reports is the staff report queue, oldest first.
func (s *CircleService) Reports(ctx context.Context, p Principal, f ReportFilter, pg pagination.Page) ([]ReportView, string, error) {
	var cur idCursor
	if err := decodeCursor(pg.Cursor, &cur); err != nil {
		return nil, "", err
	}
	limit := pageLimit(pg.Limit)
	if f.Status == "" {
		f.Status = model.ReportOpen
	}
	db := s.db.WithContext(ctx)
	q := db.Where("status = ? AND id > ?", f.Status, cur.ID)
	q = filterBy(q, "circle_id", f.CircleID, "post_id", f.PostID)
	var rows []model.PostReport
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = pagination.Encode(idCursor{ID: rows[limit-1].ID})
	}
	views, err := s.reportViews(db, p, rows)
	return views, next, err
}

func (s *CircleService) reportViews(db *gorm.DB, p Principal, rows []model.PostReport) ([]ReportView, error) {
	out := make([]ReportView, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.PostID)
	}
	var posts []model.Post
	if err := db.Where("id IN ?", ids).Find(&posts).Error; err != nil {
		return nil, err
	}
	pvs, err := s.postViews(db, p, posts)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*PostView, len(pvs))
	for i := range pvs {
		byID[pvs[i].ID] = &pvs[i]
	}
	for _, r := range rows {
		out = append(out, ReportView{PostReport: r, Post: byID[r.PostID]})
	}
	return out, nil
}

// DismissReport closes an open report without action.
func (s *CircleService) DismissReport(ctx context.Context, p Principal, id int64, reason string) (ReportView, error) {
	reason, err := modReason(reason, false)
	if err != nil {
		return ReportView{}, err
	}
	var out ReportView
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		var r model.PostReport
		if err := tx.First(&r, id).Error; err != nil {
			return notFound(err)
		}
		if err := reportMachine.Apply(tx, s.clock.Now(), Step{ID: r.ID, From: r.Status, To: model.ReportDismissed, By: actorOf(p),
			Reason: reason, Set: map[string]any{"resolution": reason, "resolved_by": p.UserID}, Row: &r}); err != nil {
			return err
		}
		if err := s.audit(tx, p.UserID, ModDismissReport, "report", id, reason, fmt.Sprintf("post %d", r.PostID)); err != nil {
			return err
		}
		vs, err := s.reportViews(tx, p, []model.PostReport{r})
		if err == nil {
			out = vs[0]
		}
		return err
	})
	return out, err
}

// roleRank orders roles for moderation: nobody mutes a higher role.
func roleRank(role string) int {
	switch role {
	case model.RoleAdmin:
		return 2
	case model.RoleStaff:
		return 1
	}
	return 0
}

// MuteInput mutes a user: Until is a date YYYY-MM-DD (muted through that
// business day) or an RFC 3339 time, at most a year ahead, or "permanent".
type MuteInput struct {
	Until  string
	Reason string
}

func (s *CircleService) parseUntil(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "permanent" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if d, err := time.ParseInLocation(dateLayout, v, s.loc); err == nil {
		return d.AddDate(0, 0, 1).UTC(), nil
	}
	return time.Time{}, InvalidField("until", "must be a date YYYY-MM-DD or an RFC 3339 time")
}

// Mute stops a user posting and commenting in every circle until a time
// (muting again replaces the end). The user is notified; the action logged.
func (s *CircleService) Mute(ctx context.Context, p Principal, userID int64, in MuteInput) (model.CircleMute, error) {
	until, err := s.parseUntil(in.Until)
	if err != nil {
		return model.CircleMute{}, err
	}
	now := s.clock.Now()
	switch {
	case strings.TrimSpace(in.Until) == "permanent":
		until = now.Add(permanentMute)
	case !until.After(now):
		return model.CircleMute{}, InvalidField("until", "must be in the future")
	case until.After(now.Add(MuteHorizon)):
		return model.CircleMute{}, InvalidField("until", `must be within a year, or "permanent"`)
	}
	reason, err := modReason(in.Reason, true)
	if err != nil {
		return model.CircleMute{}, err
	}
	var m model.CircleMute
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		var u model.User
		if err := tx.Select("id", "role").First(&u, userID).Error; err != nil {
			return notFound(err)
		}
		if roleRank(u.Role) > roleRank(p.Role) {
			return ErrForbidden.Msg("nobody may mute a user of a higher role")
		}
		// One row per user (unique user_id): replace it, or create it.
		set := map[string]any{"ends_at": until, "reason": reason, "muted_by": p.UserID, "updated_at": now}
		var n int64
		if err := tx.Model(&model.CircleMute{}).Where("user_id = ?", userID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			if err := tx.Model(&model.CircleMute{}).Where("user_id = ?", userID).Updates(set).Error; err != nil {
				return err
			}
		} else {
			row := model.CircleMute{UserID: userID, EndsAt: until, Reason: reason, MutedBy: p.UserID, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&row).Error; err != nil {
				if !isDuplicate(err) {
					return err
				}
				// Another moderator muted the user at the same moment: ours wins.
				if err := tx.Model(&model.CircleMute{}).Where("user_id = ?", userID).Updates(set).Error; err != nil {
					return err
				}
			}
		}
		local := until.In(s.loc)
		if err := s.audit(tx, p.UserID, ModMuteUser, "user", userID, reason, "until "+local.Format(time.RFC3339)); err != nil {
			return err
		}
		if err := s.notify.Notify(tx, Notice{UserID: userID, Event: EventCircleMuted, Title: "你在圈子的发言已被暂停",
			Body: "至 " + local.Format("2006-01-02 15:04") + "，原因：" + reason, RefType: "user", RefID: userID}); err != nil {
			return err
		}
		return tx.Where("user_id = ?", userID).First(&m).Error
	})
	return m, err
}

// Unmute ends a user's mute now (nothing to do when none is running).
func (s *CircleService) Unmute(ctx context.Context, p Principal, userID int64, reason string) error {
	reason, err := modReason(reason, false)
	if err != nil {
		return err
	}
	return transact(ctx, s.db, func(tx *gorm.DB) error {
		var u model.User
		if err := tx.Select("id").First(&u, userID).Error; err != nil {
			return notFound(err)
		}
		now := s.clock.Now()
		res := tx.Model(&model.CircleMute{}).Where("user_id = ? AND ends_at > ?", userID, now).
			Updates(map[string]any{"ends_at": now, "updated_at": now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return s.audit(tx, p.UserID, ModUnmuteUser, "user", userID, reason, "")
	})
}

// ModerationLogFilter filters the audit log.
type ModerationLogFilter struct {
	ActorID    *int64
	Action     string
	TargetType string
	TargetID   int64
}

// ModerationLogs lists the audit log newest first.
func (s *CircleService) ModerationLogs(ctx context.Context, f ModerationLogFilter, pg pagination.Page) ([]model.ModerationLog, string, error) {
	q := s.db.WithContext(ctx).Model(&model.ModerationLog{})
	if f.ActorID != nil {
		q = q.Where("actor_id = ?", *f.ActorID)
	}
	q = filterBy(q, "action", f.Action, "target_type", f.TargetType, "target_id", f.TargetID)
	rows, next, err := findPageByID(q, pg, true, func(r model.ModerationLog) int64 { return r.ID })
	if err != nil {
		return nil, "", err
	}
	return rows, next, nil
}

// Recheck timing: a claimed text is leased for recheckLease; after a failed
// call WeChat is asked again after 1, 2, 4 … minutes, at most every 30.
const (
	recheckLease    = 5 * time.Minute
	recheckBatch    = 50
	recheckMaxDelay = 30 * time.Minute
)

func recheckBackoff(attempts int) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	if attempts > 6 {
		return recheckMaxDelay
	}
	return min(time.Duration(1<<(attempts-1))*time.Minute, recheckMaxDelay)
}

// RecheckPending is the background job that asks WeChat again about posts
// and comments stored as pending_review while it was unreachable: pass
// publishes, risky rejects (the author is told), review leaves the text to
// staff, and another failure retries later. Nothing is published
// unchecked. Each text is claimed with a conditional update, so replicas
// running the job at once check each text once. It returns how many texts
// were decided.
func (s *CircleService) RecheckPending(ctx context.Context) (int, error) {
	now := s.clock.Now()
	db := s.db.WithContext(ctx)
	decided := 0
	var posts []model.Post
	if err := db.Where("status = ? AND check_state = ? AND next_check_at <= ?", model.PostPendingReview, model.PostCheckRecheck, now).
		Order("id").Limit(recheckBatch).Find(&posts).Error; err != nil {
		return 0, err
	}
	for _, post := range posts {
		ok, err := s.recheckPost(ctx, post, now)
		if errors.Is(err, errStillUnchecked) {
			return decided, nil // WeChat still fails: the rest waits for the next tick
		}
		if err != nil {
			return decided, err
		}
		if ok {
			decided++
		}
	}
	var comments []model.PostComment
	if err := db.Where("status = ? AND check_state = ? AND next_check_at <= ?", model.PostPendingReview, model.PostCheckRecheck, now).
		Order("id").Limit(recheckBatch).Find(&comments).Error; err != nil {
		return decided, err
	}
	for _, c := range comments {
		ok, err := s.recheckComment(ctx, c, now)
		if errors.Is(err, errStillUnchecked) {
			return decided, nil
		}
		if err != nil {
			return decided, err
		}
		if ok {
			decided++
		}
	}
	return decided, nil
}

// claimRecheck leases one pending text to this worker.
func claimRecheck(db *gorm.DB, mdl any, id int64, now time.Time) (bool, error) {
	res := db.Model(mdl).Where("id = ? AND status = ? AND check_state = ? AND next_check_at <= ?",
		id, model.PostPendingReview, model.PostCheckRecheck, now).
		UpdateColumns(map[string]any{"next_check_at": now.Add(recheckLease), "check_attempts": gorm.Expr("check_attempts + 1")})
	return res.RowsAffected == 1, res.Error
}

// errStillUnchecked: WeChat failed again; the text waits for its next attempt.
var errStillUnchecked = errors.New("content check still failing")

// askAgain runs the check for a claimed text; when WeChat fails it schedules
// the next attempt and returns errStillUnchecked.
func (s *CircleService) askAgain(ctx context.Context, mdl any, id, authorID int64, attempts int, scene TextScene, text string, now time.Time) (TextVerdict, error) {
	db := s.db.WithContext(ctx)
	var u model.User
	if err := db.Select("id", "open_id").First(&u, authorID).Error; err != nil {
		return "", notFound(err)
	}
	verdict, err := s.checker.CheckText(ctx, u.OpenID, scene, text)
	if err == nil {
		return verdict, nil
	}
	next := now.Add(recheckBackoff(attempts + 1))
	s.log.Warn("content recheck failed, will retry", "id", id, "attempt", attempts+1, "err", err.Error())
	if err := db.Model(mdl).Where("id = ? AND status = ? AND check_state = ?", id, model.PostPendingReview, model.PostCheckRecheck).
		UpdateColumn("next_check_at", next).Error; err != nil {
		return "", err
	}
	return "", errStillUnchecked
}

func (s *CircleService) recheckPost(ctx context.Context, post model.Post, now time.Time) (bool, error) {
	db := s.db.WithContext(ctx)
	if ok, err := claimRecheck(db, &model.Post{}, post.ID, now); !ok || err != nil {
		return false, err
	}
	verdict, err := s.askAgain(ctx, &model.Post{}, post.ID, post.UserID, post.CheckAttempts, SceneForum, post.Content, now)
	if err != nil {
		return false, err
	}
	err = transact(ctx, db, func(tx *gorm.DB) error {
		switch verdict {
		case VerdictPass:
			if err := s.movePost(tx, &post, model.PostPublished, systemActor, "wechat: pass", map[string]any{"check_state": model.PostCheckDone, "next_check_at": nil}); err != nil {
				return err
			}
			if err := s.audit(tx, 0, ModRecheckPass, "post", post.ID, "", "wechat: pass"); err != nil {
				return err
			}
			return s.notify.Notify(tx, Notice{UserID: post.UserID, Event: EventPostPublished, Title: "你的帖子已通过审核并发布",
				Body: truncate(post.Content, 40), RefType: "post", RefID: post.ID})
		case VerdictRisky:
			if err := s.movePost(tx, &post, model.PostRejected, systemActor, "wechat: risky", map[string]any{"check_state": model.PostCheckDone, "next_check_at": nil,
				"mod_reason": "未通过内容安全检查"}); err != nil {
				return err
			}
			if err := s.audit(tx, 0, ModRecheckReject, "post", post.ID, "", "wechat: risky"); err != nil {
				return err
			}
			return s.notify.Notify(tx, Notice{UserID: post.UserID, Event: EventPostRejected, Title: "你的帖子未通过内容安全检查",
				Body: truncate(post.Content, 40), RefType: "post", RefID: post.ID})
		default:
			return s.toStaffReview(tx, &model.Post{}, "post", post.ID)
		}
	})
	if errors.Is(err, ErrInvalidTransition) {
		return false, nil // staff decided meanwhile
	}
	return err == nil, err
}

func (s *CircleService) recheckComment(ctx context.Context, c model.PostComment, now time.Time) (bool, error) {
	db := s.db.WithContext(ctx)
	if ok, err := claimRecheck(db, &model.PostComment{}, c.ID, now); !ok || err != nil {
		return false, err
	}
	verdict, err := s.askAgain(ctx, &model.PostComment{}, c.ID, c.UserID, c.CheckAttempts, SceneComment, c.Content, now)
	if err != nil {
		return false, err
	}
	err = transact(ctx, db, func(tx *gorm.DB) error {
		switch verdict {
		case VerdictPass:
			if err := s.moveComment(tx, &c, model.PostPublished, systemActor, "wechat: pass", map[string]any{"check_state": model.PostCheckDone, "next_check_at": nil}); err != nil {
				return err
			}
			return s.audit(tx, 0, ModRecheckPass, "comment", c.ID, "", "wechat: pass")
		case VerdictRisky:
			if err := s.moveComment(tx, &c, model.PostRejected, systemActor, "wechat: risky", map[string]any{"check_state": model.PostCheckDone, "next_check_at": nil,
				"mod_reason": "未通过内容安全检查"}); err != nil {
				return err
			}
			return s.audit(tx, 0, ModRecheckReject, "comment", c.ID, "", "wechat: risky")
		default:
			return s.toStaffReview(tx, &model.PostComment{}, "comment", c.ID)
		}
	})
	if errors.Is(err, ErrInvalidTransition) {
		return false, nil
	}
	return err == nil, err
}

// toStaffReview leaves a pending text to staff (WeChat suggested review).
func (s *CircleService) toStaffReview(tx *gorm.DB, mdl any, target string, id int64) error {
	res := tx.Model(mdl).Where("id = ? AND status = ? AND check_state = ?", id, model.PostPendingReview, model.PostCheckRecheck).
		UpdateColumns(map[string]any{"check_state": model.PostCheckStaff, "next_check_at": nil})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrInvalidTransition
	}
	return s.audit(tx, 0, ModRecheckReview, target, id, "", "wechat: review")
}
