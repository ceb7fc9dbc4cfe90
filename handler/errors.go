package handler

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"familycare/service"

	"github.com/gin-gonic/gin"
	mysqldrv "github.com/go-sql-driver/mysql"
)

// ErrorBody is the error of every failed request.
type ErrorBody struct {
	Code    string `json:"code" example:"session_full"`
	Message string `json:"message" example:"the session is full"`
	// Details of the error; 409 invalid_transition always carries
	// {"from", "to", "status"}: the move asked for and the status now.
	Details map[string]any `json:"details,omitempty"`
}

// ErrorResponse is the envelope of every error: {"error":{...}}.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// statusOf is the one place that maps service error kinds to HTTP statuses.
func statusOf(k service.Kind) int {
	switch k {
	case service.KindInvalid:
		return http.StatusUnprocessableEntity
	case service.KindUnauthorized:
		return http.StatusUnauthorized
	case service.KindForbidden:
		return http.StatusForbidden
	case service.KindNotFound:
		return http.StatusNotFound
	case service.KindConflict:
		return http.StatusConflict
	case service.KindTooMany:
		return http.StatusTooManyRequests
	case service.KindUpstream:
		return http.StatusBadGateway
	case service.KindUnavailable:
		return http.StatusServiceUnavailable
	case service.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case service.KindUnsupported:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// fail writes err as the error envelope. Service errors keep their code;
// database outages become 503 database_unavailable; anything else is a bug:
// 500 internal, logged with the request id, no internals to the client.
func fail(c *gin.Context, err error) {
	var replayed *service.Replayed
	if errors.As(err, &replayed) { // the first answer to this Idempotency-Key
		writeReplay(c, replayed.Replay)
		return
	}
	var se *service.Error
	if !errors.As(err, &se) {
		switch {
		case isDatabaseDown(err):
			se = service.ErrDatabaseUnavailable.Wrap(err)
		case service.Busy(err):
			se = service.ErrDatabaseBusy.Wrap(err)
		}
	}
	if se != nil {
		status := statusOf(se.Kind)
		if status >= 500 {
			loggerOf(c).Warn("request failed", "code", se.Code, "err", se.Error())
		}
		if se.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(int(se.RetryAfter.Seconds()+0.999)))
		} else if status == http.StatusServiceUnavailable {
			c.Header("Retry-After", "1")
		}
		abortWith(c, status, se.Code, se.Message, se.Details)
		return
	}
	loggerOf(c).Error("internal error", "err", err.Error())
	abortWith(c, http.StatusInternalServerError, "internal", "something went wrong on our side",
		map[string]any{"request_id": c.GetString(ctxRequestID)})
}

// abortWith writes an error envelope and stops the chain.
// The message and field reasons are Chinese unless the caller prefers
// English (see errcodes.go).
func abortWith(c *gin.Context, status int, code, msg string, details map[string]any) {
	c.AbortWithStatusJSON(status, ErrorResponse{Error: ErrorBody{Code: code,
		Message: localize(c, code, msg, details), Details: localizeDetails(details, prefersEnglish(c))}})
}

// isDatabaseDown reports errors that mean the database cannot be reached
// (connection refused, dropped, timed out), as opposed to bugs.
func isDatabaseDown(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.As(err, &oe) ||
		errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) ||
		// The MySQL driver's answer when a connection breaks mid-statement.
		errors.Is(err, mysqldrv.ErrInvalidConn) ||
		// database/sql does not export its "database is closed" error.
		strings.Contains(err.Error(), "sql: database is closed")
}
