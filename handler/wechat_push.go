package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (a *API) pushRoutes(v1, public *gin.RouterGroup) {
	if a.svc.Notifications != nil {
		public.GET("/subscribe-templates", a.subscribeTemplates)
	}
	if a.svc.Push == nil {
		return
	}
	v1.GET("/wechat/push", a.verifyPush)
	v1.POST("/wechat/push", a.receivePush)
}

// verifyPush godoc
// @Summary      WeChat message push: URL verification
// @Description  WeChat calls this when the push URL is saved in the mini-program console; the answer is echostr when the signature (sha1 of the sorted Token, timestamp, nonce) is right.
// @Tags         wechat
// @Produce      plain,json
// @Param        signature query string true "sha1 signature"
// @Param        timestamp query string true "timestamp"
// @Param        nonce     query string true "nonce"
// @Param        echostr   query string true "string to echo"
// @Success      200 {string} string "echostr"
// @Failure      401 {object} ErrorResponse "bad_signature"
// @Failure      404 {object} ErrorResponse "push not configured"
// @Router       /api/v1/wechat/push [get]
func (a *API) verifyPush(c *gin.Context) {
	echo, err := a.svc.Push.Verify(c.Query("signature"), c.Query("timestamp"), c.Query("nonce"), c.Query("echostr"))
	if err != nil {
		fail(c, err)
		return
	}
	c.String(http.StatusOK, echo)
}

// receivePush godoc
// @Summary      WeChat message push: events
// @Description  wxa_media_check (image check results), subscribe_msg_popup_event, subscribe_msg_change_event, subscribe_msg_sent_event; JSON or XML, plain or safe mode (encrypt_type=aes with msg_signature). The same event delivered twice changes nothing. Answers "success".
// @Tags         wechat
// @Accept       json,xml
// @Produce      plain,json
// @Param        signature     query string true  "sha1 signature"
// @Param        timestamp     query string true  "timestamp"
// @Param        nonce         query string true  "nonce"
// @Param        encrypt_type  query string false "aes in safe mode"
// @Param        msg_signature query string false "signature over the encrypted body (safe mode)"
// @Success      200 {string} string "success"
// @Failure      401 {object} ErrorResponse "bad_signature"
// @Failure      404 {object} ErrorResponse "push not configured"
// @Failure      422 {object} ErrorResponse "bad_push_body"
// @Router       /api/v1/wechat/push [post]
func (a *API) receivePush(c *gin.Context) {
	if err := a.svc.Push.Receive(c.Request.Context(), c.Request); err != nil {
		fail(c, err)
		return
	}
	c.String(http.StatusOK, "success")
}

// subscribeTemplates godoc
// @Summary      Template ids to ask for, per scene
// @Description  For wx.requestSubscribeMessage: each scene (after_booking, after_contract_apply …, as configured) lists up to 3 template ids. Report what the user accepted with POST /me/subscriptions.
// @Tags         notifications
// @Produce      json
// @Success      200 {object} map[string][]string
// @Header       200 {string} Cache-Control "public, max-age=300 (the same for everyone)"
// @Failure      401 {object} ErrorResponse "a token was sent and is not valid"
// @Router       /api/v1/subscribe-templates [get]
func (a *API) subscribeTemplates(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	ok(c, a.svc.Notifications.SubscribeScenes())
}
