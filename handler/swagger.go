package handler

import (
	"io/fs"
	"net/http"
	"strings"

	"familycare/docs"

	"github.com/gin-gonic/gin"
	swaggerFiles "github.com/swaggo/files/v2"
)

// swaggerInitializer points Swagger UI at the generated spec.
const swaggerInitializer = `window.onload = function() {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};`

// swaggerRoutes serves the generated spec at /swagger/doc.json (Swagger 2,
// byte for byte docs/swagger.json), /swagger/openapi.json (OpenAPI 3) and Swagger UI
// at /swagger/index.html. The UI's files are embedded (swaggo/files/v2) and
// read from the binary on request; swaggo/files v1 unpacked all of them into
// the heap at start-up (8.6 MB).
func swaggerRoutes(r *gin.Engine) {
	index, _ := fs.ReadFile(swaggerFiles.FS, "index.html")
	assets := http.FS(swaggerFiles.FS)
	r.GET("/swagger/*any", func(c *gin.Context) {
		switch name := strings.TrimPrefix(c.Param("any"), "/"); name {
		case "", "index.html":
			c.Data(http.StatusOK, "text/html; charset=utf-8", index)
		case "doc.json", "swagger.json":
			c.Data(http.StatusOK, "application/json; charset=utf-8", docs.SwaggerJSON)
		case "openapi.json":
			c.Data(http.StatusOK, "application/json; charset=utf-8", docs.OpenAPIJSON)
		case "swagger-initializer.js":
			c.Data(http.StatusOK, "application/javascript; charset=utf-8", []byte(swaggerInitializer))
		default:
			if _, err := fs.Stat(swaggerFiles.FS, name); err != nil {
				abortWith(c, http.StatusNotFound, "not_found", "no such file", nil)
				return
			}
			c.FileFromFS(name, assets)
		}
	})
}
