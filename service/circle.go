package service

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"

	"gorm.io/gorm"
)

// Circle errors (API.md, "Circles").
var (
	ErrNotACircleMember = newErr(KindForbidden, "not_a_member", "join the circle first")
	ErrContentRejected  = newErr(KindInvalid, "content_rejected", "this text cannot be published")
	ErrMuted            = newErr(KindForbidden, "muted", "you may not post or comment in circles for now")
	ErrAlreadyReported  = newErr(KindConflict, "already_reported", "you have already reported this post")
	ErrPostNotPublished = newErr(KindConflict, "post_not_published", "this post is not published")
	ErrCircleExists     = newErr(KindConflict, "circle_exists", "a circle with this slug exists")
)

// Circle notification events.
const (
	EventPostHidden    = "post_hidden"
	EventPostRestored  = "post_restored"
	EventPostPublished = "post_published" // a pending_review post passed the recheck or staff approved it
	EventPostRejected  = "post_rejected"  // the recheck found a pending_review post risky
	EventCircleMuted   = "circle_muted"
)

// ContentChecker runs WeChat's text content-security check (msgSecCheck
// v2). An error means WeChat could not answer.
type ContentChecker interface {
	CheckText(ctx context.Context, openID string, scene TextScene, content string) (TextVerdict, error)
}

// CircleService runs the peer circles: membership, posts, comments, likes,
// reports, content security and staff moderation. Circles are network-wide:
// any staff member or admin moderates them.
type CircleService struct {
	db           *gorm.DB
	clock        Clock
	loc          *time.Location
	log          *slog.Logger
	checker      ContentChecker
	notify       *NotificationService
	blocked      *blockList
	limiter      *rateLimiter
	postLimit    int
	commentLimit int
	// Uploads, when set, holds the photos attached to posts (upload_ids).
	Uploads *UploadService
}

// NewCircleService builds the service; checker is the WeChat client.
func NewCircleService(deps Deps, checker ContentChecker, notify *NotificationService) *CircleService {
	return &CircleService{
		db: deps.DB, clock: deps.Clock, loc: deps.Loc, log: deps.Log, checker: checker, notify: notify,
		blocked:      newBlockList(deps.Config.BlockedWords, deps.Log),
		limiter:      newRateLimiter(deps.Redis, deps.Config.RedisPrefix, deps.Clock, deps.Log),
		postLimit:    deps.Config.PostRateLimit,
		commentLimit: deps.Config.CommentRateLimit,
	}
}

// CircleView is a circle as the caller sees it.
type CircleView struct {
	model.Circle
	Joined bool
	// Suggested: the circle's stage fits the caller's family.
	Suggested bool
}

// Circles lists every circle; for a signed-in caller it marks the joined
// ones and those whose stage fits the family.
func (s *CircleService) Circles(ctx context.Context, p Principal) ([]CircleView, error) {
	db := s.db.WithContext(ctx)
	var cs []model.Circle
	if err := db.Order("id").Find(&cs).Error; err != nil {
		return nil, err
	}
	joined := map[int64]bool{}
	stages := map[string]bool{}
	if p.UserID != 0 {
		var ids []int64
		if err := db.Model(&model.CircleMember{}).Where("user_id = ?", p.UserID).Pluck("circle_id", &ids).Error; err != nil {
			return nil, err
		}
		for _, id := range ids {
			joined[id] = true
		}
		var ms []model.Person
		if err := db.Where("id IN (?)", actsFor(db, p.UserID)).Find(&ms).Error; err != nil {
			return nil, err
		}
		stages = familyStages(ms, s.clock.Now().In(s.loc))
	}
	out := make([]CircleView, 0, len(cs))
	for _, c := range cs {
		out = append(out, CircleView{Circle: c, Joined: joined[c.ID], Suggested: c.Stage != "" && stages[c.Stage]})
	}
	return out, nil
}

// Circle life stages (the guidance library's stages).
var circleStages = map[string]bool{
	"preconception": true, "pregnancy": true, "postpartum": true, "infant_0_6m": true, "infant_6_12m": true,
	"toddler_1_3y": true, "child_3_6y": true, "elderly": true,
}

