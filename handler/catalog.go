package handler

import "github.com/gin-gonic/gin"

func (a *API) catalogRoutes(public *gin.RouterGroup) {}
