package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"
	"familycare/pii"

	"gorm.io/gorm"
)

// Administration errors.
var (
	ErrClinicHasOpenChildren = newErr(KindConflict, "clinic_has_open_children", "close or move the clinics under this one first")
	ErrClinicClosed          = newErr(KindConflict, "clinic_closed", "the clinic is closed")
)

// AdminService administers the network: clinics, staff invitations, the
// users directory and experts. Every change writes an audit row in its own
// transaction (see audit.go).
type AdminService struct {
	db        *gorm.DB
	clock     Clock
	loc       *time.Location
	log       *slog.Logger
	pii       *pii.Box
	inviteTTL time.Duration
	auth      *AuthService
	catalog   *CatalogService
	bookings  *BookingService
}

// NewAdminService builds the administration service.
func NewAdminService(deps Deps, auth *AuthService, catalog *CatalogService, bookings *BookingService) *AdminService {
	ttl := deps.Config.StaffInviteTTL
	if ttl <= 0 {
		ttl = 72 * time.Hour
	}
	return &AdminService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, log: deps.Log, pii: deps.PII, inviteTTL: ttl,
		auth: auth, catalog: catalog, bookings: bookings}
}

// requireManager lets admins through, and staff whose position is manager
// (see isManager); anyone else gets 403 forbidden.
func (s *AdminService) requireManager(db *gorm.DB, p Principal) error {
	ok, err := isManager(db, p)
	if err != nil {
		return err
	}
	if !ok {
		return ErrForbidden.Msg("this needs an admin or the clinic's manager")
	}
	return nil
}

// isManager reports an admin, or staff whose position is manager of the
// clinic of their token (read from the account, not the token: a demoted
// manager stops at once).
func isManager(db *gorm.DB, p Principal) (bool, error) {
	if p.IsAdmin() {
		return true, nil
	}
	if p.Role != model.RoleStaff {
		return false, nil
	}
	var u model.User
	if err := db.Select("id", "role", "position", "clinic_id").First(&u, p.UserID).Error; err != nil {
		return false, notFound(err)
	}
	return u.Role == model.RoleStaff && u.Position == model.PositionManager && u.ClinicID != nil && *u.ClinicID == p.ClinicID, nil
}

// ClinicInput is a clinic an admin creates or changes; nil fields stay as
// they are (a create needs name and kind).
type ClinicInput struct {
	Name      *string
	Kind      *string
	ParentID  *int64 // 0 clears it
	Address   *string
	Phone     *string
	OpenHours *string
	Offers    *[]string
	Catchment *[]string
	Hours     *[]model.OpenHours
	Lat, Lng  *float64
	Status    *string // open or closed
}

// Clinic input limits.
const (
	maxCatchment  = 200
	maxHoursRules = 32
)

// closeReason is what families read when a clinic's sessions are cancelled
// because it closed.
const closeReason = "门诊已停止服务"

// CreateClinic adds a clinic to the network.
func (s *AdminService) CreateClinic(ctx context.Context, p Principal, in ClinicInput) (model.Clinic, error) {
	fields := map[string]string{}
	if in.Name == nil {
		fields["name"] = "required"
	}
	if in.Kind == nil {
		fields["kind"] = "required"
	}
	if in.Status != nil && *in.Status != model.ClinicOpen {
		fields["status"] = "a new clinic is open"
	}
	if len(fields) > 0 {
		return model.Clinic{}, Invalid(fields)
	}
	c := model.Clinic{Status: model.ClinicOpen, Offers: []string{}, Catchment: []string{}, Hours: []model.OpenHours{}}
	if err := applyClinic(&c, in); err != nil {
		return model.Clinic{}, err
	}
	now := s.clock.Now()
	err := transact(ctx, s.db.WithContext(ctx), func(tx *gorm.DB) error {
		if err := s.checkTree(tx, c, nil); err != nil {
			return err
		}
		c.ID = 0
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		return writeAudit(tx, now, p, auditEntry{Action: AuditClinicCreate, TargetType: "clinic", TargetID: c.ID, ClinicID: c.ID,
			Detail: clinicDetail(in)})
	})
	if err != nil {
		return model.Clinic{}, err
	}
	s.catalog.invalidate()
	return c, nil
}

