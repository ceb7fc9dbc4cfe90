package handler

import "github.com/gin-gonic/gin"

// PatchSunset is when the PATCH aliases go away (HTTP date, Sunset header).
// wx.request has no PATCH, so every route that changes a resource is PUT;
// PATCH stays answered at the same path for clients built before, marked
// deprecated in the spec and answered with Deprecation and Sunset headers.
const PatchSunset = "Wed, 30 Jun 2027 00:00:00 GMT"

// putWithPatchAlias mounts h at PUT path and its deprecated PATCH alias.
// Annotate only the PUT operation: the docs generator (docs/specgen) adds
// the PATCH operation for every PATCH route the engine serves next to a PUT.
func putWithPatchAlias(g *gin.RouterGroup, path string, h gin.HandlerFunc) {
	g.PUT(path, h)
	g.PATCH(path, deprecatedPatch, h)
}

func deprecatedPatch(c *gin.Context) {
	c.Header("Deprecation", "true")
	c.Header("Sunset", PatchSunset)
	c.Header("Link", `<`+c.Request.URL.Path+`>; rel="successor-version"`)
}
