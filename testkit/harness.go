// Package testkit is the shared test harness: it builds the real familycare
// engine (app.New) on a fresh database — SQLite in memory by default, MariaDB
// or MySQL when TEST_MYSQL_DSN is set — with a fake WeChat server, and checks
// every response against the OpenAPI spec in docs/.
package testkit

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"familycare/app"
	"familycare/config"
	"familycare/model"
	"familycare/seed"

	"gorm.io/gorm"
)

// Start is the harness clock's start: Monday 2026-11-23 10:00 in Shanghai.
var Start = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

// Clock is a settable clock for tests.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.now = t.UTC(); c.mu.Unlock() }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// Harness is one test's running familycare.
type Harness struct {
	T      testing.TB
	App    *app.App
	DB     *gorm.DB
	Clock  *Clock
	WeChat *FakeWeChat
	Config config.Config
	Log    *LogBuffer
	dsn    string
	driver string
}

// Option changes the configuration before the app is built.
type Option func(*config.Config)

// WithConfig edits the configuration.
func WithConfig(f func(*config.Config)) Option { return f }

// IsMySQL reports whether tests run on MySQL/MariaDB.
func IsMySQL() bool { return os.Getenv("TEST_MYSQL_DSN") != "" }

// New builds a harness on a clean database.
func New(t testing.TB, opts ...Option) *Harness {
	t.Helper()
	fake := NewFakeWeChat()
	t.Cleanup(fake.Close)
	cfg := config.Default()
	cfg.Env = config.EnvTest
	cfg.JWTSecret = "test-secret-test-secret-test-secret-0123"
	cfg.WeChatAppID = fake.AppID
	cfg.WeChatSecret = "fake-secret"
	cfg.WeChatTimeout = 2 * time.Second
	cfg.EnableDevLogin = true
	cfg.EnableJobs = false
	cfg.RequestTimeout = 30 * time.Second
	cfg.JWTTTL = 400 * 24 * time.Hour // tests move the clock by weeks
	cfg.UploadDir = t.TempDir()
	cfg.UploadPublicURL = "https://api.familycare.test"
	cfg.WeChatPushToken = "push-token-for-tests"
	cfg.WeChatPushAESKey = FakePushAESKey
	for _, o := range opts {
		o(&cfg)
	}
	h := &Harness{T: t, Clock: &Clock{now: Start}, WeChat: fake, Log: &LogBuffer{}}
	h.driver, h.dsn = freshDatabase(t)
	cfg.DBDriver, cfg.DBDSN = h.driver, h.dsn
	h.Config = cfg
	h.App = h.build(nil)
	h.DB = h.App.DB
	return h
}

