package service

import (
	"context"
	"math"
	"sort"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// Family-doctor coverage figures.
const (
	// ElderlyAge is the age from which a member counts as elderly.
	ElderlyAge = 65
	// CoverageTarget is the policy target of elderly coverage (80 %).
	CoverageTarget = 0.8
)

// MedicineStatuses lists every medicine order status, in flow order.
var MedicineStatuses = []string{model.MedicineRequested, model.MedicineApproved, model.MedicineDispatched,
	model.MedicineDelivered, model.MedicineRejected, model.MedicineCancelled}

// FamilyDoctorStats are the coverage and delivery figures of the caller's
// scope, as GET /staff/stats/coverage scopes them.
type FamilyDoctorStats struct {
	ClinicID int64  // the clinic asked for (0: the caller's scope)
	AsOf     string // business date
	Month    string // YYYY-MM of the order figures
	// Clinics are the clinics whose contracts and orders are counted (nil:
	// every clinic, an admin without clinic_id): those of Coverage's rows,
	// a branch with its stations.
	Clinics []int64
	// Coverage: the key-elderly coverage of the catchments (Coverage), the
	// same figures as the coverage route.
	Coverage         CoverageReport
	CoveredMembers   int64 // any age, covered by an active contract of Clinics' teams
	ActiveContracts  int64
	PendingContracts int64
	ExpiringIn30Days int64
	// OrdersByStatus counts orders placed this month by current status.
	OrdersByStatus     map[string]int64
	DeliveredThisMonth int
	// MedianDeliveryHours is the median time from request to delivery of
	// the orders delivered this month; nil when none were.
	MedianDeliveryHours *float64
}

// Stats returns the family-doctor figures with the scope of Coverage (which
// computes the coverage part): staff get the clinics of their scope (a
// branch and its stations) or one of them (another clinicID is 403),
// admins the clinic asked for or, with clinicID 0, every clinic.
func (s *ContractService) Stats(ctx context.Context, p Principal, clinicID int64) (FamilyDoctorStats, error) {
	rep, err := s.Coverage(ctx, p, clinicID)
	if err != nil {
		return FamilyDoctorStats{}, err
	}
	db := s.db.WithContext(ctx)
	now := s.clock.Now().In(s.loc)
	today := now.Format(dateLayout)
	st := FamilyDoctorStats{ClinicID: clinicID, AsOf: rep.AsOf, Month: now.Format("2006-01"), Coverage: rep,
		OrdersByStatus: map[string]int64{}}
	if !rep.Network {
		st.Clinics = append([]int64{}, rep.Total.Clinics...)
		if len(st.Clinics) == 0 { // staff whose clinic is gone: nothing of anyone's
			st.Clinics = []int64{0}
		}
	}
	for _, status := range MedicineStatuses {
		st.OrdersByStatus[status] = 0
	}
	inClinics := func(q *gorm.DB, col string) *gorm.DB {
		if st.Clinics != nil {
			q = q.Where(col+" IN ?", st.Clinics)
		}
		return q
	}
	covered := inClinics(db.Table("contract_members AS cm").
		Joins("JOIN family_contracts AS fc ON fc.id = cm.contract_id").
		Joins("JOIN persons AS m ON m.id = cm.member_id AND m.deleted_at IS NULL").
		Where("cm.active = ? AND fc.status = ?", true, model.ContractActive), "fc.clinic_id")
	if err := covered.Count(&st.CoveredMembers).Error; err != nil {
		return st, err
	}

	contracts := func() *gorm.DB { return inClinics(db.Model(&model.FamilyContract{}), "clinic_id") }
	if err := contracts().Where("status = ?", model.ContractActive).Count(&st.ActiveContracts).Error; err != nil {
		return st, err
	}
	if err := contracts().Where("status = ?", model.ContractPending).Count(&st.PendingContracts).Error; err != nil {
		return st, err
	}
	if err := contracts().Where("status = ? AND valid_until >= ? AND valid_until <= ?", model.ContractActive,
		today, contractAddDays(today, ContractReminderDays)).Count(&st.ExpiringIn30Days).Error; err != nil {
		return st, err
	}

	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.loc)
	from, to := monthStart.UTC(), monthStart.AddDate(0, 1, 0).UTC()
	orders := func() *gorm.DB { return inClinics(db.Model(&model.MedicineOrder{}), "clinic_id") }
	var byStatus []struct {
		Status string
		N      int64
	}
	if err := orders().Select("status, COUNT(*) AS n").Where("created_at >= ? AND created_at < ?", from, to).
		Group("status").Scan(&byStatus).Error; err != nil {
		return st, err
	}
	for _, r := range byStatus {
		st.OrdersByStatus[r.Status] = r.N
	}
	var delivered []model.MedicineOrder
	if err := orders().Select("id", "created_at", "delivered_at").
		Where("status = ? AND delivered_at >= ? AND delivered_at < ?", model.MedicineDelivered, from, to).
		Find(&delivered).Error; err != nil {
		return st, err
	}
	hours := make([]float64, 0, len(delivered))
	for _, o := range delivered {
		if o.DeliveredAt != nil {
			hours = append(hours, o.DeliveredAt.Sub(o.CreatedAt).Hours())
		}
	}
	st.DeliveredThisMonth = len(hours)
	if m, ok := contractMedian(hours); ok {
		m = math.Round(m*100) / 100
		st.MedianDeliveryHours = &m
	}
	return st, nil
}

// elderlyBornBy is the latest birth date (YYYY-MM-DD) of someone aged at
// least age on now's date, matching AgeYears: a 29 February birthday counts
// from 1 March in common years.
func elderlyBornBy(now time.Time, age int) string {
	y, m, d := now.Year()-age, now.Month(), now.Day()
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Month() != m { // 29 February in a common year
		t = time.Date(y, m, 28, 0, 0, 0, 0, time.UTC)
	}
	return t.Format(dateLayout)
}

// contractMedian returns the median of xs (the mean of the middle two for an even
// count).
func contractMedian(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid], true
	}
	return (s[mid-1] + s[mid]) / 2, true
}
