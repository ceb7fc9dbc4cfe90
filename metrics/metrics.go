// Package metrics holds familycare's Prometheus metrics: HTTP requests and
// latencies by route template, database pool statistics, booking outcomes,
// WeChat calls and background job runs. Each App has its own registry (no
// global state), so tests that build many apps never collide.
package metrics

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Labels used when a value is unknown or not one of a bounded set.
const (
	RouteUnmatched = "unmatched" // no route matched (404), never the raw path
	MethodOther    = "OTHER"     // a method that is not a standard one
	ErrcodeNetwork = "network"   // WeChat gave no answer (timeout, connection, bad response)
)

// Metrics are one App's collectors and their registry.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge
	bookings     *prometheus.CounterVec
	wechatCalls  *prometheus.CounterVec
	jobRuns      *prometheus.CounterVec
	jobDuration  *prometheus.HistogramVec
}

// New builds the metrics on a fresh registry. db, when not nil, is the
// database pool whose statistics are exported (go_sql_* with
// db_name="familycare").
func New(db *sql.DB) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "familycare_http_requests_total",
			Help: "HTTP requests by method, route template and status code.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "familycare_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route template.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "familycare_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		bookings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "familycare_bookings_total",
			Help: "Booking attempts by outcome: the status created (pending, waitlisted), the error code (session_full, already_booked, ...) or error.",
		}, []string{"outcome"}),
		wechatCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "familycare_wechat_calls_total",
			Help: "Calls to the WeChat API by API and errcode (0 success, network when WeChat gave no answer).",
		}, []string{"api", "errcode"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "familycare_job_runs_total",
			Help: "Background job runs by job and result (ok, error, timeout, cancelled).",
		}, []string{"job", "result"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "familycare_job_duration_seconds",
			Help:    "Background job run time by job.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"job"}),
	}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.httpInFlight, m.bookings, m.wechatCalls, m.jobRuns, m.jobDuration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		reg.MustRegister(collectors.NewDBStatsCollector(db, "familycare"))
	}
	return m
}

// Middleware counts and times every request by method, route template
// (gin's FullPath, "unmatched" when no route matched) and status. Run it
// first, so the panic recovery inside it has already turned a panic into a
// 500 when it reads the status.
func (m *Metrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		m.httpInFlight.Inc()
		defer m.httpInFlight.Dec()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = RouteUnmatched
		}
		method := normalizeMethod(c.Request.Method)
		m.httpRequests.WithLabelValues(method, route, strconv.Itoa(c.Writer.Status())).Inc()
		m.httpDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
	}
}

// normalizeMethod keeps the label set bounded: clients may send any token
// as a method.
func normalizeMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return MethodOther
}

// Mount returns a function that serves GET /metrics on an engine (for
// handler.Options.Mount). When token is not empty, the endpoint requires
// "Authorization: Bearer <token>".
func (m *Metrics) Mount(token string) func(*gin.Engine) {
	h := promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
	return func(r *gin.Engine) {
		r.GET(Path, func(c *gin.Context) {
			if token != "" && !bearerIs(c.GetHeader("Authorization"), token) {
				c.Header("WWW-Authenticate", `Bearer realm="metrics"`)
				c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": gin.H{
					"code": "unauthorized", "message": "the metrics endpoint needs its bearer token"}})
				return
			}
			h.ServeHTTP(c.Writer, c.Request)
		})
	}
}

func bearerIs(header, token string) bool {
	scheme, got, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// BookingOutcome counts one booking attempt (service.BookingService.OnOutcome).
func (m *Metrics) BookingOutcome(outcome string) {
	if outcome == "" {
		outcome = "unknown"
	}
	m.bookings.WithLabelValues(outcome).Inc()
}

// WeChatCall counts one call to WeChat (service.WeChatClient.OnCall):
// errcode is WeChat's answer, 0 for success; a failure without an errcode
// means WeChat gave no answer.
func (m *Metrics) WeChatCall(api string, errcode int64, err error) {
	code := strconv.FormatInt(errcode, 10)
	if errcode == 0 && err != nil {
		code = ErrcodeNetwork
	}
	m.wechatCalls.WithLabelValues(api, code).Inc()
}

// JobRun counts and times one run of a background job.
func (m *Metrics) JobRun(job string, took time.Duration, err error) {
	result := "ok"
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded):
		result = "timeout"
	case errors.Is(err, context.Canceled):
		result = "cancelled"
	default:
		result = "error"
	}
	m.jobRuns.WithLabelValues(job, result).Inc()
	m.jobDuration.WithLabelValues(job).Observe(took.Seconds())
}
