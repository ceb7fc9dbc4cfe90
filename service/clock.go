package service

import (
	"time"

	"familycare/model"
)

// Clock tells the time; tests move it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC, in milliseconds (model.TimePrecision).
func (SystemClock) Now() time.Time { return model.Trunc(time.Now()) }

// Millis wraps a clock so that every time it tells has the precision of
// the database (model.TimePrecision): the services read the time only
// through their Clock, so no time of theirs reaches SQL finer than that.
func Millis(c Clock) Clock {
	if _, ok := c.(millisClock); ok {
		return c
	}
	return millisClock{c}
}

type millisClock struct{ c Clock }

func (m millisClock) Now() time.Time { return model.Trunc(m.c.Now()) }

// dateLayout is the layout of calendar dates in the API and the database.
const dateLayout = "2006-01-02"
