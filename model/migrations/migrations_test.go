package migrations_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"familycare/model"
	"familycare/model/migrations"

	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

const regenerate = "model/migrations/gen.sh (before the baseline is released; afterwards add a numbered migration such as 00003_<change>.sql)"

// TestMigrations_Sources needs no database: the embedded migrations have
// distinct versions and the baseline is a goose file.
func TestMigrations_Sources(t *testing.T) {
	if got := migrations.Latest(); got < 2 {
		t.Fatalf("Latest() = %d, want at least 2 (baseline and article fulltext)", got)
	}
	raw, err := os.ReadFile("00001_baseline.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-- +goose Up", "-- +goose Down", "CREATE TABLE IF NOT EXISTS `users`"} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("00001_baseline.sql lacks %q", want)
		}
	}
}

// TestMigrations_NoDrift migrates one fresh database with goose and another
// with AutoMigrate (model.Migrate) and compares their tables, columns and
// indexes.
func TestMigrations_NoDrift(t *testing.T) {
	ctx := context.Background()
	gooseDB := scratchDB(t, "goose")
	autoDB := scratchDB(t, "auto")
	if err := migrations.Up(ctx, gooseDB.sql, io.Discard); err != nil {
		t.Fatalf("goose up: %v", err)
	}
	if err := model.Migrate(autoDB.gorm()); err != nil {
		t.Fatalf("AutoMigrate: %v", err)
	}
	want, got := snapshot(t, autoDB), snapshot(t, gooseDB)
	if diff := diffLines(want, got); diff != "" {
		t.Fatalf("the goose migrations and AutoMigrate (model.All()) make different schemas:\n%s\n"+
			"(- only after AutoMigrate, + only after goose)\nregenerate with %s", diff, regenerate)
	}
	t.Logf("goose and AutoMigrate agree on %d schema facts", len(want))
}

// TestMigrations_RequireCurrent: a fresh database is behind (and checking
// it writes nothing); after Up it is current, and Up again does nothing.
func TestMigrations_RequireCurrent(t *testing.T) {
	ctx := context.Background()
	db := scratchDB(t, "status")
	err := migrations.RequireCurrent(ctx, db.sql)
	if !errors.Is(err, migrations.ErrBehind) || !strings.Contains(err.Error(), "familycare migrate up") {
		t.Fatalf("RequireCurrent on an empty database = %v, want ErrBehind telling to run familycare migrate up", err)
	}
	if n := tableCount(t, db); n != 0 {
		t.Fatalf("checking the version created %d tables, want none", n)
	}
	st, err := migrations.GetStatus(ctx, db.sql)
	if err != nil {
		t.Fatal(err)
	}
	if st.Current != 0 || st.Latest != migrations.Latest() || len(st.Pending()) != len(st.Migrations) {
		t.Fatalf("status of an empty database: %+v", st)
	}

	var out bytes.Buffer
	if err := migrations.Up(ctx, db.sql, &out); err != nil {
		t.Fatalf("up: %v", err)
	}
	if !strings.Contains(out.String(), "00001_baseline.sql") {
		t.Errorf("up printed %q, want the baseline listed", out.String())
	}
	if err := migrations.RequireCurrent(ctx, db.sql); err != nil {
		t.Fatalf("RequireCurrent after up: %v", err)
	}
	if st, err = migrations.GetStatus(ctx, db.sql); err != nil || st.Current != migrations.Latest() || st.Behind() {
		t.Fatalf("status after up: %+v, %v", st, err)
	}
	out.Reset()
	if err := migrations.Up(ctx, db.sql, &out); err != nil {
		t.Fatalf("second up: %v", err)
	}
	if strings.Contains(out.String(), "OK") {
		t.Errorf("second up applied something: %q", out.String())
	}
	out.Reset()
	st.Write(&out)
	if !strings.Contains(out.String(), "schema is current") {
		t.Errorf("status output %q", out.String())
	}
}

// TestMigrations_ConcurrentUp: three deploy jobs migrating one database at
// once apply each migration exactly once and all succeed.
func TestMigrations_ConcurrentUp(t *testing.T) {
	ctx := context.Background()
	db := scratchDB(t, "race")
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := migrations.Up(ctx, db.sql, io.Discard); err != nil {
				failed.Add(1)
				t.Errorf("up: %v", err)
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		return
	}
	var rows, versions int
	if err := db.sql.QueryRow("SELECT COUNT(*), COUNT(DISTINCT version_id) FROM "+migrations.VersionTable+" WHERE version_id > 0").Scan(&rows, &versions); err != nil {
		t.Fatal(err)
	}
	// Versions come in ranges per change (00001, 00020 …), so count them.
	st, err := migrations.GetStatus(ctx, db.sql)
	if err != nil {
		t.Fatal(err)
	}
	if rows != versions || versions != len(st.Migrations) {
		t.Fatalf("goose_db_version has %d rows for %d versions, want one row for each of %d", rows, versions, len(st.Migrations))
	}
}

// --- scratch databases ---------------------------------------------------

type scratch struct {
	dsn string
	sql *sql.DB
	t   *testing.T
}

