package handler

import (
	"net/http"
	"time"

	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) authRoutes(v1, authed, admin *gin.RouterGroup) {
	v1.POST("/auth/wechat/login", a.wechatLogin)
	if a.opts.DevLogin {
		v1.POST("/auth/dev/login", a.devLogin)
	}
	authed.POST("/auth/refresh", a.refresh)
	authed.POST("/me/phone", a.bindPhone)
	admin.POST("/users/:id/role", a.setRole)
}

// UserDTO is a user as the API shows it; the phone number is masked.
type UserDTO struct {
	ID        int64     `json:"id" example:"42"`
	Role      string    `json:"role" example:"resident" enums:"resident,staff,admin"`
	ClinicID  *int64    `json:"clinic_id,omitempty"`
	Position  string    `json:"position,omitempty" example:"nurse" enums:"nurse,doctor,pharmacist,moderator,manager"`
	Nickname  string    `json:"nickname" example:"小雨妈妈"`
	RealName  string    `json:"real_name"`
	AvatarURL string    `json:"avatar_url"`
	Phone     string    `json:"phone" example:"138****1234"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *API) toUser(u model.User) UserDTO {
	return UserDTO{ID: u.ID, Role: u.Role, ClinicID: u.ClinicID, Position: u.Position, Nickname: u.Nickname, RealName: u.RealName,
		AvatarURL: u.AvatarURL, Phone: maskPhone(u.Phone), CreatedAt: a.timeIn(u.CreatedAt)}
}

// maskPhone shows a mainland mobile as 138****1234.
func maskPhone(p string) string { return service.MaskPhone(p) }

// LoginRequest carries a wx.login code.
type LoginRequest struct {
	Code string `json:"code" binding:"required,max=128" example:"0a1b2c"`
}

// LoginResponse is a signed-in session.
type LoginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      UserDTO   `json:"user"`
	IsNew     bool      `json:"is_new"`
}

func (a *API) toLogin(s service.Session) LoginResponse {
	return LoginResponse{Token: s.Token, ExpiresAt: a.timeIn(s.ExpiresAt), User: a.toUser(s.User), IsNew: s.IsNew}
}

// wechatLogin godoc
// @Summary  Sign in with a wx.login code
// @Tags     auth
// @Accept   json
// @Produce  json
// @Param    body body LoginRequest true "wx.login code"
// @Success  200 {object} LoginResponse
// @Failure  400 {object} ErrorResponse
// @Failure  401 {object} ErrorResponse "wechat_code_invalid"
// @Failure  403 {object} ErrorResponse "account_suspended"
// @Failure  422 {object} ErrorResponse
// @Failure  502 {object} ErrorResponse "wechat_unavailable"
// @Router   /api/v1/auth/wechat/login [post]
func (a *API) wechatLogin(c *gin.Context) {
	var req LoginRequest
	if !bindJSON(c, &req) {
		return
	}
	s, err := a.svc.Auth.WeChatLogin(c.Request.Context(), req.Code)
	reply(c, http.StatusOK, err, func() any { return a.toLogin(s) })
}

// DevLoginRequest signs in without WeChat (dev only).
type DevLoginRequest struct {
	OpenID   string `json:"openid" binding:"required,max=64" example:"demo-parent"`
	Role     string `json:"role" binding:"omitempty,oneof=resident staff admin" example:"resident"`
	ClinicID int64  `json:"clinic_id" binding:"omitempty,min=1"`
}

// devLogin godoc
// @Summary      Sign in as any openid (only when APP_ENV=dev)
// @Description  Exists only in dev (or when ENABLE_DEV_LOGIN is set outside prod); 404 otherwise.
// @Tags         auth
// @Accept       json
// @Produce      json
// @Param        body body DevLoginRequest true "who to be"
// @Success      200 {object} LoginResponse
// @Failure      403 {object} ErrorResponse "account_suspended"
// @Failure      409 {object} ErrorResponse "account_deleted: the openid of a deleted account"
// @Failure      422 {object} ErrorResponse
// @Failure      404 {object} ErrorResponse "not found outside APP_ENV=dev"
// @Router       /api/v1/auth/dev/login [post]
func (a *API) devLogin(c *gin.Context) {
	var req DevLoginRequest
	if !bindJSON(c, &req) {
		return
	}
	s, err := a.svc.Auth.DevLogin(c.Request.Context(), req.OpenID, req.Role, req.ClinicID)
	reply(c, http.StatusOK, err, func() any { return a.toLogin(s) })
}

// refresh godoc
// @Summary   A new token with the user's current role
// @Tags      auth
// @Produce   json
// @Security  Bearer
// @Success   200 {object} LoginResponse
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse "account_suspended"
// @Router    /api/v1/auth/refresh [post]
func (a *API) refresh(c *gin.Context) {
	s, err := a.svc.Auth.Refresh(c.Request.Context(), principal(c).UserID)
	reply(c, http.StatusOK, err, func() any { return a.toLogin(s) })
}

// PhoneRequest carries a getPhoneNumber code.
type PhoneRequest struct {
	Code string `json:"code" binding:"required,max=128"`
}

// bindPhone godoc
// @Summary   Bind the phone number from getPhoneNumber
// @Tags      profile
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     body body PhoneRequest true "getPhoneNumber code"
// @Success   200 {object} UserDTO
// @Failure   401 {object} ErrorResponse "wechat_code_invalid"
// @Failure   422 {object} ErrorResponse
// @Failure   502 {object} ErrorResponse "wechat_unavailable"
// @Router    /api/v1/me/phone [post]
func (a *API) bindPhone(c *gin.Context) {
	var req PhoneRequest
	if !bindJSON(c, &req) {
		return
	}
	u, err := a.svc.Auth.BindPhone(c.Request.Context(), principal(c).UserID, req.Code)
	reply(c, http.StatusOK, err, func() any { return a.toUser(u) })
}

// RoleRequest sets a user's role.
type RoleRequest struct {
	Role     string `json:"role" binding:"required,oneof=resident staff admin"`
	ClinicID int64  `json:"clinic_id" binding:"omitempty,min=1"`
}

// setRole godoc
// @Summary   Make a user resident, staff of a clinic, or admin (admin only)
// @Tags      admin
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int         true "user id"
// @Param     body body RoleRequest true "role"
// @Success   200 {object} UserDTO
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/admin/users/{id}/role [post]
func (a *API) setRole(c *gin.Context) {
	var req RoleRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	u, err := a.svc.Auth.SetRole(c.Request.Context(), id, req.Role, req.ClinicID)
	reply(c, http.StatusOK, err, func() any { return a.toUser(u) })
}
