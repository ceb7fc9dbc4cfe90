// Package service holds familycare's business rules: state machines,
// transactions and the calls to WeChat behind small interfaces.
package service

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Kind classifies an Error; the handler package maps each kind to one HTTP
// status in one place.
type Kind int

// Error kinds.
const (
	KindInvalid      Kind = iota + 1 // 422
	KindUnauthorized                 // 401
	KindForbidden                    // 403
	KindNotFound                     // 404
	KindConflict                     // 409
	KindTooMany                      // 429
	KindUpstream                     // 502: WeChat failed
	KindUnavailable                  // 503: our database is down
	KindTooLarge                     // 413: an upload over the size cap
	KindUnsupported                  // 415: a file type we do not take
)

// Error is a business error with a stable API code.
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	Details    map[string]any
	RetryAfter time.Duration
	cause      error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.Message + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is matches errors by code, so errors.Is(err, ErrSessionFull) holds for a
// copy carrying details.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

// With returns a copy of e carrying details.
func (e *Error) With(details map[string]any) *Error {
	c := *e
	c.Details = details
	return &c
}

// Msg returns a copy of e with another message.
func (e *Error) Msg(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// Wrap returns a copy of e that keeps cause for logs (never for clients).
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

func newErr(kind Kind, code, msg string) *Error { return &Error{Kind: kind, Code: code, Message: msg} }

// Errors shared by every area. Each area declares its own next to its service.
var (
	ErrNotFound            = newErr(KindNotFound, "not_found", "not found")
	ErrUnauthorized        = newErr(KindUnauthorized, "unauthorized", "sign in again")
	ErrForbidden           = newErr(KindForbidden, "forbidden", "you may not do this")
	ErrInvalid             = newErr(KindInvalid, "invalid_request", "the request is not valid")
	ErrInvalidTransition   = newErr(KindConflict, "invalid_transition", "this change is not allowed in the current state")
	ErrMemberSuspended     = newErr(KindConflict, "member_suspended", "this family member's bookings are suspended after repeated no-shows; the record stays until the suspension ends")
	ErrAccountDeleted      = newErr(KindConflict, "account_deleted", "this account was deleted and cannot sign in again")
	ErrDatabaseUnavailable = newErr(KindUnavailable, "database_unavailable", "the service is busy, try again shortly")
	ErrRateLimited         = newErr(KindTooMany, "rate_limited", "too many requests, try again later")
)

// Invalid returns a 422 invalid_request error naming the offending fields.
func Invalid(fields map[string]string) *Error {
	return ErrInvalid.With(map[string]any{"fields": fields})
}

// InvalidField is Invalid for one field.
func InvalidField(field, reason string) *Error {
	return Invalid(map[string]string{field: reason})
}

// notFound turns gorm.ErrRecordNotFound into ErrNotFound; other errors pass.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// notFoundAs is notFound with a more precise answer: a missing row becomes
// nf (a not-found error with its own message or details); any other error,
// such as the database being unreachable, passes unchanged.
func notFoundAs(err error, nf *Error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) || errors.Is(err, ErrNotFound) {
		return nf
	}
	return err
}

// isDuplicate reports a unique-key violation (MySQL 1062, SQLite constraint),
// which gorm translates with TranslateError.
func isDuplicate(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	// Belt and braces for drivers whose errors gorm does not translate.
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "Error 1062")
}
