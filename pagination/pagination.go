// Package pagination encodes the opaque cursors of list endpoints and parses
// the limit of a page.
package pagination

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"time"
)

// Limits of a page.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// ErrBadCursor is a cursor this service did not issue.
var ErrBadCursor = errors.New("cursor is not valid")

// ErrBadLimit is a limit out of range.
var ErrBadLimit = errors.New("limit must be between 1 and 100")

// Page asks for one page of a list.
type Page struct {
	Limit  int
	Cursor string
}

// Limit parses ?limit= (empty: the default).
func Limit(raw string) (int, error) {
	if raw == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, ErrBadLimit
	}
	return n, nil
}

// Encode turns a position (a small struct) into an opaque cursor.
func Encode(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// Decode reads a cursor made by Encode into v. An empty cursor leaves v as it is.
func Decode(cursor string, v any) error {
	if cursor == "" {
		return nil
	}
	if len(cursor) > 512 {
		return ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return ErrBadCursor
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return ErrBadCursor
	}
	if !timesInRange(reflect.ValueOf(v)) {
		return ErrBadCursor
	}
	return nil
}

// timesInRange reports whether every time in v (a cursor: a small struct)
// lies in the years 1 to 9999 in UTC. A cursor holds the times of rows; any
// other time was made up, and the MySQL driver fails the query on it (a 500
// for a hostile cursor such as {"t":"0000-01-01T00:00:00Z"}).
func timesInRange(v reflect.Value) bool {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return true
		}
		v = v.Elem()
	}
	if t, ok := v.Interface().(time.Time); ok {
		y := t.UTC().Year()
		return y >= 1 && y <= 9999
	}
	if v.Kind() != reflect.Struct {
		return true
	}
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).IsExported() && !timesInRange(v.Field(i)) {
			return false
		}
	}
	return true
}
