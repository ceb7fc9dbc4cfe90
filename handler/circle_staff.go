package handler

import (
	"net/http"
	"time"

	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

// Circle moderation is network-wide: every staff member and admin may
// moderate every circle (circles do not belong to a clinic).

// StaffPostQuery filters the staff list of posts.
type StaffPostQuery struct {
	Status   string `form:"status" binding:"omitempty,oneof=published pending_review hidden rejected deleted"`
	CircleID int64  `form:"circle_id" binding:"omitempty,min=1"`
	UserID   int64  `form:"user_id" binding:"omitempty,min=1"`
}

// staffPosts godoc
// @Summary   Posts in any state, newest first (e.g. ?status=pending_review: the review queue)
// @Tags      circle moderation
// @Produce   json
// @Security  Bearer
// @Param     status    query string false "state" Enums(published,pending_review,hidden,rejected,deleted)
// @Param     circle_id query int    false "circle"
// @Param     user_id   query int    false "author"
// @Param     limit     query int    false "page size (1-100, default 20)"
// @Param     cursor    query string false "next_cursor of the previous page"
// @Success   200 {object} PostList
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/posts [get]
func (a *API) staffPosts(c *gin.Context) {
	var q StaffPostQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	ps, next, err := a.svc.Circles.StaffPosts(c.Request.Context(), principal(c),
		service.StaffPostFilter{Status: q.Status, CircleID: q.CircleID, UserID: q.UserID}, p)
	reply(c, http.StatusOK, err, func() any { return a.toPostList(ps, next) })
}

// ModerationRequest gives the reason of a moderation action (required to
// hide, optional otherwise).
type ModerationRequest struct {
	Reason string `json:"reason" validate:"max=500" example:"含有广告推销内容"`
}

// HideRequest gives the required reason of hiding a post or a comment.
type HideRequest struct {
	Reason string `json:"reason" validate:"required,min=1,max=500" example:"含有广告推销内容"`
}

// hideReason is the reason of a hide request.
func hideReason(r HideRequest) string { return r.Reason }

// hidePost godoc
// @Summary   Hide a post (published or pending_review) with a reason; the author is notified (post_hidden) and open reports are resolved
// @Tags      circle moderation
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int               true "post id"
// @Param     body body HideRequest true "the reason"
// @Success   200 {object} PostDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/posts/{id}/hide [post]
func (a *API) hidePost(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Circles.HidePost, hideReason, a.toPost)
}

// unhidePost godoc
// @Summary   Publish a hidden post again, or approve a post waiting in pending_review; the author is notified
// @Tags      circle moderation
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int               true  "post id"
// @Param     body body ModerationRequest false "reason (optional)"
// @Success   200 {object} PostDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/posts/{id}/unhide [post]
func (a *API) unhidePost(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Circles.UnhidePost, modReason, a.toPost)
}

// modReason is the reason of a moderation request.
func modReason(r ModerationRequest) string { return r.Reason }

// StaffCommentQuery filters the staff list of comments.
type StaffCommentQuery struct {
	Status string `form:"status" binding:"omitempty,oneof=published pending_review hidden rejected"`
	PostID int64  `form:"post_id" binding:"omitempty,min=1"`
}

// staffComments godoc
// @Summary   Comments in any state, newest first
// @Tags      circle moderation
// @Produce   json
// @Security  Bearer
// @Param     status  query string false "state" Enums(published,pending_review,hidden,rejected)
// @Param     post_id query int    false "post"
// @Param     limit   query int    false "page size (1-100, default 20)"
// @Param     cursor  query string false "next_cursor of the previous page"
// @Success   200 {object} CommentList
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/comments [get]
func (a *API) staffComments(c *gin.Context) {
	var q StaffCommentQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	cs, next, err := a.svc.Circles.StaffComments(c.Request.Context(), principal(c),
		service.StaffCommentFilter{Status: q.Status, PostID: q.PostID}, p)
	reply(c, http.StatusOK, err, func() any { return a.toCommentList(cs, next) })
}

