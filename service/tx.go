package service

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrDatabaseBusy is the answer when the database is overloaded (too many
// connections) or a write transaction still lost to other writers after every
// retry: 503 with Retry-After, never a 500.
var ErrDatabaseBusy = &Error{Kind: KindUnavailable, Code: "database_busy",
	Message: "the service is busy, try again shortly", RetryAfter: time.Second}

// txAttempts is how often a write transaction runs before it gives up.
const txAttempts = 6

// txBackoff is the pause before attempt n+1 (n from 0): growing, jittered so
// two losers of one deadlock do not meet again at once. A variable for tests.
var txBackoff = func(n int) time.Duration {
	base := time.Duration(5<<n) * time.Millisecond // 5, 10, 20, 40, 80 ms
	return base/2 + rand.N(base)
}

// transact runs fn in one write transaction on db, again when the database
// chose it as a deadlock victim or it waited too long for a lock. Every write
// transaction of the service goes through here (the retry/503 policy of the
// README).
func transact(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	return withRetry(ctx, func() error {
		return db.WithContext(ctx).Transaction(fn)
	})
}

// withRetry runs fn again (at most txAttempts times in all) while it fails
// with a transient conflict: MySQL/MariaDB 1213 (deadlock) and 1205 (lock
// wait timeout), TiDB 9007 (write conflict) and 8028 (schema changed), SQLite
// busy. Business errors come back at once. An overload (1040 too many
// connections) and a conflict that outlives the retries become
// ErrDatabaseBusy. fn must reset whatever it collects, since it may run again.
func withRetry(ctx context.Context, fn func() error) error {
	var err error
	for attempt := 0; attempt < txAttempts; attempt++ {
		err = fn()
		if err == nil {
			return nil
		}
		if overloaded(err) {
			return ErrDatabaseBusy.Wrap(err)
		}
		if !retryable(err) {
			return err
		}
		if ctx.Err() != nil {
			break
		}
		if attempt < txAttempts-1 {
			t := time.NewTimer(txBackoff(attempt))
			select {
			case <-ctx.Done():
				t.Stop()
				return ErrDatabaseBusy.Wrap(err)
			case <-t.C:
			}
		}
	}
	return ErrDatabaseBusy.Wrap(err)
}

// dbErrNumber is the server's error number of a MySQL-protocol error, or 0.
func dbErrNumber(err error) uint16 {
	var me *mysqldrv.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func retryable(err error) bool {
	var se *Error
	if errors.As(err, &se) {
		return false
	}
	switch dbErrNumber(err) {
	case 1213, 1205, 9007, 8028:
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "Error 1213") || strings.Contains(msg, "Error 1205") ||
		strings.Contains(msg, "Error 9007") || strings.Contains(msg, "Error 8028") ||
		strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// overloaded reports the database refusing work because it is full (MySQL
// 1040 too many connections, 1203 too many user connections).
func overloaded(err error) bool {
	var se *Error
	if errors.As(err, &se) {
		return false
	}
	switch dbErrNumber(err) {
	case 1040, 1203:
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "Error 1040") || strings.Contains(msg, "Too many connections")
}

// Busy reports an error the handler should answer as ErrDatabaseBusy: a
// full database, or a lock conflict met by a statement outside transact.
func Busy(err error) bool { return overloaded(err) || retryable(err) }

// forUpdate makes a read a locking read on MySQL/MariaDB/TiDB, which sees the
// latest committed rows (not the transaction's snapshot) and locks them.
// SQLite needs nothing: its write transactions run one at a time.
func forUpdate(tx *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() == "mysql" {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}
