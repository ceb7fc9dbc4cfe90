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

// FamilyDoctorStats are the coverage and delivery figures of one clinic (or
// of all clinics when ClinicID is 0).
type FamilyDoctorStats struct {
	ClinicID int64
	AsOf     string // business date
	Month    string // YYYY-MM of the order figures
	// ElderlyMembers are members aged ElderlyAge or more known to the
	// system; ElderlyCovered those of them covered by an active contract
	// (of the clinic's teams); CoverageRate = ElderlyCovered/ElderlyMembers.
	ElderlyMembers   int64
	ElderlyCovered   int64
	CoverageRate     float64
	CoveredMembers   int64 // any age
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

// Stats returns the family-doctor figures: staff get their own clinic (a
// clinicID of another clinic is 403), admins the clinic asked for or, with
// clinicID 0, every clinic.
func (s *ContractService) Stats(ctx context.Context, p Principal, clinicID int64) (FamilyDoctorStats, error) {
	if !p.IsAdmin() {
		if clinicID == 0 {
			clinicID = p.ClinicID
		}
		if !p.Sees(clinicID) {
			return FamilyDoctorStats{}, ErrForbidden.Msg("staff see the figures of their own clinics only")
		}
	}
	db := s.db.WithContext(ctx)
	if clinicID != 0 {
		var n int64
		if err := db.Model(&model.Clinic{}).Where("id = ?", clinicID).Count(&n).Error; err != nil {
			return FamilyDoctorStats{}, err
		}
		if n == 0 {
			return FamilyDoctorStats{}, ErrNotFound.Msg("no such clinic")
		}
	}
	now := s.clock.Now().In(s.loc)
	today := now.Format(dateLayout)
	cutoff := elderlyBornBy(now, ElderlyAge)
	st := FamilyDoctorStats{ClinicID: clinicID, AsOf: today, Month: now.Format("2006-01"), OrdersByStatus: map[string]int64{}}
	for _, status := range MedicineStatuses {
		st.OrdersByStatus[status] = 0
	}

	if err := db.Model(&model.Person{}).Where("birth_date <> '' AND birth_date <= ?", cutoff).Count(&st.ElderlyMembers).Error; err != nil {
		return st, err
	}
	covered := func() *gorm.DB {
		q := db.Table("contract_members AS cm").
			Joins("JOIN family_contracts AS fc ON fc.id = cm.contract_id").
			Joins("JOIN persons AS m ON m.id = cm.member_id AND m.deleted_at IS NULL").
			Where("cm.active = ? AND fc.status = ?", true, model.ContractActive)
		if clinicID != 0 {
			q = q.Where("fc.clinic_id = ?", clinicID)
		}
		return q
	}
	if err := covered().Count(&st.CoveredMembers).Error; err != nil {
		return st, err
	}
	if err := covered().Where("m.birth_date <> '' AND m.birth_date <= ?", cutoff).Count(&st.ElderlyCovered).Error; err != nil {
		return st, err
	}
	if st.ElderlyMembers > 0 {
		st.CoverageRate = math.Round(float64(st.ElderlyCovered)/float64(st.ElderlyMembers)*10000) / 10000
	}

	contracts := func() *gorm.DB {
		q := db.Model(&model.FamilyContract{})
		if clinicID != 0 {
			q = q.Where("clinic_id = ?", clinicID)
		}
		return q
	}
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
	orders := func() *gorm.DB {
		q := db.Model(&model.MedicineOrder{})
		if clinicID != 0 {
			q = q.Where("clinic_id = ?", clinicID)
		}
		return q
	}
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
