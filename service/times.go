package service

import "time"

// How far ahead (or back) each kind of time the API accepts may lie. One
// table, so every rule is written once and the README can list them; a time
// outside its range is 422 before anything is written (a year past 9999 in
// the business zone cannot even be written as JSON).
const (
	// SessionHorizon: a session (or a schedule's last day) starts within the
	// next two years.
	SessionHorizon = 2 * 365 * 24 * time.Hour
	// ETAHorizon: a delivery is expected within two weeks of dispatch.
	ETAHorizon = 14 * 24 * time.Hour
	// MuteHorizon: a mute lasts at most a year, unless "permanent" is said.
	MuteHorizon = 366 * 24 * time.Hour
	// permanentMute is how long "permanent" lasts: long, and still a time
	// every database and JSON encoder can hold.
	permanentMute = 50 * 365 * 24 * time.Hour
)

// EarliestDate and LatestDate bound any date or time a filter or record may
// name (a birth date after 1900; list filters within the same years).
var (
	EarliestDate = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	LatestDate   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// SaneTime reports whether t lies within the years any date of the API may
// name (list filters use it at binding).
func SaneTime(t time.Time) bool { return !t.Before(EarliestDate) && t.Before(LatestDate) }
