package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"familycare/pagination"
	"familycare/service"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
	"github.com/go-playground/validator/v10"
)

var setupValidator sync.Once

// useJSONNames makes validation errors name fields as the client sent them.
func useJSONNames() {
	setupValidator.Do(func() {
		if v, ok := binding.Validator.Engine().(*validator.Validate); ok {
			v.RegisterTagNameFunc(func(f reflect.StructField) string {
				for _, tag := range []string{"json", "form", "uri"} {
					if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" && name != "-" {
						return name
					}
				}
				return f.Name
			})
		}
	})
}

// bindJSON decodes and validates a JSON body into req, whatever the
// Content-Type. An empty body counts as {}. On failure it writes the error
// (400 bad_json, 413 body_too_large, 422 invalid_request) and returns false.
func bindJSON(c *gin.Context, req any) bool {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		if errBodyTooLarge(err) {
			abortWith(c, http.StatusRequestEntityTooLarge, "body_too_large", "the request body is larger than 1 MiB", nil)
		} else {
			abortWith(c, http.StatusBadRequest, "bad_json", "the request body could not be read", nil)
		}
		return false
	}
	if !utf8.Valid(raw) {
		abortWith(c, http.StatusBadRequest, "bad_json", "the body is not valid UTF-8", nil)
		return false
	}
	// NUL characters have no place in any field and trip up C-based
	// tooling downstream; refuse them raw or escaped.
	if bytes.IndexByte(raw, 0) >= 0 || bytes.Contains(raw, []byte(`\u0000`)) {
		fail(c, service.ErrInvalid.Msg("the body contains a NUL character"))
		return false
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(req); err != nil {
			return jsonError(c, err)
		}
		if dec.More() {
			abortWith(c, http.StatusBadRequest, "bad_json", "the body must be one JSON object", nil)
			return false
		}
	}
	return validate(c, req)
}

// jsonError answers a decoding failure: a value of the wrong type is a
// validation error on that field; anything else is malformed JSON.
func jsonError(c *gin.Context, err error) bool {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			abortWith(c, http.StatusBadRequest, "bad_json", "the body must be a JSON object", nil)
			return false
		}
		fail(c, service.InvalidField(field, "must be "+jsonTypeName(te.Type)))
		return false
	}
	abortWith(c, http.StatusBadRequest, "bad_json", "the body is not valid JSON", nil)
	return false
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// bindQuery binds and validates query parameters. A value that is not
// UTF-8 text or holds a control character (a NUL reaching a full-text MATCH,
// say) is refused here, for every route.
func bindQuery(c *gin.Context, req any) bool {
	for name, vs := range c.Request.URL.Query() {
		for _, v := range vs {
			if !plainText(v) {
				fail(c, service.InvalidField(name, "must be text without control characters"))
				return false
			}
		}
	}
	if err := c.ShouldBindQuery(req); err != nil {
		var ve validator.ValidationErrors
		if errors.As(err, &ve) {
			fail(c, service.Invalid(fieldErrors(ve)))
			return false
		}
		fail(c, service.ErrInvalid.Msg("a query parameter has the wrong type"))
		return false
	}
	return true
}

func validate(c *gin.Context, req any) bool {
	if err := binding.Validator.ValidateStruct(req); err != nil {
		var ve validator.ValidationErrors
		if errors.As(err, &ve) {
			fail(c, service.Invalid(fieldErrors(ve)))
			return false
		}
		fail(c, service.ErrInvalid)
		return false
	}
	return true
}

// fieldErrors turns validator errors into {field: reason}, with nested fields
// as items[0].quantity.
func fieldErrors(ve validator.ValidationErrors) map[string]string {
	out := make(map[string]string, len(ve))
	for _, fe := range ve {
		ns := fe.Namespace()
		if i := strings.IndexByte(ns, '.'); i >= 0 {
			ns = ns[i+1:]
		}
		out[ns] = reason(fe)
	}
	return out
}

func reason(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "required"
	case "min", "gte":
		if fe.Kind() == reflect.String {
			return "must be at least " + fe.Param() + " characters"
		}
		if fe.Kind() == reflect.Slice {
			return "must have at least " + fe.Param() + " items"
		}
		return "must be at least " + fe.Param()
	case "max", "lte":
		if fe.Kind() == reflect.String {
			return "must be at most " + fe.Param() + " characters"
		}
		if fe.Kind() == reflect.Slice {
			return "must have at most " + fe.Param() + " items"
		}
		return "must be at most " + fe.Param()
	case "oneof":
		return "must be one of " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "url", "http_url":
		return "must be a URL"
	case "startswith":
		return "must start with " + fe.Param()
	case "datetime":
		return "must be formatted as " + fe.Param()
	case "len":
		return "must be " + fe.Param() + " characters"
	case "numeric":
		return "must be digits"
	case "dive":
		return "is not valid"
	}
	return "is not valid (" + fe.Tag() + ")"
}

// page reads ?limit= and ?cursor=.
func page(c *gin.Context) (pagination.Page, bool) {
	limit, err := pagination.Limit(c.Query("limit"))
	if err != nil {
		fail(c, service.InvalidField("limit", err.Error()))
		return pagination.Page{}, false
	}
	return pagination.Page{Limit: limit, Cursor: c.Query("cursor")}, true
}

// pathID reads a positive integer path parameter; anything else is 404
// (there is no such object).
func pathID(c *gin.Context, name string) (int64, bool) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		fail(c, service.ErrNotFound)
		return 0, false
	}
	return id, true
}

// plainText reports UTF-8 text without control characters.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
