package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// Catalogue errors.
var (
	ErrSessionExists       = newErr(KindConflict, "session_exists", "a session of this service and expert already starts at that time")
	ErrCapacityBelowBooked = newErr(KindConflict, "capacity_below_booked", "the capacity cannot be lower than the seats already held")
	ErrSessionCancelled    = newErr(KindConflict, "session_cancelled", "the session is cancelled")
)

// CatalogService serves clinics, experts, services and sessions, and lets
// staff publish sessions and schedules. Clinics, experts and services change
// rarely and are read on every session list, so they are cached in memory for
// a short time (and dropped at once when this process changes them).
type CatalogService struct {
	db     *gorm.DB
	clock  Clock
	loc    *time.Location
	cfg    bookingRules
	log    *slog.Logger
	notify *NotificationService

	mu     sync.Mutex
	refs   *refData
	refTTL time.Duration

	// lists caches session list pages for listTTL: the list is the hottest
	// read of the app and the same for every caller. Counts in it may lag by
	// up to listTTL; a booking is always decided by the database.
	listMu    sync.Mutex
	lists     map[string]sessionPage
	listTTL   time.Duration
	listStamp uint64
}

type sessionPage struct {
	at   time.Time
	page SessionPage
}

// SessionPage is one page of sessions. Stamp identifies the database read
// it came from: two answers with the same stamp are the same page, so an
// HTTP layer may reuse what it made of it.
type SessionPage struct {
	Items []SessionView
	Next  string
	Stamp uint64
}

const maxSessionPages = 1024

// refData is the cached reference data.
type refData struct {
	loaded   time.Time
	clinics  map[int64]model.Clinic
	services map[int64]model.Service
	experts  map[int64]model.Expert
}

type bookingRules struct {
	cutoff       time.Duration
	cancelWindow time.Duration
}

// NewCatalogService builds the catalogue service.
func NewCatalogService(deps Deps, notify *NotificationService) *CatalogService {
	return &CatalogService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, log: deps.Log, notify: notify,
		cfg:    bookingRules{cutoff: deps.Config.BookingCutoff, cancelWindow: deps.Config.CancelWindow},
		refTTL: 30 * time.Second, listTTL: time.Second, lists: map[string]sessionPage{}}
}

// references returns the cached clinics, services and experts.
func (s *CatalogService) references(ctx context.Context) (*refData, error) {
	s.mu.Lock()
	r := s.refs
	s.mu.Unlock()
	if r != nil && time.Since(r.loaded) < s.refTTL {
		return r, nil
	}
	var (
		clinics  []model.Clinic
		services []model.Service
		experts  []model.Expert
	)
	db := s.db.WithContext(ctx)
	if err := db.Find(&clinics).Error; err != nil {
		return nil, err
	}
	if err := db.Find(&services).Error; err != nil {
		return nil, err
	}
	if err := db.Find(&experts).Error; err != nil {
		return nil, err
	}
	r = &refData{loaded: time.Now(), clinics: indexBy(clinics, func(c model.Clinic) int64 { return c.ID }),
		services: indexBy(services, func(sv model.Service) int64 { return sv.ID }),
		experts:  indexBy(experts, func(e model.Expert) int64 { return e.ID })}
	s.mu.Lock()
	s.refs = r
	s.mu.Unlock()
	return r, nil
}

// invalidate drops the cache after this process changed reference data.
func (s *CatalogService) invalidate() {
	s.mu.Lock()
	s.refs = nil
	s.mu.Unlock()
}

// ClinicFilter filters clinics.
type ClinicFilter struct {
	Kind     string
	ParentID int64
}

