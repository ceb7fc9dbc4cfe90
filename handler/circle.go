package handler

import "github.com/gin-gonic/gin"

func (a *API) circleRoutes(public, authed, staff *gin.RouterGroup) {}
