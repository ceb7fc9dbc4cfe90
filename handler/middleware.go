package handler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

// Context keys.
const (
	ctxRequestID = "request_id"
	ctxLogger    = "logger"
	ctxPrincipal = "principal"
)

// MaxBodyBytes is the largest request body accepted (413 above).
const MaxBodyBytes = 1 << 20

// requestID echoes a sane X-Request-ID or makes one, and puts a logger that
// carries it on the context.
func requestID(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, id)
		c.Set(ctxLogger, log.With("request_id", id))
		c.Header("X-Request-ID", id)
		c.Header("X-Content-Type-Options", "nosniff")
		c.Next()
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r == '-' || r == '_' || r == '.' || r == ':' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			return false
		}
	}
	return true
}

// loggerOf returns the request's logger (with request and user ids).
func loggerOf(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

// accessLog writes one line per request. It logs the path, never the query
// string or bodies (they may hold personal data).
func accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		level := slog.LevelInfo
		switch route {
		case "/metrics", "/healthz", "/readyz":
			level = slog.LevelDebug // probes every few seconds: not worth a line each
		}
		if status >= 500 {
			level = slog.LevelError
		}
		loggerOf(c).LogAttrs(c.Request.Context(), level, "http request",
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", status),
			slog.Duration("latency", time.Since(start)),
			slog.Int("bytes", c.Writer.Size()),
			slog.String("client_ip", c.ClientIP()),
		)
	}
}

// recovery turns a panic into the 500 envelope; the stack goes to the log only.
func recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				loggerOf(c).Error("panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				if c.Writer.Written() {
					c.Abort()
					return
				}
				abortWith(c, http.StatusInternalServerError, "internal", "something went wrong on our side",
					map[string]any{"request_id": c.GetString(ctxRequestID)})
			}
		}()
		c.Next()
		// An answer that could not be encoded (gin records the render error
		// and writes nothing) is a bug: never let it go out as an empty 2xx.
		if !c.Writer.Written() && len(c.Errors.ByType(gin.ErrorTypePrivate)) > 0 {
			loggerOf(c).Error("answer not written", "err", c.Errors.String())
			abortWith(c, http.StatusInternalServerError, "internal", "something went wrong on our side",
				map[string]any{"request_id": c.GetString(ctxRequestID)})
		}
	}
}

// limits bounds the body size and gives every request a deadline.
// The upload route takes bodies up to the upload cap (plus the multipart
// framing); its handler reads them as a stream.
func limits(timeout time.Duration, uploadMax int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		deadline := timeout
		if c.FullPath() == uploadRoute && uploadMax > 0 {
			limit := uploadMax + multipartSlack
			if c.Request.ContentLength > limit {
				fail(c, service.ErrFileTooLarge.With(map[string]any{"max_bytes": uploadMax}))
				return
			}
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
			// A 10 MB photo over a slow mobile link takes longer than the
			// server's read timeout allows other requests.
			rc := http.NewResponseController(c.Writer)
			_ = rc.SetReadDeadline(time.Now().Add(uploadReadTime))
			deadline += uploadReadTime
			_ = rc.SetWriteDeadline(time.Now().Add(deadline + 5*time.Second))
		} else {
			if c.Request.ContentLength > MaxBodyBytes {
				abortWith(c, http.StatusRequestEntityTooLarge, "body_too_large", "the request body is larger than 1 MiB", nil)
				return
			}
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
		}
		if timeout > 0 {
			ctx, cancel := context.WithTimeout(c.Request.Context(), deadline)
			defer cancel()
			c.Request = c.Request.WithContext(ctx)
		}
		c.Next()
	}
}

// authenticate requires a valid bearer token of a user whose access has
// not shrunk since, and puts the principal on the context.
func authenticate(tokens *service.Tokens, auth *service.AuthService) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := principalFromHeader(tokens, c.GetHeader("Authorization"))
		if err == nil {
			err = auth.Authorize(c.Request.Context(), p)
		}
		if err != nil {
			fail(c, err)
			return
		}
		setPrincipal(c, p)
		// Signed-in answers carry personal data (profile, family, bookings,
		// contracts, orders): no cache may keep them.
		c.Header("Cache-Control", "no-store")
		c.Next()
	}
}

// optionalAuth reads a token when one is sent (public routes that say more to
// signed-in users); a bad token is still 401.
func optionalAuth(tokens *service.Tokens, auth *service.AuthService) gin.HandlerFunc {
	check := authenticate(tokens, auth)
	return func(c *gin.Context) {
		if c.GetHeader("Authorization") == "" {
			c.Next()
			return
		}
		check(c)
	}
}

func principalFromHeader(tokens *service.Tokens, h string) (service.Principal, error) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return service.Principal{}, service.ErrUnauthorized.Msg("a bearer token is required")
	}
	return tokens.Verify(strings.TrimSpace(tok))
}

func setPrincipal(c *gin.Context, p service.Principal) {
	c.Set(ctxPrincipal, p)
	c.Set(ctxLogger, loggerOf(c).With("user_id", p.UserID))
}

// principal returns the caller; zero on public routes without a token.
func principal(c *gin.Context) service.Principal {
	if p, ok := c.Get(ctxPrincipal); ok {
		return p.(service.Principal)
	}
	return service.Principal{}
}

// actFor marks whom the callers of a route group act for: resident routes
// for the caller's own family (service.ScopeSelf), staff and admin routes
// for the caller's clinic or, for an admin, the network. Services scope
// their queries and moves by it (service.Principal.Apply), so no handler
// rewrites a role and no service keeps a staff twin of a read.
func actFor(auth *service.AuthService, staff bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if p, ok := c.Get(ctxPrincipal); ok {
			pr, err := auth.ActFor(c.Request.Context(), p.(service.Principal), staff)
			if err != nil {
				fail(c, err)
				return
			}
			c.Set(ctxPrincipal, pr)
		}
		c.Next()
	}
}

// requireRole lets only the given roles through (403 forbidden otherwise).
func requireRole(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		for _, r := range roles {
			if p.Role == r {
				c.Next()
				return
			}
		}
		fail(c, service.ErrForbidden.Msg("this needs the %s role", strings.Join(roles, " or ")))
	}
}

// errBodyTooLarge reports a body cut by http.MaxBytesReader.
func errBodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