// Clinics lists open clinics, main hospital first, then by id (closed
// clinics are off the public lists).
func (s *CatalogService) Clinics(ctx context.Context, f ClinicFilter) ([]model.Clinic, error) {
	r, err := s.references(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]model.Clinic, 0, len(r.clinics))
	for _, c := range r.clinics {
		if c.Status == model.ClinicClosed {
			continue
		}
		if f.Kind != "" && c.Kind != f.Kind {
			continue
		}
		if f.ParentID != 0 && (c.ParentID == nil || *c.ParentID != f.ParentID) {
			continue
		}
		out = append(out, c)
	}
	rank := clinicRank
	sort.Slice(out, func(i, j int) bool {
		if rank[out[i].Kind] != rank[out[j].Kind] {
			return rank[out[i].Kind] < rank[out[j].Kind]
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// clinicCursor is the position after a clinic in the order of Clinics:
// kind rank (main hospital, branch, station), then id.
type clinicCursor struct {
	Rank int   `json:"k"`
	ID   int64 `json:"i"`
}

// ClinicPage is one page of Clinics, in the same order, with the cursor of
// the next page ("" on the last).
func (s *CatalogService) ClinicPage(ctx context.Context, f ClinicFilter, p pagination.Page) ([]model.Clinic, string, error) {
	var cur clinicCursor
	if err := decodeCursor(p.Cursor, &cur); err != nil {
		return nil, "", err
	}
	all, err := s.Clinics(ctx, f)
	if err != nil {
		return nil, "", err
	}
	limit := pageLimit(p.Limit)
	out := make([]model.Clinic, 0, limit)
	next := ""
	for _, c := range all {
		rank := clinicRank[c.Kind]
		if p.Cursor != "" && (rank < cur.Rank || rank == cur.Rank && c.ID <= cur.ID) {
			continue
		}
		if len(out) == limit {
			last := out[limit-1]
			next = pagination.Encode(clinicCursor{Rank: clinicRank[last.Kind], ID: last.ID})
			break
		}
		out = append(out, c)
	}
	return out, next, nil
}

// clinicRank orders the clinics of the network: main hospital, branches,
// stations.
var clinicRank = map[string]int{model.ClinicMainHospital: 0, model.ClinicBranch: 1, model.ClinicStation: 2}

// Clinic returns one clinic.
func (s *CatalogService) Clinic(ctx context.Context, id int64) (model.Clinic, error) {
	var c model.Clinic
	return c, notFound(s.db.WithContext(ctx).First(&c, id).Error)
}

// ServiceFilter filters services.
type ServiceFilter struct {
	Kind     string
	ClinicID int64
}

// Services lists services by id.
func (s *CatalogService) Services(ctx context.Context, f ServiceFilter, p pagination.Page) ([]model.Service, string, error) {
	q := s.db.WithContext(ctx)
	q = filterBy(q, "kind", f.Kind, "clinic_id", f.ClinicID)
	return findPageByID(q, p, false, func(sv model.Service) int64 { return sv.ID })
}

// Session statuses as shown.
const (
	SessionStatusOpen      = "open"
	SessionStatusFull      = "full"
	SessionStatusCancelled = "cancelled"
	SessionStatusPast      = "past"
)

// SessionView is a session with what a list shows about it.
type SessionView struct {
	model.Session
	Service model.Service
	Clinic  model.Clinic
	Expert  *model.Expert
	// ExpertHome names the expert's home hospital (a main-hospital expert
	// sitting at a branch is published under it).
	ExpertHome string
	Status     string // open, full, cancelled, past
}

// SessionFilter filters session lists.
type SessionFilter struct {
	Kind      string
	ClinicID  int64
	ExpertID  int64
	ServiceID int64
	From, To  *time.Time
	Available bool
}

type sessionCursor struct {
	StartsAt time.Time `json:"t"`
	ID       int64     `json:"id"`
}

// Sessions lists sessions by start time. Without From it lists sessions that
// have not started yet.
func (s *CatalogService) Sessions(ctx context.Context, f SessionFilter, p pagination.Page) (SessionPage, error) {
	now := s.clock.Now()
	key := fmt.Sprintf("%+v|%v|%v|%d|%s", f, timeKey(f.From), timeKey(f.To), p.Limit, p.Cursor)
	s.listMu.Lock()
	c, hit := s.lists[key]
	s.listMu.Unlock()
	if hit && now.Sub(c.at) < s.listTTL && !now.Before(c.at) {
		return c.page, nil
	}
	views, next, err := s.sessions(ctx, f, p)
	if err != nil {
		return SessionPage{}, err
	}
	s.listMu.Lock()
	if len(s.lists) >= maxSessionPages {
		s.lists = map[string]sessionPage{}
	}
	s.listStamp++
	page := SessionPage{Items: views, Next: next, Stamp: s.listStamp}
	s.lists[key] = sessionPage{at: now, page: page}
	s.listMu.Unlock()
	return page, nil
}

func timeKey(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (s *CatalogService) sessions(ctx context.Context, f SessionFilter, p pagination.Page) ([]SessionView, string, error) {
	var cur sessionCursor
	if err := decodeCursor(p.Cursor, &cur); err != nil {
		return nil, "", err
	}
	limit := pageLimit(p.Limit)
	now := s.clock.Now()
	q := s.db.WithContext(ctx).Model(&model.Session{})
	q = filterBy(q, "kind", f.Kind, "clinic_id", f.ClinicID, "expert_id", f.ExpertID, "service_id", f.ServiceID)
	from := now
	if f.From != nil {
		from = model.Trunc(*f.From)
	}
	q = q.Where("starts_at >= ?", from)
	if f.To != nil {
		q = q.Where("starts_at < ?", model.Trunc(*f.To))
	}
	if f.Available {
		q = q.Where("status = ? AND booked < capacity AND starts_at > ?", model.SessionOpen, now.Add(s.cfg.cutoff))
	}
	if cur.ID != 0 {
		q = q.Where("(starts_at > ? OR (starts_at = ? AND id > ?))", cur.StartsAt, cur.StartsAt, cur.ID)
	}
	var rows []model.Session
	if err := q.Order("starts_at, id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = pagination.Encode(sessionCursor{StartsAt: last.StartsAt, ID: last.ID})
	}
	views, err := s.views(ctx, rows)
	return views, next, err
}

// Session returns one session.
func (s *CatalogService) Session(ctx context.Context, id int64) (SessionView, error) {
	var row model.Session
	if err := s.db.WithContext(ctx).First(&row, id).Error; err != nil {
		return SessionView{}, notFound(err)
	}
	v, err := s.views(ctx, []model.Session{row})
	if err != nil {
		return SessionView{}, err
	}
	return v[0], nil
}

// views joins sessions with their service, clinic and expert from the cache.
func (s *CatalogService) views(ctx context.Context, rows []model.Session) ([]SessionView, error) {
	r, err := s.references(ctx)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]SessionView, len(rows))
	for i, row := range rows {
		if _, ok := r.services[row.ServiceID]; !ok { // created by another process since the cache was filled
			s.invalidate()
			if r, err = s.references(ctx); err != nil {
				return nil, err
			}
		}
		out[i] = s.viewOf(r, row, now)
	}
	return out, nil
}

// viewOf joins one session with its service, clinic and expert from r.
func (s *CatalogService) viewOf(r *refData, row model.Session, now time.Time) SessionView {
	v := SessionView{Session: row, Service: r.services[row.ServiceID], Clinic: r.clinics[row.ClinicID], Status: s.status(row, now)}
	if row.ExpertID != 0 {
		if e, ok := r.experts[row.ExpertID]; ok {
			v.Expert = &e
			home := e.HomeClinicID
			if home == 0 {
				home = e.ClinicID
			}
			v.ExpertHome = r.clinics[home].Name
		}
	}
	return v
}

// status derives what a parent sees: cancelled, past (started), full or open.
func (s *CatalogService) status(row model.Session, now time.Time) string {
	switch {
	case row.Status == model.SessionCancelled:
		return SessionStatusCancelled
	case !row.StartsAt.After(now.Add(s.cfg.cutoff)):
		return SessionStatusPast
	case row.Booked >= row.Capacity:
		return SessionStatusFull
	}
	return SessionStatusOpen
}

// staffService returns a service the principal may schedule: staff only at
// their own clinic (another clinic's service is not found).
func (s *CatalogService) staffService(db *gorm.DB, p Principal, serviceID int64) (model.Service, error) {
	var sv model.Service
	if err := db.First(&sv, serviceID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return sv, InvalidField("service_id", "no such service")
		}
		return sv, err
	}
	if !p.Sees(sv.ClinicID) {
		return sv, InvalidField("service_id", "no such service at your clinic")
	}
	var cl model.Clinic
	if err := db.Select("id", "status").First(&cl, sv.ClinicID).Error; err != nil {
		return sv, notFound(err)
	}
	if cl.Status == model.ClinicClosed {
		return sv, ErrClinicClosed
	}
	return sv, nil
}

func (s *CatalogService) checkExpert(db *gorm.DB, expertID int64) error {
	if expertID == 0 {
		return nil
	}
	var n int64
	if err := db.Model(&model.Expert{}).Where("id = ?", expertID).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return InvalidField("expert_id", "no such expert")
	}
	return nil
}

