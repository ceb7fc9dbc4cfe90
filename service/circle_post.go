package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// Limits of circle texts.
const (
	maxTextChars  = 2000
	maxPostImages = 9
	// maxCommentImages is how many uploads a comment may carry.
	maxCommentImages = 3
	maxImageURLLen   = 512
	maxReasonChars   = 500
	rateWindow       = time.Hour
)

// textMoves are the moves of posts and comments: the author publishes (or
// waits for review), staff hide, restore and approve, the recheck job
// publishes or rejects, and the author, staff or an account erasure delete.
var textMoves = []Move{
	{"", model.PostPublished, []string{SideResident, SideStaff}},
	{"", model.PostPendingReview, []string{SideResident, SideStaff}},
	{model.PostPendingReview, model.PostPublished, []string{SideStaff, SideSystem}},
	{model.PostPendingReview, model.PostRejected, []string{SideSystem}},
	{model.PostPendingReview, model.PostHidden, []string{SideStaff}},
	{model.PostPendingReview, model.PostDeleted, []string{SideResident, SideStaff, SideSystem}},
	{model.PostPublished, model.PostHidden, []string{SideStaff}},
	{model.PostPublished, model.PostDeleted, []string{SideResident, SideStaff, SideSystem}},
	{model.PostHidden, model.PostPublished, []string{SideStaff}},
	{model.PostHidden, model.PostDeleted, []string{SideResident, SideStaff, SideSystem}},
}

var textStates = []string{model.PostPendingReview, model.PostPublished, model.PostHidden, model.PostRejected, model.PostDeleted}

// textEvent builds the history row of a post or comment move.
func textEvent(target string) func(st Step, at time.Time) any {
	return func(st Step, at time.Time) any {
		return &model.TextEvent{TargetType: target, TargetID: st.ID, Transition: st.record(at)}
	}
}

// postMachine keeps the circle's post_count (published posts) in step.
var postMachine = &Machine{
	Name: "post", Table: "posts", States: textStates, Moves: textMoves,
	model: func() any { return &model.Post{} },
	event: textEvent("post"),
	after: func(tx *gorm.DB, st Step, _ time.Time) error {
		return countPublished(tx, &model.Circle{}, st.Row.(*model.Post).CircleID, "post_count", st)
	},
}

// commentMachine keeps the post's comment_count (published comments) in step.
var commentMachine = &Machine{
	Name: "comment", Table: "post_comments", States: textStates, Moves: textMoves,
	model: func() any { return &model.PostComment{} },
	event: textEvent("comment"),
	after: func(tx *gorm.DB, st Step, _ time.Time) error {
		return countPublished(tx, &model.Post{}, st.Row.(*model.PostComment).PostID, "comment_count", st)
	},
}

// reportMachine: staff resolve a report by hiding its post, or dismiss it;
// its history is kept with the texts'.
var reportMachine = &Machine{
	Name: "report", Table: "post_reports",
	States: []string{model.ReportOpen, model.ReportResolved, model.ReportDismissed},
	Moves: []Move{
		{"", model.ReportOpen, []string{SideResident, SideStaff}},
		{model.ReportOpen, model.ReportResolved, []string{SideStaff}},
		{model.ReportOpen, model.ReportDismissed, []string{SideStaff}},
	},
	model: func() any { return &model.PostReport{} },
	stamp: "resolved_at",
	event: textEvent("report"),
}

// countPublished changes a count of published texts for a move (a creation
// as published counts too).
func countPublished(tx *gorm.DB, mdl any, id int64, col string, st Step) error {
	d := publishedDelta(st.From, st.To)
	if d == 0 {
		return nil
	}
	return tx.Model(mdl).Where("id = ?", id).UpdateColumn(col, gorm.Expr(col+" + ?", d)).Error
}

// publishedDelta is how a transition changes a count of published texts.
func publishedDelta(from, to string) int {
	switch {
	case from != model.PostPublished && to == model.PostPublished:
		return 1
	case from == model.PostPublished && to != model.PostPublished:
		return -1
	}
	return 0
}

