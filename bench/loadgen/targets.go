package main

import (
	"errors"
	"os"
	"strings"
)

// readTargets reads "URL<TAB>token" lines (the token may be missing).
func readTargets(path string) ([][2]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		u, tok, _ := strings.Cut(line, "\t")
		out = append(out, [2]string{u, tok})
	}
	if len(out) == 0 || out[0][0] == "" {
		return nil, errors.New("no URLs in " + path)
	}
	return out, nil
}
