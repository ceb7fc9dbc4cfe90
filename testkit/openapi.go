package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// loadSpec reads docs/openapi.json (docs/generate.sh) once per process and
// closes every object schema: a response field the spec does not declare
// fails the test, as does a missing required field.
func loadSpec() (routers.Router, error) {
	specOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			specErr = err
			return
		}
		raw, err := os.ReadFile(filepath.Join(root, "docs", "openapi.json"))
		if err != nil {
			specErr = err
			return
		}
		v3, err := openapi3.NewLoader().LoadFromData(raw)
		if err != nil {
			specErr = err
			return
		}
		closeObjects(v3)
		v3.Servers = openapi3.Servers{{URL: "/"}}
		specRouter, specErr = gorillamux.NewRouter(v3)
	})
	return specRouter, specErr
}

// closeObjects sets additionalProperties false on every object schema that
// lists its properties (free-form maps, such as error details, stay open).
func closeObjects(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(s *openapi3.SchemaRef)
	walk = func(s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		v := s.Value
		seen[v] = true
		if len(v.Properties) > 0 && v.AdditionalProperties.Schema == nil && v.AdditionalProperties.Has == nil {
			no := false
			v.AdditionalProperties.Has = &no
		}
		for _, p := range v.Properties {
			walk(p)
		}
		walk(v.Items)
		walk(v.AdditionalProperties.Schema)
		for _, l := range []openapi3.SchemaRefs{v.AllOf, v.AnyOf, v.OneOf} {
			for _, x := range l {
				walk(x)
			}
		}
	}
	for _, s := range doc.Components.Schemas {
		walk(s)
	}
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// checkSpec fails the test when a response does not match the spec: an
// /api/v1 route missing from the spec, an undocumented success status, or a
// body that does not fit the documented schema.
func checkSpec(t testing.TB, req *http.Request, res *Response) {
	// A CORS preflight (OPTIONS) is answered by the CORS layer, not by an
	// operation of the spec.
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") || req.Method == http.MethodOptions || res.Status == http.StatusNotFound && res.ErrorCode() == "not_found" && !routeExists(req) {
		return
	}
	router, err := loadSpec()
	if err != nil {
		t.Errorf("testkit: load OpenAPI spec: %v", err)
		return
	}
	// The router matches on the full URL; give it a host-less copy.
	r := req.Clone(context.Background())
	r.URL.Scheme, r.URL.Host, r.Host = "", "", ""
	route, params, err := router.FindRoute(r)
	if err != nil {
		if res.Status == http.StatusMethodNotAllowed {
			return
		}
		t.Errorf("testkit: %s %s is not in docs/openapi.json (annotate it, run docs/generate.sh): %v",
			req.Method, req.URL.Path, err)
		return
	}
	checkTimes(t, req, res)
	if route.Operation.Responses.Status(res.Status) == nil {
		t.Errorf("testkit: %s %s answered %d, which docs/openapi.json does not document (annotate it, run docs/generate.sh)", req.Method, route.Path, res.Status)
		return
	}
	// Caching headers the answer carries are documented on that status.
	if doc := route.Operation.Responses.Status(res.Status).Value; doc != nil {
		for _, name := range []string{"Cache-Control", "ETag", "Vary"} {
			if res.Header.Get(name) != "" && doc.Headers[name] == nil {
				t.Errorf("testkit: %s %s %d sends %s: %q, which docs/openapi.json does not document", req.Method, route.Path, res.Status, name, res.Header.Get(name))
			}
		}
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status:  res.Status,
		Header:  res.Header,
		Body:    io.NopCloser(bytes.NewReader(res.Body)),
		Options: &openapi3filter.Options{MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("testkit: %s %s %d does not match docs/openapi.json: %v\nbody: %s", req.Method, route.Path, res.Status, err, truncateBody(res.Body))
	}
}

// routeExists tells a 404 for an unknown route (not in the spec, fine) from a
// 404 of a known route (checked).
func routeExists(req *http.Request) bool {
	router, err := loadSpec()
	if err != nil {
		return false
	}
	r := req.Clone(context.Background())
	r.URL.Scheme, r.URL.Host, r.Host = "", "", ""
	_, _, err = router.FindRoute(r)
	return err == nil
}

func truncateBody(b []byte) string {
	if len(b) > 500 {
		return string(b[:500]) + "…"
	}
	return string(b)
}

// timestamp is how every time in an answer looks: RFC 3339 in the business
// zone (the harness runs in Asia/Shanghai) with whole seconds.
var (
	looksLikeTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}`)
	timestamp     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$`)
)

// checkTimes fails the test for a timestamp in a JSON answer that is not
// +08:00 with whole seconds.
func checkTimes(t testing.TB, req *http.Request, res *Response) {
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return
	}
	var v any
	if json.Unmarshal(res.Body, &v) != nil {
		return
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case string:
			if looksLikeTime.MatchString(x) && !timestamp.MatchString(x) {
				t.Errorf("testkit: %s %s: %s = %q is not RFC 3339 +08:00 with whole seconds", req.Method, req.URL.Path, path, x)
			}
		}
	}
	walk("", v)
}