// Session limits.
const (
	maxCapacity      = 1000
	maxSessionLength = 12 * time.Hour
	maxScheduleDays  = 92
)

// NewSession is a single session to publish.
type NewSession struct {
	ServiceID, ExpertID int64
	StartsAt, EndsAt    time.Time
	Capacity            int
}

// CreateSession publishes one session at the staff member's clinic.
func (s *CatalogService) CreateSession(ctx context.Context, p Principal, in NewSession) (SessionView, error) {
	db := s.db.WithContext(ctx)
	sv, err := s.staffService(db, p, in.ServiceID)
	if err != nil {
		return SessionView{}, err
	}
	if err := s.checkExpert(db, in.ExpertID); err != nil {
		return SessionView{}, err
	}
	fields := map[string]string{}
	now := s.clock.Now()
	if !in.StartsAt.After(now) {
		fields["starts_at"] = "must be in the future"
	} else if in.StartsAt.After(now.Add(SessionHorizon)) {
		fields["starts_at"] = "must be within the next two years"
	}
	if !in.EndsAt.After(in.StartsAt) {
		fields["ends_at"] = "must be after starts_at"
	} else if in.EndsAt.Sub(in.StartsAt) > maxSessionLength {
		fields["ends_at"] = "a session lasts at most 12 hours"
	}
	if in.Capacity < 1 || in.Capacity > maxCapacity {
		fields["capacity"] = fmt.Sprintf("must be between 1 and %d", maxCapacity)
	}
	if len(fields) > 0 {
		return SessionView{}, Invalid(fields)
	}
	row := model.Session{ServiceID: sv.ID, ExpertID: in.ExpertID, ClinicID: sv.ClinicID, Kind: sv.Kind,
		StartsAt: in.StartsAt.UTC().Truncate(time.Second), EndsAt: in.EndsAt.UTC().Truncate(time.Second),
		Capacity: in.Capacity, Status: model.SessionOpen, Reserved: min(sv.ReservedSeats, in.Capacity)}
	err = transact(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := createSlots(tx, row, sv.SlotMinutes); err != nil {
			return err
		}
		return sessionMachine.Start(tx, now, Step{ID: row.ID, To: row.Status, By: actorOf(p)})
	})
	if err != nil {
		if isDuplicate(err) {
			return SessionView{}, ErrSessionExists
		}
		return SessionView{}, err
	}
	v, err := s.views(ctx, []model.Session{row})
	if err != nil {
		return SessionView{}, err
	}
	return v[0], nil
}

