package handler

import "github.com/gin-gonic/gin"

// reply ends a handler: the error of its service call in the envelope, or
// the body that build makes (only on success) with status.
func reply(c *gin.Context, status int, err error, build func() any) {
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, build())
}
