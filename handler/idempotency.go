package handler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"

	"familycare/service"

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
		hash, ok := requestHash(c)
		if !ok {
			return
		}
		replay, err := a.svc.Idempotency.Begin(c.Request.Context(), p.UserID, key, hash)
		if err != nil {
			fail(c, err)
			return
		}
		if replay != nil {
			writeReplay(c, *replay)
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

// idempotentInTx is idempotent for a create whose service records the key
// in the create's own transaction (service.IdemClaim, the booking): nothing
// is written before the handler runs; the claim is settled once it
// answered. Same answers, replays and refusals as idempotent.
func (a *API) idempotentInTx() gin.HandlerFunc {
	return func(c *gin.Context) {
		key := c.GetHeader("Idempotency-Key")
		p := principal(c)
		if key == "" || p.UserID == 0 {
			c.Next()
			return
		}
		hash, ok := requestHash(c)
		if !ok {
			return
		}
		claim, err := a.svc.Idempotency.Claim(p.UserID, key, hash)
		if err != nil {
			fail(c, err)
			return
		}
		c.Request = c.Request.WithContext(service.WithClaim(c.Request.Context(), claim))
		buf := &bufferedWriter{ResponseWriter: c.Writer}
		c.Writer = buf
		c.Next()
		c.Writer = buf.ResponseWriter
		// Decided and stored even if the client went away meanwhile.
		ctx := context.WithoutCancel(c.Request.Context())
		replay, err := claim.Prepare(ctx, buf.Status())
		switch {
		case err != nil:
			fail(c, err)
			return
		case replay != nil:
			writeReplay(c, *replay)
			return
		}
		buf.flush()
		if err := claim.Settle(ctx, buf.Status(), buf.body.Bytes()); err != nil {
			loggerOf(c).Warn("idempotency record not saved", "err", err.Error())
		}
	}
}

// bufferedWriter holds a handler's answer until idempotentInTx knows
// whether to send it or an earlier one.
type bufferedWriter struct {
	gin.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *bufferedWriter) WriteHeader(code int) {
	if code > 0 {
		w.status = code
	}
}

func (w *bufferedWriter) WriteHeaderNow() {}

func (w *bufferedWriter) Write(b []byte) (int, error) { return w.body.Write(b) }

func (w *bufferedWriter) WriteString(s string) (int, error) { return w.body.WriteString(s) }

func (w *bufferedWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

func (w *bufferedWriter) Size() int { return w.body.Len() }

func (w *bufferedWriter) Written() bool { return w.status != 0 || w.body.Len() > 0 }

// flush sends the held answer.
func (w *bufferedWriter) flush() {
	w.ResponseWriter.WriteHeader(w.Status())
	if w.body.Len() > 0 {
		_, _ = w.ResponseWriter.Write(w.body.Bytes())
	}
	w.ResponseWriter.WriteHeaderNow()
}

// requestHash reads the body (kept for the handler) and returns the
// request's fingerprint: method, path and body; false when it answered.
func requestHash(c *gin.Context) (string, bool) {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		if errBodyTooLarge(err) {
			abortWith(c, http.StatusRequestEntityTooLarge, "body_too_large", "the request body is larger than 1 MiB", nil)
			return "", false
		}
		abortWith(c, http.StatusBadRequest, "bad_json", "the request body could not be read", nil)
		return "", false
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(raw))
	sum := sha256.New()
	sum.Write([]byte(c.Request.Method + " " + c.Request.URL.Path + "\n"))
	sum.Write(raw)
	return hex.EncodeToString(sum.Sum(nil)), true
}

// writeReplay sends a stored answer as it was first sent.
func writeReplay(c *gin.Context, r service.Replay) {
	c.Header("Idempotent-Replayed", "true")
	c.Data(r.Status, "application/json; charset=utf-8", r.Body)
	c.Abort()
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
