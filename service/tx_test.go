package service

import (
	"context"
	"errors"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
)

func TestWithRetry_Policy(t *testing.T) {
	defer func(b func(int) time.Duration) { txBackoff = b }(txBackoff)
	txBackoff = func(int) time.Duration { return 0 }
	deadlock := &mysqldrv.MySQLError{Number: 1213, Message: "Deadlock found"}
	cases := []struct {
		name      string
		errs      []error // what each attempt returns; the last one repeats
		wantCalls int
		wantCode  string // "" = success or the business error itself
		wantErr   error
	}{
		{"deadlock then success", []error{deadlock, deadlock, nil}, 3, "", nil},
		{"lock wait timeout then success", []error{&mysqldrv.MySQLError{Number: 1205}, nil}, 2, "", nil},
		{"tidb write conflict then success", []error{&mysqldrv.MySQLError{Number: 9007}, nil}, 2, "", nil},
		{"persistent deadlock is busy", []error{deadlock}, txAttempts, "database_busy", nil},
		{"too many connections is busy at once", []error{&mysqldrv.MySQLError{Number: 1040}}, 1, "database_busy", nil},
		{"business error at once", []error{ErrSessionFull}, 1, "", ErrSessionFull},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			err := withRetry(context.Background(), func() error {
				e := c.errs[min(calls, len(c.errs)-1)]
				calls++
				return e
			})
			if calls != c.wantCalls {
				t.Fatalf("%d calls, want %d", calls, c.wantCalls)
			}
			var se *Error
			switch {
			case c.wantCode != "":
				if !errors.As(err, &se) || se.Code != c.wantCode || se.RetryAfter <= 0 {
					t.Fatalf("err %v, want %s with Retry-After", err, c.wantCode)
				}
			case c.wantErr != nil:
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err %v, want %v", err, c.wantErr)
				}
			case err != nil:
				t.Fatalf("err %v", err)
			}
		})
	}
}
