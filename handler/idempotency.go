package handler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// idempotent makes a create route honour the Idempotency-Key header: the
// same key from the same user within the TTL replays the first response and
// creates nothing new; the same key with another request is 422
// idempotency_key_reused. Attach it after authentication to every create
// route.
func (a *API) idempotent() gin.HandlerFunc {
	return func(c *gin.Context) {
		key := c.GetHeader("Idempotency-Key")
		p := principal(c)
		if key == "" || p.UserID == 0 {
			c.Next()
			return
		}
		raw, err := io.ReadAll(c.Request.Body)
		if err != nil {
			if errBodyTooLarge(err) {
				abortWith(c, http.StatusRequestEntityTooLarge, "body_too_large", "the request body is larger than 1 MiB", nil)
				return
			}
			abortWith(c, http.StatusBadRequest, "bad_json", "the request body could not be read", nil)
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(raw))
		sum := sha256.New()
		sum.Write([]byte(c.Request.Method + " " + c.Request.URL.Path + "\n"))
		sum.Write(raw)
		hash := hex.EncodeToString(sum.Sum(nil))

		replay, err := a.svc.Idempotency.Begin(c.Request.Context(), p.UserID, key, hash)
		if err != nil {
			fail(c, err)
			return
		}
		if replay != nil {
			c.Header("Idempotent-Replayed", "true")
			c.Data(replay.Status, "application/json; charset=utf-8", replay.Body)
			c.Abort()
			return
		}
		rec := &recordingWriter{ResponseWriter: c.Writer}
		c.Writer = rec
		c.Next()
		// Store the answer even if the client went away meanwhile.
		ctx := context.WithoutCancel(c.Request.Context())
		if status := rec.Status(); status >= 500 || status == http.StatusTooManyRequests {
			err = a.svc.Idempotency.Abandon(ctx, p.UserID, key)
		} else {
			err = a.svc.Idempotency.Finish(ctx, p.UserID, key, status, rec.body.Bytes())
		}
		if err != nil {
			loggerOf(c).Warn("idempotency record not saved", "err", err.Error())
		}
	}
}

// recordingWriter keeps a copy of the body written.
type recordingWriter struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}