// familyStages says which life stages a family is in: each person's own
// stages (memberStages: pregnancy, a child's age, elderly), a child under 3
// makes the family a 宝妈 family (postpartum), and preconception only for a
// woman of the couple aged 20 to 49 with no pregnancy and no child under 3
// (not the 64-year-old grandmother who added herself).
func familyStages(ms []model.Person, today time.Time) map[string]bool {
	st := map[string]bool{}
	candidate := false
	for _, m := range ms {
		for _, stage := range memberStages(m, today) {
			st[stage] = true
		}
		if a, ok := AgeOf(m.BirthDate, today); ok && a.Years < 3 {
			st[model.StagePostpartum] = true
		}
		if a, ok := AgeOf(m.BirthDate, today); ok && m.Gender == "female" && a.Years >= 20 && a.Years <= 49 &&
			(m.Relation == model.RelationSelf || m.Relation == model.RelationSpouse) {
			candidate = true
		}
	}
	if candidate && !st[model.StagePregnancy] && !st[model.StagePostpartum] {
		st[model.StagePreconception] = true
	}
	return st
}

// CircleInput is a circle an admin creates.
type CircleInput struct {
	Slug, Name, Description, Stage string
}

var slugRe = regexp.MustCompile(`^[a-z][a-z0-9_-]{1,31}$`)

// CreateCircle adds a circle (admins only).
func (s *CircleService) CreateCircle(ctx context.Context, p Principal, in CircleInput) (CircleView, error) {
	if !p.IsAdmin() {
		return CircleView{}, ErrForbidden.Msg("only an admin may add circles")
	}
	c := model.Circle{Slug: strings.TrimSpace(in.Slug), Name: strings.TrimSpace(in.Name),
		Description: strings.TrimSpace(in.Description), Stage: in.Stage}
	fields := map[string]string{}
	if !slugRe.MatchString(c.Slug) {
		fields["slug"] = "must be 2 to 32 lowercase letters, digits, - or _, starting with a letter"
	}
	if n := utf8.RuneCountInString(c.Name); n < 1 || n > 64 {
		fields["name"] = "must be 1 to 64 characters"
	}
	if utf8.RuneCountInString(c.Description) > 512 {
		fields["description"] = "must be at most 512 characters"
	}
	if c.Stage != "" && !circleStages[c.Stage] {
		fields["stage"] = "is not a known stage"
	}
	if len(fields) > 0 {
		return CircleView{}, Invalid(fields)
	}
	if err := s.db.WithContext(ctx).Create(&c).Error; err != nil {
		if isDuplicate(err) {
			return CircleView{}, ErrCircleExists
		}
		return CircleView{}, err
	}
	return CircleView{Circle: c}, nil
}

// Join makes the caller a member of a circle; joining again changes nothing.
func (s *CircleService) Join(ctx context.Context, p Principal, circleID int64) (CircleView, error) {
	var out CircleView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		var c model.Circle
		if err := tx.First(&c, circleID).Error; err != nil {
			return notFound(err)
		}
		// The unique (circle_id, user_id) key decides: a duplicate is a
		// member already, and the count stays.
		err := tx.Create(&model.CircleMember{CircleID: circleID, UserID: p.UserID, CreatedAt: s.clock.Now()}).Error
		switch {
		case err == nil:
			if err := tx.Model(&model.Circle{}).Where("id = ?", circleID).
				UpdateColumn("member_count", gorm.Expr("member_count + 1")).Error; err != nil {
				return err
			}
		case !isDuplicate(err):
			return err
		}
		return s.circleView(tx, p, circleID, &out)
	})
	return out, err
}

// Leave ends the caller's membership; leaving a circle one is not in
// changes nothing.
func (s *CircleService) Leave(ctx context.Context, p Principal, circleID int64) (CircleView, error) {
	var out CircleView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		var c model.Circle
		if err := tx.First(&c, circleID).Error; err != nil {
			return notFound(err)
		}
		res := tx.Where("circle_id = ? AND user_id = ?", circleID, p.UserID).Delete(&model.CircleMember{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			if err := tx.Model(&model.Circle{}).Where("id = ?", circleID).
				UpdateColumn("member_count", gorm.Expr("member_count - 1")).Error; err != nil {
				return err
			}
		}
		return s.circleView(tx, p, circleID, &out)
	})
	return out, err
}

func (s *CircleService) circleView(tx *gorm.DB, p Principal, circleID int64, out *CircleView) error {
	if err := tx.First(&out.Circle, circleID).Error; err != nil {
		return notFound(err)
	}
	member, err := isMember(tx, circleID, p.UserID)
	out.Joined = member
	return err
}

func isMember(tx *gorm.DB, circleID, userID int64) (bool, error) {
	var n int64
	err := tx.Model(&model.CircleMember{}).Where("circle_id = ? AND user_id = ?", circleID, userID).Count(&n).Error
	return n > 0, err
}
