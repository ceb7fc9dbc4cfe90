package handler

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"familycare/cache"
	"familycare/model"
	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) catalogRoutes(public *gin.RouterGroup) {
	public.GET("/clinics", a.listClinics)
	public.GET("/clinics/:id", a.getClinic)
	public.GET("/experts", a.listExperts)
	public.GET("/experts/:id", a.getExpert)
	public.GET("/services", a.listServices)
	public.GET("/sessions", a.listSessions)
	public.GET("/sessions/:id", a.getSession)
	public.GET("/sessions/:id/slots", a.listSlots)
}

// ClinicDTO is a clinic of the medical community.
type ClinicDTO struct {
	ID        int64  `json:"id" example:"3"`
	Name      string `json:"name" example:"石桥镇卫生院"`
	Kind      string `json:"kind" example:"branch" enums:"main_hospital,branch,station"`
	ParentID  *int64 `json:"parent_id" extensions:"x-nullable"`
	Address   string `json:"address"`
	Phone     string `json:"phone"`
	OpenHours string `json:"open_hours" example:"周一至周日 08:00-17:30，中午不休息"`
	// Status: a closed clinic is off the public lists; GET /clinics/{id}
	// still answers it.
	Status    string         `json:"status" example:"open" enums:"open,closed"`
	Offers    []string       `json:"offers" example:"child_health_centre,vaccination"`
	Catchment []string       `json:"catchment" example:"石桥村,东港社区"`
	Hours     []OpenHoursDTO `json:"hours"`
	Location  *LocationDTO   `json:"location" extensions:"x-nullable"`
	// NoonOpen and WeekendOpen are derived from hours: some rule covers
	// 12:00–13:00 on a weekday, or Saturday or Sunday.
	NoonOpen    bool `json:"noon_open"`
	WeekendOpen bool `json:"weekend_open"`
}

// OpenHoursDTO is one opening-hours rule: these weekdays (1 = Monday … 7 =
// Sunday), start to end (business time), optionally for one offer only.
type OpenHoursDTO struct {
	Weekdays []int  `json:"weekdays" binding:"required,min=1,max=7,dive,min=1,max=7" example:"6,7"`
	Start    string `json:"start" binding:"required" example:"08:00"`
	End      string `json:"end" binding:"required" example:"17:30"`
	Offer    string `json:"offer,omitempty" example:"vaccination"`
}

// LocationDTO is a point on the map (WGS-84 / GCJ-02 as the mini-program's
// map component takes it).
type LocationDTO struct {
	Lat float64 `json:"lat" example:"30.2741"`
	Lng float64 `json:"lng" example:"120.1551"`
}

