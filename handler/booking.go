package handler

import "github.com/gin-gonic/gin"

func (a *API) bookingRoutes(authed, staff *gin.RouterGroup) {}
