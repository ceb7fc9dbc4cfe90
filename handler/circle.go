package handler

import (
	"net/http"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) circleRoutes(public, authed, staff *gin.RouterGroup) {
	public.GET("/circles", a.listCircles)
	authed.POST("/circles/:id/join", a.joinCircle)
	authed.POST("/circles/:id/leave", a.leaveCircle)
	authed.GET("/circles/:id/posts", a.listPosts)
	authed.POST("/circles/:id/posts", a.idempotent(), a.createPost)
	authed.GET("/posts/:id", a.getPost)
	authed.DELETE("/posts/:id", a.deletePost)
	authed.GET("/posts/:id/comments", a.listComments)
	authed.POST("/posts/:id/comments", a.idempotent(), a.createComment)
	authed.POST("/posts/:id/like", a.likePost)
	authed.DELETE("/posts/:id/like", a.unlikePost)
	authed.POST("/posts/:id/report", a.idempotent(), a.reportPost)

	staff.POST("/circles", a.idempotent(), a.createCircle)
	staff.GET("/posts", a.staffPosts)
	staff.POST("/posts/:id/hide", a.hidePost)
	staff.POST("/posts/:id/unhide", a.unhidePost)
	staff.GET("/comments", a.staffComments)
	staff.POST("/comments/:id/hide", a.hideComment)
	staff.POST("/comments/:id/unhide", a.unhideComment)
	staff.GET("/reports", a.listReports)
	staff.POST("/reports/:id/dismiss", a.dismissReport)
	staff.POST("/users/:id/mute", a.muteUser)
	staff.DELETE("/users/:id/mute", a.unmuteUser)
	staff.GET("/moderation-logs", a.moderationLogs)
}

// CircleDTO is a peer circle.
type CircleDTO struct {
	ID          int64  `json:"id" example:"2"`
	Slug        string `json:"slug" example:"yunma"`
	Name        string `json:"name" example:"孕妈圈"`
	Description string `json:"description"`
	Stage       string `json:"stage" example:"pregnancy" enums:",preconception,pregnancy,postpartum,infant_0_6m,infant_6_12m,toddler_1_3y,child_3_6y,elderly"`
	MemberCount int    `json:"member_count"`
	PostCount   int    `json:"post_count"`
	// Joined: the caller is a member (false without a token).
	Joined bool `json:"joined"`
	// Suggested: the circle's stage fits the caller's family (a due date
	// ahead suggests 孕妈圈, a child under 3 宝妈圈…); joining never depends on it.
	Suggested bool `json:"suggested"`
}

func toCircle(c service.CircleView) CircleDTO {
	return CircleDTO{ID: c.ID, Slug: c.Slug, Name: c.Name, Description: c.Description, Stage: c.Stage,
		MemberCount: c.MemberCount, PostCount: c.PostCount, Joined: c.Joined, Suggested: c.Suggested}
}

// CircleList is every circle.
type CircleList struct {
	Items []CircleDTO `json:"items"`
}

// listCircles godoc
// @Summary   Peer circles (备孕圈, 孕妈圈, 宝妈圈), with joined and suggested for a signed-in caller
// @Tags      circles
// @Produce   json
// @Security  Bearer
// @Success   200 {object} CircleList
// @Failure   401 {object} ErrorResponse
// @Router    /api/v1/circles [get]
func (a *API) listCircles(c *gin.Context) {
	cs, err := a.svc.Circles.Circles(c.Request.Context(), principal(c))
	if err != nil {
		fail(c, err)
		return
	}
	out := CircleList{Items: make([]CircleDTO, 0, len(cs))}
	for _, x := range cs {
		out.Items = append(out.Items, toCircle(x))
	}
	ok(c, out)
}

// joinCircle godoc
// @Summary   Join a circle (idempotent)
// @Tags      circles
// @Produce   json
// @Security  Bearer
// @Param     id path int true "circle id"
// @Success   200 {object} CircleDTO
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/circles/{id}/join [post]
func (a *API) joinCircle(c *gin.Context) { onID(c, http.StatusOK, a.svc.Circles.Join, toCircle) }

