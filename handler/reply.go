package handler

import (
	"context"

	"familycare/pagination"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

// reply ends a handler: the error of its service call in the envelope, or
// the body that build makes (only on success) with status; a nil build
// answers status with no body (204).
func reply(c *gin.Context, status int, err error, build func() any) {
	if err != nil {
		fail(c, err)
		return
	}
	if build == nil {
		c.Status(status)
		return
	}
	c.JSON(status, build())
}

// onID serves a route that acts on its :id alone: act for the caller,
// answered with status through conv.
func onID[V, D any](c *gin.Context, status int, act func(context.Context, service.Principal, int64) (V, error), conv func(V) D) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	v, err := act(c.Request.Context(), principal(c), id)
	reply(c, status, err, func() any { return conv(v) })
}

// onIDText serves a route that acts on its :id with one text of its JSON
// body R (a reason, a comment, a hand-over code).
func onIDText[R, V, D any](c *gin.Context, status int, act func(context.Context, service.Principal, int64, string) (V, error),
	text func(R) string, conv func(V) D) {
	var req R
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	v, err := act(c.Request.Context(), principal(c), id, text(req))
	reply(c, status, err, func() any { return conv(v) })
}

// inputOf is a request body that converts itself to a service input, or
// refuses (a field the binding tags cannot check).
type inputOf[I any] interface{ input() (I, error) }

// onIDInput serves a route that acts on its :id with a JSON body R
// converted to the service's input I.
func onIDInput[R inputOf[I], I, V, D any](c *gin.Context, status int, act func(context.Context, service.Principal, int64, I) (V, error), conv func(V) D) {
	var req R
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	in, err := req.input()
	if err != nil {
		fail(c, err)
		return
	}
	v, err := act(c.Request.Context(), principal(c), id, in)
	reply(c, status, err, func() any { return conv(v) })
}

// listOf converts the items of a page (never null in JSON).
func listOf[V, D any](vs []V, conv func(V) D) []D {
	out := make([]D, 0, len(vs))
	for _, v := range vs {
		out = append(out, conv(v))
	}
	return out
}

// pageQuery binds a list's query filters into q and reads its page.
func pageQuery(c *gin.Context, q any) (pagination.Page, bool) {
	if !bindQuery(c, q) {
		return pagination.Page{}, false
	}
	return page(c)
}