// canSeeText: residents see published texts and their own pending ones;
// staff see everything.
func canSeeText(p Principal, status string, authorID int64) bool {
	switch {
	case p.IsStaff(), status == model.PostPublished:
		return true
	case status == model.PostPendingReview:
		return p.UserID != 0 && authorID == p.UserID
	}
	return false
}

// PostInput is a post to create.
type PostInput struct {
	Content string
	// ImageURLs are outside https URLs (deprecated: use UploadIDs).
	ImageURLs []string
	// UploadIDs are the caller's uploads of purpose post, in order.
	UploadIDs []int64
	Anonymous bool
}

// PostView is a post as the caller sees it.
type PostView struct {
	model.Post
	// Author is nil when it is hidden from the caller (anonymous posts).
	Author *model.User
	Liked  bool
	Mine   bool
	// ForStaff: the caller is staff, so moderation fields are shown.
	ForStaff bool
	// Images are the attached uploads the caller may see (an image waiting
	// for WeChat's check is shown to its uploader and staff only).
	Images []UploadView
}

// CommentView is a comment as the caller sees it.
type CommentView struct {
	model.PostComment
	Author *model.User
	// ByPostAuthor: written by the post's author (楼主).
	ByPostAuthor bool
	Mine         bool
	ForStaff     bool
	// Images are the attached uploads the caller may see.
	Images []UploadView
}

func checkText(field, text string) (string, error) {
	t := strings.TrimSpace(text)
	if n := utf8.RuneCountInString(t); n < 1 || n > maxTextChars {
		return "", InvalidField(field, fmt.Sprintf("must be 1 to %d characters", maxTextChars))
	}
	return t, nil
}

func checkImages(urls []string) ([]string, error) {
	if len(urls) > maxPostImages {
		return nil, InvalidField("image_urls", fmt.Sprintf("must have at most %d items", maxPostImages))
	}
	out := make([]string, 0, len(urls))
	for i, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(raw) > maxImageURLLen || strings.ContainsAny(raw, " \t\r\n") {
			return nil, InvalidField(fmt.Sprintf("image_urls[%d]", i), fmt.Sprintf("must be an https URL of at most %d characters", maxImageURLLen))
		}
		out = append(out, raw)
	}
	return out, nil
}

// writer loads the caller for a post or comment in a circle: a member, not
// muted.
func (s *CircleService) writer(db *gorm.DB, p Principal, circleID int64) (model.User, error) {
	var u model.User
	if err := db.Select("id", "open_id").First(&u, p.UserID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return u, ErrUnauthorized
		}
		return u, err
	}
	member, err := isMember(db, circleID, p.UserID)
	if err != nil {
		return u, err
	}
	if !member {
		return u, ErrNotACircleMember
	}
	var mute model.CircleMute
	err = db.Where("user_id = ? AND ends_at > ?", p.UserID, s.clock.Now()).Limit(1).Find(&mute).Error
	if err != nil {
		return u, err
	}
	if mute.ID != 0 {
		until := mute.EndsAt.In(s.loc)
		return u, ErrMuted.Msg("you may not post or comment in circles until %s", until.Format("2006-01-02 15:04")).
			With(map[string]any{"until": until.Format(time.RFC3339)})
	}
	return u, nil
}

// screen runs a text through the rate limit, the blocked words and WeChat's
// content-security check, and says in which state to store it: published
// (pass), pending_review for staff (review) or pending_review for the
// recheck job (WeChat did not answer). Risky text is refused.
func (s *CircleService) screen(ctx context.Context, u model.User, scene TextScene, action string, limit int, text string) (status, check string, err error) {
	if err := s.limiter.hit(ctx, action, u.ID, limit, rateWindow); err != nil {
		return "", "", err
	}
	if s.blocked.match(text) {
		return "", "", ErrContentRejected.With(map[string]any{"source": "blocked_words"})
	}
	verdict, err := s.checker.CheckText(ctx, u.OpenID, scene, text)
	switch {
	case err != nil:
		s.log.Warn("content check failed; text kept for recheck", "action", action, "err", err.Error())
		return model.PostPendingReview, model.PostCheckRecheck, nil
	case verdict == VerdictRisky:
		return "", "", ErrContentRejected.With(map[string]any{"source": "wechat"})
	case verdict == VerdictReview:
		return model.PostPendingReview, model.PostCheckStaff, nil
	}
	return model.PostPublished, model.PostCheckDone, nil
}