// NewSchedule is a recurring rule: on these weekdays (1 = Monday … 7 =
// Sunday), from start to end time (business time zone), between two dates.
type NewSchedule struct {
	ServiceID, ExpertID int64
	Weekdays            []int
	StartTime, EndTime  string // "09:00"
	Capacity            int
	FromDate, ToDate    string // YYYY-MM-DD, inclusive
}

// ScheduleResult is what a schedule created.
type ScheduleResult struct {
	Schedule model.Schedule
	Sessions []SessionView
	Skipped  int // dates whose session already existed or had passed
}

// CreateSchedule turns a recurring rule into sessions. Running it again over
// the same dates creates nothing new: the unique slot key (service, expert,
// start) skips existing sessions.
func (s *CatalogService) CreateSchedule(ctx context.Context, p Principal, in NewSchedule) (ScheduleResult, error) {
	db := s.db.WithContext(ctx)
	sv, err := s.staffService(db, p, in.ServiceID)
	if err != nil {
		return ScheduleResult{}, err
	}
	if err := s.checkExpert(db, in.ExpertID); err != nil {
		return ScheduleResult{}, err
	}
	starts, err := s.expand(in)
	if err != nil {
		return ScheduleResult{}, err
	}
	days := make([]string, len(in.Weekdays))
	for i, d := range in.Weekdays {
		days[i] = strconv.Itoa(d)
	}
	sched := model.Schedule{ServiceID: sv.ID, ExpertID: in.ExpertID, ClinicID: sv.ClinicID, Weekdays: strings.Join(days, ","),
		StartTime: in.StartTime, EndTime: in.EndTime, Capacity: in.Capacity, FromDate: in.FromDate, ToDate: in.ToDate, CreatedBy: p.UserID}
	var created []model.Session
	skipped := 0
	err = withRetry(ctx, func() error {
		created, skipped = nil, 0
		return db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&sched).Error; err != nil {
				return err
			}
			now := s.clock.Now()
			for _, st := range starts {
				if !st[0].After(now) {
					skipped++
					continue
				}
				row := model.Session{ServiceID: sv.ID, ExpertID: in.ExpertID, ClinicID: sv.ClinicID, Kind: sv.Kind,
					StartsAt: st[0], EndsAt: st[1], Capacity: in.Capacity, Status: model.SessionOpen, ScheduleID: &sched.ID,
					Reserved: min(sv.ReservedSeats, in.Capacity)}
				if err := tx.Create(&row).Error; err != nil {
					// The unique slot key: this session exists already.
					if isDuplicate(err) {
						skipped++
						continue
					}
					return err
				}
				if err := sessionMachine.Start(tx, now, Step{ID: row.ID, To: row.Status, By: actorOf(p)}); err != nil {
					return err
				}
				if err := createSlots(tx, row, sv.SlotMinutes); err != nil {
					return err
				}
				created = append(created, row)
			}
			return nil
		})
	})
	if err != nil {
		return ScheduleResult{}, err
	}
	views, err := s.views(ctx, created)
	return ScheduleResult{Schedule: sched, Sessions: views, Skipped: skipped}, err
}