func toClinic(c model.Clinic) ClinicDTO {
	d := ClinicDTO{ID: c.ID, Name: c.Name, Kind: c.Kind, ParentID: c.ParentID, Address: c.Address, Phone: c.Phone, OpenHours: c.OpenHours,
		Status: c.Status, Offers: nonNil(c.Offers), Catchment: nonNil(c.Catchment), Hours: make([]OpenHoursDTO, 0, len(c.Hours))}
	if d.Status == "" {
		d.Status = model.ClinicOpen
	}
	for _, h := range c.Hours {
		d.Hours = append(d.Hours, OpenHoursDTO{Weekdays: h.Weekdays, Start: h.Start, End: h.End, Offer: h.Offer})
		for _, w := range h.Weekdays {
			if w >= 6 {
				d.WeekendOpen = true
			} else if h.Start <= "12:00" && h.End >= "13:00" {
				d.NoonOpen = true
			}
		}
	}
	if c.Lat != nil && c.Lng != nil {
		d.Location = &LocationDTO{Lat: *c.Lat, Lng: *c.Lng}
	}
	return d
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ClinicList lists clinics.
type ClinicList struct {
	Items      []ClinicDTO `json:"items"`
	NextCursor string      `json:"next_cursor"`
}

// ClinicQuery filters clinics.
type ClinicQuery struct {
	Kind     string `form:"kind" binding:"omitempty,oneof=main_hospital branch station"`
	ParentID int64  `form:"parent_id" binding:"omitempty,min=1"`
}

// listClinics godoc
// @Summary  Clinics of the medical community (main hospital, branches, stations)
// @Tags     catalogue
// @Produce  json
// @Param    kind      query string false "clinic kind" Enums(main_hospital,branch,station)
// @Param    parent_id query int    false "children of this clinic"
// @Param    limit     query int    false "page size (1-100, default 20); without limit and cursor: every clinic in one answer" minimum(1) maximum(100)
// @Param    cursor    query string false "next_cursor of the previous page"
// @Success  200 {object} ClinicList
// @Failure  422 {object} ErrorResponse
// @Router   /api/v1/clinics [get]
func (a *API) listClinics(c *gin.Context) {
	var q ClinicQuery
	if !bindQuery(c, &q) {
		return
	}
	f := service.ClinicFilter{Kind: q.Kind, ParentID: q.ParentID}
	var rows []model.Clinic
	next := ""
	var err error
	if c.Query("limit") == "" && c.Query("cursor") == "" {
		// Clients from before paging read one answer with every clinic.
		rows, err = a.svc.Catalog.Clinics(c.Request.Context(), f)
	} else {
		p, okPage := page(c)
		if !okPage {
			return
		}
		rows, next, err = a.svc.Catalog.ClinicPage(c.Request.Context(), f, p)
	}
	if err != nil {
		fail(c, err)
		return
	}
	out := ClinicList{Items: make([]ClinicDTO, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		out.Items = append(out.Items, toClinic(r))
	}
	ok(c, out)
}

// getClinic godoc
// @Summary  One clinic
// @Tags     catalogue
// @Produce  json
// @Param    id path int true "clinic id"
// @Success  200 {object} ClinicDTO
// @Failure  404 {object} ErrorResponse
// @Router   /api/v1/clinics/{id} [get]
func (a *API) getClinic(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	cl, err := a.svc.Catalog.Clinic(c.Request.Context(), id)
	reply(c, http.StatusOK, err, func() any { return toClinic(cl) })
}

// ExpertDTO is a 名医工作室 expert: published under the home hospital's
// name (home_clinic_name), with the places where they sit.
type ExpertDTO struct {
	ID        int64  `json:"id"`
	Name      string `json:"name" example:"王建华"`
	Title     string `json:"title" example:"主任医师"`
	Specialty string `json:"specialty"`
	// ClinicID is the first place the expert sits (kept for older clients).
	ClinicID       int64        `json:"clinic_id"`
	HomeClinicID   int64        `json:"home_clinic_id" example:"1"`
	HomeClinicName string       `json:"home_clinic_name" example:"青山县人民医院"`
	Sittings       []SittingDTO `json:"sittings"`
	Bio            string       `json:"bio"`
}

// SittingDTO is a clinic where an expert sits; with studio_name it is a
// 名医工作室 there with its weekly sitting.
type SittingDTO struct {
	ClinicID   int64  `json:"clinic_id" example:"3"`
	ClinicName string `json:"clinic_name" example:"石桥镇卫生院"`
	StudioName string `json:"studio_name,omitempty" example:"王建华儿科名医工作室"`
	Weekdays   []int  `json:"weekdays" example:"2"`
	StartTime  string `json:"start_time,omitempty" example:"08:30"`
	EndTime    string `json:"end_time,omitempty" example:"11:30"`
}

func toExpert(e service.ExpertView) ExpertDTO {
	d := ExpertDTO{ID: e.ID, Name: e.Name, Title: e.Title, Specialty: e.Specialty, ClinicID: e.ClinicID, HomeClinicID: e.HomeClinicID,
		HomeClinicName: e.HomeClinicName, Sittings: make([]SittingDTO, 0, len(e.Sittings)), Bio: e.Bio}
	for _, st := range e.Sittings {
		d.Sittings = append(d.Sittings, SittingDTO{ClinicID: st.ClinicID, ClinicName: st.ClinicName, StudioName: st.StudioName,
			Weekdays: st.Weekdays, StartTime: st.StartTime, EndTime: st.EndTime})
	}
	return d
}

// ExpertList is a page of experts.
type ExpertList struct {
	Items      []ExpertDTO `json:"items"`
	NextCursor string      `json:"next_cursor"`
}

// ClinicFilterQuery filters by clinic.
type ClinicFilterQuery struct {
	ClinicID int64 `form:"clinic_id" binding:"omitempty,min=1"`
}

// listExperts godoc
// @Summary  Named experts (名医工作室)
// @Tags     catalogue
// @Produce  json
// @Param    clinic_id query int    false "experts sitting at this clinic"
// @Param    limit     query int    false "page size (1-100, default 20)"
// @Param    cursor    query string false "next_cursor of the previous page"
// @Success  200 {object} ExpertList
// @Failure  422 {object} ErrorResponse
// @Router   /api/v1/experts [get]
func (a *API) listExperts(c *gin.Context) {
	var q ClinicFilterQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	rows, next, err := a.svc.Catalog.Experts(c.Request.Context(), q.ClinicID, p)
	if err != nil {
		fail(c, err)
		return
	}
	out := ExpertList{Items: make([]ExpertDTO, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		out.Items = append(out.Items, toExpert(r))
	}
	ok(c, out)
}

// getExpert godoc
// @Summary  One expert
// @Tags     catalogue
// @Produce  json
// @Param    id path int true "expert id"
// @Success  200 {object} ExpertDTO
// @Failure  404 {object} ErrorResponse
// @Router   /api/v1/experts/{id} [get]
func (a *API) getExpert(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	e, err := a.svc.Catalog.Expert(c.Request.Context(), id)
	reply(c, http.StatusOK, err, func() any { return toExpert(e) })
}

// ServiceDTO is something a clinic offers in sessions, with its rules.
type ServiceDTO struct {
	ID                int64          `json:"id"`
	Kind              string         `json:"kind" example:"pediatric_massage"`
	Name              string         `json:"name" example:"小儿推拿体验课"`
	Description       string         `json:"description"`
	DurationMinutes   int            `json:"duration_minutes" example:"60"`
	ClinicID          int64          `json:"clinic_id"`
	SlotMinutes       int            `json:"slot_minutes" example:"0"`
	PriceText         string         `json:"price_text" example:"免费"`
	Eligibility       EligibilityDTO `json:"eligibility"`
	Confirmation      string         `json:"confirmation" enums:"staff,auto"`
	ConfirmByMinutes  int            `json:"confirm_by_minutes"`
	UnconfirmedAction string         `json:"unconfirmed_action" enums:"cancel,confirm"`
	ReservedSeats     int            `json:"reserved_for_referrals"`
}

func toService(s model.Service) ServiceDTO {
	return ServiceDTO{ID: s.ID, Kind: s.Kind, Name: s.Name, Description: s.Description, DurationMinutes: s.DurationMinutes, ClinicID: s.ClinicID,
		SlotMinutes: s.SlotMinutes, PriceText: s.PriceText, Eligibility: toEligibility(s), Confirmation: s.Confirmation,
		ConfirmByMinutes: s.ConfirmByMinutes, UnconfirmedAction: s.UnconfirmedAction, ReservedSeats: s.ReservedSeats}
}

// ServiceList is a page of services.
type ServiceList struct {
	Items      []ServiceDTO `json:"items"`
	NextCursor string       `json:"next_cursor"`
}

// ServiceQuery filters services.
type ServiceQuery struct {
	Kind     string `form:"kind" binding:"omitempty,max=32"`
	ClinicID int64  `form:"clinic_id" binding:"omitempty,min=1"`
}

// listServices godoc
// @Summary  Services (classes, clinics, vaccination…)
// @Tags     catalogue
// @Produce  json
// @Param    kind      query string false "service kind"
// @Param    clinic_id query int    false "services of this clinic"
// @Param    limit     query int    false "page size (1-100, default 20)"
// @Param    cursor    query string false "next_cursor of the previous page"
// @Success  200 {object} ServiceList
// @Failure  422 {object} ErrorResponse
// @Router   /api/v1/services [get]
func (a *API) listServices(c *gin.Context) {
	var q ServiceQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	rows, next, err := a.svc.Catalog.Services(c.Request.Context(), service.ServiceFilter{Kind: q.Kind, ClinicID: q.ClinicID}, p)
	if err != nil {
		fail(c, err)
		return
	}
	out := ServiceList{Items: make([]ServiceDTO, 0, len(rows)), NextCursor: next}
	for _, r := range rows {
		out.Items = append(out.Items, toService(r))
	}
	ok(c, out)
}

// SessionServiceDTO is the service of a session.
type SessionServiceDTO struct {
	ID              int64  `json:"id"`
	Kind            string `json:"kind"`
	Name            string `json:"name"`
	DurationMinutes int    `json:"duration_minutes"`
}

// SessionClinicDTO is the clinic of a session.
type SessionClinicDTO struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Kind    string `json:"kind" enums:"main_hospital,branch,station"`
	Address string `json:"address"`
}

// SessionExpertDTO is the expert of a session, with their home hospital
// (the session's clinic is where they sit).
type SessionExpertDTO struct {
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	Title          string `json:"title"`
	HomeClinicName string `json:"home_clinic_name" example:"青山县人民医院"`
}

// SessionDTO is one bookable session.
type SessionDTO struct {
	ID           int64             `json:"id"`
	Service      SessionServiceDTO `json:"service"`
	Clinic       SessionClinicDTO  `json:"clinic"`
	Expert       *SessionExpertDTO `json:"expert,omitempty"`
	StartsAt     time.Time         `json:"starts_at"`
	EndsAt       time.Time         `json:"ends_at"`
	Capacity     int               `json:"capacity" example:"20"`
	Booked       int               `json:"booked" example:"12"`
	Available    int               `json:"available" example:"8"`
	Waitlisted   int               `json:"waitlisted" example:"0"`
	Status       string            `json:"status" example:"open" enums:"open,full,cancelled,past"`
	CancelReason string            `json:"cancel_reason,omitempty"`
	// Reserved seats (within capacity) are kept for referrals until they
	// open to everyone; ReservedBooked of them are taken.
	Reserved       int `json:"reserved_seats"`
	ReservedBooked int `json:"reserved_booked"`
}

func (a *API) toSession(v service.SessionView) SessionDTO {
	d := SessionDTO{ID: v.ID,
		Service:  SessionServiceDTO{ID: v.Service.ID, Kind: v.Service.Kind, Name: v.Service.Name, DurationMinutes: v.Service.DurationMinutes},
		Clinic:   SessionClinicDTO{ID: v.Clinic.ID, Name: v.Clinic.Name, Kind: v.Clinic.Kind, Address: v.Clinic.Address},
		StartsAt: a.timeIn(v.StartsAt), EndsAt: a.timeIn(v.EndsAt), Capacity: v.Capacity, Booked: v.Booked,
		Available: max(v.Capacity-v.Booked, 0), Waitlisted: v.Waitlisted, Status: v.Status, CancelReason: v.CancelReason,
		Reserved: v.Reserved, ReservedBooked: v.ReservedBooked}
	if v.Expert != nil {
		d.Expert = &SessionExpertDTO{ID: v.Expert.ID, Name: v.Expert.Name, Title: v.Expert.Title, HomeClinicName: v.ExpertHome}
	}
	return d
}

// SessionList is a page of sessions.
type SessionList struct {
	Items      []SessionDTO `json:"items"`
	NextCursor string       `json:"next_cursor"`
}

// SessionQuery filters sessions. from/to take RFC 3339 times or business
// dates (YYYY-MM-DD; "to" then includes that day).
type SessionQuery struct {
	Kind      string `form:"kind" binding:"omitempty,max=32"`
	ClinicID  int64  `form:"clinic_id" binding:"omitempty,min=1"`
	ExpertID  int64  `form:"expert_id" binding:"omitempty,min=1"`
	ServiceID int64  `form:"service_id" binding:"omitempty,min=1"`
	From      string `form:"from"`
	To        string `form:"to"`
	Available bool   `form:"available"`
}

// parseWhen reads an RFC 3339 time or a business date; endOfDay moves a date
// to the next midnight.
func (a *API) parseWhen(s string, endOfDay bool) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t, service.SaneTime(t)
	}
	d, err := time.ParseInLocation("2006-01-02", s, a.loc)
	if err != nil || !service.SaneTime(d) {
		return nil, false
	}
	if endOfDay {
		d = d.AddDate(0, 0, 1)
	}
	return &d, true
}

