package service

import "unicode/utf8"

// truncate cuts s to at most n runes (never inside a UTF-8 sequence), for
// columns of a fixed size.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