// CreatePost publishes a post in a circle, after the content checks.
func (s *CircleService) CreatePost(ctx context.Context, p Principal, circleID int64, in PostInput) (PostView, error) {
	content, err := checkText("content", in.Content)
	if err != nil {
		return PostView{}, err
	}
	images, err := checkImages(in.ImageURLs)
	if err != nil {
		return PostView{}, err
	}
	if len(images)+len(in.UploadIDs) > maxPostImages {
		return PostView{}, InvalidField("upload_ids", fmt.Sprintf("must have at most %d images with image_urls", maxPostImages))
	}
	if len(in.UploadIDs) > 0 && s.Uploads == nil {
		return PostView{}, InvalidField("upload_ids", "uploads are not enabled")
	}
	db := s.db.WithContext(ctx)
	var c model.Circle
	if err := db.First(&c, circleID).Error; err != nil {
		return PostView{}, notFound(err)
	}
	u, err := s.writer(db, p, circleID)
	if err != nil {
		return PostView{}, err
	}
	status, check, err := s.screen(ctx, u, SceneForum, "post", s.postLimit, content)
	if err != nil {
		return PostView{}, err
	}
	now := s.clock.Now()
	post := model.Post{CircleID: circleID, UserID: p.UserID, Content: content, ImageURLs: images, Anonymous: in.Anonymous,
		Status: status, CheckState: check, CreatedAt: now, UpdatedAt: now}
	if check == model.PostCheckRecheck {
		post.NextCheckAt = &now
	}
	err = transact(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Create(&post).Error; err != nil {
			return err
		}
		if _, err := Attach(tx, now, p.UserID, model.UploadPost, "post", post.ID, in.UploadIDs); err != nil {
			return err
		}
		st := Step{ID: post.ID, To: status, By: actorOf(p), Row: &post}
		if err := postMachine.Start(tx, now, st); err != nil {
			return err
		}
		return countPublished(tx, &model.Circle{}, circleID, "post_count", st)
	})
	if err != nil {
		return PostView{}, err
	}
	return s.postView(db, p, post)
}

// Feed lists a circle's published posts newest first (and the caller's own
// posts waiting for review). The cursor is the last id seen, so posts
// arriving between pages never shift the next page.
func (s *CircleService) Feed(ctx context.Context, p Principal, circleID int64, pg pagination.Page) ([]PostView, string, error) {
	db := s.db.WithContext(ctx)
	var c model.Circle
	if err := db.First(&c, circleID).Error; err != nil {
		return nil, "", notFound(err)
	}
	// Two reads of ix_post_feed (circle, status, id) merged: the published
	// posts and the caller's own waiting for review.
	q := db.Where("circle_id = ?", circleID)
	reads := []*gorm.DB{fork(q).Where("status = ?", model.PostPublished),
		fork(q).Where("status = ? AND user_id = ?", model.PostPendingReview, p.UserID)}
	rows, next, err := findPageByIDEach(reads, pg, true, func(r model.Post) int64 { return r.ID })
	if err != nil {
		return nil, "", err
	}
	views, err := s.postViews(db, p, rows)
	return views, next, err
}

// Post returns one post the caller may see.
func (s *CircleService) Post(ctx context.Context, p Principal, id int64) (PostView, error) {
	db := s.db.WithContext(ctx)
	post, err := visiblePost(db, p, id)
	if err != nil {
		return PostView{}, err
	}
	return s.postView(db, p, post)
}

func visiblePost(db *gorm.DB, p Principal, id int64) (model.Post, error) {
	var post model.Post
	if err := db.First(&post, id).Error; err != nil {
		return post, notFound(err)
	}
	if !canSeeText(p, post.Status, post.UserID) {
		return post, ErrNotFound
	}
	return post, nil
}

