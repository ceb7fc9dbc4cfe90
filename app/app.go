// Package app wires familycare together: services from a database and a
// configuration, the HTTP engine and the background jobs. main.go and the
// test harness both build the service through it, so tests run what runs in
// production.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"familycare/config"
	"familycare/handler"
	"familycare/metrics"
	"familycare/pii"
	"familycare/service"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// Options are the seams tests use; production leaves them zero.
type Options struct {
	Clock service.Clock
	// WeChatTransport carries WeChat API calls (tests point it at a fake).
	WeChatTransport http.RoundTripper
	// Redis is an already connected client (else REDIS_ADDR is dialled).
	Redis *redis.Client
}

// Job is a background job run every tick by each process; jobs claim their
// work in the database, so running them in several replicas is safe.
type Job struct {
	Name string
	Run  func(ctx context.Context) error
}

// App is the wired service.
type App struct {
	Config   config.Config
	DB       *gorm.DB
	Log      *slog.Logger
	Redis    *redis.Client
	Services handler.Services
	Engine   *gin.Engine
	Jobs     []Job
	// Metrics is this app's Prometheus registry and collectors (GET /metrics).
	Metrics *metrics.Metrics
}

// New wires the services and the HTTP engine on db.
func New(cfg config.Config, db *gorm.DB, log *slog.Logger, o Options) (*App, error) {
	clock := o.Clock
	if clock == nil {
		clock = service.SystemClock{}
	}
	clock = service.Millis(clock)
	rdb := o.Redis
	if rdb == nil && cfg.RedisAddr != "" {
		// Redis is an accelerator here, never a dependency: fail fast (one
		// dial, one retry) so an outage costs milliseconds, not seconds.
		rdb = redis.NewClient(&redis.Options{Addr: cfg.RedisAddr, DialTimeout: 500 * time.Millisecond,
			ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
			MaxRetries: 1, DialerRetries: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := rdb.Ping(ctx).Err(); err != nil {
			log.Warn("redis does not answer; shared state falls back to this process until it does", "err", err.Error())
		}
		cancel()
	}
	keys := cfg.DataEncryptionKeys
	if keys == "" {
		log.Warn("DATA_ENCRYPTION_KEYS is not set: personal data is sealed with the built-in dev key (refused in prod)")
		keys = pii.DevKeys
	}
	box, err := pii.New(keys, cfg.DataEncryptionKeyID)
	if err != nil {
		return nil, err
	}
	_, problems, warnings := service.ParseSubscribeTemplates(cfg)
	for _, w := range warnings {
		log.Warn("subscribe template", "warning", w.Error())
	}
	if len(problems) > 0 {
		if cfg.Env == config.EnvProd {
			return nil, fmt.Errorf("config: subscribe templates: %w", errors.Join(problems...))
		}
		for _, p := range problems {
			log.Warn("subscribe template left out (refused in prod)", "problem", p.Error())
		}
	}
	deps := service.Deps{DB: db, Clock: clock, Loc: cfg.Location(), Log: log, Config: cfg, Redis: rdb, PII: box}
	wx := service.NewWeChatClient(service.WeChatOptions{
		AppID: cfg.WeChatAppID, Secret: cfg.WeChatSecret, Timeout: cfg.WeChatTimeout,
		MiniprogramState: cfg.WeChatMiniState, Redis: rdb, RedisPrefix: cfg.RedisPrefix, Transport: o.WeChatTransport,
	}, log)
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("app: database pool: %w", err)
	}
	mx := metrics.New(sqlDB)
	wx.OnCall = mx.WeChatCall

	// Posts, comments and consultation messages are checked by WeChat; in
	// dev without WeChat credentials a local checker answers instead (prod
	// refuses to start without them, config.Validate).
	var textChecker service.ContentChecker = wx
	if cfg.Env == config.EnvDev && (cfg.WeChatAppID == "" || cfg.WeChatSecret == "") {
		textChecker = service.NewLocalContentChecker(cfg.BlockedWords, log)
		log.Warn("content check: local checker (dev, no WeChat credentials): BLOCKED_WORDS and the test words are risky, the rest is published at once",
			"checker", "local", "review_word", service.LocalCheckReviewWord, "risky_word", service.LocalCheckRiskyWord)
	} else {
		log.Info("content check: WeChat msgSecCheck", "checker", "wechat")
	}

	tokens := service.NewTokens(cfg.JWTSecret, cfg.JWTTTL, clock)
	notifications := service.NewNotificationService(deps, wx)
	catalog := service.NewCatalogService(deps, notifications)
	bookings := service.NewBookingService(deps, catalog, notifications)
	bookings.OnOutcome = mx.BookingOutcome
	auth := service.NewAuthService(deps, wx, tokens)
	svc := handler.Services{
		Tokens:        tokens,
		Auth:          auth,
		Admin:         service.NewAdminService(deps, auth, catalog, bookings),
		Referrals:     service.NewReferralService(deps, notifications),
		Family:        service.NewFamilyService(deps),
		Households:    service.NewHouseholdService(deps),
		Catalog:       catalog,
		Bookings:      bookings,
		Notifications: notifications,
		Idempotency:   service.NewIdempotencyService(deps),
		Circles:       service.NewCircleService(deps, textChecker, notifications),
		Guidance:      service.NewGuidanceService(deps),
		Contracts:     service.NewContractService(deps, notifications),
		Medicine:      service.NewMedicineService(deps, notifications),
		Teams:         service.NewTeamService(deps),
		Ready: func(ctx context.Context) error {
			sqlDB, err := db.DB()
			if err != nil {
				return err
			}
			return sqlDB.PingContext(ctx)
		},
	}
	store, err := newBlobStore(cfg)
	if err != nil {
		return nil, err
	}
	// Without a WeChat app (dev on a laptop) images cannot be checked:
	// they are shown as they are rather than waiting forever.
	var mediaChecker service.MediaChecker = wx
	if cfg.WeChatAppID == "" && cfg.Env != config.EnvProd {
		log.Warn("WECHAT_APPID is not set: uploaded images are not sent to WeChat's content check (dev only)")
		mediaChecker = nil
	}
	svc.Uploads = service.NewUploadService(deps, store, mediaChecker, notifications, service.UploadOptions{
		MaxBytes: cfg.UploadMaxBytes, MaxPixels: cfg.UploadMaxPixels, PublicBaseURL: cfg.UploadPublicURL,
	})
	svc.Circles.Uploads = svc.Uploads
	svc.Consultations = service.NewConsultationService(deps, textChecker, notifications)
	svc.Consultations.Uploads = svc.Uploads
	svc.Family.Uploads = svc.Uploads
	svc.Guidance.Uploads = svc.Uploads
	svc.Push = service.NewPushService(deps, svc.Uploads, notifications)
	svc.Accounts = service.NewAccountService(deps, svc.Auth, bookings, svc.Circles)
	svc.Accounts.Uploads = svc.Uploads
	if svc.FirstDays, err = service.NewFirstDaysService(deps, notifications); err != nil {
		return nil, err
	}
	svc.FollowUps = service.NewFollowUpService(deps, svc.FirstDays)
	svc.Worklist = service.NewWorklistService(deps)
	svc.Medications = service.NewMedicationService(deps)
	a := &App{Config: cfg, DB: db, Log: log, Redis: rdb, Services: svc, Metrics: mx}
	a.Jobs = []Job{
		{Name: "booking_reminders", Run: func(ctx context.Context) error {
			_, err := bookings.SendReminders(ctx)
			return err
		}},
		{Name: "booking_unconfirmed", Run: func(ctx context.Context) error {
			_, err := bookings.SettleUnconfirmed(ctx)
			return err
		}},
		{Name: "purge_idempotency_keys", Run: func(ctx context.Context) error {
			if _, err := svc.Idempotency.Purge(ctx); err != nil {
				return err
			}
			_, err := svc.Idempotency.SealLegacy(ctx)
			return err
		}},
		{Name: "push_notifications", Run: func(ctx context.Context) error {
			_, err := notifications.PushPending(ctx)
			return err
		}},
		{Name: "family_contract_expiry", Run: func(ctx context.Context) error {
			_, err := svc.Contracts.ExpireContracts(ctx)
			return err
		}},
		{Name: "family_contract_expiry_reminders", Run: func(ctx context.Context) error {
			_, err := svc.Contracts.RemindExpiring(ctx)
			return err
		}},
		{Name: "circle_content_recheck", Run: func(ctx context.Context) error {
			_, err := svc.Circles.RecheckPending(ctx)
			return err
		}},
		{Name: "guidance_flush_views", Run: func(ctx context.Context) error {
			_, err := svc.Guidance.Flush(ctx)
			return err
		}},
		{Name: "guidance_index", Run: func(ctx context.Context) error {
			_, err := svc.Guidance.Reindex(ctx)
			return err
		}},
		{Name: "upload_media_recheck", Run: func(ctx context.Context) error {
			_, err := svc.Uploads.RecheckPending(ctx)
			return err
		}},
		{Name: "upload_purge_unattached", Run: func(ctx context.Context) error {
			_, err := svc.Uploads.PurgeUnattached(ctx)
			return err
		}},
		{Name: "vaccine_reminders", Run: func(ctx context.Context) error {
			_, err := svc.FirstDays.SendVaccineReminders(ctx)
			return err
		}},
		{Name: "consultation_quiet_close", Run: func(ctx context.Context) error {
			_, err := svc.Consultations.CloseQuiet(ctx)
			return err
		}},
		{Name: "referral_expiry", Run: func(ctx context.Context) error {
			_, err := svc.Referrals.ExpireDue(ctx)
			return err
		}},
		{Name: "follow_up_plans", Run: func(ctx context.Context) error {
			_, err := svc.FollowUps.GeneratePlans(ctx)
			return err
		}},
		{Name: "wechat_push_events_purge", Run: func(ctx context.Context) error {
			_, err := svc.Push.Purge(ctx)
			return err
		}},
	}
	a.Engine = handler.New(handler.Options{
		Log: log, Clock: clock, Loc: deps.Loc, DevLogin: cfg.EnableDevLogin && cfg.Env != config.EnvProd,
		RequestTimeout: cfg.RequestTimeout,
		CacheMaxBytes:  cfg.CacheMaxBytes,
		CORSOrigins:    cfg.CORSOrigins,
		Middleware:     []gin.HandlerFunc{mx.Middleware()},
		Mount:          mx.Mount(cfg.MetricsToken),
	}, svc)
	return a, nil
}

// newBlobStore builds the upload store UPLOAD_STORE names.
func newBlobStore(cfg config.Config) (service.BlobStore, error) {
	if cfg.UploadStore == "s3" {
		return service.NewS3Store(service.S3Options{
			Endpoint: cfg.UploadS3Endpoint, Secure: cfg.UploadS3Secure, Region: cfg.UploadS3Region,
			Bucket: cfg.UploadS3Bucket, AccessKey: cfg.UploadS3AccessKey, SecretKey: cfg.UploadS3SecretKey,
			Prefix: cfg.UploadS3Prefix, PublicURL: cfg.UploadS3PublicURL, PathStyle: cfg.UploadS3PathStyle,
		})
	}
	// Absolute URLs when the public origin is known (the mini-program's
	// <image> needs them), else relative to this API.
	return service.NewLocalStore(cfg.UploadDir, strings.TrimSuffix(cfg.UploadPublicURL, "/")+"/files/")
}

// RunJobs runs every job each interval until ctx ends.
func (a *App) RunJobs(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for _, j := range a.Jobs {
			if ctx.Err() != nil {
				return
			}
			jctx, cancel := context.WithTimeout(ctx, interval)
			start := time.Now()
			err := j.Run(jctx)
			a.Metrics.JobRun(j.Name, time.Since(start), err)
			if err != nil && ctx.Err() == nil {
				a.Log.Warn("job failed", "job", j.Name, "err", err.Error())
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close releases the database and Redis connections.
func (a *App) Close() error {
	if a.Redis != nil {
		_ = a.Redis.Close()
	}
	sqlDB, err := a.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Serve runs the HTTP server on ln and the background jobs until ctx ends,
// then stops accepting connections, lets in-flight requests finish within
// drain, and stops the jobs. It returns when all of that is done.
func (a *App) Serve(ctx context.Context, ln net.Listener, drain time.Duration) error {
	srv := &http.Server{
		Handler:           a.Engine,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      a.Config.RequestTimeout + 5*time.Second,
		IdleTimeout:       120 * time.Second,
	}
	jobsCtx, stopJobs := context.WithCancel(context.Background())
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		if a.Config.EnableJobs {
			a.RunJobs(jobsCtx, a.Config.JobInterval)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("listening", "addr", ln.Addr().String(), "docs", "/swagger/index.html")

	select {
	case err := <-errc:
		stopJobs()
		<-jobsDone
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down: draining in-flight requests", "timeout", drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := srv.Shutdown(sctx)
	stopJobs()
	<-jobsDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.Log.Info("stopped")
	return nil
}
