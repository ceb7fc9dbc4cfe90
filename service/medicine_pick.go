package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// Medicines from the person's medication list (README, "Family doctor in
// practice"): an item picked from the list (medication_id) takes the
// list's drug and strength and at most its quantity per refill; asked for
// before last refill + refill interval it needs a refill reason. A free-text
// item is a request the pharmacist reviews (the order's NeedsReview).

// refillDue is a list item asked for too soon.
type refillDue struct {
	Position     int    `json:"position"`
	MedicationID int64  `json:"medication_id"`
	Drug         string `json:"drug"`
	EarliestDate string `json:"earliest_date"`
}

// pick turns the asked items into order items, checking them against the
// person's medication list. Without a reason, an item of the list asked for
// before its refill interval is over is 422 refill_too_soon naming the
// earliest date the whole order could be placed without one.
func (s *MedicineService) pick(tx *gorm.DB, personID int64, in []MedicineItemInput, reason bool) ([]model.MedicineOrderItem, error) {
	var meds []model.Medication
	if err := tx.Where("person_id = ?", personID).Find(&meds).Error; err != nil {
		return nil, err
	}
	today := s.clock.Now().In(s.loc).Format(dateLayout)
	fields := map[string]string{}
	var due []refillDue
	items := make([]model.MedicineOrderItem, len(in))
	for i, it := range in {
		items[i] = model.MedicineOrderItem{Position: i + 1, Name: it.Name, Spec: it.Spec, Quantity: it.Quantity}
		if it.MedicationID == 0 {
			continue
		}
		j := slices.IndexFunc(meds, func(m model.Medication) bool { return m.ID == it.MedicationID })
		if j < 0 {
			fields[fmt.Sprintf("items[%d].medication_id", i)] = "is not on this person's medication list"
			continue
		}
		m := meds[j]
		if it.Quantity > m.QuantityPerRefill {
			fields[fmt.Sprintf("items[%d].quantity", i)] = fmt.Sprintf("must be at most %d (the quantity per refill)", m.QuantityPerRefill)
			continue
		}
		id := m.ID
		items[i].MedicationID, items[i].Name, items[i].Spec = &id, m.Drug, m.Strength
		last, err := s.lastRefill(tx, personID, m)
		if err != nil {
			return nil, err
		}
		if last == "" {
			continue
		}
		d, err := time.ParseInLocation(dateLayout, last, s.loc)
		if err != nil {
			continue // a malformed date on the list never blocks an order
		}
		if earliest := d.AddDate(0, 0, m.RefillIntervalDays).Format(dateLayout); earliest > today {
			due = append(due, refillDue{Position: i + 1, MedicationID: m.ID, Drug: m.Drug, EarliestDate: earliest})
		}
	}
	if len(fields) > 0 {
		return nil, Invalid(fields)
	}
	if len(due) > 0 && !reason {
		earliest := ""
		for _, d := range due {
			earliest = max(earliest, d.EarliestDate)
		}
		return nil, ErrRefillTooSoon.Msg("%s was refilled recently: give refill_reason, or order from %s", due[0].Drug, earliest).
			With(map[string]any{"earliest_date": earliest, "items": due})
	}
	return items, nil
}

// lastRefill is the day a list drug was last refilled: the later of the
// list's last prescription and the person's latest order of that drug
// (by name and strength: a list replaced by the doctor keeps its refills)
// that was not rejected or cancelled.
func (s *MedicineService) lastRefill(tx *gorm.DB, personID int64, m model.Medication) (string, error) {
	var os []model.MedicineOrder
	err := tx.Select("id", "created_at").Where("member_id = ? AND status NOT IN ?", personID,
		[]string{model.MedicineRejected, model.MedicineCancelled}).
		Where("id IN (?)", tx.Session(&gorm.Session{NewDB: true}).Model(&model.MedicineOrderItem{}).Select("order_id").
			Where("medication_id IS NOT NULL AND name = ? AND spec = ?", m.Drug, m.Strength)).
		Order("created_at DESC").Limit(1).Find(&os).Error
	if err != nil {
		return "", err
	}
	last := m.LastPrescribed
	if len(os) > 0 {
		last = max(last, os[0].CreatedAt.In(s.loc).Format(dateLayout))
	}
	return last, nil
}