// openPost is a visible post that takes comments, likes and reports.
func openPost(db *gorm.DB, p Principal, id int64) (model.Post, error) {
	post, err := visiblePost(db, p, id)
	if err == nil && post.Status != model.PostPublished {
		return post, ErrPostNotPublished.With(map[string]any{"status": post.Status})
	}
	return post, err
}

// DeletePost soft-deletes a post: its author or staff may. Its photos are
// deleted with it.
func (s *CircleService) DeletePost(ctx context.Context, p Principal, id int64) error {
	err := s.deletePost(ctx, p, id)
	if err == nil && s.Uploads != nil {
		// The post's photos and those of its comments.
		var commentIDs []int64
		derr := s.db.WithContext(ctx).Model(&model.PostComment{}).Where("post_id = ?", id).Pluck("id", &commentIDs).Error
		if derr == nil {
			derr = s.Uploads.DeleteAttached(ctx, "post", []int64{id})
		}
		if derr == nil {
			derr = s.Uploads.DeleteAttached(ctx, "comment", commentIDs)
		}
		if derr != nil {
			s.log.Warn("photos of a deleted post not deleted", "post_id", id, "err", derr.Error())
		}
	}
	return err
}

func (s *CircleService) deletePost(ctx context.Context, p Principal, id int64) error {
	return transact(ctx, s.db, func(tx *gorm.DB) error {
		post, err := visiblePost(tx, p, id)
		if err != nil {
			return err
		}
		if !p.IsStaff() && post.UserID != p.UserID {
			return ErrForbidden.Msg("only the author or staff may delete a post")
		}
		now := s.clock.Now()
		if err := s.movePost(tx, &post, model.PostDeleted, actorOf(p), "", map[string]any{"deleted_by": p.UserID, "deleted_at": now,
			"check_state": model.PostCheckDone, "next_check_at": nil}); err != nil {
			return err
		}
		if post.UserID != p.UserID {
			return s.audit(tx, p.UserID, ModDeletePost, "post", post.ID, "", "")
		}
		return nil
	})
}

// movePost applies one post move through the machine and reads post again.
func (s *CircleService) movePost(tx *gorm.DB, post *model.Post, to string, by Actor, reason string, set map[string]any) error {
	return postMachine.Apply(tx, s.clock.Now(), Step{ID: post.ID, From: post.Status, To: to, By: by, Reason: reason, Set: set, Row: post})
}

// moveComment is movePost for comments.
func (s *CircleService) moveComment(tx *gorm.DB, c *model.PostComment, to string, by Actor, reason string, set map[string]any) error {
	return commentMachine.Apply(tx, s.clock.Now(), Step{ID: c.ID, From: c.Status, To: to, By: by, Reason: reason, Set: set, Row: c})
}

func (s *CircleService) postView(db *gorm.DB, p Principal, post model.Post) (PostView, error) {
	vs, err := s.postViews(db, p, []model.Post{post})
	if err != nil {
		return PostView{}, err
	}
	return vs[0], nil
}

