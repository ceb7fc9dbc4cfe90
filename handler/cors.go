package handler

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// CORS: browsers on the origins of the allow-list (CORS_ORIGINS: an admin
// console, an H5 page) may call the API; every other origin gets no CORS
// header, so the browser keeps the answer from its page. The mini-program
// sends no Origin and is not concerned. Tokens travel in Authorization,
// never in cookies, so credentials are not allowed.

// CORSAllowHeaders are the request headers a cross-origin page may send.
var CORSAllowHeaders = []string{"Authorization", "Content-Type", "Idempotency-Key", "Accept-Language", "If-None-Match", "X-Request-ID"}

// CORSExposeHeaders are the answer headers a cross-origin page may read.
var CORSExposeHeaders = []string{"X-Request-ID", "Idempotent-Replayed", "Retry-After", "ETag", "Deprecation", "Sunset"}

// CORSMaxAge is how long (seconds) a browser may keep a preflight answer.
const CORSMaxAge = 600

type corsPolicy struct{ origins map[string]bool }

func newCORS(origins []string) corsPolicy {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		p.origins[strings.TrimSpace(o)] = true
	}
	return p
}

// allowed reports whether the request comes from a listed origin.
func (p corsPolicy) allowed(c *gin.Context) (string, bool) {
	o := c.GetHeader("Origin")
	return o, o != "" && p.origins[o]
}

// headers runs on every request: with an allow-list the answer depends on
// Origin (Vary: Origin, so no cache hands one origin's answer to another);
// a listed origin may read the answer and the exposed headers.
func (p corsPolicy) headers(c *gin.Context) {
	if len(p.origins) == 0 {
		c.Next()
		return
	}
	h := c.Writer.Header()
	h.Add("Vary", "Origin")
	if o, ok := p.allowed(c); ok {
		h.Set("Access-Control-Allow-Origin", o)
		h.Set("Access-Control-Expose-Headers", strings.Join(CORSExposeHeaders, ", "))
	}
	c.Next()
}

// preflight answers an OPTIONS preflight of a listed origin for a route
// that takes the requested method: 204 with the methods the route takes
// and the headers a page may send. It runs where gin found the path but
// not the method (gin has set Allow); anything else is not a preflight
// this API answers and goes on to 405 (unknown paths are 404).
func (p corsPolicy) preflight(c *gin.Context) bool {
	if c.Request.Method != http.MethodOptions {
		return false
	}
	if _, ok := p.allowed(c); !ok {
		return false
	}
	want := strings.ToUpper(strings.TrimSpace(c.GetHeader("Access-Control-Request-Method")))
	if want == "" {
		return false
	}
	allow := c.Writer.Header().Get("Allow")
	takes := false
	for _, m := range strings.Split(allow, ",") {
		if strings.TrimSpace(m) == want {
			takes = true
		}
	}
	if !takes {
		return false
	}
	h := c.Writer.Header()
	h.Del("Access-Control-Expose-Headers")
	h.Set("Access-Control-Allow-Methods", allow)
	h.Set("Access-Control-Allow-Headers", strings.Join(CORSAllowHeaders, ", "))
	h.Set("Access-Control-Max-Age", strconv.Itoa(CORSMaxAge))
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	c.AbortWithStatus(http.StatusNoContent)
	return true
}
