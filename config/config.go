// Package config loads the one typed configuration of familycare from the
// environment, optionally overlaid by a YAML file named in CONFIG_FILE.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"familycare/pii"

	"gopkg.in/yaml.v3"
)

// DevJWTSecret is the secret used when none is configured. It is fine on a
// laptop and refused in production.
const DevJWTSecret = "familycare-dev-secret-change-me-0000000000"

// Environments.
const (
	EnvDev  = "dev"
	EnvTest = "test"
	EnvProd = "prod"
)

// Config is every setting of the service. Field tags name the YAML keys; the
// environment variable of each field is listed in README.md and in envVars.
type Config struct {
	Env      string `yaml:"app_env"`
	HTTPAddr string `yaml:"http_addr"`
	// DrainTimeout bounds how long in-flight requests may take after SIGTERM.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// RequestTimeout bounds each request's context (database and WeChat calls).
	RequestTimeout time.Duration `yaml:"request_timeout"`

	DBDriver       string `yaml:"db_driver"`
	DBDSN          string `yaml:"db_dsn"`
	DBMaxOpenConns int    `yaml:"db_max_open_conns"`

	JWTSecret string        `yaml:"jwt_secret"`
	JWTTTL    time.Duration `yaml:"jwt_ttl"`

	WeChatAppID     string        `yaml:"wechat_appid"`
	WeChatSecret    string        `yaml:"wechat_secret"`
	WeChatTimeout   time.Duration `yaml:"wechat_timeout"`
	WeChatMiniState string        `yaml:"wechat_miniprogram_state"`
	// WeChatTemplates maps a notification event (booking_confirmed, …) to a
	// subscribe-message template id.
	WeChatTemplates map[string]string `yaml:"wechat_templates"`

	BusinessTZ string `yaml:"business_tz"`
	RedisAddr  string `yaml:"redis_addr"`
	// RedisPrefix namespaces every Redis key (several deployments, or test
	// runs, may share one Redis).
	RedisPrefix string `yaml:"redis_prefix"`

	// Booking rules.
	BookingCutoff time.Duration `yaml:"booking_cutoff"`
	CancelWindow  time.Duration `yaml:"cancel_window"`
	// CheckInOpens is how long before a session's start check-in opens
	// (never before that day begins); it closes when the session ends.
	CheckInOpens time.Duration `yaml:"check_in_opens"`
	// ConfirmBy is the default time before the start by which staff confirm
	// a booking of a staff-confirmed service (a service may set its own);
	// later, a job cancels or confirms it per the service.
	ConfirmBy time.Duration `yaml:"confirm_by"`
	// ReferralSeatsOpen: seats reserved for referrals open to everyone this
	// long before the start.
	ReferralSeatsOpen time.Duration `yaml:"referral_seats_open"`
	NoShowLimit       int           `yaml:"no_show_limit"`
	NoShowWindow      time.Duration `yaml:"no_show_window"`
	NoShowSuspension  time.Duration `yaml:"no_show_suspension"`
	JobInterval       time.Duration `yaml:"job_interval"`
	EnableJobs        bool          `yaml:"enable_jobs"`
	EnableDevLogin    bool          `yaml:"enable_dev_login"`
	SeedDemoData      bool          `yaml:"seed_demo_data"`
	// RealNameForCare: family-doctor contracts and medicine deliveries only
	// for verified (实名) persons. Default: on in prod, off in dev.
	RealNameForCare bool          `yaml:"real_name_for_care"`
	LogLevel        string        `yaml:"log_level"`
	IdempotencyTTL  time.Duration `yaml:"idempotency_ttl"`
	// StaffInviteTTL is how long a staff invitation code can be redeemed.
	StaffInviteTTL      time.Duration `yaml:"staff_invite_ttl"`
	PostRateLimit       int           `yaml:"post_rate_limit"`
	CommentRateLimit    int           `yaml:"comment_rate_limit"`
	BlockedWords        []string      `yaml:"blocked_words"`
	DataEncryptionKeys  string        `yaml:"data_encryption_keys"`
	DataEncryptionKeyID string        `yaml:"data_encryption_key_id"`
	// CacheMaxBytes bounds each in-process read cache (session list pages,
	// their JSON, article lists, articles) by the encoded bytes it holds.
	CacheMaxBytes int64 `yaml:"cache_max_bytes"`
	// MetricsToken, when set, is the bearer token GET /metrics requires.
	MetricsToken string `yaml:"metrics_token"`
	// CORSOrigins are the browser origins (scheme://host[:port]) allowed to
	// call the API cross-origin (an admin console, an H5 page); none by
	// default. The mini-program sends no Origin and needs none.
	CORSOrigins []string `yaml:"cors_origins"`

	// Uploads (README "Photos and files").
	UploadMaxBytes  int64  `yaml:"upload_max_bytes"`
	UploadMaxPixels int64  `yaml:"upload_max_pixels"`
	UploadStore     string `yaml:"upload_store"` // local | s3
	UploadDir       string `yaml:"upload_dir"`
	// UploadPublicURL is the public https origin of this API (for local
	// files), e.g. https://api.example.com: WeChat's media check fetches
	// images from it.
	UploadPublicURL   string `yaml:"upload_public_url"`
	UploadS3Endpoint  string `yaml:"upload_s3_endpoint"`
	UploadS3Secure    bool   `yaml:"upload_s3_secure"`
	UploadS3Region    string `yaml:"upload_s3_region"`
	UploadS3Bucket    string `yaml:"upload_s3_bucket"`
	UploadS3AccessKey string `yaml:"upload_s3_access_key"`
	UploadS3SecretKey string `yaml:"upload_s3_secret_key"`
	UploadS3Prefix    string `yaml:"upload_s3_prefix"`
	UploadS3PublicURL string `yaml:"upload_s3_public_url"`
	UploadS3PathStyle bool   `yaml:"upload_s3_path_style"`

	// WeChatSubscribe configures subscribe-message templates per
	// notification event with the template's own data keys (README
	// "Subscribe-message templates"; deploy/wechat-subscribe.example.yaml).
	WeChatSubscribe map[string]SubscribeTemplate `yaml:"wechat_subscribe"`

	// WeChat message push (消息推送): the token and EncodingAESKey set in
	// the mini-program's admin console.
	WeChatPushToken  string `yaml:"wechat_push_token"`
	WeChatPushAESKey string `yaml:"wechat_push_aes_key"`

	// Consultations (咨询): the team's reply is due within ConsultReplyWithin;
	// an answered one closes after ConsultQuietClose without a message; a
	// closed one reopens within ConsultReopenWithin, ConsultReopenLimit times.
	ConsultReplyWithin  time.Duration `yaml:"consult_reply_within"`
	ConsultQuietClose   time.Duration `yaml:"consult_quiet_close"`
	ConsultReopenWithin time.Duration `yaml:"consult_reopen_within"`
	ConsultReopenLimit  int           `yaml:"consult_reopen_limit"`
}

