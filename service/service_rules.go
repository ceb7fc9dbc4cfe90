package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"familycare/model"

	"gorm.io/gorm"
)

// ServiceInput is a service as staff write it (POST and PUT
// /staff/services): everything but the clinic is replaced on PUT.
type ServiceInput struct {
	ClinicID          int64 // create only; staff default to their own clinic
	Kind              string
	Name              string
	Description       string
	DurationMinutes   int
	SlotMinutes       int
	PriceText         string
	Eligibility       Eligibility
	Confirmation      string // staff (default) or auto
	ConfirmByMinutes  int
	UnconfirmedAction string // cancel (default) or confirm
	ReservedSeats     int
}

// ErrManagerRequired: only a clinic's manager (or an admin) creates and
// edits its services.
var ErrManagerRequired = newErr(KindForbidden, "manager_required", "only the clinic's manager or an admin adds or edits its services")

// requireServiceManager refuses (403 manager_required) staff who are not
// their clinic's manager.
func requireServiceManager(db *gorm.DB, p Principal) error {
	ok, err := isManager(db, p)
	if err == nil && !ok {
		err = ErrManagerRequired
	}
	return err
}

// Limits of a service.
const (
	maxServiceMinutes = 12 * 60
	maxConfirmBy      = 7 * 24 * 60
	maxPregWeek       = 44
)

// KnownKind reports whether kind is built in or added by an admin.
func (s *CatalogService) KnownKind(ctx context.Context, kind string) (bool, error) {
	if slices.Contains(model.ServiceKinds, kind) {
		return true, nil
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&model.ServiceKind{}).Where("code = ?", kind).Count(&n).Error
	return n > 0, err
}

// validate checks a service input and returns the row's fields.
func (s *CatalogService) validateService(ctx context.Context, in ServiceInput) (map[string]any, error) {
	fields := map[string]string{}
	in.Name, in.Description, in.PriceText = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description), strings.TrimSpace(in.PriceText)
	if ok, err := s.KnownKind(ctx, in.Kind); err != nil {
		return nil, err
	} else if !ok {
		fields["kind"] = "unknown service kind"
	}
	if n := utf8.RuneCountInString(in.Name); n < 1 || n > 128 {
		fields["name"] = "must be 1 to 128 characters"
	}
	if utf8.RuneCountInString(in.Description) > 2000 {
		fields["description"] = "must be at most 2000 characters"
	}
	if utf8.RuneCountInString(in.PriceText) > 32 {
		fields["price_text"] = "must be at most 32 characters"
	}
	if in.DurationMinutes < 1 || in.DurationMinutes > maxServiceMinutes {
		fields["duration_minutes"] = fmt.Sprintf("must be between 1 and %d", maxServiceMinutes)
	}
	if in.SlotMinutes != 0 && (in.SlotMinutes < 5 || in.SlotMinutes > 240) {
		fields["slot_minutes"] = "must be between 5 and 240"
	}
	e := in.Eligibility
	if e.MinAge != nil && *e.MinAge < 0 || e.MaxAge != nil && *e.MaxAge < 0 {
		fields["eligibility"] = "ages must not be negative"
	} else if e.MinAge != nil && e.MaxAge != nil && *e.MinAge > *e.MaxAge {
		fields["eligibility"] = "the minimum age must not be above the maximum"
	}
	if e.Gender != "" && e.Gender != "male" && e.Gender != "female" {
		fields["eligibility.gender"] = "must be male or female"
	}
	weekOK := func(w *int) bool { return w == nil || (*w >= 0 && *w <= maxPregWeek) }
	if !weekOK(e.PregMinWeek) || !weekOK(e.PregMaxWeek) ||
		(e.PregMinWeek != nil && e.PregMaxWeek != nil && *e.PregMinWeek > *e.PregMaxWeek) {
		fields["eligibility.pregnancy"] = fmt.Sprintf("weeks must be 0 to %d, min not above max", maxPregWeek)
	}
	if in.Confirmation == "" {
		in.Confirmation = model.ConfirmByStaff
	}
	if in.Confirmation != model.ConfirmByStaff && in.Confirmation != model.ConfirmAuto {
		fields["confirmation"] = "must be staff or auto"
	}
	if in.UnconfirmedAction == "" {
		in.UnconfirmedAction = model.UnconfirmedCancel
	}
	if in.UnconfirmedAction != model.UnconfirmedCancel && in.UnconfirmedAction != model.UnconfirmedConfirm {
		fields["unconfirmed_action"] = "must be cancel or confirm"
	}
	if in.ConfirmByMinutes < 0 || in.ConfirmByMinutes > maxConfirmBy {
		fields["confirm_by_minutes"] = fmt.Sprintf("must be between 0 and %d", maxConfirmBy)
	}
	if in.ReservedSeats < 0 || in.ReservedSeats > maxCapacity {
		fields["reserved_for_referrals"] = fmt.Sprintf("must be between 0 and %d", maxCapacity)
	}
	if len(fields) > 0 {
		return nil, Invalid(fields)
	}
	unit := e.AgeUnit
	if e.MinAge == nil && e.MaxAge == nil {
		unit = ""
	}
	return map[string]any{"kind": in.Kind, "name": in.Name, "description": in.Description, "duration_minutes": in.DurationMinutes,
		"slot_minutes": in.SlotMinutes, "price_text": in.PriceText,
		"min_age": e.MinAge, "max_age": e.MaxAge, "age_unit": unit, "gender": e.Gender,
		"pregnancy_required": e.PregnancyRequired || e.PregMinWeek != nil || e.PregMaxWeek != nil,
		"preg_min_week":      e.PregMinWeek, "preg_max_week": e.PregMaxWeek,
		"verified_required": e.VerifiedRequired, "contract_required": e.ContractRequired,
		"confirmation": in.Confirmation, "confirm_by_minutes": in.ConfirmByMinutes, "unconfirmed_action": in.UnconfirmedAction,
		"reserved_seats": in.ReservedSeats}, nil
}