// build opens a pool on the harness database and wires an app on it. shared
// reuses a pool (SQLite's in-memory database lives in one pool).
func (h *Harness) build(shared *gorm.DB) *app.App {
	t := h.T
	db := shared
	if db == nil {
		var err error
		db, err = model.Open(h.driver, h.dsn, 64, nil)
		if err != nil {
			t.Fatalf("testkit: open database: %v", err)
		}
		t.Cleanup(func() {
			if sqlDB, err := db.DB(); err == nil {
				_ = sqlDB.Close()
			}
		})
	}
	log := slog.New(slog.NewJSONHandler(h.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(h.Config, db, log, app.Options{Clock: h.Clock, WeChatTransport: Transport{}})
	if err != nil {
		t.Fatalf("testkit: app: %v", err)
	}
	return a
}

// Replica builds a second app on the same database, as another API process
// would be: its own connection pool on MySQL (on SQLite's in-memory database
// the pool is shared, as one process is all SQLite serves).
func (h *Harness) Replica() *app.App {
	if h.driver == "sqlite" {
		return h.build(h.DB)
	}
	return h.build(nil)
}

// Seed loads the demo data (clinics, experts, services, two weeks of
// sessions, circles, articles, a doctor team) at the harness clock.
func (h *Harness) Seed() {
	h.T.Helper()
	if _, err := seed.Demo(context.Background(), h.DB, h.Clock.Now(), h.Config.Location()); err != nil {
		h.T.Fatalf("testkit: seed: %v", err)
	}
}

var (
	mysqlOnce sync.Once
	mysqlDSN  string
	mysqlErr  error
	memSeq    int
	memMu     sync.Mutex
)

// freshDatabase returns a database with the current schema and no rows.
func freshDatabase(t testing.TB) (driver, dsn string) {
	t.Helper()
	if base := os.Getenv("TEST_MYSQL_DSN"); base != "" {
		mysqlOnce.Do(func() { mysqlDSN, mysqlErr = createMySQLDatabase(base) })
		if mysqlErr != nil {
			t.Fatalf("testkit: mysql: %v", mysqlErr)
		}
		db, err := model.Open("mysql", mysqlDSN, 4, nil)
		if err != nil {
			t.Fatalf("testkit: %v", err)
		}
		defer func() {
			if sqlDB, err := db.DB(); err == nil {
				_ = sqlDB.Close()
			}
		}()
		if err := truncateAll(db); err != nil {
			t.Fatalf("testkit: clean tables: %v", err)
		}
		return "mysql", mysqlDSN
	}
	memMu.Lock()
	memSeq++
	name := fmt.Sprintf("%s_%d", regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"), memSeq)
	memMu.Unlock()
	dsn = "file:" + name + "?mode=memory&cache=shared"
	db, err := model.Open("sqlite", dsn, 1, nil)
	if err != nil {
		t.Fatalf("testkit: sqlite: %v", err)
	}
	if err := model.Migrate(db); err != nil {
		t.Fatalf("testkit: migrate: %v", err)
	}
	// The in-memory database lives while a connection does: keep this one
	// open for the test (the harness opens its own pool on the same name).
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return "sqlite", dsn
}

// createMySQLDatabase makes one database per test binary (package), named
// after it, migrated once; tests then clean its tables.
func createMySQLDatabase(base string) (string, error) {
	bin := filepath.Base(os.Args[0])
	sum := sha1.Sum([]byte(bin))
	prefix := "fc_t_" + regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(strings.TrimSuffix(bin, ".test"), "_") + "_" + hex.EncodeToString(sum[:3]) + "_"
	name := fmt.Sprintf("%s%d", prefix, os.Getpid())
	admin, err := model.Open("mysql", base, 2, nil)
	if err != nil {
		return "", err
	}
	defer func() {
		if sqlDB, err := admin.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}()
	// Drop this package's databases left by test processes that have ended
	// (each process has its own, so parallel runs never share one).
	var stale []string
	if err := admin.Raw("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?", prefix+"%").Scan(&stale).Error; err != nil {
		return "", err
	}
	for _, db := range stale {
		if pid := strings.TrimPrefix(db, prefix); db == name || !processAlive(pid) {
			if err := admin.Exec("DROP DATABASE IF EXISTS `" + db + "`").Error; err != nil {
				return "", err
			}
		}
	}
	if err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci").Error; err != nil {
		return "", err
	}
	dsn, err := withDBName(base, name)
	if err != nil {
		return "", err
	}
	db, err := model.Open("mysql", dsn, 2, nil)
	if err != nil {
		return "", err
	}
	defer func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}()
	return dsn, model.Migrate(db)
}

func processAlive(pid string) bool {
	_, err := os.Stat("/proc/" + pid)
	return err == nil
}

func withDBName(dsn, name string) (string, error) {
	// user:pass@tcp(host)/dbname?params
	slash := strings.LastIndex(dsn, "/")
	if slash < 0 {
		return "", fmt.Errorf("TEST_MYSQL_DSN %q has no /dbname", dsn)
	}
	rest := dsn[slash+1:]
	params := ""
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		params = rest[i:]
	}
	return dsn[:slash+1] + name + params, nil
}

// truncateAll empties the tables earlier tests wrote to. TRUNCATE also
// resets auto-increment ids, so fixtures get the same ids on every database.
// MySQL and MariaDB say which tables were written through
// information_schema.tables.auto_increment; TiDB reports that column from
// the memory of one server (0 after a restart or on another server), so on
// TiDB every table is emptied.
func truncateAll(db *gorm.DB) error {
	var version string
	if err := db.Raw("SELECT VERSION()").Scan(&version).Error; err != nil {
		return err
	}
	q := "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND (auto_increment IS NULL OR auto_increment > 1)"
	if strings.Contains(version, "TiDB") {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'"
	}
	var tables []string
	if err := db.Raw(q).Scan(&tables).Error; err != nil {
		return err
	}
	return db.Connection(func(tx *gorm.DB) error {
		if err := tx.Exec("SET FOREIGN_KEY_CHECKS = 0").Error; err != nil {
			return err
		}
		for _, tb := range tables {
			if err := tx.Exec("TRUNCATE TABLE `" + tb + "`").Error; err != nil {
				return err
			}
		}
		return tx.Exec("SET FOREIGN_KEY_CHECKS = 1").Error
	})
}