// SubscribeTemplate is one event's subscribe-message template: its id, the
// page the message opens ({id} is the object's id), the scenes whose
// wx.requestSubscribeMessage asks for it, and each data key of the template
// mapped to a field of the event (thing1: service, time2: starts_at …).
type SubscribeTemplate struct {
	TemplateID string            `yaml:"template_id"`
	Page       string            `yaml:"page"`
	Scenes     []string          `yaml:"scenes"`
	Data       map[string]string `yaml:"data"`
}

// Default returns the configuration used when nothing is set: a dev server on
// the embedded SQLite database.
func Default() Config {
	return Config{
		Env:               EnvDev,
		HTTPAddr:          ":8080",
		DrainTimeout:      15 * time.Second,
		RequestTimeout:    10 * time.Second,
		DBDriver:          "sqlite",
		DBDSN:             "familycare.db",
		DBMaxOpenConns:    32,
		JWTSecret:         DevJWTSecret,
		JWTTTL:            2 * time.Hour,
		WeChatTimeout:     5 * time.Second,
		WeChatMiniState:   "formal",
		WeChatTemplates:   map[string]string{},
		BusinessTZ:        "Asia/Shanghai",
		RedisPrefix:       "familycare:",
		BookingCutoff:     0,
		CancelWindow:      2 * time.Hour,
		CheckInOpens:      2 * time.Hour,
		ConfirmBy:         2 * time.Hour,
		ReferralSeatsOpen: 24 * time.Hour,
		NoShowLimit:       3,
		NoShowWindow:      90 * 24 * time.Hour,
		NoShowSuspension:  30 * 24 * time.Hour,
		JobInterval:       time.Minute,
		EnableJobs:        true,
		LogLevel:          "info",
		IdempotencyTTL:    24 * time.Hour,
		StaffInviteTTL:    72 * time.Hour,
		PostRateLimit:     10,
		CommentRateLimit:  60,
		UploadMaxBytes:    10 << 20,
		CacheMaxBytes:     4 << 20,
		UploadMaxPixels:   50_000_000,
		UploadStore:       "local",
		UploadDir:         "uploads",
		UploadS3Secure:    true,

		ConsultReplyWithin:  24 * time.Hour,
		ConsultQuietClose:   7 * 24 * time.Hour,
		ConsultReopenWithin: 7 * 24 * time.Hour,
		ConsultReopenLimit:  2,
	}
}