// repick rebuilds a delivered order's items for a reorder: list items are
// matched to today's list (by entry, else by drug and strength, capped at
// the quantity per refill); what the list no longer has is free text for
// the pharmacist.
func (s *MedicineService) repick(tx *gorm.DB, personID int64, prev []model.MedicineOrderItem) ([]model.MedicineOrderItem, error) {
	var meds []model.Medication
	if err := tx.Where("person_id = ?", personID).Find(&meds).Error; err != nil {
		return nil, err
	}
	in := make([]MedicineItemInput, len(prev))
	for i, it := range prev {
		in[i] = MedicineItemInput{Name: it.Name, Spec: it.Spec, Quantity: it.Quantity}
		if it.MedicationID == nil {
			continue
		}
		j := slices.IndexFunc(meds, func(m model.Medication) bool { return m.ID == *it.MedicationID })
		if j < 0 {
			j = slices.IndexFunc(meds, func(m model.Medication) bool { return m.Drug == it.Name && m.Strength == it.Spec })
		}
		if j >= 0 {
			in[i].MedicationID, in[i].Quantity = meds[j].ID, min(it.Quantity, meds[j].QuantityPerRefill)
		}
	}
	return s.pick(tx, personID, in, false)
}

// mayApprove: only a pharmacist approves an order — staff whose position
// is pharmacist, a member of the contract's team with the pharmacist role,
// or an admin.
func (s *MedicineService) mayApprove(tx *gorm.DB, p Principal, o model.MedicineOrder) error {
	if p.IsAdmin() {
		return nil
	}
	var u model.User
	if err := tx.Select("id", "position").Where("id = ?", p.UserID).Limit(1).Find(&u).Error; err != nil {
		return err
	}
	if u.Position == model.PositionPharmacist {
		return nil
	}
	var c model.FamilyContract
	if err := tx.Select("id", "team_id").Where("id = ?", o.ContractID).Limit(1).Find(&c).Error; err != nil {
		return err
	}
	if c.ID != 0 {
		role, ok, err := inTeam(tx, p, c.TeamID)
		if err != nil {
			return err
		}
		if ok && role == model.MemberRolePharmacist {
			return nil
		}
	}
	return ErrPharmacistRequired
}

// Staff order channels: how the resident asked.
var staffOrderVia = map[string]string{
	model.RequestedViaPhone:   model.ConsentByPhone,
	model.RequestedViaCounter: model.ConsentByCounter,
	model.RequestedViaVisit:   model.ConsentByCounter, // in person, at home
}

// CreateForResident places an order a resident asked staff for (on the
// phone, at the counter or on a home visit) for a person within the
// clinic's reach (personFor) covered by an active contract of one of the
// caller's clinics' teams. It records how the resident asked and their
// consent to delivery; the household sees the order and its hand-over
// code in the app.
func (s *MedicineService) CreateForResident(ctx context.Context, p Principal, in MedicineOrderInput) (MedicineOrderView, error) {
	if err := in.normalize(); err != nil {
		return MedicineOrderView{}, err
	}
	method, ok := staffOrderVia[in.RequestedVia]
	if !ok {
		return MedicineOrderView{}, InvalidField("requested_via", "must be one of phone, counter, visit")
	}
	var view MedicineOrderView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		m, err := personFor(tx, p, in.MemberID)
		if err != nil {
			return notFoundAs(err, ErrNotFound.Msg("no such person").With(map[string]any{"member_id": in.MemberID}))
		}
		if err := requireVerified(s.realName, m); err != nil {
			return err
		}
		if err := forUpdate(tx.Session(&gorm.Session{NewDB: true})).Where("id = ?", m.ID).First(&m).Error; err != nil {
			return notFound(err)
		}
		o := model.MedicineOrder{MemberID: m.ID, Address: in.Address, ContactPhone: in.ContactPhone, PreferredWindow: in.PreferredWindow,
			Note: in.Note, RefillReason: in.RefillReason, RequestedVia: in.RequestedVia, PlacedBy: p.UserID}
		items, err := s.pick(tx, m.ID, in.Items, in.RefillReason != "")
		if err != nil {
			return err
		}
		if view, err = s.place(tx, p, o, items); err != nil {
			return err
		}
		return recordConsent(tx, m.ID, model.ConsentDelivery, method, 0, p.UserID)
	})
	if err != nil {
		return MedicineOrderView{}, err
	}
	s.log.Info("medicine order taken by staff", "order_id", view.Order.ID, "member_id", in.MemberID, "via", in.RequestedVia, "by", p.UserID)
	return view, nil
}
