package handler

import "github.com/gin-gonic/gin"

func (a *API) contractRoutes(public, authed, staff *gin.RouterGroup) {}