// LogBuffer collects the app's JSON logs (tests scan them).
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

// Response is what a request returned.
type Response struct {
	t      testing.TB
	Status int
	Header http.Header
	Body   []byte
}

// Req is a request option.
type Req func(*http.Request)

// Token sends a bearer token.
func Token(tok string) Req {
	return func(r *http.Request) {
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
	}
}

// Header sets a request header.
func Header(k, v string) Req { return func(r *http.Request) { r.Header.Set(k, v) } }

// Do sends a request through the engine. body may be nil, a []byte or string
// (sent as is), or anything else (sent as JSON). The response is checked
// against the OpenAPI spec.
func (h *Harness) Do(method, path string, body any, opts ...Req) *Response {
	h.T.Helper()
	return Do(h.T, h.App.Engine, method, path, body, opts...)
}

// Do sends a request to any handler (another replica's engine) and checks
// the response against the spec. It is safe to call from goroutines; it
// reports spec mismatches with t.Errorf.
func Do(t testing.TB, engine http.Handler, method, path string, body any, opts ...Req) *Response {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Errorf("testkit: marshal body: %v", err)
			return &Response{t: t}
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, req)
	res := &Response{t: t, Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	checkSpec(t, req, res)
	return res
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("testkit: decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map() map[string]any {
	r.t.Helper()
	var m map[string]any
	r.JSON(&m)
	return m
}

// ErrorCode returns error.code of an error envelope ("" otherwise).
func (r *Response) ErrorCode() string {
	var env struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &env)
	return env.Error.Code
}

// Expect fails the test unless the status is want.
func (r *Response) Expect(want int) *Response {
	r.t.Helper()
	if r.Status != want {
		r.t.Fatalf("status %d, want %d; body %s", r.Status, want, r.Body)
	}
	return r
}

// ExpectError fails the test unless the response is the error envelope with
// status and code.
func (r *Response) ExpectError(status int, code string) *Response {
	r.t.Helper()
	if r.Status != status || r.ErrorCode() != code {
		r.t.Fatalf("got %d %s, want %d %s; body %s", r.Status, r.ErrorCode(), status, code, r.Body)
	}
	return r
}

// User is a signed-in test user.
type User struct {
	ID       int64
	OpenID   string
	Token    string
	ClinicID int64
}

// Login signs in a resident through dev login.
func (h *Harness) Login(openid string) User { h.T.Helper(); return h.login(openid, "resident", 0) }

// Staff signs in a staff member of clinic.
func (h *Harness) Staff(openid string, clinic int64) User {
	h.T.Helper()
	return h.login(openid, "staff", clinic)
}

// Manager signs in a staff member of clinic whose position is manager.
func (h *Harness) Manager(openid string, clinic int64) User {
	h.T.Helper()
	u := h.login(openid, "staff", clinic)
	if err := h.DB.Model(&model.User{}).Where("id = ?", u.ID).Update("position", model.PositionManager).Error; err != nil {
		h.T.Fatal(err)
	}
	return u
}

// Admin signs in an admin.
func (h *Harness) Admin(openid string) User { h.T.Helper(); return h.login(openid, "admin", 0) }

func (h *Harness) login(openid, role string, clinic int64) User {
	h.T.Helper()
	body := map[string]any{"openid": openid, "role": role}
	if clinic != 0 {
		body["clinic_id"] = clinic
	}
	var out struct {
		Token string `json:"token"`
		User  struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	h.Do("POST", "/api/v1/auth/dev/login", body).Expect(200).JSON(&out)
	return User{ID: out.User.ID, OpenID: openid, Token: out.Token, ClinicID: clinic}
}

// Member adds a family member for u and returns its id.
func (h *Harness) Member(u User, body map[string]any) int64 {
	h.T.Helper()
	var out struct {
		ID int64 `json:"id"`
	}
	h.Do("POST", "/api/v1/me/members", body, Token(u.Token)).Expect(201).JSON(&out)
	return out.ID
}

// DateAgo is the business date (YYYY-MM-DD) years, months and days before
// the harness clock.
func (h *Harness) DateAgo(years, months, days int) string {
	return h.Clock.Now().In(h.Config.Location()).AddDate(-years, -months, -days).Format("2006-01-02")
}

// Create inserts rows straight into the database (fixtures only).
func (h *Harness) Create(rows ...any) {
	h.T.Helper()
	for _, r := range rows {
		if err := h.DB.Create(r).Error; err != nil {
			h.T.Fatalf("testkit: create %T: %v", r, err)
		}
	}
}
