package model

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Open connects to the database named by driver ("sqlite" or "mysql") and dsn.
//
// SQLite: a file path or a file: URI; WAL, a busy timeout and BEGIN IMMEDIATE
// are added, and the pool is one connection, so writers queue in Go instead of
// failing with SQLITE_BUSY. MySQL/MariaDB/TiDB: parseTime, UTC, utf8mb4 and
// client-side parameter interpolation are forced on.
func Open(driver, dsn string, maxOpen int, log *slog.Logger) (*gorm.DB, error) {
	gcfg := &gorm.Config{
		TranslateError: true,
		NowFunc:        func() time.Time { return Trunc(time.Now()) },
		Logger:         logger.Discard,
	}
	var (
		db  *gorm.DB
		err error
	)
	switch driver {
	case "sqlite":
		db, err = gorm.Open(sqlite.Open(SQLiteDSN(dsn)), gcfg)
		if err == nil {
			sqlDB, _ := db.DB()
			sqlDB.SetMaxOpenConns(1)
			sqlDB.SetConnMaxLifetime(0)
		}
	case "mysql":
		var fixed string
		fixed, err = MySQLDSN(dsn)
		if err != nil {
			return nil, err
		}
		db, err = gorm.Open(mysql.Open(fixed), gcfg)
		if err == nil {
			sqlDB, _ := db.DB()
			if maxOpen <= 0 {
				maxOpen = 32
			}
			sqlDB.SetMaxOpenConns(maxOpen)
			sqlDB.SetMaxIdleConns(maxOpen)
			sqlDB.SetConnMaxLifetime(30 * time.Minute)
		}
	default:
		return nil, fmt.Errorf("database: unknown driver %q", driver)
	}
	if err != nil {
		return nil, fmt.Errorf("database: open %s: %w", driver, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("database: ping %s: %w", driver, err)
	}
	if log != nil {
		log.Info("database connected", "driver", driver)
	}
	return db, nil
}

// TimePrecision is the one precision of times in SQL, in every column
// (datetime(3)) and every parameter, whatever the driver.
const TimePrecision = time.Millisecond

// Trunc returns t in UTC cut to TimePrecision: what services hand to SQL.
func Trunc(t time.Time) time.Time { return t.UTC().Truncate(TimePrecision) }

// SQLiteDSN adds the pragmas familycare relies on to a SQLite path or URI.
func SQLiteDSN(dsn string) string {
	if !strings.HasPrefix(dsn, "file:") {
		dsn = "file:" + dsn
	}
	q := url.Values{}
	if i := strings.IndexByte(dsn, '?'); i >= 0 {
		q, _ = url.ParseQuery(dsn[i+1:])
		dsn = dsn[:i]
	}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	if q.Get("mode") != "memory" {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	q.Set("_txlock", "immediate")
	return dsn + "?" + q.Encode()
}

// WithIOTimeout sets the MySQL read and write timeouts to d unless the DSN
// sets them. A server passes its request timeout: database/sql gives COMMIT
// and ROLLBACK no context, so only these bound a request stuck on a
// database that stopped answering.
func WithIOTimeout(dsn string, d time.Duration) (string, error) {
	c, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("database: DB_DSN: %w", err)
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = d
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = d
	}
	return c.FormatDSN(), nil
}

// MySQLDSN forces the connection settings the code depends on.
func MySQLDSN(dsn string) (string, error) {
	c, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("database: DB_DSN: %w", err)
	}
	c.ParseTime = true
	c.Loc = time.UTC
	c.InterpolateParams = true
	// Every time parameter reaches SQL with millisecond precision, the
	// precision of the datetime(3) columns: with nine fractional digits
	// MariaDB plans a full index scan instead of a range.
	_ = c.Apply(mysqldrv.TimeTruncate(TimePrecision))
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	if _, ok := c.Params["charset"]; !ok {
		c.Params["charset"] = "utf8mb4"
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 30 * time.Second
	}
	return c.FormatDSN(), nil
}