// Load builds the configuration: defaults, then the YAML file named in
// CONFIG_FILE (if any), then environment variables, then validation.
func Load(getenv func(string) string) (Config, error) {
	cfg := Default()
	if path := getenv("CONFIG_FILE"); path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: read CONFIG_FILE: %w", err)
		}
		if err := yaml.Unmarshal(raw, &cfg); err != nil {
			return cfg, fmt.Errorf("config: parse CONFIG_FILE %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return cfg, err
	}
	// Dev conveniences follow from the environment unless set explicitly.
	if getenv("ENABLE_DEV_LOGIN") == "" && !cfg.EnableDevLogin {
		cfg.EnableDevLogin = cfg.Env == EnvDev
	}
	if getenv("REAL_NAME_FOR_CARE") == "" && !cfg.RealNameForCare {
		cfg.RealNameForCare = cfg.Env == EnvProd
	}
	if getenv("SEED_DEMO_DATA") == "" && !cfg.SeedDemoData {
		cfg.SeedDemoData = cfg.Env == EnvDev
	}
	return cfg, cfg.Validate()
}

// envVar binds one environment variable to a field.
type envVar struct {
	name string
	set  func(c *Config, v string) error
	doc  string
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func dur(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		*p(c) = d
		return nil
	}
}

func integer(p func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		*p(c) = n
		return nil
	}
}

func int64v(p func(*Config) *int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return err
		}
		*p(c) = n
		return nil
	}
}

func boolean(p func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		*p(c) = b
		return nil
	}
}

func list(p func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		*p(c) = out
		return nil
	}
}