// hideComment godoc
// @Summary   Hide a comment with a reason; its author is notified (comment_hidden)
// @Tags      circle moderation
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int               true "comment id"
// @Param     body body HideRequest true "the reason"
// @Success   200 {object} CommentDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/comments/{id}/hide [post]
func (a *API) hideComment(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Circles.HideComment, hideReason, a.toComment)
}

// unhideComment godoc
// @Summary   Publish a hidden comment again, or approve one waiting in pending_review
// @Tags      circle moderation
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int               true  "comment id"
// @Param     body body ModerationRequest false "reason (optional)"
// @Success   200 {object} CommentDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/comments/{id}/unhide [post]
func (a *API) unhideComment(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Circles.UnhideComment, modReason, a.toComment)
}

// ReportQuery filters the report queue.
type ReportQuery struct {
	Status   string `form:"status" binding:"omitempty,oneof=open resolved dismissed"`
	CircleID int64  `form:"circle_id" binding:"omitempty,min=1"`
	PostID   int64  `form:"post_id" binding:"omitempty,min=1"`
}

// ReportList is a page of reports.
type ReportList struct {
	Items      []ReportDTO `json:"items"`
	NextCursor string      `json:"next_cursor"`
}

// listReports godoc
// @Summary   The report queue, oldest first (default status open)
// @Tags      circle moderation
// @Produce   json
// @Security  Bearer
// @Param     status    query string false "state (default open)" Enums(open,resolved,dismissed)
// @Param     circle_id query int    false "circle"
// @Param     post_id   query int    false "post"
// @Param     limit     query int    false "page size (1-100, default 20)"
// @Param     cursor    query string false "next_cursor of the previous page"
// @Success   200 {object} ReportList
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/reports [get]
func (a *API) listReports(c *gin.Context) {
	var q ReportQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	rs, next, err := a.svc.Circles.Reports(c.Request.Context(), principal(c),
		service.ReportFilter{Status: q.Status, CircleID: q.CircleID, PostID: q.PostID}, p)
	if err != nil {
		fail(c, err)
		return
	}
	out := ReportList{Items: make([]ReportDTO, 0, len(rs)), NextCursor: next}
	for _, r := range rs {
		out.Items = append(out.Items, a.toReport(r))
	}
	ok(c, out)
}

// dismissReport godoc
// @Summary   Close an open report without action
// @Tags      circle moderation
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int               true  "report id"
// @Param     body body ModerationRequest false "reason (optional)"
// @Success   200 {object} ReportDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/reports/{id}/dismiss [post]
func (a *API) dismissReport(c *gin.Context) {
	onIDText(c, http.StatusOK, a.svc.Circles.DismissReport, modReason, a.toReport)
}

// MuteRequest mutes a user in every circle.
type MuteRequest struct {
	// A date YYYY-MM-DD (muted through that day, business time zone) or an
	// RFC 3339 time, in the future and at most a year ahead; or "permanent".
	Until  string `json:"until" binding:"required" example:"2026-12-31"`
	Reason string `json:"reason" binding:"required" example:"多次发布广告"`
}

