package service

import (
	"context"
	"fmt"

	"familycare/model"

	"gorm.io/gorm"
)

// Vaccination reminder events (subscribe templates may be configured for
// them like any other event).
const (
	EventVaccineDueSoon = "vaccine_due"
	EventVaccineOverdue = "vaccine_overdue"
)

// Reminder timing: a dose is announced this many days before it is due, and
// an overdue dose is reminded only while it became overdue recently (a
// family whose paper records were never entered is not flooded).
const (
	remindDaysBefore  = 3
	remindOverdueDays = 60
)

// SendVaccineReminders notifies, once per dose and kind, the family of every
// child with a programme dose coming due or newly overdue. Each reminder is
// claimed by inserting its key into care_reminders in the transaction that
// creates the notification: a replica that loses the race gets a duplicate
// key and sends nothing.
func (s *FirstDaysService) SendVaccineReminders(ctx context.Context) (int, error) {
	db := s.db.WithContext(ctx)
	today := s.today()
	// Children under seven (the schedule ends at six years).
	oldest := today.AddDate(-7, 0, 0).Format(dateLayout)
	sent := 0
	var lastID int64
	for {
		var ms []model.Person
		if err := db.Where("birth_date >= ? AND birth_date <> '' AND id > ?", oldest, lastID).Order("id").Limit(200).Find(&ms).Error; err != nil {
			return sent, err
		}
		if len(ms) == 0 {
			return sent, nil
		}
		lastID = ms[len(ms)-1].ID
		ids := make([]int64, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		var doses []model.VaccinationDose
		if err := db.Where("person_id IN ?", ids).Find(&doses).Error; err != nil {
			return sent, err
		}
		custom, err := customDoses(db, doses)
		if err != nil {
			return sent, err
		}
		dosesOf := map[int64][]model.VaccinationDose{}
		for _, d := range doses {
			dosesOf[d.PersonID] = append(dosesOf[d.PersonID], d)
		}
		for _, m := range ms {
			for _, d := range s.plan(m, dosesOf[m.ID], custom) {
				var kind, event, title, body string
				switch {
				case d.State == DoseUpcoming && !d.DueDate.After(today.AddDate(0, 0, remindDaysBefore)):
					kind, event, title = "soon", EventVaccineDueSoon, "疫苗接种提醒"
					body = fmt.Sprintf("%s 的%s第%d剂将于 %s 到期，请预约接种。", m.Name, d.Name, d.Dose, d.DueDate.Format(dateLayout))
				case d.State == DoseOverdue && !addMonths(d.DueDate, 1).Before(today.AddDate(0, 0, -remindOverdueDays)):
					kind, event, title = "overdue", EventVaccineOverdue, "疫苗已逾期"
					body = fmt.Sprintf("%s 的%s第%d剂已逾期（应于 %s 接种），请尽快补种。", m.Name, d.Name, d.Dose, d.DueDate.Format(dateLayout))
				default:
					continue
				}
				key := fmt.Sprintf("vacc:%d:%s:%d:%s", m.ID, d.Vaccine, d.Dose, kind)
				won, err := s.claimReminder(ctx, key, m, Notice{UserID: personOwner(m), Event: event, Title: title, Body: body,
					RefType: "person", RefID: m.ID})
				if err != nil {
					return sent, err
				}
				if won {
					sent++
				}
			}
		}
	}
}

// claimReminder inserts the claim and the notification together; a claim
// already taken (by this or another replica) is not an error.
func (s *FirstDaysService) claimReminder(ctx context.Context, key string, m model.Person, n Notice) (bool, error) {
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Create(&model.CareReminder{ClaimKey: key, PersonID: m.ID}).Error; err != nil {
			return err
		}
		return s.notify.Notify(tx, n)
	})
	if err != nil {
		// Another replica holds (or took) the claim; after a deadlock the
		// loser's claim is rolled back and the next run looks again.
		if isDuplicate(err) || retryable(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
