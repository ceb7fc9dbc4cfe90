package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// Service packages (服务包) a clinic offers at signing, besides the basic
// public health package every contract includes. A clinic's manager (or an
// admin) adds and edits them; active=false retires one: contracts that
// name it keep it, new signings cannot pick it.

// Audit actions of service packages and agreement versions.
const (
	AuditPackageCreate    = "service_package.create"
	AuditPackageUpdate    = "service_package.update"
	AuditAgreementPublish = "agreement_version.publish"
)

// Errors of service packages.
var (
	ErrPackageCodeTaken = newErr(KindConflict, "package_code_taken", "this clinic already has a service package with this code")
	ErrBasicPackage     = ErrForbidden.Msg("the basic public health package is the national one: it cannot be edited")
)

// packageCode is a package code such as elderly_care.
var packageCode = slugRe

// ServicePackageInput is a package as staff write it: Code and ClinicID
// on create only (a contract names its packages by code, so a code never
// changes); Active nil keeps the current state (true on create).
type ServicePackageInput struct {
	ClinicID    int64
	Code        string
	Name        string
	Description string
	Active      *bool
}

// requirePackageManager refuses (403 manager_required) staff who are not
// their clinic's manager.
func requirePackageManager(db *gorm.DB, p Principal) error {
	ok, err := isManager(db, p)
	if err == nil && !ok {
		err = ErrManagerRequired.Msg("only the clinic's manager or an admin adds or edits its service packages")
	}
	return err
}

func (in *ServicePackageInput) normalize(create bool) error {
	f := map[string]string{}
	in.Code, in.Name, in.Description = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	if create && !packageCode.MatchString(in.Code) {
		f["code"] = "must be 2 to 32 lowercase letters, digits, - or _, starting with a letter"
	}
	if n := utf8.RuneCountInString(in.Name); n < 1 || n > 64 {
		f["name"] = "must be 1 to 64 characters"
	}
	if utf8.RuneCountInString(in.Description) > 500 {
		f["description"] = "must be at most 500 characters"
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

// ServicePackages lists what a family may sign with a clinic's team: the
// basic package and the clinic's active packages (only the basic one when
// clinicID is 0), by id.
func (s *ContractService) ServicePackages(ctx context.Context, clinicID int64, pg pagination.Page) ([]model.ServicePackage, string, error) {
	db := s.db.WithContext(ctx)
	if err := ensureBasicPackage(db); err != nil {
		return nil, "", err
	}
	q := db.Where("(clinic_id = 0 AND code = ?) OR (clinic_id = ? AND clinic_id <> 0 AND active = ?)", model.PackageBasic, clinicID, true)
	return findPageByID(q, pg, false, func(p model.ServicePackage) int64 { return p.ID })
}

// StaffServicePackages lists the packages of the clinics in the caller's
// reach, retired ones included (active false), by id: what a clinic's staff
// manage and a manager offers again. clinicID narrows it to one clinic; one
// outside the reach lists nothing. The basic package, the network's, is not
// listed here.
func (s *ContractService) StaffServicePackages(ctx context.Context, p Principal, clinicID int64, pg pagination.Page) ([]model.ServicePackage, string, error) {
	q := filterBy(s.db.WithContext(ctx).Model(&model.ServicePackage{}).Where("clinic_id <> 0"), "clinic_id", clinicID)
	return findPageByIDEach(p.ApplyEach(q, Cols{Clinic: "clinic_id"}), pg, false, func(sp model.ServicePackage) int64 { return sp.ID })
}

// CreateServicePackage adds a package at a clinic the caller manages (their
// own by default; admins name any clinic). A code the clinic already has,
// or the basic package's, is 409 package_code_taken.
func (s *ContractService) CreateServicePackage(ctx context.Context, p Principal, in ServicePackageInput) (model.ServicePackage, error) {
	db := s.db.WithContext(ctx)
	if err := requirePackageManager(db, p); err != nil {
		return model.ServicePackage{}, err
	}
	if in.ClinicID == 0 && p.Scope == ScopeClinic {
		in.ClinicID = p.ClinicID
	}
	if err := in.normalize(true); err != nil {
		return model.ServicePackage{}, err
	}
	if in.ClinicID == 0 {
		return model.ServicePackage{}, InvalidField("clinic_id", "required")
	}
	if !p.Sees(in.ClinicID) {
		return model.ServicePackage{}, InvalidField("clinic_id", "no such clinic in your reach")
	}
	if in.Code == model.PackageBasic {
		return model.ServicePackage{}, ErrPackageCodeTaken.With(map[string]any{"code": in.Code})
	}
	row := model.ServicePackage{ClinicID: in.ClinicID, Code: in.Code, Name: in.Name, Description: in.Description,
		Active: in.Active == nil || *in.Active}
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&model.Clinic{}).Where("id = ?", in.ClinicID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return InvalidField("clinic_id", "no such clinic")
		}
		// The basic package first, so it leads the signing page (by id).
		if err := ensureBasicPackage(tx); err != nil {
			return err
		}
		now := s.clock.Now()
		row.ID, row.CreatedAt = 0, now
		if err := tx.Create(&row).Error; err != nil {
			if isDuplicate(err) {
				return ErrPackageCodeTaken.With(map[string]any{"code": in.Code})
			}
			return err
		}
		return writeAudit(tx, now, p, auditEntry{Action: AuditPackageCreate, TargetType: "service_package", TargetID: row.ID,
			ClinicID: row.ClinicID, Detail: map[string]any{"code": row.Code, "name": row.Name, "active": row.Active}})
	})
	return row, err
}

// UpdateServicePackage changes a package's name, description and state
// (its clinic and code stay). Another clinic's package is 404; the basic
// package is 403 for everyone.
func (s *ContractService) UpdateServicePackage(ctx context.Context, p Principal, id int64, in ServicePackageInput) (model.ServicePackage, error) {
	var row model.ServicePackage
	db := s.db.WithContext(ctx)
	if err := db.First(&row, id).Error; err != nil {
		return row, notFound(err)
	}
	if row.ClinicID == 0 {
		return row, ErrBasicPackage
	}
	if !p.Sees(row.ClinicID) {
		return row, ErrNotFound
	}
	if err := requirePackageManager(db, p); err != nil {
		return row, err
	}
	if err := in.normalize(false); err != nil {
		return row, err
	}
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		cols := map[string]any{"name": in.Name, "description": in.Description}
		if in.Active != nil {
			cols["active"] = *in.Active
		}
		if err := tx.Model(&model.ServicePackage{}).Where("id = ?", id).Updates(cols).Error; err != nil {
			return err
		}
		if err := tx.First(&row, id).Error; err != nil {
			return err
		}
		return writeAudit(tx, s.clock.Now(), p, auditEntry{Action: AuditPackageUpdate, TargetType: "service_package", TargetID: row.ID,
			ClinicID: row.ClinicID, Detail: map[string]any{"code": row.Code, "name": row.Name, "active": row.Active}})
	})
	return row, err
}
