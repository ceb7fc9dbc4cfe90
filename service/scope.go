package service

import (
	"context"
	"slices"

	"familycare/model"

	"gorm.io/gorm"
)

// Scope is whom a request acts for. The route group sets it: resident
// routes act for the caller's own family, staff routes for the caller's
// clinics, and for the whole network when the caller is an admin.
type Scope int

// Scopes.
const (
	ScopeSelf    Scope = iota // rows the caller owns
	ScopeClinic               // rows of the caller's clinics (see StaffClinics)
	ScopeNetwork              // every row
)

// StaffScope is the scope of a staff-route caller: its clinics, or the
// network for an admin.
func StaffScope(p Principal) Scope {
	if p.IsAdmin() {
		return ScopeNetwork
	}
	return ScopeClinic
}

// StaffClinics is the one rule of what staff see, following the network: a
// branch's staff see their branch and the stations under it; a station's
// staff their station; main-hospital staff their own clinic. (Admins see
// everything: ScopeNetwork.) children are the clinics whose parent is own.
func StaffClinics(own model.Clinic, children []model.Clinic) []int64 {
	ids := []int64{own.ID}
	if own.Kind != model.ClinicBranch {
		return ids
	}
	for _, c := range children {
		if c.Kind == model.ClinicStation && c.ParentID != nil && *c.ParentID == own.ID {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// ActFor returns p acting for the route group: its own family, or (staff
// routes) its clinics by StaffClinics, or the network for an admin.
func ActFor(ctx context.Context, db *gorm.DB, p Principal, staff bool) (Principal, error) {
	p.Scope, p.Clinics = ScopeSelf, nil
	if !staff {
		return p, nil
	}
	p.Scope = StaffScope(p)
	if p.Scope != ScopeClinic || p.ClinicID == 0 {
		return p, nil
	}
	var rows []model.Clinic
	if err := db.WithContext(ctx).Select("id", "kind", "parent_id").Where("id = ? OR parent_id = ?", p.ClinicID, p.ClinicID).
		Order("id").Find(&rows).Error; err != nil {
		return p, err
	}
	i := slices.IndexFunc(rows, func(c model.Clinic) bool { return c.ID == p.ClinicID })
	if i < 0 { // the clinic is gone: its own id still names nothing else
		p.Clinics = []int64{p.ClinicID}
		return p, nil
	}
	p.Clinics = StaffClinics(rows[i], rows)
	return p, nil
}

// clinics are the clinics p sees in ScopeClinic.
func (p Principal) clinics() []int64 {
	if len(p.Clinics) > 0 {
		return p.Clinics
	}
	return []int64{p.ClinicID}
}

// Sees reports whether p, in its scope, sees the rows of clinic id: an
// admin sees every clinic, staff the clinics of StaffClinics, a resident
// none (residents own rows, not clinics).
func (p Principal) Sees(clinicID int64) bool {
	switch p.Scope {
	case ScopeNetwork:
		return true
	case ScopeClinic:
		return clinicID != 0 && slices.Contains(p.clinics(), clinicID)
	}
	return false
}

// booksAt reports whether p may book a seat at a session of clinic id
// without a referral: a family at any clinic, staff at the clinics they see
// (Sees). With a referral, the referral decides (bookedPerson, useReferral).
func (p Principal) booksAt(clinicID int64) bool {
	return p.Scope == ScopeSelf || p.Sees(clinicID)
}

// Cols names the owner and clinic columns of a table for Apply. Person, when
// set, is a condition with one placeholder for the persons the caller acts
// for (actsFor): rows about a person belong to the person's households, not
// to the account that happened to make them.
type Cols struct{ Owner, Clinic, Person string }

// Columns of bookings and medicine orders, and of contracts (whose persons
// are in contract_members).
var (
	ownerClinic  = Cols{Clinic: "clinic_id", Person: "member_id IN (?)"}
	contractCols = Cols{Clinic: "clinic_id", Person: "id IN (SELECT contract_id FROM contract_members WHERE member_id IN (?))"}
)

// Apply limits q to the rows p may see in its scope: those of the persons
// it acts for (Person) or its own (Owner), its clinics' (Clinic column, the
// clinics of StaffClinics) or all. A table without the column of the scope
// shows nothing.
func (p Principal) Apply(q *gorm.DB, c Cols) *gorm.DB {
	switch p.Scope {
	case ScopeNetwork:
		return q
	case ScopeClinic:
		if c.Clinic == "" {
			return q.Where("1 = 0")
		}
		return q.Where(c.Clinic+" IN ?", p.clinics())
	}
	if c.Person != "" {
		return q.Where(c.Person, actsFor(q, p.UserID))
	}
	if c.Owner == "" {
		return q.Where("1 = 0")
	}
	return q.Where(c.Owner+" = ?", p.UserID)
}

// ActFor is ActFor on the auth service's database (the route-group
// middleware calls it).
func (s *AuthService) ActFor(ctx context.Context, p Principal, staff bool) (Principal, error) {
	return ActFor(ctx, s.db, p, staff)
}