// postViews adds authors (unless anonymous to the caller) and the caller's
// likes.
func (s *CircleService) postViews(db *gorm.DB, p Principal, posts []model.Post) ([]PostView, error) {
	out := make([]PostView, 0, len(posts))
	if len(posts) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(posts))
	uids := make([]int64, 0, len(posts))
	for _, x := range posts {
		ids = append(ids, x.ID)
		uids = append(uids, x.UserID)
	}
	users, err := usersByID(db, uids)
	if err != nil {
		return nil, err
	}
	liked := map[int64]bool{}
	if p.UserID != 0 {
		var lids []int64
		if err := db.Model(&model.PostLike{}).Where("user_id = ? AND post_id IN ?", p.UserID, ids).Pluck("post_id", &lids).Error; err != nil {
			return nil, err
		}
		for _, id := range lids {
			liked[id] = true
		}
	}
	images := map[int64][]model.Upload{}
	if s.Uploads != nil {
		if images, err = s.Uploads.attachedIn(db, "post", ids); err != nil {
			return nil, err
		}
	}
	for _, x := range posts {
		v := PostView{Post: x, Liked: liked[x.ID], Mine: p.UserID != 0 && x.UserID == p.UserID, ForStaff: p.IsStaff()}
		for _, u := range images[x.ID] {
			if VisibleTo(u, p) {
				v.Images = append(v.Images, UploadView{Upload: u, URL: s.Uploads.URL(u.BlobKey)})
			}
		}
		if !x.Anonymous || v.ForStaff || v.Mine {
			if u, ok := users[x.UserID]; ok {
				v.Author = &u
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func usersByID(db *gorm.DB, ids []int64) (map[int64]model.User, error) {
	var us []model.User
	if err := db.Select("id", "nickname", "avatar_url", "role").Where("id IN ?", ids).Find(&us).Error; err != nil {
		return nil, err
	}
	return indexBy(us, func(u model.User) int64 { return u.ID }), nil
}

// CreateComment comments on a published post, after the content checks.
// uploadIDs are the caller's uploads of purpose comment (at most 3).
func (s *CircleService) CreateComment(ctx context.Context, p Principal, postID int64, text string, uploadIDs []int64) (CommentView, error) {
	content, err := checkText("content", text)
	if err != nil {
		return CommentView{}, err
	}
	if len(uploadIDs) > maxCommentImages {
		return CommentView{}, InvalidField("upload_ids", fmt.Sprintf("must have at most %d items", maxCommentImages))
	}
	if len(uploadIDs) > 0 && s.Uploads == nil {
		return CommentView{}, InvalidField("upload_ids", "uploads are not enabled")
	}
	db := s.db.WithContext(ctx)
	post, err := openPost(db, p, postID)
	if err != nil {
		return CommentView{}, err
	}
	u, err := s.writer(db, p, post.CircleID)
	if err != nil {
		return CommentView{}, err
	}
	status, check, err := s.screen(ctx, u, SceneComment, "comment", s.commentLimit, content)
	if err != nil {
		return CommentView{}, err
	}
	now := s.clock.Now()
	c := model.PostComment{PostID: postID, UserID: p.UserID, Content: content, Status: status, CheckState: check,
		CreatedAt: now, UpdatedAt: now}
	if check == model.PostCheckRecheck {
		c.NextCheckAt = &now
	}
	err = transact(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		if _, err := Attach(tx, now, p.UserID, model.UploadComment, "comment", c.ID, uploadIDs); err != nil {
			return err
		}
		st := Step{ID: c.ID, To: status, By: actorOf(p), Row: &c}
		if err := commentMachine.Start(tx, now, st); err != nil {
			return err
		}
		return countPublished(tx, &model.Post{}, postID, "comment_count", st)
	})
	if err != nil {
		return CommentView{}, err
	}
	vs, err := s.commentViews(db, p, post, []model.PostComment{c})
	if err != nil {
		return CommentView{}, err
	}
	return vs[0], nil
}

// Comments lists a post's comments oldest first: published ones and the
// caller's own waiting for review (staff see all).
func (s *CircleService) Comments(ctx context.Context, p Principal, postID int64, pg pagination.Page) ([]CommentView, string, error) {
	var cur idCursor
	if err := decodeCursor(pg.Cursor, &cur); err != nil {
		return nil, "", err
	}
	limit := pageLimit(pg.Limit)
	db := s.db.WithContext(ctx)
	post, err := visiblePost(db, p, postID)
	if err != nil {
		return nil, "", err
	}
	q := db.Where("post_id = ? AND id > ?", postID, cur.ID)
	if !p.IsStaff() {
		q = q.Where("(status = ? OR (status = ? AND user_id = ?))", model.PostPublished, model.PostPendingReview, p.UserID)
	}
	var rows []model.PostComment
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = pagination.Encode(idCursor{ID: rows[limit-1].ID})
	}
	views, err := s.commentViews(db, p, post, rows)
	return views, next, err
}

// commentViews adds authors; the author of an anonymous post stays
// anonymous in its comments too.
func (s *CircleService) commentViews(db *gorm.DB, p Principal, post model.Post, cs []model.PostComment) ([]CommentView, error) {
	out := make([]CommentView, 0, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	uids := make([]int64, 0, len(cs))
	for _, c := range cs {
		uids = append(uids, c.UserID)
	}
	users, err := usersByID(db, uids)
	if err != nil {
		return nil, err
	}
	images := map[int64][]model.Upload{}
	if s.Uploads != nil {
		ids := make([]int64, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		if images, err = s.Uploads.attachedIn(db, "comment", ids); err != nil {
			return nil, err
		}
	}
	for _, c := range cs {
		v := CommentView{PostComment: c, ByPostAuthor: c.UserID == post.UserID, Mine: p.UserID != 0 && c.UserID == p.UserID,
			ForStaff: p.IsStaff()}
		for _, u := range images[c.ID] {
			if VisibleTo(u, p) {
				v.Images = append(v.Images, UploadView{Upload: u, URL: s.Uploads.URL(u.BlobKey)})
			}
		}
		if !(post.Anonymous && v.ByPostAuthor) || v.ForStaff || v.Mine {
			if u, ok := users[c.UserID]; ok {
				v.Author = &u
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// Like likes a post; liking again changes nothing.
func (s *CircleService) Like(ctx context.Context, p Principal, postID int64) (PostView, error) {
	return s.setLike(ctx, p, postID, true)
}

// Unlike takes a like back; unliking again changes nothing.
func (s *CircleService) Unlike(ctx context.Context, p Principal, postID int64) (PostView, error) {
	return s.setLike(ctx, p, postID, false)
}

// setLike inserts or deletes the like row; the unique (post_id, user_id) key
// decides whether anything changed, and like_count moves in the database in
// the same transaction.
func (s *CircleService) setLike(ctx context.Context, p Principal, postID int64, like bool) (PostView, error) {
	var out PostView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		post, err := openPost(tx, p, postID)
		if err != nil {
			return err
		}
		changed := false
		delta := "like_count + 1"
		if like {
			// A duplicate of the unique key is a like that exists.
			err := tx.Create(&model.PostLike{PostID: postID, UserID: p.UserID, CreatedAt: s.clock.Now()}).Error
			if err != nil && !isDuplicate(err) {
				return err
			}
			changed = err == nil
		} else {
			res := tx.Where("post_id = ? AND user_id = ?", postID, p.UserID).Delete(&model.PostLike{})
			if res.Error != nil {
				return res.Error
			}
			changed, delta = res.RowsAffected == 1, "like_count - 1"
		}
		if changed {
			if err := tx.Model(&model.Post{}).Where("id = ?", postID).UpdateColumn("like_count", gorm.Expr(delta)).Error; err != nil {
				return err
			}
		}
		if err := tx.First(&post, postID).Error; err != nil {
			return notFound(err)
		}
		out, err = s.postView(tx, p, post)
		return err
	})
	return out, err
}

// Report reports a published post to staff, once per user and post.
func (s *CircleService) Report(ctx context.Context, p Principal, postID int64, reason string) (model.PostReport, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 1 || n > maxReasonChars {
		return model.PostReport{}, InvalidField("reason", fmt.Sprintf("must be 1 to %d characters", maxReasonChars))
	}
	var r model.PostReport
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		post, err := openPost(tx, p, postID)
		if err != nil {
			return err
		}
		r = model.PostReport{PostID: postID, ReporterID: p.UserID, CircleID: post.CircleID, Reason: reason,
			Status: model.ReportOpen, CreatedAt: s.clock.Now()}
		if err := tx.Create(&r).Error; err != nil {
			if isDuplicate(err) {
				return ErrAlreadyReported
			}
			return err
		}
		if err := reportMachine.Start(tx, r.CreatedAt, Step{ID: r.ID, To: model.ReportOpen, By: actorOf(p)}); err != nil {
			return err
		}
		return tx.Model(&model.Post{}).Where("id = ?", postID).UpdateColumn("report_count", gorm.Expr("report_count + 1")).Error
	})
	return r, err
}
