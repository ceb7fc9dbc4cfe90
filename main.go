// Command familycare is the backend of the familycare WeChat mini-program.
//
//	familycare                 serve HTTP (default)
//	familycare migrate up      bring the schema up to date and exit (goose
//	                           migrations on MySQL, AutoMigrate on SQLite)
//	familycare migrate status  list the migrations and whether they are applied
//	familycare grant-role -openid ID -role staff -clinic 3
//	                           make a user staff of a clinic (or admin/resident)
//	familycare export-user -openid ID
//	                           print everything held about a user as JSON
//	familycare delete-user -openid ID
//	                           delete a user's personal data (PIPL)
//
// @title                       familycare API
// @version                     1.0
// @description                 Backend of the familycare mini-program for "一老一小" families of a county medical community.
// @BasePath                    /
// @securityDefinitions.apikey  Bearer
// @in                          header
// @name                        Authorization
// @description                 "Bearer <JWT>"
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"familycare/app"
	"familycare/config"
	"familycare/model"
	"familycare/model/migrations"
	"familycare/pii"
	"familycare/seed"
	"familycare/service"

	"gorm.io/gorm"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "familycare:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	// The server logs to stdout; sub-commands keep stdout for their output.
	out := os.Stdout
	if cmd != "serve" {
		out = os.Stderr
	}
	log := newLogger(cfg, out)
	slog.SetDefault(log)
	switch cmd {
	case "serve":
		return serve(cfg, log)
	case "migrate":
		return migrate(cfg, log, args)
	case "grant-role":
		return grantRole(cfg, log, args)
	case "export-user", "delete-user":
		return account(cfg, log, cmd, args)
	default:
		return fmt.Errorf("unknown command %q (serve, migrate, grant-role, export-user, delete-user)", cmd)
	}
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Env == config.EnvProd {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(cfg config.Config, log *slog.Logger) error {
	log.Info("starting familycare", "config", cfg.String())
	dsn := cfg.DBDSN
	if cfg.DBDriver == "mysql" {
		var err error
		if dsn, err = model.WithIOTimeout(dsn, cfg.RequestTimeout); err != nil {
			return err
		}
	}
	db, err := model.Open(cfg.DBDriver, dsn, cfg.DBMaxOpenConns, log)
	if err != nil {
		return err
	}
	if err := prepareSchema(cfg, db); err != nil {
		return err
	}
	if cfg.SeedDemoData {
		now := time.Now().UTC()
		seeded, err := seed.Demo(context.Background(), db, now, cfg.Location())
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if seeded {
			if err := seed.Network(context.Background(), db, now, cfg.Location()); err != nil {
				return fmt.Errorf("seed network: %w", err)
			}
			log.Info("demo data seeded")
		}
		// The demo sessions stay a few weeks ahead of today.
		n, err := seed.TopUp(context.Background(), db, now, cfg.Location())
		if err != nil {
			return fmt.Errorf("seed top-up: %w", err)
		}
		log.Info("demo sessions topped up", "created", n)
	}
	a, err := app.New(cfg, db, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return a.Serve(ctx, ln, cfg.DrainTimeout)
}

func grantRole(cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("grant-role", flag.ContinueOnError)
	openID := fs.String("openid", "", "the user's WeChat openid")
	role := fs.String("role", "staff", "resident, staff or admin")
	clinic := fs.Int64("clinic", 0, "clinic id (staff)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*openID) == "" {
		return errors.New("grant-role: -openid is required")
	}
	db, err := model.Open(cfg.DBDriver, cfg.DBDSN, cfg.DBMaxOpenConns, log)
	if err != nil {
		return err
	}
	if err := prepareSchema(cfg, db); err != nil {
		return err
	}
	box, err := pii.New(cmp.Or(cfg.DataEncryptionKeys, pii.DevKeys), cfg.DataEncryptionKeyID)
	if err != nil {
		return err
	}
	auth := service.NewAuthService(service.Deps{DB: db, Log: log, PII: box}, nil, nil)
	u, err := auth.SetRoleByOpenID(context.Background(), *openID, *role, *clinic)
	if err != nil {
		return err
	}
	fmt.Printf("user %d (%s) is now %s\n", u.ID, u.OpenID, u.Role)
	return nil
}

// migrate runs `migrate up` (the default) or `migrate status`: versioned
// migrations (model/migrations) on MySQL, AutoMigrate on SQLite.
func migrate(cfg config.Config, log *slog.Logger, args []string) error {
	sub := "up"
	if len(args) > 0 {
		sub = args[0]
	}
	if sub != "up" && sub != "status" {
		return fmt.Errorf("migrate: unknown subcommand %q (up, status)", sub)
	}
	db, err := model.Open(cfg.DBDriver, cfg.DBDSN, cfg.DBMaxOpenConns, log)
	if err != nil {
		return err
	}
	if cfg.DBDriver != "mysql" {
		if sub == "status" {
			fmt.Println("sqlite: the schema is kept by AutoMigrate at start-up and by `migrate up` (no versions)")
			return nil
		}
		return model.Migrate(db)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if sub == "status" {
		st, err := migrations.GetStatus(ctx, sqlDB)
		if err != nil {
			return err
		}
		st.Write(os.Stdout)
		return nil
	}
	return migrations.Up(ctx, sqlDB, os.Stdout)
}

// prepareSchema: in prod on MySQL the schema belongs to `familycare migrate
// up` (run before a release starts), and start-up refuses a schema that is
// behind; elsewhere AutoMigrate brings it up to date.
func prepareSchema(cfg config.Config, db *gorm.DB) error {
	if cfg.Env != config.EnvProd || cfg.DBDriver != "mysql" {
		return model.Migrate(db)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return migrations.RequireCurrent(ctx, sqlDB)
}

// account serves export-user and delete-user, for requests that reach the
// hospital by phone or at the counter rather than through the mini-program.
func account(cfg config.Config, log *slog.Logger, cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	openID := fs.String("openid", "", "the user's WeChat openid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*openID) == "" {
		return fmt.Errorf("%s: -openid is required", cmd)
	}
	db, err := model.Open(cfg.DBDriver, cfg.DBDSN, cfg.DBMaxOpenConns, log)
	if err != nil {
		return err
	}
	if err := prepareSchema(cfg, db); err != nil {
		return err
	}
	a, err := app.New(cfg, db, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	var u model.User
	if err := db.Where("open_id = ?", *openID).First(&u).Error; err != nil {
		return fmt.Errorf("%s: no user with that openid", cmd)
	}
	ctx := context.Background()
	if cmd == "delete-user" {
		if err := a.Services.Accounts.Delete(ctx, u.ID); err != nil {
			return err
		}
		fmt.Printf("user %d deleted\n", u.ID)
		return nil
	}
	out, err := a.Services.Accounts.Export(ctx, u.ID)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
