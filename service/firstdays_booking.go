package service

import (
	"strings"

	"familycare/model"

	"gorm.io/gorm"
)

// PlannedDose is a vaccine dose planned for a vaccination booking.
type PlannedDose struct {
	Vaccine string
	Dose    int
}

// maxPlannedDoses caps the doses of one booking (a visit gives a few).
const maxPlannedDoses = 8

// savePlannedDoses stores the doses planned for booking b of session sess,
// inside the booking's transaction. Only vaccination sessions carry doses.
func savePlannedDoses(tx *gorm.DB, b model.Booking, sess model.Session, planned []PlannedDose) ([]PlannedDose, error) {
	if len(planned) == 0 {
		return []PlannedDose{}, nil
	}
	if sess.Kind != model.ServiceVaccination {
		return nil, InvalidField("planned_vaccines", "只有预防接种门诊的预约可以带计划接种的疫苗")
	}
	if len(planned) > maxPlannedDoses {
		return nil, InvalidField("planned_vaccines", "一次最多计划 8 剂")
	}
	seen := map[PlannedDose]bool{}
	out := make([]PlannedDose, 0, len(planned))
	for _, p := range planned {
		p.Vaccine = strings.TrimSpace(p.Vaccine)
		if !vaccineCode.MatchString(p.Vaccine) || p.Dose < 1 || p.Dose > 10 {
			return nil, InvalidField("planned_vaccines", "疫苗代码或剂次无效")
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		if err := tx.Create(&model.BookingPlannedDose{BookingID: b.ID, Vaccine: p.Vaccine, Dose: p.Dose}).Error; err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// plannedDosesOf loads the planned doses of bookings, in one query.
func plannedDosesOf(db *gorm.DB, bookingIDs []int64) (map[int64][]PlannedDose, error) {
	out := map[int64][]PlannedDose{}
	if len(bookingIDs) == 0 {
		return out, nil
	}
	var rows []model.BookingPlannedDose
	if err := db.Where("booking_id IN ?", bookingIDs).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.BookingID] = append(out[r.BookingID], PlannedDose{Vaccine: r.Vaccine, Dose: r.Dose})
	}
	return out, nil
}