// envVars is the table of every environment variable; README.md mirrors it.
var envVars = []envVar{
	{"APP_ENV", str(func(c *Config) *string { return &c.Env }), "dev | test | prod"},
	{"HTTP_ADDR", str(func(c *Config) *string { return &c.HTTPAddr }), "listen address"},
	{"DRAIN_TIMEOUT", dur(func(c *Config) *time.Duration { return &c.DrainTimeout }), "graceful shutdown budget"},
	{"REQUEST_TIMEOUT", dur(func(c *Config) *time.Duration { return &c.RequestTimeout }), "per-request deadline"},
	{"DB_DRIVER", str(func(c *Config) *string { return &c.DBDriver }), "sqlite | mysql"},
	{"DB_DSN", str(func(c *Config) *string { return &c.DBDSN }), "database DSN"},
	{"DB_MAX_OPEN_CONNS", integer(func(c *Config) *int { return &c.DBMaxOpenConns }), "pool size (mysql)"},
	{"JWT_SECRET", str(func(c *Config) *string { return &c.JWTSecret }), "HS256 secret, >= 32 bytes in prod"},
	{"JWT_TTL", dur(func(c *Config) *time.Duration { return &c.JWTTTL }), "token lifetime"},
	{"WECHAT_APPID", str(func(c *Config) *string { return &c.WeChatAppID }), "mini-program app id"},
	{"WECHAT_SECRET", str(func(c *Config) *string { return &c.WeChatSecret }), "mini-program app secret"},
	{"WECHAT_TIMEOUT", dur(func(c *Config) *time.Duration { return &c.WeChatTimeout }), "timeout of each WeChat call"},
	{"WECHAT_MINIPROGRAM_STATE", str(func(c *Config) *string { return &c.WeChatMiniState }), "formal | trial | developer"},
	{"BUSINESS_TZ", str(func(c *Config) *string { return &c.BusinessTZ }), "business time zone"},
	{"REDIS_ADDR", str(func(c *Config) *string { return &c.RedisAddr }), "optional Redis host:port"},
	{"REDIS_PREFIX", str(func(c *Config) *string { return &c.RedisPrefix }), "prefix of every Redis key"},
	{"BOOKING_CUTOFF", dur(func(c *Config) *time.Duration { return &c.BookingCutoff }), "booking closes this long before start"},
	{"CANCEL_WINDOW", dur(func(c *Config) *time.Duration { return &c.CancelWindow }), "residents cancel up to this long before start"},
	{"CONFIRM_BY", dur(func(c *Config) *time.Duration { return &c.ConfirmBy }), "staff confirm bookings this long before start (services may set their own); later a job cancels or confirms them"},
	{"REFERRAL_SEATS_OPEN", dur(func(c *Config) *time.Duration { return &c.ReferralSeatsOpen }), "seats reserved for referrals open to everyone this long before start"},
	{"CHECK_IN_OPENS", dur(func(c *Config) *time.Duration { return &c.CheckInOpens }), "check-in opens this long before start (not before that day), closes at the end"},
	{"CONSULT_REPLY_WITHIN", dur(func(c *Config) *time.Duration { return &c.ConsultReplyWithin }), "a consultation's reply is due this long after the family writes (overdue after)"},
	{"CONSULT_QUIET_CLOSE", dur(func(c *Config) *time.Duration { return &c.ConsultQuietClose }), "an answered consultation closes after this long without a message"},
	{"CONSULT_REOPEN_WITHIN", dur(func(c *Config) *time.Duration { return &c.ConsultReopenWithin }), "a closed consultation may be reopened this long after closing"},
	{"CONSULT_REOPEN_LIMIT", integer(func(c *Config) *int { return &c.ConsultReopenLimit }), "how often a consultation may be reopened"},
	{"NO_SHOW_LIMIT", integer(func(c *Config) *int { return &c.NoShowLimit }), "no-shows that suspend booking"},
	{"NO_SHOW_WINDOW", dur(func(c *Config) *time.Duration { return &c.NoShowWindow }), "window in which no-shows count"},
	{"NO_SHOW_SUSPENSION", dur(func(c *Config) *time.Duration { return &c.NoShowSuspension }), "length of a booking suspension"},
	{"JOB_INTERVAL", dur(func(c *Config) *time.Duration { return &c.JobInterval }), "background job tick"},
	{"ENABLE_JOBS", boolean(func(c *Config) *bool { return &c.EnableJobs }), "run background jobs in this process"},
	{"ENABLE_DEV_LOGIN", boolean(func(c *Config) *bool { return &c.EnableDevLogin }), "POST /auth/dev/login (never in prod)"},
	{"SEED_DEMO_DATA", boolean(func(c *Config) *bool { return &c.SeedDemoData }), "seed demo data at start-up"},
	{"REAL_NAME_FOR_CARE", boolean(func(c *Config) *bool { return &c.RealNameForCare }), "contracts and medicine deliveries only for persons whose identity staff verified (default: on in prod)"},
	{"LOG_LEVEL", str(func(c *Config) *string { return &c.LogLevel }), "debug | info | warn | error"},
	{"IDEMPOTENCY_TTL", dur(func(c *Config) *time.Duration { return &c.IdempotencyTTL }), "how long Idempotency-Key replays"},
	{"STAFF_INVITE_TTL", dur(func(c *Config) *time.Duration { return &c.StaffInviteTTL }), "how long a staff invitation code can be redeemed"},
	{"POST_RATE_LIMIT", integer(func(c *Config) *int { return &c.PostRateLimit }), "circle posts per user per hour"},
	{"COMMENT_RATE_LIMIT", integer(func(c *Config) *int { return &c.CommentRateLimit }), "comments per user per hour"},
	{"BLOCKED_WORDS", list(func(c *Config) *[]string { return &c.BlockedWords }), "comma-separated words or re:patterns"},
	{"DATA_ENCRYPTION_KEYS", str(func(c *Config) *string { return &c.DataEncryptionKeys }), "id:base64key,... for PII at rest"},
	{"DATA_ENCRYPTION_KEY_ID", str(func(c *Config) *string { return &c.DataEncryptionKeyID }), "key id used for new writes"},
	{"CORS_ORIGINS", list(func(c *Config) *[]string { return &c.CORSOrigins }), "comma-separated browser origins allowed cross-origin (none by default)"},
	{"CACHE_MAX_BYTES", int64v(func(c *Config) *int64 { return &c.CacheMaxBytes }), "bytes each in-process read cache may hold (4 caches)"},
	{"METRICS_TOKEN", str(func(c *Config) *string { return &c.MetricsToken }), "bearer token GET /metrics requires (required in prod; empty in dev/test: open)"},
	{"UPLOAD_MAX_BYTES", int64v(func(c *Config) *int64 { return &c.UploadMaxBytes }), "largest upload in bytes (413 above)"},
	{"UPLOAD_MAX_PIXELS", int64v(func(c *Config) *int64 { return &c.UploadMaxPixels }), "largest width x height of an uploaded image"},
	{"UPLOAD_STORE", str(func(c *Config) *string { return &c.UploadStore }), "local | s3"},
	{"UPLOAD_DIR", str(func(c *Config) *string { return &c.UploadDir }), "directory of the local store"},
	{"UPLOAD_PUBLIC_URL", str(func(c *Config) *string { return &c.UploadPublicURL }), "public https origin of this API (local files, for WeChat's media check)"},
	{"UPLOAD_S3_ENDPOINT", str(func(c *Config) *string { return &c.UploadS3Endpoint }), "S3 endpoint host[:port]"},
	{"UPLOAD_S3_SECURE", boolean(func(c *Config) *bool { return &c.UploadS3Secure }), "https to the S3 endpoint"},
	{"UPLOAD_S3_REGION", str(func(c *Config) *string { return &c.UploadS3Region }), "S3 region"},
	{"UPLOAD_S3_BUCKET", str(func(c *Config) *string { return &c.UploadS3Bucket }), "S3 bucket"},
	{"UPLOAD_S3_ACCESS_KEY", str(func(c *Config) *string { return &c.UploadS3AccessKey }), "S3 access key"},
	{"UPLOAD_S3_SECRET_KEY", str(func(c *Config) *string { return &c.UploadS3SecretKey }), "S3 secret key"},
	{"UPLOAD_S3_PREFIX", str(func(c *Config) *string { return &c.UploadS3Prefix }), "object key prefix"},
	{"UPLOAD_S3_PUBLIC_URL", str(func(c *Config) *string { return &c.UploadS3PublicURL }), "public URL objects are loaded from (CDN or bucket)"},
	{"UPLOAD_S3_PATH_STYLE", boolean(func(c *Config) *bool { return &c.UploadS3PathStyle }), "path-style S3 requests (MinIO)"},
	{"WECHAT_PUSH_TOKEN", str(func(c *Config) *string { return &c.WeChatPushToken }), "message push Token (mini-program console)"},
	{"WECHAT_PUSH_AES_KEY", str(func(c *Config) *string { return &c.WeChatPushAESKey }), "message push EncodingAESKey (safe mode)"},
}