// listSessions godoc
// @Summary      Bookable sessions, by start time
// @Description  Without from, lists sessions that have not started. available=true keeps open sessions with free seats.
// @Tags         catalogue
// @Produce      json
// @Param        kind       query string false "service kind"
// @Param        clinic_id  query int    false "clinic"
// @Param        expert_id  query int    false "expert"
// @Param        service_id query int    false "service"
// @Param        from       query string false "RFC 3339 time or YYYY-MM-DD"
// @Param        to         query string false "RFC 3339 time or YYYY-MM-DD (inclusive day)"
// @Param        available  query bool   false "only sessions with free seats"
// @Param        limit      query int    false "page size (1-100, default 20)"
// @Param        cursor     query string false "next_cursor of the previous page"
// @Success      200 {object} SessionList
// @Failure      422 {object} ErrorResponse
// @Router       /api/v1/sessions [get]
func (a *API) listSessions(c *gin.Context) {
	var q SessionQuery
	p, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	from, okFrom := a.parseWhen(q.From, false)
	to, okTo := a.parseWhen(q.To, true)
	if !okFrom || !okTo {
		f := map[string]string{}
		if !okFrom {
			f["from"] = "must be an RFC 3339 time or YYYY-MM-DD, from 1900 to 2199"
		}
		if !okTo {
			f["to"] = "must be an RFC 3339 time or YYYY-MM-DD, from 1900 to 2199"
		}
		fail(c, service.Invalid(f))
		return
	}
	pg, err := a.svc.Catalog.Sessions(c.Request.Context(), service.SessionFilter{Kind: q.Kind, ClinicID: q.ClinicID,
		ExpertID: q.ExpertID, ServiceID: q.ServiceID, From: from, To: to, Available: q.Available}, p)
	if err != nil {
		fail(c, err)
		return
	}
	// The same page (same stamp) encodes to the same bytes: keep them.
	if body, hit := a.sessionJSON.get(pg.Stamp); hit {
		c.Data(http.StatusOK, "application/json; charset=utf-8", body)
		return
	}
	out := SessionList{Items: make([]SessionDTO, 0, len(pg.Items)), NextCursor: pg.Next}
	for _, r := range pg.Items {
		out.Items = append(out.Items, a.toSession(r))
	}
	body, err := json.Marshal(out)
	if err != nil {
		fail(c, err)
		return
	}
	a.sessionJSON.put(pg.Stamp, body)
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// encodedPages keeps the JSON of recent session pages by stamp, bounded by
// its bytes (CACHE_MAX_BYTES). Pages live for a second in the service; a
// stamp is never asked for again after that, so the oldest go first.
type encodedPages struct {
	c *cache.Cache[[]byte]
}

func newEncodedPages(maxBytes int64) encodedPages {
	return encodedPages{c: cache.New(maxBytes, time.Minute, time.Now, func(b []byte) int { return len(b) })}
}

func (e encodedPages) get(stamp uint64) ([]byte, bool) {
	return e.c.Get(strconv.FormatUint(stamp, 10))
}

func (e encodedPages) put(stamp uint64, body []byte) {
	e.c.Put(strconv.FormatUint(stamp, 10), body)
}

// getSession godoc
// @Summary  One session
// @Tags     catalogue
// @Produce  json
// @Param    id path int true "session id"
// @Success  200 {object} SessionDTO
// @Failure  404 {object} ErrorResponse
// @Router   /api/v1/sessions/{id} [get]
func (a *API) getSession(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	v, err := a.svc.Catalog.Session(c.Request.Context(), id)
	reply(c, http.StatusOK, err, func() any { return a.toSession(v) })
}

// SlotDTO is one arrival slot of a sliced session.
type SlotDTO struct {
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Capacity  int       `json:"capacity" example:"2"`
	Booked    int       `json:"booked" example:"1"`
	Available int       `json:"available" example:"1"`
	// Reserved of the slot's seats are kept for referrals until they open
	// to everyone; ReservedBooked of them are taken.
	Reserved       int `json:"reserved_seats" example:"0"`
	ReservedBooked int `json:"reserved_booked" example:"0"`
}

// SlotList is a session's slots, by start (empty when not sliced).
type SlotList struct {
	Items []SlotDTO `json:"items"`
}

// listSlots godoc
// @Summary      Arrival slots of a session (分时段)
// @Description  A session of a service with slot_minutes is booked by slot: POST /bookings with slot_starts_at. Empty for sessions that are not sliced.
// @Tags         catalogue
// @Produce      json
// @Param        id path int true "session id"
// @Success      200 {object} SlotList
// @Failure      404 {object} ErrorResponse
// @Router       /api/v1/sessions/{id}/slots [get]
func (a *API) listSlots(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	rows, err := a.svc.Catalog.Slots(c.Request.Context(), id)
	reply(c, http.StatusOK, err, func() any {
		out := SlotList{Items: make([]SlotDTO, 0, len(rows))}
		for _, r := range rows {
			out.Items = append(out.Items, SlotDTO{StartsAt: a.timeIn(r.StartsAt), EndsAt: a.timeIn(r.EndsAt), Capacity: r.Capacity,
				Booked: r.Booked, Available: max(r.Capacity-r.Booked, 0), Reserved: r.Reserved, ReservedBooked: r.ReservedBooked})
		}
		return out
	})
}
