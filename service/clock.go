package service

import "time"

// Clock tells the time; tests move it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// dateLayout is the layout of calendar dates in the API and the database.
const dateLayout = "2006-01-02"