func applyEnv(cfg *Config, getenv func(string) string) error {
	for _, ev := range envVars {
		v := getenv(ev.name)
		if v == "" {
			continue
		}
		if err := ev.set(cfg, v); err != nil {
			return fmt.Errorf("config: %s=%q: %w", ev.name, v, err)
		}
	}
	for _, kv := range strings.Split(getenv("WECHAT_TEMPLATES"), ",") {
		event, id, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && event != "" && id != "" {
			if cfg.WeChatTemplates == nil {
				cfg.WeChatTemplates = map[string]string{}
			}
			cfg.WeChatTemplates[event] = id
		}
	}
	return nil
}

// Validate checks the configuration once; in production it refuses defaults
// that would be unsafe.
func (c Config) Validate() error {
	var errs []error
	switch c.Env {
	case EnvDev, EnvTest, EnvProd:
	default:
		errs = append(errs, fmt.Errorf("APP_ENV must be dev, test or prod, not %q", c.Env))
	}
	switch c.DBDriver {
	case "sqlite", "mysql":
	default:
		errs = append(errs, fmt.Errorf("DB_DRIVER must be sqlite or mysql, not %q", c.DBDriver))
	}
	if c.DBDSN == "" {
		errs = append(errs, errors.New("DB_DSN is empty"))
	}
	if c.JWTTTL <= 0 {
		errs = append(errs, errors.New("JWT_TTL must be positive"))
	}
	if c.StaffInviteTTL <= 0 {
		errs = append(errs, errors.New("STAFF_INVITE_TTL must be positive"))
	}
	if _, err := time.LoadLocation(c.BusinessTZ); err != nil {
		errs = append(errs, fmt.Errorf("BUSINESS_TZ %q: %w", c.BusinessTZ, err))
	}
	if c.ConsultReplyWithin <= 0 || c.ConsultQuietClose <= 0 || c.ConsultReopenWithin < 0 || c.ConsultReopenLimit < 0 {
		errs = append(errs, errors.New("CONSULT_REPLY_WITHIN and CONSULT_QUIET_CLOSE must be positive, CONSULT_REOPEN_* not negative"))
	}
	if c.CancelWindow < 0 || c.BookingCutoff < 0 || c.CheckInOpens < 0 || c.ConfirmBy < 0 || c.ReferralSeatsOpen < 0 {
		errs = append(errs, errors.New("CANCEL_WINDOW and BOOKING_CUTOFF must not be negative"))
	}
	if c.Env == EnvProd {
		switch {
		case c.JWTSecret == "" || c.JWTSecret == DevJWTSecret:
			errs = append(errs, errors.New("JWT_SECRET must be set to a secret of your own in prod"))
		case len(c.JWTSecret) < 32:
			errs = append(errs, errors.New("JWT_SECRET must be at least 32 bytes in prod"))
		}
		if c.WeChatAppID == "" || c.WeChatSecret == "" {
			errs = append(errs, errors.New("WECHAT_APPID and WECHAT_SECRET are required in prod"))
		}
		if c.DataEncryptionKeys == "" || c.DataEncryptionKeys == pii.DevKeys {
			errs = append(errs, errors.New("DATA_ENCRYPTION_KEYS must be set to keys of your own in prod (id:base64 of 32 random bytes)"))
		}
		if c.EnableDevLogin {
			errs = append(errs, errors.New("ENABLE_DEV_LOGIN must not be set in prod"))
		}
		if len(c.MetricsToken) < 16 {
			errs = append(errs, errors.New("METRICS_TOKEN (at least 16 characters) is required in prod: GET /metrics is never open there"))
		}
		// Image checks come back by message push, in safe mode.
		if c.WeChatPushToken == "" || c.WeChatPushAESKey == "" {
			errs = append(errs, errors.New("WECHAT_PUSH_TOKEN and WECHAT_PUSH_AES_KEY are required in prod (message push, safe mode)"))
		}
		if c.UploadStore == "local" && !strings.HasPrefix(c.UploadPublicURL, "https://") {
			errs = append(errs, errors.New("UPLOAD_PUBLIC_URL (https origin of this API) is required in prod with the local upload store"))
		}
	} else if c.JWTSecret == "" {
		errs = append(errs, errors.New("JWT_SECRET is empty"))
	}
	switch c.UploadStore {
	case "local":
	case "s3":
		if c.UploadS3Endpoint == "" || c.UploadS3Bucket == "" || c.UploadS3PublicURL == "" {
			errs = append(errs, errors.New("UPLOAD_STORE=s3 needs UPLOAD_S3_ENDPOINT, UPLOAD_S3_BUCKET and UPLOAD_S3_PUBLIC_URL"))
		}
	default:
		errs = append(errs, fmt.Errorf("UPLOAD_STORE must be local or s3, not %q", c.UploadStore))
	}
	if c.UploadMaxBytes <= 0 || c.UploadMaxPixels <= 0 {
		errs = append(errs, errors.New("UPLOAD_MAX_BYTES and UPLOAD_MAX_PIXELS must be positive"))
	}
	if c.CacheMaxBytes < 64<<10 {
		errs = append(errs, errors.New("CACHE_MAX_BYTES must be at least 65536 (64 KiB)"))
	}
	if c.WeChatPushAESKey != "" && len(c.WeChatPushAESKey) != 43 {
		errs = append(errs, errors.New("WECHAT_PUSH_AES_KEY must be the 43-character EncodingAESKey"))
	}
	for _, o := range c.CORSOrigins {
		if err := checkOrigin(o, c.Env == EnvProd); err != nil {
			errs = append(errs, fmt.Errorf("CORS_ORIGINS: %w", err))
		}
	}
	if c.DataEncryptionKeys != "" {
		if _, err := pii.New(c.DataEncryptionKeys, c.DataEncryptionKeyID); err != nil {
			errs = append(errs, fmt.Errorf("DATA_ENCRYPTION_KEYS: %w", err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// checkOrigin accepts an origin as browsers send it: http or https (https
// only in prod), a host, an optional port, nothing else. "*" is refused: the
// list names each origin.
func checkOrigin(o string, prod bool) error {
	u, err := url.Parse(o)
	switch {
	case o == "*":
		return errors.New(`"*" is not allowed: list each origin`)
	case err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#"):
		return fmt.Errorf("%q is not an origin (scheme://host[:port], no path)", o)
	case u.Scheme != "https" && !(u.Scheme == "http" && !prod):
		return fmt.Errorf("%q: the scheme must be https (http only outside prod)", o)
	case o != strings.ToLower(o):
		return fmt.Errorf("%q: write the origin in lower case, as browsers send it", o)
	}
	return nil
}

// Location returns the business time zone (validated by Validate).
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.BusinessTZ)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// String prints the configuration with secrets masked, for start-up logs.
func (c Config) String() string {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "***"
	}
	return fmt.Sprintf("env=%s addr=%s db=%s dsn=%s redis=%s wechat_appid=%s wechat_secret=%s jwt_secret=%s tz=%s",
		c.Env, c.HTTPAddr, c.DBDriver, maskDSN(c.DBDSN), c.RedisAddr, c.WeChatAppID, mask(c.WeChatSecret), mask(c.JWTSecret), c.BusinessTZ)
}

// maskDSN hides a password in user:password@... DSNs.
func maskDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	colon := strings.Index(dsn, ":")
	if at < 0 || colon < 0 || colon > at {
		return dsn
	}
	return dsn[:colon+1] + "***" + dsn[at:]
}
