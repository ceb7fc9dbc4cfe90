// Command gen regenerates model/migrations/00001_baseline.sql: it runs
// AutoMigrate (model.Migrate) on a scratch MariaDB database, dumps the
// schema with mariadb-dump/mysqldump --no-data, keeps the CREATE TABLE
// statements (without AUTO_INCREMENT counters, ordered so that referenced
// tables come first) and drops the scratch database.
//
//	go run ./model/migrations/gen [-dsn DSN] [-out FILE]
//
// The DSN is any account that may create databases (default $GEN_MYSQL_DSN,
// else $TEST_MYSQL_DSN, else the CI account on 127.0.0.1:3306). Only
// MariaDB is accepted: on MySQL 8 AutoMigrate adds the ngram FULLTEXT index,
// which migration 00002 adds instead.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"

	"familycare/model"

	mysqldrv "github.com/go-sql-driver/mysql"
)

const defaultDSN = "familycare_ci:familycare_ci@tcp(127.0.0.1:3306)/familycare_ci"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	dsn := firstNonEmpty(os.Getenv("GEN_MYSQL_DSN"), os.Getenv("TEST_MYSQL_DSN"), defaultDSN)
	flag.StringVar(&dsn, "dsn", dsn, "MariaDB DSN of an account that may create databases")
	out := flag.String("out", "model/migrations/00001_baseline.sql", "file to write")
	flag.Parse()

	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("dsn: %w", err)
	}
	admin, err := model.Open("mysql", dsn, 2, nil)
	if err != nil {
		return err
	}
	var version string
	if err := admin.Raw("SELECT VERSION()").Scan(&version).Error; err != nil {
		return err
	}
	if !strings.Contains(version, "MariaDB") {
		return fmt.Errorf("server %s is not MariaDB: generate the baseline on MariaDB", version)
	}
	name := fmt.Sprintf("fc_mig_gen_%d", os.Getpid())
	if err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci").Error; err != nil {
		return err
	}
	defer func() {
		if err := admin.Exec("DROP DATABASE IF EXISTS `" + name + "`").Error; err != nil {
			fmt.Fprintln(os.Stderr, "gen: drop scratch database:", err)
		}
	}()

	scratch := cfg.Clone()
	scratch.DBName = name
	db, err := model.Open("mysql", scratch.FormatDSN(), 2, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	if err := model.Migrate(db); err != nil {
		return err
	}
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}

	dump, err := mysqldump(cfg, name)
	if err != nil {
		return err
	}
	sqlText, tables, err := baseline(dump)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, []byte(sqlText), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d tables (AutoMigrate on %s)\n", *out, tables, version)
	return nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// mysqldump dumps the schema of database name, connecting as cfg does.
func mysqldump(cfg *mysqldrv.Config, name string) (string, error) {
	bin := "mariadb-dump"
	if _, err := exec.LookPath(bin); err != nil {
		bin = "mysqldump"
	}
	args := []string{"--no-data", "--skip-comments", "--skip-add-drop-table", "--skip-set-charset",
		"--skip-triggers", "-u", cfg.User}
	if cfg.Net == "unix" {
		args = append(args, "--protocol=socket", "--socket="+cfg.Addr)
	} else {
		host, port, ok := strings.Cut(cfg.Addr, ":")
		if !ok {
			port = "3306"
		}
		args = append(args, "--protocol=tcp", "-h", host, "-P", port)
	}
	args = append(args, name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+cfg.Passwd) // not on the command line
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w: %s", bin, err, stderr.String())
	}
	return stdout.String(), nil
}

var (
	createRe  = regexp.MustCompile("(?ms)^CREATE TABLE `([^`]+)` \\(\n.*?\n\\) ENGINE=[^\n]*;$")
	autoIncRe = regexp.MustCompile(` AUTO_INCREMENT=\d+`)
	refRe     = regexp.MustCompile("REFERENCES `([^`]+)`")
)

// baseline turns a dump into the goose migration: CREATE TABLE statements in
// an order where every referenced table exists first, and their drops.
func baseline(dump string) (string, int, error) {
	stmts := map[string]string{}
	deps := map[string][]string{}
	for _, m := range createRe.FindAllStringSubmatch(dump, -1) {
		table, stmt := m[1], autoIncRe.ReplaceAllString(m[0], "")
		stmt = strings.Replace(stmt, "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1)
		stmts[table] = stmt
		for _, r := range refRe.FindAllStringSubmatch(stmt, -1) {
			if r[1] != table {
				deps[table] = append(deps[table], r[1])
			}
		}
	}
	if len(stmts) == 0 {
		return "", 0, fmt.Errorf("no CREATE TABLE in the dump:\n%s", dump)
	}
	order, err := topo(stmts, deps)
	if err != nil {
		return "", 0, err
	}
	var b strings.Builder
	b.WriteString("-- Baseline schema of familycare: exactly what AutoMigrate makes from\n")
	b.WriteString("-- model.All() on MariaDB. Generated by model/migrations/gen.sh; do not edit.\n")
	b.WriteString("-- IF NOT EXISTS lets a database that AutoMigrate already made adopt goose.\n\n")
	b.WriteString("-- +goose Up\n")
	for _, t := range order {
		b.WriteString(stmts[t])
		b.WriteString("\n\n")
	}
	b.WriteString("-- +goose Down\n")
	for i := len(order) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "DROP TABLE IF EXISTS `%s`;\n", order[i])
	}
	return b.String(), len(order), nil
}

// topo orders tables so that each comes after the tables it references;
// among tables that are ready, alphabetically (a stable file).
func topo(stmts map[string]string, deps map[string][]string) ([]string, error) {
	var names []string
	for t := range stmts {
		names = append(names, t)
	}
	sort.Strings(names)
	done := map[string]bool{}
	var order []string
	for len(order) < len(names) {
		progress := false
		for _, t := range names {
			if done[t] {
				continue
			}
			ready := true
			for _, d := range deps[t] {
				if _, known := stmts[d]; known && !done[d] {
					ready = false
				}
			}
			if ready {
				done[t], progress = true, true
				order = append(order, t)
				break
			}
		}
		if !progress {
			return nil, fmt.Errorf("foreign keys form a cycle among %v", names)
		}
	}
	return order, nil
}