// MuteDTO is a user's mute in circles.
type MuteDTO struct {
	UserID    int64     `json:"user_id"`
	Until     time.Time `json:"until"`
	Reason    string    `json:"reason"`
	MutedBy   int64     `json:"muted_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (a *API) toMute(m model.CircleMute) MuteDTO {
	return MuteDTO{UserID: m.UserID, Until: a.timeIn(m.EndsAt), Reason: m.Reason, MutedBy: m.MutedBy, UpdatedAt: a.timeIn(m.UpdatedAt)}
}

// muteUser godoc
// @Summary   Mute a user in every circle until a date (posting or commenting is then 403 muted); muting again replaces the end
// @Tags      circle moderation
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int         true "user id"
// @Param     body body MuteRequest true "until and reason"
// @Success   200 {object} MuteDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/users/{id}/mute [post]
func (a *API) muteUser(c *gin.Context) {
	var req MuteRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	m, err := a.svc.Circles.Mute(c.Request.Context(), principal(c), id, service.MuteInput{Until: req.Until, Reason: req.Reason})
	reply(c, http.StatusOK, err, func() any { return a.toMute(m) })
}

// unmuteUser godoc
// @Summary   End a user's mute now (idempotent)
// @Tags      circle moderation
// @Accept    json
// @Security  Bearer
// @Param     id   path int               true  "user id"
// @Param     body body ModerationRequest false "reason (optional)"
// @Success   204
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/users/{id}/mute [delete]
func (a *API) unmuteUser(c *gin.Context) {
	var req ModerationRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	if err := a.svc.Circles.Unmute(c.Request.Context(), principal(c), id, req.Reason); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// ModerationLogQuery filters the moderation audit log.
type ModerationLogQuery struct {
	// 0 is the content-security recheck job.
	ActorID    *int64 `form:"actor_id" binding:"omitempty,min=0"`
	Action     string `form:"action" binding:"omitempty,max=32"`
	TargetType string `form:"target_type" binding:"omitempty,oneof=post comment report user"`
	TargetID   int64  `form:"target_id" binding:"omitempty,min=1"`
}

// ModerationLogDTO is one moderation action: who, what, when, why.
type ModerationLogDTO struct {
	ID int64 `json:"id"`
	// ActorID 0 is the content-security recheck job.
	ActorID    int64     `json:"actor_id"`
	Action     string    `json:"action" example:"hide_post" enums:"hide_post,unhide_post,approve_post,delete_post,hide_comment,unhide_comment,approve_comment,dismiss_report,mute_user,unmute_user,recheck_publish,recheck_reject,recheck_review"`
	TargetType string    `json:"target_type" example:"post" enums:"post,comment,report,user"`
	TargetID   int64     `json:"target_id"`
	Reason     string    `json:"reason"`
	Detail     string    `json:"detail"`
	CreatedAt  time.Time `json:"created_at"`
}

// ModerationLogList is a page of the audit log.
type ModerationLogList struct {
	Items      []ModerationLogDTO `json:"items"`
	NextCursor string             `json:"next_cursor"`
}

// moderationLogs godoc
// @Summary   The circle moderation audit log, newest first
// @Tags      circle moderation
// @Produce   json
// @Security  Bearer
// @Param     actor_id    query int    false "who (0: the recheck job)"
// @Param     action      query string false "action" Enums(hide_post,unhide_post,approve_post,delete_post,hide_comment,unhide_comment,approve_comment,dismiss_report,mute_user,unmute_user,recheck_publish,recheck_reject,recheck_review)
// @Param     target_type query string false "target kind" Enums(post,comment,report,user)
// @Param     target_id   query int    false "target id"
// @Param     limit       query int    false "page size (1-100, default 20)"
// @Param     cursor      query string false "next_cursor of the previous page"
// @Success   200 {object} ModerationLogList
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/moderation-logs [get]
func (a *API) moderationLogs(c *gin.Context) {
	var q ModerationLogQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	rows, next, err := a.svc.Circles.ModerationLogs(c.Request.Context(),
		service.ModerationLogFilter{ActorID: q.ActorID, Action: q.Action, TargetType: q.TargetType, TargetID: q.TargetID}, p)
	if err != nil {
		fail(c, err)
		return
	}
	out := ModerationLogList{Items: make([]ModerationLogDTO, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		out.Items = append(out.Items, ModerationLogDTO{ID: r.ID, ActorID: r.ActorID, Action: r.Action, TargetType: r.TargetType,
			TargetID: r.TargetID, Reason: r.Reason, Detail: r.Detail, CreatedAt: a.timeIn(r.CreatedAt)})
	}
	ok(c, out)
}
