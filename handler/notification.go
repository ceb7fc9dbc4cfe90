package handler

import (
	"net/http"
	"time"

	"familycare/model"

	"github.com/gin-gonic/gin"
)

func (a *API) notificationRoutes(authed *gin.RouterGroup) {
	authed.GET("/notifications", a.listNotifications)
	authed.POST("/notifications/:id/read", a.readNotification)
	authed.POST("/notifications/read-all", a.readAllNotifications)
	authed.POST("/me/subscriptions", a.subscribe)
}

// NotificationDTO is an in-app notification.
type NotificationDTO struct {
	ID        int64      `json:"id"`
	Event     string     `json:"event" example:"booking_confirmed"`
	Title     string     `json:"title" example:"预约已确认"`
	Body      string     `json:"body"`
	RefType   string     `json:"ref_type,omitempty" example:"booking"`
	RefID     int64      `json:"ref_id,omitempty"`
	Read      bool       `json:"read"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// NotificationList is a page of notifications.
type NotificationList struct {
	Items       []NotificationDTO `json:"items"`
	NextCursor  string            `json:"next_cursor"`
	UnreadCount int64             `json:"unread_count"`
}

func (a *API) toNotification(n model.Notification) NotificationDTO {
	return NotificationDTO{ID: n.ID, Event: n.Event, Title: n.Title, Body: n.Body, RefType: n.RefType, RefID: n.RefID,
		Read: n.ReadAt != nil, ReadAt: a.timePtr(n.ReadAt), CreatedAt: a.timeIn(n.CreatedAt)}
}

// NotificationQuery filters notifications.
type NotificationQuery struct {
	Unread bool `form:"unread"`
}

// listNotifications godoc
// @Summary   The caller's notifications, newest first
// @Tags      notifications
// @Produce   json
// @Security  Bearer
// @Param     unread query bool   false "only unread"
// @Param     limit  query int    false "page size (1-100, default 20)"
// @Param     cursor query string false "next_cursor of the previous page"
// @Success   200 {object} NotificationList
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/notifications [get]
func (a *API) listNotifications(c *gin.Context) {
	var q NotificationQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	uid := principal(c).UserID
	rows, next, err := a.svc.Notifications.List(c.Request.Context(), uid, q.Unread, p)
	if err != nil {
		fail(c, err)
		return
	}
	unread, err := a.svc.Notifications.UnreadCount(c.Request.Context(), uid)
	if err != nil {
		fail(c, err)
		return
	}
	out := NotificationList{Items: make([]NotificationDTO, 0, len(rows)), NextCursor: next, UnreadCount: unread}
	for _, n := range rows {
		out.Items = append(out.Items, a.toNotification(n))
	}
	ok(c, out)
}

// readNotification godoc
// @Summary   Mark a notification read
// @Tags      notifications
// @Produce   json
// @Security  Bearer
// @Param     id path int true "notification id"
// @Success   200 {object} NotificationDTO
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/notifications/{id}/read [post]
func (a *API) readNotification(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	n, err := a.svc.Notifications.MarkRead(c.Request.Context(), principal(c).UserID, id)
	reply(c, http.StatusOK, err, func() any { return a.toNotification(n) })
}

// readAllNotifications godoc
// @Summary   Mark every notification read
// @Tags      notifications
// @Produce   json
// @Security  Bearer
// @Success   200 {object} Health
// @Router    /api/v1/notifications/read-all [post]
func (a *API) readAllNotifications(c *gin.Context) {
	if err := a.svc.Notifications.MarkAllRead(c.Request.Context(), principal(c).UserID); err != nil {
		fail(c, err)
		return
	}
	ok(c, Health{Status: "ok"})
}

// SubscriptionRequest lists the template ids the user accepted in
// wx.requestSubscribeMessage.
type SubscriptionRequest struct {
	TemplateIDs []string `json:"template_ids" binding:"required,min=1,max=10,dive,min=1,max=64"`
}

// SubscriptionResponse tells how many messages each template may still carry.
type SubscriptionResponse struct {
	Remaining map[string]int `json:"remaining"`
}

// subscribe godoc
// @Summary      Record accepted subscribe-message templates
// @Description  Call after wx.requestSubscribeMessage with the templates the user accepted; each acceptance lets one message be sent.
// @Tags         notifications
// @Accept       json
// @Produce      json
// @Security     Bearer
// @Param        body body SubscriptionRequest true "accepted templates"
// @Success      200 {object} SubscriptionResponse
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/me/subscriptions [post]
func (a *API) subscribe(c *gin.Context) {
	var req SubscriptionRequest
	if !bindJSON(c, &req) {
		return
	}
	rem, err := a.svc.Notifications.Subscribe(c.Request.Context(), principal(c).UserID, req.TemplateIDs)
	reply(c, http.StatusOK, err, func() any { return SubscriptionResponse{Remaining: rem} })
}
