package service

import (
	"context"
	"sort"
	"strconv"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// NextItem is one thing due for a person.
type NextItem struct {
	Kind      string // vaccination, checkup, prenatal, booking
	Title     string
	Date      time.Time // business date due (or the booking's start)
	State     string    // overdue, due, upcoming, booked
	Vaccine   string
	Dose      int
	BookingID int64
}

// PersonNext is what is next for one person.
type PersonNext struct {
	PersonID int64
	Name     string
	Items    []NextItem
}

// nextHorizon: upcoming items within this many days are shown.
const nextHorizon = 30

// Next returns what is next for person id.
func (s *FirstDaysService) Next(ctx context.Context, p Principal, id int64) (PersonNext, error) {
	db := s.db.WithContext(ctx)
	m, err := personFor(db, p, id)
	if err != nil {
		return PersonNext{}, err
	}
	out, err := s.nextFor(db, []model.Person{m})
	if err != nil {
		return PersonNext{}, err
	}
	return out[0], nil
}

// FamilyNext returns what is next for every person of the caller's family
// in four queries (persons, doses, measurements, bookings).
func (s *FirstDaysService) FamilyNext(ctx context.Context, p Principal) ([]PersonNext, error) {
	db := s.db.WithContext(ctx)
	ms, err := familyPersons(db, p)
	if err != nil {
		return nil, err
	}
	return s.nextFor(db, ms)
}

// HouseholdNext returns what is next for every person of one of the
// caller's households: persons with something overdue first, then by the
// date of their first item.
func (s *FirstDaysService) HouseholdNext(ctx context.Context, p Principal, id int64) ([]PersonNext, error) {
	db := s.db.WithContext(ctx)
	ms, err := householdPersons(db, p, id)
	if err != nil {
		return nil, err
	}
	out, err := s.nextFor(db, ms)
	if err != nil {
		return nil, err
	}
	rank := func(pn PersonNext) (int, time.Time) {
		if len(pn.Items) == 0 {
			return 2, time.Time{}
		}
		if pn.Items[0].State == DoseOverdue {
			return 0, pn.Items[0].Date
		}
		return 1, pn.Items[0].Date
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, di := rank(out[i])
		rj, dj := rank(out[j])
		if ri != rj {
			return ri < rj
		}
		return di.Before(dj)
	})
	return out, nil
}

func (s *FirstDaysService) nextFor(db *gorm.DB, ms []model.Person) ([]PersonNext, error) {
	out := make([]PersonNext, len(ms))
	if len(ms) == 0 {
		return out, nil
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	var doses []model.VaccinationDose
	if err := db.Where("person_id IN ?", ids).Find(&doses).Error; err != nil {
		return nil, err
	}
	var measured []model.GrowthMeasurement
	if err := db.Where("person_id IN ? AND self_reported = ?", ids, false).Find(&measured).Error; err != nil {
		return nil, err
	}
	var records []model.CheckupRecord
	if err := db.Where("person_id IN ?", ids).Find(&records).Error; err != nil {
		return nil, err
	}
	recordsOf := map[int64][]model.CheckupRecord{}
	for _, r := range records {
		recordsOf[r.PersonID] = append(recordsOf[r.PersonID], r)
	}
	var bookings []model.Booking
	if err := db.Where("member_id IN ? AND active = ? AND starts_at > ?", ids, true, s.clock.Now()).
		Order("starts_at").Find(&bookings).Error; err != nil {
		return nil, err
	}
	custom, err := customDoses(db, doses)
	if err != nil {
		return nil, err
	}
	dosesOf := map[int64][]model.VaccinationDose{}
	for _, d := range doses {
		dosesOf[d.PersonID] = append(dosesOf[d.PersonID], d)
	}
	measuredOf := map[int64][]model.GrowthMeasurement{}
	for _, g := range measured {
		measuredOf[g.PersonID] = append(measuredOf[g.PersonID], g)
	}
	horizon := s.today().AddDate(0, 0, nextHorizon)
	for i, m := range ms {
		items := []NextItem{}
		for _, d := range s.plan(m, dosesOf[m.ID], custom) {
			if d.State == DoseDone || (d.State == DoseUpcoming && d.DueDate.After(horizon)) {
				continue
			}
			items = append(items, NextItem{Kind: "vaccination", Title: d.Name + " 第" + strconv.Itoa(d.Dose) + "剂",
				Date: d.DueDate, State: d.State, Vaccine: d.Vaccine, Dose: d.Dose})
		}
		plan := s.checkupPlan(m, measuredOf[m.ID], recordsOf[m.ID])
		for _, c := range append(plan.Child, plan.Prenatal...) {
			if c.State == DoseDone || c.State == CheckupPast || (c.State == DoseUpcoming && c.DueDate.After(horizon)) {
				continue
			}
			kind := "checkup"
			if c.Kind != "child" {
				kind = "prenatal"
			}
			items = append(items, NextItem{Kind: kind, Title: c.Name, Date: c.DueDate, State: c.State})
		}
		for _, b := range bookings {
			if b.MemberID == m.ID {
				items = append(items, NextItem{Kind: "booking", Title: "已预约", Date: b.StartsAt, State: "booked", BookingID: b.ID})
			}
		}
		sort.SliceStable(items, func(a, b int) bool {
			oa, ob := items[a].State == DoseOverdue, items[b].State == DoseOverdue
			if oa != ob {
				return oa
			}
			return items[a].Date.Before(items[b].Date)
		})
		out[i] = PersonNext{PersonID: m.ID, Name: m.Name, Items: items}
	}
	return out, nil
}