func (s scratch) gorm() *gorm.DB {
	db, err := model.Open("mysql", s.dsn, 2, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return db
}

var scratchSeq atomic.Int32

// scratchDB creates an empty database fc_mig_<pid>_<n>_<what> on
// TEST_MYSQL_DSN's server and drops it when the test ends (and those of
// test processes that have died).
func scratchDB(t *testing.T, what string) scratch {
	t.Helper()
	base := os.Getenv("TEST_MYSQL_DSN")
	if base == "" {
		t.Skip("TEST_MYSQL_DSN is empty: migrations are for MySQL/MariaDB/TiDB, set it to run this test (e.g. familycare_ci:familycare_ci@tcp(127.0.0.1:3306)/familycare_ci)")
	}
	cfg, err := mysqldrv.ParseDSN(base)
	if err != nil {
		t.Fatalf("TEST_MYSQL_DSN: %v", err)
	}
	admin, err := model.Open("mysql", base, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	adminSQL, _ := admin.DB()
	t.Cleanup(func() { _ = adminSQL.Close() })
	dropStale(t, adminSQL)

	name := fmt.Sprintf("fc_mig_%d_%d_%s", os.Getpid(), scratchSeq.Add(1), what)
	if _, err := adminSQL.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatal(err)
	}
	c := cfg.Clone()
	c.DBName = name
	dsn, err := model.MySQLDSN(c.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = db.Close()
		if _, err := adminSQL.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return scratch{dsn: dsn, sql: db, t: t}
}

var stalePID = regexp.MustCompile(`^fc_mig_(\d+)_`)

func dropStale(t *testing.T, admin *sql.DB) {
	rows, err := admin.Query("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'fc\\_mig\\_%'")
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) == nil {
			if m := stalePID.FindStringSubmatch(name); m != nil {
				if _, err := os.Stat("/proc/" + m[1]); err != nil {
					stale = append(stale, name)
				}
			}
		}
	}
	_ = rows.Close()
	for _, name := range stale {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS `" + name + "`")
	}
}

func tableCount(t *testing.T, s scratch) int {
	var n int
	if err := s.sql.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// --- schema snapshots ----------------------------------------------------

// snapshot describes a schema as sorted lines: one per table, column and
// index, with everything that makes them differ.
func snapshot(t *testing.T, s scratch) []string {
	t.Helper()
	var lines []string
	query := func(q string, scan func(*sql.Rows) (string, error)) {
		rows, err := s.sql.Query(q, migrations.VersionTable, migrations.LockTable)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			line, err := scan(rows)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	query(`SELECT table_name, engine, table_collation FROM information_schema.tables
		WHERE table_schema = DATABASE() AND table_name NOT IN (?, ?)`, func(r *sql.Rows) (string, error) {
		var name string
		var engine, coll sql.NullString
		err := r.Scan(&name, &engine, &coll)
		return fmt.Sprintf("table %s engine=%s collation=%s", name, engine.String, coll.String), err
	})
	query(`SELECT table_name, column_name, ordinal_position, column_type, is_nullable, column_default, extra, collation_name
		FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name NOT IN (?, ?)`, func(r *sql.Rows) (string, error) {
		var table, col, typ, null, extra string
		var pos int
		var def, coll sql.NullString
		err := r.Scan(&table, &col, &pos, &typ, &null, &def, &extra, &coll)
		d := "none"
		if def.Valid {
			d = def.String
		}
		return fmt.Sprintf("column %s.%s #%d %s nullable=%s default=%s extra=%q collation=%s", table, col, pos, typ, null, d, extra, coll.String), err
	})
	type index struct {
		unique bool
		typ    string
		cols   []string
	}
	indexes := map[string]*index{}
	query(`SELECT table_name, index_name, non_unique, column_name, sub_part, index_type
		FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name NOT IN (?, ?)
		ORDER BY table_name, index_name, seq_in_index`, func(r *sql.Rows) (string, error) {
		var table, name, col, typ string
		var nonUnique int
		var sub sql.NullInt64
		if err := r.Scan(&table, &name, &nonUnique, &col, &sub, &typ); err != nil {
			return "", err
		}
		key := table + "." + name
		ix := indexes[key]
		if ix == nil {
			ix = &index{unique: nonUnique == 0, typ: typ}
			indexes[key] = ix
		}
		if sub.Valid {
			col = fmt.Sprintf("%s(%d)", col, sub.Int64)
		}
		ix.cols = append(ix.cols, col)
		return "", nil
	})
	kept := lines[:0]
	for _, l := range lines {
		if l != "" {
			kept = append(kept, l)
		}
	}
	lines = kept
	for key, ix := range indexes {
		kind := "index"
		if ix.unique {
			kind = "unique"
		}
		lines = append(lines, fmt.Sprintf("%s %s (%s) %s", kind, key, strings.Join(ix.cols, ","), ix.typ))
	}
	sort.Strings(lines)
	return lines
}

// diffLines lists the lines only in want (-) and only in got (+).
func diffLines(want, got []string) string {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, l := range s {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var out []string
	for _, l := range want {
		if !g[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range got {
		if !w[l] {
			out = append(out, "+ "+l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][2:] < out[j][2:] })
	return strings.Join(out, "\n")
}

// TestMigrations_TiDBOrderedIDs: every CREATE TABLE carries the TiDB-only
// AUTO_ID_CACHE=1 comment (README, TiDB), which TiDB accepts only there.
func TestMigrations_TiDBOrderedIDs(t *testing.T) {
	files, err := filepath.Glob("*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(string(raw), ";") {
			if strings.Contains(stmt, "CREATE TABLE") && !strings.Contains(stmt, "/*T![auto_id_cache] AUTO_ID_CACHE=1 */") {
				t.Errorf("%s: a CREATE TABLE without /*T![auto_id_cache] AUTO_ID_CACHE=1 */:%.120s", f, stmt)
			}
		}
	}
}