// expand validates a schedule and lists its [start, end) times in UTC.
func (s *CatalogService) expand(in NewSchedule) ([][2]time.Time, error) {
	fields := map[string]string{}
	seen := map[int]bool{}
	for _, d := range in.Weekdays {
		if d < 1 || d > 7 || seen[d] {
			fields["weekdays"] = "must be distinct days 1 (Monday) to 7 (Sunday)"
		}
		seen[d] = true
	}
	if len(in.Weekdays) == 0 {
		fields["weekdays"] = "required"
	}
	st, errS := time.Parse("15:04", in.StartTime)
	et, errE := time.Parse("15:04", in.EndTime)
	if errS != nil {
		fields["start_time"] = "must be HH:MM"
	}
	if errE != nil {
		fields["end_time"] = "must be HH:MM"
	}
	if errS == nil && errE == nil && !et.After(st) {
		fields["end_time"] = "must be after start_time"
	}
	from, errF := time.ParseInLocation(dateLayout, in.FromDate, s.loc)
	to, errT := time.ParseInLocation(dateLayout, in.ToDate, s.loc)
	today := s.clock.Now().In(s.loc).Format(dateLayout)
	switch {
	case errF != nil:
		fields["from_date"] = "must be a date YYYY-MM-DD"
	case in.FromDate < today:
		fields["from_date"] = "must not be in the past"
	case from.After(s.clock.Now().Add(SessionHorizon)):
		fields["from_date"] = "must be within the next two years"
	}
	switch {
	case errT != nil:
		fields["to_date"] = "must be a date YYYY-MM-DD"
	case errF == nil && to.Before(from):
		fields["to_date"] = "must not be before from_date"
	case errF == nil && to.Sub(from) > maxScheduleDays*24*time.Hour:
		fields["to_date"] = fmt.Sprintf("a schedule covers at most %d days", maxScheduleDays)
	}
	if in.Capacity < 1 || in.Capacity > maxCapacity {
		fields["capacity"] = fmt.Sprintf("must be between 1 and %d", maxCapacity)
	}
	if len(fields) > 0 {
		return nil, Invalid(fields)
	}
	var out [][2]time.Time
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		wd := int(d.Weekday())
		if wd == 0 {
			wd = 7
		}
		if !seen[wd] {
			continue
		}
		start := time.Date(d.Year(), d.Month(), d.Day(), st.Hour(), st.Minute(), 0, 0, s.loc)
		end := time.Date(d.Year(), d.Month(), d.Day(), et.Hour(), et.Minute(), 0, 0, s.loc)
		out = append(out, [2]time.Time{start.UTC(), end.UTC()})
	}
	return out, nil
}