// leaveCircle godoc
// @Summary   Leave a circle (idempotent)
// @Tags      circles
// @Produce   json
// @Security  Bearer
// @Param     id path int true "circle id"
// @Success   200 {object} CircleDTO
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/circles/{id}/leave [post]
func (a *API) leaveCircle(c *gin.Context) { onID(c, http.StatusOK, a.svc.Circles.Leave, toCircle) }

// CircleRequest creates a circle (admins).
type CircleRequest struct {
	Slug        string `json:"slug" binding:"required" example:"erhai"`
	Name        string `json:"name" binding:"required" example:"二胎妈妈圈"`
	Description string `json:"description"`
	Stage       string `json:"stage" example:"pregnancy" enums:"preconception,pregnancy,postpartum,infant_0_6m,infant_6_12m,toddler_1_3y,child_3_6y,elderly"`
}

// createCircle godoc
// @Summary   Add a circle (admins only)
// @Tags      circles
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     body body CircleRequest true "the circle"
// @Success   201 {object} CircleDTO
// @Failure   403 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "circle_exists"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/circles [post]
func (a *API) createCircle(c *gin.Context) {
	var req CircleRequest
	if !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Circles.CreateCircle(c.Request.Context(), principal(c),
		service.CircleInput{Slug: req.Slug, Name: req.Name, Description: req.Description, Stage: req.Stage})
	reply(c, http.StatusCreated, err, func() any { return toCircle(v) })
}

// AuthorDTO is who wrote a post or comment.
type AuthorDTO struct {
	ID        int64  `json:"id"`
	Nickname  string `json:"nickname" example:"小雨妈妈"`
	AvatarURL string `json:"avatar_url"`
	Role      string `json:"role" example:"resident" enums:"resident,staff,admin"`
}

// PostDTO is a circle post.
type PostDTO struct {
	ID       int64  `json:"id"`
	CircleID int64  `json:"circle_id"`
	Content  string `json:"content" example:"孕 20 周，最近总是腿抽筋，大家怎么补钙？"`
	// ImageURLs (deprecated: read images) are the outside URLs of old
	// clients followed by the URLs of images.
	ImageURLs []string `json:"image_urls"`
	// Images are the attached uploads the caller may see: one waiting for
	// WeChat's check (check=pending) only its author and staff see.
	Images    []PostImageDTO `json:"images"`
	Anonymous bool           `json:"anonymous"`
	// Author is absent on anonymous posts, except for staff and the author.
	Author *AuthorDTO `json:"author,omitempty"`
	// IsMine: the caller wrote it.
	IsMine bool `json:"is_mine"`
	// Status: published, or pending_review while it waits for a content
	// check (seen by its author and staff only); staff also see hidden,
	// rejected and deleted posts.
	Status       string    `json:"status" example:"published" enums:"published,pending_review,hidden,rejected,deleted"`
	LikeCount    int       `json:"like_count"`
	CommentCount int       `json:"comment_count"`
	Liked        bool      `json:"liked"`
	CreatedAt    time.Time `json:"created_at"`
	// Staff only: reports received, why it was hidden or rejected, why it
	// waits (recheck: WeChat did not answer; staff: WeChat asked for review).
	ReportCount      int    `json:"report_count,omitempty"`
	ModerationReason string `json:"moderation_reason,omitempty"`
	CheckState       string `json:"check_state,omitempty" enums:"recheck,staff"`
}

