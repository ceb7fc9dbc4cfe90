package testkit

import (
	"log/slog"

	"familycare/app"
	"familycare/model"

	mysqldrv "github.com/go-sql-driver/mysql"
)

// AppOn builds another app like the harness's — same configuration, clock,
// fake WeChat and log — on its own connection pool opened on dsn: the
// harness database reached another way (through a FaultProxy). Its pool is
// closed when the test ends.
func (h *Harness) AppOn(dsn string) *app.App {
	t := h.T
	t.Helper()
	db, err := model.Open(h.driver, dsn, 64, nil)
	if err != nil {
		t.Fatalf("testkit: open database: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	cfg := h.Config
	cfg.DBDSN = dsn
	log := slog.New(slog.NewJSONHandler(h.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(cfg, db, log, app.Options{Clock: h.Clock, WeChatTransport: Transport{}})
	if err != nil {
		t.Fatalf("testkit: app: %v", err)
	}
	return a
}

// MySQLBehindProxy starts a FaultProxy in front of the harness's MySQL
// server and builds an app that reaches the database only through it; edit
// may change the app's DSN settings. The test skips on SQLite (there is no
// server to lose). h.DB stays a direct pool, for setting up and asserting
// rows while the proxy is cut.
func (h *Harness) MySQLBehindProxy(edit ...func(*mysqldrv.Config)) (*app.App, *FaultProxy) {
	t := h.T
	t.Helper()
	if h.driver != "mysql" {
		t.Skip("needs MySQL/MariaDB (set TEST_MYSQL_DSN): SQLite is embedded, it has no server to lose")
	}
	c, err := mysqldrv.ParseDSN(h.dsn)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	if c.Net != "tcp" {
		t.Skipf("TEST_MYSQL_DSN uses %s, not tcp: no TCP proxy can sit in front of it", c.Net)
	}
	p := StartFaultProxy(t, c.Addr)
	c.Addr = p.Addr()
	for _, e := range edit {
		e(c)
	}
	return h.AppOn(c.FormatDSN()), p
}