// UpdateClinic changes a clinic. Closing it (status closed) needs every
// clinic under it closed first; it cancels the clinic's future sessions
// (their bookers are notified) and takes it off the public lists.
// Reopening needs an open parent.
func (s *AdminService) UpdateClinic(ctx context.Context, p Principal, id int64, in ClinicInput) (model.Clinic, error) {
	var out model.Clinic
	cancelled := 0
	err := transact(ctx, s.db.WithContext(ctx), func(tx *gorm.DB) error {
		cancelled = 0
		var before model.Clinic
		if err := forUpdate(tx).First(&before, id).Error; err != nil {
			return notFound(err)
		}
		c := before
		if err := applyClinic(&c, in); err != nil {
			return err
		}
		if err := s.checkTree(tx, c, &before); err != nil {
			return err
		}
		if err := tx.Save(&c).Error; err != nil {
			return err
		}
		now := s.clock.Now()
		action := AuditClinicUpdate
		detail := clinicDetail(in)
		switch {
		case before.Status == model.ClinicOpen && c.Status == model.ClinicClosed:
			action = AuditClinicClose
			n, err := s.cancelFutureSessions(tx, p, c.ID, now)
			if err != nil {
				return err
			}
			cancelled = n
			detail["sessions_cancelled"] = n
		case before.Status == model.ClinicClosed && c.Status == model.ClinicOpen:
			action = AuditClinicReopen
		}
		out = c
		return writeAudit(tx, now, p, auditEntry{Action: action, TargetType: "clinic", TargetID: c.ID, ClinicID: c.ID, Detail: detail})
	})
	if err != nil {
		return model.Clinic{}, err
	}
	s.catalog.invalidate()
	if cancelled > 0 {
		s.log.Info("clinic closed", "clinic_id", id, "sessions_cancelled", cancelled)
	}
	return out, nil
}

// cancelFutureSessions cancels every open session of a clinic that has not
// started, as staff cancelling each would (bookers notified).
func (s *AdminService) cancelFutureSessions(tx *gorm.DB, p Principal, clinicID int64, now time.Time) (int, error) {
	var rows []model.Session
	if err := forUpdate(tx).Where("clinic_id = ? AND status = ? AND starts_at > ?", clinicID, model.SessionOpen, now).
		Order("id").Find(&rows).Error; err != nil {
		return 0, err
	}
	for _, sess := range rows {
		if err := s.bookings.cancelSession(tx, p, sess, closeReason, now); err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}

// applyClinic validates in and copies it onto c.
func applyClinic(c *model.Clinic, in ClinicInput) error {
	fields := map[string]string{}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		switch {
		case name == "":
			fields["name"] = "required"
		case utf8.RuneCountInString(name) > 128:
			fields["name"] = "must be at most 128 characters"
		case !displayName(name):
			fields["name"] = noHiddenChars
		}
		c.Name = name
	}
	if in.Kind != nil {
		if !slices.Contains([]string{model.ClinicMainHospital, model.ClinicBranch, model.ClinicStation}, *in.Kind) {
			fields["kind"] = "must be main_hospital, branch or station"
		}
		c.Kind = *in.Kind
	}
	if in.ParentID != nil {
		if *in.ParentID < 0 {
			fields["parent_id"] = "no such clinic"
		}
		c.ParentID = nil
		if *in.ParentID > 0 {
			c.ParentID = in.ParentID
		}
	}
	text := func(name string, v *string, max int, dst *string) {
		if v == nil {
			return
		}
		t := strings.TrimSpace(*v)
		if utf8.RuneCountInString(t) > max {
			fields[name] = fmt.Sprintf("must be at most %d characters", max)
		} else if !displayName(t) {
			fields[name] = noHiddenChars
		}
		*dst = t
	}
	text("address", in.Address, 255, &c.Address)
	text("phone", in.Phone, 32, &c.Phone)
	text("open_hours", in.OpenHours, 255, &c.OpenHours)
	if in.Offers != nil {
		seen := map[string]bool{}
		for _, o := range *in.Offers {
			if !slices.Contains(model.ClinicOffers, o) || seen[o] {
				fields["offers"] = "must be distinct offers"
			}
			seen[o] = true
		}
		c.Offers = slices.Clone(*in.Offers)
	}
	if in.Catchment != nil {
		seen := map[string]bool{}
		out := make([]string, 0, len(*in.Catchment))
		for _, v := range *in.Catchment {
			v = strings.TrimSpace(v)
			if v == "" || utf8.RuneCountInString(v) > 64 || !displayName(v) || seen[v] {
				fields["catchment"] = "must be distinct village or community names of 1 to 64 characters"
			}
			seen[v] = true
			out = append(out, v)
		}
		if len(out) > maxCatchment {
			fields["catchment"] = fmt.Sprintf("at most %d names", maxCatchment)
		}
		c.Catchment = out
	}
	if in.Hours != nil {
		if reason := checkHours(*in.Hours); reason != "" {
			fields["hours"] = reason
		}
		c.Hours = slices.Clone(*in.Hours)
	}
	if in.Lat != nil {
		if math.IsNaN(*in.Lat) || *in.Lat < -90 || *in.Lat > 90 {
			fields["lat"] = "must be between -90 and 90"
		}
		c.Lat = in.Lat
	}
	if in.Lng != nil {
		if math.IsNaN(*in.Lng) || *in.Lng < -180 || *in.Lng > 180 {
			fields["lng"] = "must be between -180 and 180"
		}
		c.Lng = in.Lng
	}
	if (c.Lat == nil) != (c.Lng == nil) {
		fields["location"] = "give both lat and lng"
	}
	if in.Status != nil {
		if *in.Status != model.ClinicOpen && *in.Status != model.ClinicClosed {
			fields["status"] = "must be open or closed"
		}
		c.Status = *in.Status
	}
	if len(fields) > 0 {
		return Invalid(fields)
	}
	return nil
}

