package handler

import "github.com/gin-gonic/gin"

func (a *API) guidanceRoutes(public, authed, staff *gin.RouterGroup) {}
