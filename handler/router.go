// Package handler is familycare's HTTP layer: it binds and validates
// requests, calls one service method and maps results and errors to JSON.
package handler

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

// Services are the services the routes call.
type Services struct {
	Tokens        *service.Tokens
	Auth          *service.AuthService
	Admin         *service.AdminService
	Family        *service.FamilyService
	Households    *service.HouseholdService
	Catalog       *service.CatalogService
	Bookings      *service.BookingService
	Referrals     *service.ReferralService
	Notifications *service.NotificationService
	Idempotency   *service.IdempotencyService
	Circles       *service.CircleService
	Guidance      *service.GuidanceService
	Contracts     *service.ContractService
	Medicine      *service.MedicineService
	Accounts      *service.AccountService
	Uploads       *service.UploadService
	Push          *service.PushService
	FirstDays     *service.FirstDaysService
	Teams         *service.TeamService
	Consultations *service.ConsultationService
	FollowUps     *service.FollowUpService
	Worklist      *service.WorklistService
	Medications   *service.MedicationService
	// Ready reports whether the database answers.
	Ready func(ctx context.Context) error
}

// Options shape the HTTP layer.
type Options struct {
	Log            *slog.Logger
	Loc            *time.Location // business time zone, for rendering times
	Clock          service.Clock  // for derived values such as ages
	DevLogin       bool           // mount POST /auth/dev/login
	RequestTimeout time.Duration
	// CacheMaxBytes bounds the cache of encoded session pages.
	CacheMaxBytes int64
	// CORSOrigins are the browser origins allowed cross-origin (see cors.go).
	CORSOrigins []string
	// Extra middleware run first (metrics).
	Middleware []gin.HandlerFunc
	// Mount lets the caller add routes (metrics endpoint) to the engine.
	Mount func(*gin.Engine)
}

// API holds what the handlers need.
type API struct {
	svc  Services
	log  *slog.Logger
	loc  *time.Location
	opts Options
	// sessionJSON caches encoded session-list pages (see listSessions).
	sessionJSON encodedPages
}

// New builds the gin engine with every route.
func New(opts Options, svc Services) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	useJSONNames()
	if opts.Loc == nil {
		opts.Loc = time.UTC
	}
	if opts.Clock == nil {
		opts.Clock = service.SystemClock{}
	}
	a := &API{svc: svc, log: opts.Log, loc: opts.Loc, opts: opts, sessionJSON: newEncodedPages(opts.CacheMaxBytes)}

	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	r.RemoveExtraSlash = true
	r.Use(opts.Middleware...)
	cors := newCORS(opts.CORSOrigins)
	r.Use(cors.headers)
	r.Use(requestID(opts.Log), recovery(), accessLog(), limits(opts.RequestTimeout, uploadMax(svc)))
	r.NoRoute(func(c *gin.Context) {
		abortWith(c, http.StatusNotFound, "not_found", "no such route", nil)
	})
	r.NoMethod(func(c *gin.Context) {
		if cors.preflight(c) {
			return
		}
		abortWith(c, http.StatusMethodNotAllowed, "method_not_allowed", "this route does not take "+c.Request.Method, nil)
	})

	r.GET("/healthz", a.healthz)
	r.GET("/readyz", a.readyz)
	swaggerRoutes(r)
	if opts.Mount != nil {
		opts.Mount(r)
	}

	v1 := r.Group("/api/v1")
	public := v1.Group("", optionalAuth(svc.Tokens, svc.Auth), actFor(svc.Auth, false))
	authed := v1.Group("", authenticate(svc.Tokens, svc.Auth), actFor(svc.Auth, false))
	staff := v1.Group("/staff", authenticate(svc.Tokens, svc.Auth), requireRole("staff", "admin"), actFor(svc.Auth, true))
	admin := v1.Group("/admin", authenticate(svc.Tokens, svc.Auth), requireRole("admin"), actFor(svc.Auth, true))
	// managers: the /admin routes clinic managers may call for their own
	// clinic (the service checks the position; other staff get 403).
	managers := v1.Group("/admin", authenticate(svc.Tokens, svc.Auth), requireRole("staff", "admin"), actFor(svc.Auth, true))

	a.authRoutes(v1, authed, admin)
	a.familyRoutes(authed)
	a.householdRoutes(authed, staff)
	a.coverageRoutes(authed, staff)
	a.catalogRoutes(public)
	a.bookingRoutes(authed, staff)
	a.serviceRuleRoutes(staff)
	a.referralRoutes(authed, staff)
	a.notificationRoutes(authed)
	a.circleRoutes(public, authed, staff)
	a.guidanceRoutes(public, authed, staff)
	a.contractRoutes(public, authed, staff)
	a.contractContentRoutes(authed, staff, admin)
	a.medicineRoutes(authed, staff)
	a.uploadRoutes(r, authed, staff)
	a.pushRoutes(v1, public)
	a.firstDaysRoutes(public, authed, staff, admin)
	a.teamRoutes(admin)
	a.outreachRoutes(public, admin)
	a.consultationRoutes(authed, staff)
	a.followUpRoutes(authed, staff)
	a.worklistRoutes(staff)
	a.medicationRoutes(authed, staff)
	a.adminRoutes(authed, admin, managers, staff)
	return r
}

// ok writes a 200 JSON body.
func ok(c *gin.Context, body any) { c.JSON(http.StatusOK, body) }

// created writes a 201 JSON body.
func created(c *gin.Context, body any) { c.JSON(http.StatusCreated, body) }

// Health is the body of /healthz and /readyz.
type Health struct {
	Status string `json:"status" example:"ok" enums:"ok"`
}

// healthz godoc
// @Summary  Liveness: the process is up
// @Tags     operations
// @Produce  json
// @Success  200 {object} Health
// @Router   /healthz [get]
func (a *API) healthz(c *gin.Context) { ok(c, Health{Status: "ok"}) }

// readyz godoc
// @Summary  Readiness: the database answers
// @Tags     operations
// @Produce  json
// @Success  200 {object} Health
// @Failure  503 {object} ErrorResponse
// @Router   /readyz [get]
func (a *API) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := a.svc.Ready(ctx); err != nil {
		loggerOf(c).Warn("not ready", "err", err.Error())
		c.Header("Retry-After", "1")
		abortWith(c, http.StatusServiceUnavailable, "database_unavailable", "the database does not answer", nil)
		return
	}
	ok(c, Health{Status: "ok"})
}

// timeIn renders t in the business time zone (RFC 3339 with offset, +08:00
// for Asia/Shanghai) with whole seconds.
func (a *API) timeIn(t time.Time) time.Time { return t.In(a.loc).Truncate(time.Second) }

// timePtr is timeIn for optional times.
func (a *API) timePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := a.timeIn(*t)
	return &v
}

// zoned renders a service value that holds times of its own (the account
// export) with every RFC 3339 time in the business zone, whole seconds.
func (a *API) zoned(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var g any
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, err
	}
	var walk func(x any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case map[string]any:
			for k, e := range t {
				t[k] = walk(e)
			}
		case []any:
			for i, e := range t {
				t[i] = walk(e)
			}
		case string:
			if tm, err := time.Parse(time.RFC3339Nano, t); err == nil {
				return a.timeIn(tm).Format(time.RFC3339)
			}
		}
		return x
	}
	return walk(g), nil
}