// PostImageDTO is an uploaded image on a post.
type PostImageDTO struct {
	UploadID int64  `json:"upload_id"`
	URL      string `json:"url"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Check    string `json:"check" enums:"none,pending,pass,review"`
}

func (a *API) toPost(p service.PostView) PostDTO {
	d := PostDTO{ID: p.ID, CircleID: p.CircleID, Content: p.Content, ImageURLs: append([]string{}, p.ImageURLs...), Anonymous: p.Anonymous,
		IsMine: p.Mine, Status: p.Status, LikeCount: p.LikeCount, CommentCount: p.CommentCount, Liked: p.Liked,
		CreatedAt: a.timeIn(p.CreatedAt), Images: make([]PostImageDTO, 0, len(p.Images))}
	for _, im := range p.Images {
		d.Images = append(d.Images, PostImageDTO{UploadID: im.ID, URL: im.URL, Width: im.Width, Height: im.Height, Check: im.CheckState})
		d.ImageURLs = append(d.ImageURLs, im.URL)
	}
	if p.Author != nil {
		d.Author = &AuthorDTO{ID: p.Author.ID, Nickname: p.Author.Nickname, AvatarURL: p.Author.AvatarURL, Role: p.Author.Role}
	}
	if p.ForStaff {
		d.ReportCount, d.ModerationReason, d.CheckState = p.ReportCount, p.ModReason, p.CheckState
	}
	return d
}

// PostList is a page of posts.
type PostList struct {
	Items      []PostDTO `json:"items"`
	NextCursor string    `json:"next_cursor"`
}

func (a *API) toPostList(ps []service.PostView, next string) PostList {
	return PostList{Items: listOf(ps, a.toPost), NextCursor: next}
}

// listPosts godoc
// @Summary   A circle's feed, newest first (hidden posts excluded; the caller's own posts waiting for review included)
// @Tags      circles
// @Produce   json
// @Security  Bearer
// @Param     id     path  int    true  "circle id"
// @Param     limit  query int    false "page size (1-100, default 20)"
// @Param     cursor query string false "next_cursor of the previous page"
// @Success   200 {object} PostList
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/circles/{id}/posts [get]
func (a *API) listPosts(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	p, okPage := page(c)
	if !okPage {
		return
	}
	ps, next, err := a.svc.Circles.Feed(c.Request.Context(), principal(c), id, p)
	reply(c, http.StatusOK, err, func() any { return a.toPostList(ps, next) })
}

// PostRequest creates a post.
type PostRequest struct {
	// 1 to 2000 characters (not bytes).
	Content string `json:"content" validate:"required,min=1,max=2000" example:"孕 20 周，最近总是腿抽筋，大家怎么补钙？"`
	// Deprecated (kept for clients released before uploads): up to 9 https
	// URLs hosted elsewhere. Use upload_ids.
	ImageURLs []string `json:"image_urls"`
	// Ids from POST /uploads (purpose post, the caller's own, not yet
	// attached); at most 9 images in all.
	UploadIDs []int64 `json:"upload_ids"`
	// Hide the author from other residents (staff still see it).
	Anonymous bool `json:"anonymous"`
}

// createPost godoc
// @Summary      Post in a circle (members only)
// @Description  The text goes through the blocked words and WeChat's content-security check first: risky text is refused (422 content_rejected, nothing stored); when WeChat does not answer or asks for a human review, the post is stored as pending_review (seen by its author and staff only) until the recheck job or staff decide. Posting is limited per user and hour (429 rate_limited with Retry-After). Accepts an Idempotency-Key header.
// @Tags         circles
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int         true "circle id"
// @Param        body body PostRequest true "the post"
// @Param        Idempotency-Key header string false "replays the first answer for 24 h"
// @Success      201 {object} PostDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse "not_a_member, muted (details.until)"
// @Failure      404 {object} ErrorResponse
// @Failure      422 {object} ErrorResponse "invalid_request, content_rejected, upload_not_usable"
// @Failure      429 {object} ErrorResponse "rate_limited"
// @Router       /api/v1/circles/{id}/posts [post]
func (a *API) createPost(c *gin.Context) {
	var req PostRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Circles.CreatePost(c.Request.Context(), principal(c), id,
		service.PostInput{Content: req.Content, ImageURLs: req.ImageURLs, UploadIDs: req.UploadIDs, Anonymous: req.Anonymous})
	reply(c, http.StatusCreated, err, func() any { return a.toPost(v) })
}

// getPost godoc
// @Summary   One post (hidden and deleted posts are 404 for residents)
// @Tags      circles
// @Produce   json
// @Security  Bearer
// @Param     id path int true "post id"
// @Success   200 {object} PostDTO
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/posts/{id} [get]
func (a *API) getPost(c *gin.Context) { onID(c, http.StatusOK, a.svc.Circles.Post, a.toPost) }

// deletePost godoc
// @Summary   Delete a post (its author or staff; soft delete)
// @Tags      circles
// @Security  Bearer
// @Param     id path int true "post id"
// @Success   204
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse "not the author"
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Router    /api/v1/posts/{id} [delete]
func (a *API) deletePost(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	if err := a.svc.Circles.DeletePost(c.Request.Context(), principal(c), id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// CommentDTO is a comment on a post.
type CommentDTO struct {
	ID      int64  `json:"id"`
	PostID  int64  `json:"post_id"`
	Content string `json:"content" validate:"required,min=1,max=2000" example:"可以多喝牛奶，也问问产检医生要不要补钙片。"`
	// Author is absent when the author of an anonymous post comments on it
	// (except for staff and the author).
	Author *AuthorDTO `json:"author,omitempty"`
	// ByPostAuthor: written by the post's author (楼主).
	ByPostAuthor     bool      `json:"by_post_author"`
	IsMine           bool      `json:"is_mine"`
	Status           string    `json:"status" example:"published" enums:"published,pending_review,hidden,rejected"`
	CreatedAt        time.Time `json:"created_at"`
	ModerationReason string    `json:"moderation_reason,omitempty"`
	CheckState       string    `json:"check_state,omitempty" enums:"recheck,staff"`
	// Images are the attached uploads the caller may see (one waiting for
	// WeChat's check only its author and staff see).
	Images []PostImageDTO `json:"images"`
}

func (a *API) toComment(v service.CommentView) CommentDTO {
	d := CommentDTO{ID: v.ID, PostID: v.PostID, Content: v.Content, ByPostAuthor: v.ByPostAuthor, IsMine: v.Mine,
		Status: v.Status, CreatedAt: a.timeIn(v.CreatedAt), Images: make([]PostImageDTO, 0, len(v.Images))}
	for _, im := range v.Images {
		d.Images = append(d.Images, PostImageDTO{UploadID: im.ID, URL: im.URL, Width: im.Width, Height: im.Height, Check: im.CheckState})
	}
	if v.Author != nil {
		d.Author = &AuthorDTO{ID: v.Author.ID, Nickname: v.Author.Nickname, AvatarURL: v.Author.AvatarURL, Role: v.Author.Role}
	}
	if v.ForStaff {
		d.ModerationReason, d.CheckState = v.ModReason, v.CheckState
	}
	return d
}

// CommentList is a page of comments.
type CommentList struct {
	Items      []CommentDTO `json:"items"`
	NextCursor string       `json:"next_cursor"`
}

func (a *API) toCommentList(cs []service.CommentView, next string) CommentList {
	return CommentList{Items: listOf(cs, a.toComment), NextCursor: next}
}

// listComments godoc
// @Summary   A post's comments, oldest first
// @Tags      circles
// @Produce   json
// @Security  Bearer
// @Param     id     path  int    true  "post id"
// @Param     limit  query int    false "page size (1-100, default 20)"
// @Param     cursor query string false "next_cursor of the previous page"
// @Success   200 {object} CommentList
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/posts/{id}/comments [get]
func (a *API) listComments(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	p, okPage := page(c)
	if !okPage {
		return
	}
	cs, next, err := a.svc.Circles.Comments(c.Request.Context(), principal(c), id, p)
	reply(c, http.StatusOK, err, func() any { return a.toCommentList(cs, next) })
}

// CommentRequest creates a comment.
type CommentRequest struct {
	// 1 to 2000 characters.
	Content string `json:"content" validate:"required,min=1,max=2000" example:"可以多喝牛奶，也问问产检医生要不要补钙片。"`
	// Ids from POST /uploads (purpose comment, the caller's own), at most 3.
	UploadIDs []int64 `json:"upload_ids"`
}

// createComment godoc
// @Summary      Comment on a published post (circle members only)
// @Description  Same checks as posts: blocked words and WeChat content security (422 content_rejected; pending_review when WeChat does not answer), the comment rate limit (429 rate_limited), membership (403 not_a_member) and mutes (403 muted). Accepts an Idempotency-Key header.
// @Tags         circles
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        id   path int            true "post id"
// @Param        body body CommentRequest true "the comment"
// @Param        Idempotency-Key header string false "replays the first answer for 24 h"
// @Success      201 {object} CommentDTO
// @Failure      401 {object} ErrorResponse
// @Failure      403 {object} ErrorResponse "not_a_member, muted"
// @Failure      404 {object} ErrorResponse
// @Failure      409 {object} ErrorResponse "post_not_published"
// @Failure      422 {object} ErrorResponse "invalid_request, content_rejected"
// @Failure      429 {object} ErrorResponse "rate_limited"
// @Router       /api/v1/posts/{id}/comments [post]
func (a *API) createComment(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	var req CommentRequest
	if !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Circles.CreateComment(c.Request.Context(), principal(c), id, req.Content, req.UploadIDs)
	reply(c, http.StatusCreated, err, func() any { return a.toComment(v) })
}

// LikeDTO is the caller's like of a post.
type LikeDTO struct {
	PostID    int64 `json:"post_id"`
	Liked     bool  `json:"liked"`
	LikeCount int   `json:"like_count"`
}

// likePost godoc
// @Summary   Like a post (idempotent)
// @Tags      circles
// @Produce   json
// @Security  Bearer
// @Param     id path int true "post id"
// @Success   200 {object} LikeDTO
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "post_not_published"
// @Router    /api/v1/posts/{id}/like [post]
func (a *API) likePost(c *gin.Context) { a.circleLike(c, true) }

// unlikePost godoc
// @Summary   Take a like back (idempotent)
// @Tags      circles
// @Produce   json
// @Security  Bearer
// @Param     id path int true "post id"
// @Success   200 {object} LikeDTO
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "post_not_published"
// @Router    /api/v1/posts/{id}/like [delete]
func (a *API) unlikePost(c *gin.Context) { a.circleLike(c, false) }

func (a *API) circleLike(c *gin.Context, like bool) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	var (
		v   service.PostView
		err error
	)
	if like {
		v, err = a.svc.Circles.Like(c.Request.Context(), principal(c), id)
	} else {
		v, err = a.svc.Circles.Unlike(c.Request.Context(), principal(c), id)
	}
	reply(c, http.StatusOK, err, func() any { return LikeDTO{PostID: v.ID, Liked: v.Liked, LikeCount: v.LikeCount} })
}

// ReportRequest reports a post.
type ReportRequest struct {
	Reason string `json:"reason" binding:"required" example:"广告推销"`
}

// ReportDTO is a report of a post.
type ReportDTO struct {
	ID         int64      `json:"id"`
	PostID     int64      `json:"post_id"`
	CircleID   int64      `json:"circle_id"`
	ReporterID int64      `json:"reporter_id"`
	Reason     string     `json:"reason"`
	Status     string     `json:"status" example:"open" enums:"open,resolved,dismissed"`
	Resolution string     `json:"resolution,omitempty"`
	ResolvedBy int64      `json:"resolved_by,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	// Post is the reported post (staff views).
	Post *PostDTO `json:"post,omitempty"`
}

func (a *API) toReport(r service.ReportView) ReportDTO {
	d := ReportDTO{ID: r.ID, PostID: r.PostID, CircleID: r.CircleID, ReporterID: r.ReporterID, Reason: r.Reason,
		Status: r.Status, Resolution: r.Resolution, ResolvedBy: r.ResolvedBy, ResolvedAt: a.timePtr(r.ResolvedAt),
		CreatedAt: a.timeIn(r.CreatedAt)}
	if r.Post != nil {
		p := a.toPost(*r.Post)
		d.Post = &p
	}
	return d
}

// reportPost godoc
// @Summary   Report a post to staff (once per user and post)
// @Tags      circles
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int           true "post id"
// @Param     body body ReportRequest true "why"
// @Success   201 {object} ReportDTO
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "already_reported, post_not_published"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/posts/{id}/report [post]
func (a *API) reportPost(c *gin.Context) {
	var req ReportRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	r, err := a.svc.Circles.Report(c.Request.Context(), principal(c), id, req.Reason)
	reply(c, http.StatusCreated, err, func() any { return a.toReport(service.ReportView{PostReport: r}) })
}