// checkHours validates opening-hour rules.
func checkHours(hours []model.OpenHours) string {
	if len(hours) > maxHoursRules {
		return fmt.Sprintf("at most %d rules", maxHoursRules)
	}
	for _, h := range hours {
		seen := map[int]bool{}
		for _, d := range h.Weekdays {
			if d < 1 || d > 7 || seen[d] {
				return "weekdays must be distinct days 1 (Monday) to 7 (Sunday)"
			}
			seen[d] = true
		}
		st, errS := time.Parse("15:04", h.Start)
		et, errE := time.Parse("15:04", h.End)
		if len(h.Weekdays) == 0 || errS != nil || errE != nil || !et.After(st) {
			return "each rule needs weekdays and start before end (HH:MM)"
		}
		if h.Offer != "" && !slices.Contains(model.ClinicOffers, h.Offer) {
			return "each rule's offer must be a known offer"
		}
	}
	return ""
}

// parentKind is the kind of clinic each kind hangs under.
var parentKind = map[string]string{model.ClinicBranch: model.ClinicMainHospital, model.ClinicStation: model.ClinicBranch}

// checkTree enforces the network's shape on c (before is its old state, nil
// for a new clinic): a main hospital has no parent, a branch hangs under a
// main hospital and a station under a branch; the parent is open; a clinic
// with open clinics under it keeps a kind they may hang under and stays
// open.
func (s *AdminService) checkTree(tx *gorm.DB, c model.Clinic, before *model.Clinic) error {
	wantParent := parentKind[c.Kind]
	switch {
	case wantParent == "" && c.ParentID != nil:
		return InvalidField("parent_id", "a main hospital has no parent")
	case wantParent != "" && c.ParentID == nil:
		return InvalidField("parent_id", "required: a branch hangs under a main hospital, a station under a branch")
	case wantParent != "":
		var parent model.Clinic
		if err := tx.First(&parent, *c.ParentID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return InvalidField("parent_id", "no such clinic")
			}
			return err
		}
		if parent.Kind != wantParent {
			return InvalidField("parent_id", "a branch hangs under a main hospital, a station under a branch")
		}
		if parent.Status == model.ClinicClosed && c.Status == model.ClinicOpen {
			return ErrClinicClosed.Msg("the parent clinic is closed")
		}
	}
	if before == nil {
		return nil
	}
	var children []model.Clinic
	if err := tx.Select("id", "kind", "status").Where("parent_id = ?", c.ID).Find(&children).Error; err != nil {
		return err
	}
	for _, ch := range children {
		if ch.Status != model.ClinicOpen {
			continue
		}
		if c.Status == model.ClinicClosed {
			return ErrClinicHasOpenChildren
		}
		if c.Kind != parentKind[ch.Kind] {
			return InvalidField("kind", "the clinics under this one need it to stay a "+before.Kind)
		}
	}
	return nil
}

// clinicDetail is what an audit row records of a clinic change: the names
// of the fields set, and the new status.
func clinicDetail(in ClinicInput) map[string]any {
	var set []string
	for name, given := range map[string]bool{"name": in.Name != nil, "kind": in.Kind != nil, "parent_id": in.ParentID != nil,
		"address": in.Address != nil, "phone": in.Phone != nil, "open_hours": in.OpenHours != nil, "offers": in.Offers != nil,
		"catchment": in.Catchment != nil, "hours": in.Hours != nil, "location": in.Lat != nil || in.Lng != nil, "status": in.Status != nil} {
		if given {
			set = append(set, name)
		}
	}
	slices.Sort(set)
	d := map[string]any{"fields": set}
	if in.Status != nil {
		d["status"] = *in.Status
	}
	return d
}
