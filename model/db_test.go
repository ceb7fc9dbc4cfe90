package model_test

import (
	"strings"
	"testing"
	"time"

	"familycare/model"
)

// TestMySQLDSN_TimeTruncate: the DSN the app builds cuts every time
// parameter to milliseconds, whatever the DSN given says.
func TestMySQLDSN_TimeTruncate(t *testing.T) {
	for _, in := range []string{"u:p@tcp(127.0.0.1:3306)/db", "u:p@tcp(127.0.0.1:3306)/db?timeTruncate=1us"} {
		dsn, err := model.MySQLDSN(in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(dsn, "timeTruncate=1ms") {
			t.Errorf("MySQLDSN(%q) = %q, want timeTruncate=1ms", in, dsn)
		}
	}
}

// TestTrunc_Milliseconds: the one precision rule.
func TestTrunc_Milliseconds(t *testing.T) {
	in := time.Date(2026, 3, 1, 6, 18, 3, 123456789, time.FixedZone("CST", 8*3600))
	got := model.Trunc(in)
	want := time.Date(2026, 2, 28, 22, 18, 3, 123000000, time.UTC)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("Trunc = %v, want %v in UTC", got, want)
	}
}
