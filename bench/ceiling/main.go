// Command ceiling is a bare gin server answering a small JSON object: the
// ceiling the familycare benchmarks are compared against, measured by the
// same load generator on the same machine in the same run.
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/gin-gonic/gin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "listen address")
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/ping", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok", "service": "ceiling"}) })
	log.Fatal(http.ListenAndServe(*addr, r))
}