// CreateService adds a service at a clinic: a clinic manager at a clinic
// they see (their own by default), admins at any clinic.
func (s *CatalogService) CreateService(ctx context.Context, p Principal, in ServiceInput) (model.Service, error) {
	if err := requireServiceManager(s.db.WithContext(ctx), p); err != nil {
		return model.Service{}, err
	}
	if in.ClinicID == 0 && p.Scope == ScopeClinic {
		in.ClinicID = p.ClinicID
	}
	if in.ClinicID == 0 {
		return model.Service{}, InvalidField("clinic_id", "required")
	}
	if !p.Sees(in.ClinicID) {
		return model.Service{}, InvalidField("clinic_id", "no such clinic in your reach")
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&model.Clinic{}).Where("id = ?", in.ClinicID).Count(&n).Error; err != nil {
		return model.Service{}, err
	}
	if n == 0 {
		return model.Service{}, InvalidField("clinic_id", "no such clinic")
	}
	cols, err := s.validateService(ctx, in)
	if err != nil {
		return model.Service{}, err
	}
	row := model.Service{ClinicID: in.ClinicID, Kind: cols["kind"].(string), Name: cols["name"].(string), DurationMinutes: in.DurationMinutes}
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := tx.Model(&model.Service{}).Where("id = ?", row.ID).Updates(cols).Error; err != nil {
			return err
		}
		return tx.First(&row, row.ID).Error
	})
	s.invalidate()
	return row, err
}

// UpdateService replaces a service's fields (its clinic stays): a clinic
// manager or an admin. Sessions already published keep their seats; the
// rules apply to new bookings.
func (s *CatalogService) UpdateService(ctx context.Context, p Principal, id int64, in ServiceInput) (model.Service, error) {
	var row model.Service
	if err := p.Apply(s.db.WithContext(ctx).Where("id = ?", id), Cols{Clinic: "clinic_id"}).First(&row).Error; err != nil {
		return row, notFound(err)
	}
	if err := requireServiceManager(s.db.WithContext(ctx), p); err != nil {
		return row, err
	}
	cols, err := s.validateService(ctx, in)
	if err != nil {
		return row, err
	}
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Model(&model.Service{}).Where("id = ?", id).Updates(cols).Error; err != nil {
			return err
		}
		return tx.First(&row, id).Error
	})
	s.invalidate()
	return row, err
}

// Service returns one service.
func (s *CatalogService) Service(ctx context.Context, id int64) (model.Service, error) {
	var sv model.Service
	return sv, notFound(s.db.WithContext(ctx).First(&sv, id).Error)
}
