package service

import "gorm.io/gorm"

// Scope is whom a request acts for. The route group sets it: resident
// routes act for the caller's own family, staff routes for the caller's
// clinic, and for the whole network when the caller is an admin.
type Scope int

// Scopes.
const (
	ScopeSelf    Scope = iota // rows the caller owns
	ScopeClinic               // rows of the caller's clinic
	ScopeNetwork              // every row
)

// StaffScope is the scope of a staff-route caller: its clinic, or the
// network for an admin.
func StaffScope(p Principal) Scope {
	if p.IsAdmin() {
		return ScopeNetwork
	}
	return ScopeClinic
}

// Cols names the owner and clinic columns of a table for Apply.
type Cols struct{ Owner, Clinic string }

// Standard columns of bookings, contracts and medicine orders.
var ownerClinic = Cols{Owner: "user_id", Clinic: "clinic_id"}

// Apply limits q to the rows p may see in its scope: its own (Owner
// column), its clinic's (Clinic column) or all. A table without the column
// of the scope shows nothing.
func (p Principal) Apply(q *gorm.DB, c Cols) *gorm.DB {
	col, val := c.Owner, p.UserID
	switch p.Scope {
	case ScopeNetwork:
		return q
	case ScopeClinic:
		col, val = c.Clinic, p.ClinicID
	}
	if col == "" {
		return q.Where("1 = 0")
	}
	return q.Where(col+" = ?", val)
}
