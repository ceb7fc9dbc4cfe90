package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"

	"gorm.io/gorm"
)

// MedicationService keeps covered persons' long-term medication lists.
type MedicationService struct {
	db    *gorm.DB
	clock Clock
	loc   *time.Location
}

// NewMedicationService builds the service.
func NewMedicationService(deps Deps) *MedicationService {
	return &MedicationService{db: deps.DB, clock: deps.Clock, loc: deps.Loc}
}

// medicationMax bounds a list.
const medicationMax = 30

// MedicationInput is one drug of a list.
type MedicationInput struct {
	Drug, Strength, Form, Dose string
	QuantityPerRefill          int
	RefillIntervalDays         int
	LastPrescribed             string
}

func normalizeMedications(items []MedicationInput, today string) error {
	f := map[string]string{}
	if len(items) > medicationMax {
		f["items"] = fmt.Sprintf("must have at most %d items", medicationMax)
	}
	for i := range items {
		it := &items[i]
		it.Drug, it.Strength, it.Form, it.Dose = strings.TrimSpace(it.Drug), strings.TrimSpace(it.Strength), strings.TrimSpace(it.Form), strings.TrimSpace(it.Dose)
		key := func(k string) string { return fmt.Sprintf("items[%d].%s", i, k) }
		if n := utf8.RuneCountInString(it.Drug); n < 1 || n > 64 {
			f[key("drug")] = "must be 1 to 64 characters"
		}
		if utf8.RuneCountInString(it.Strength) > 32 {
			f[key("strength")] = "must be at most 32 characters"
		}
		if utf8.RuneCountInString(it.Form) > 32 {
			f[key("form")] = "must be at most 32 characters"
		}
		if utf8.RuneCountInString(it.Dose) > 64 {
			f[key("dose")] = "must be at most 64 characters"
		}
		if it.QuantityPerRefill < 1 || it.QuantityPerRefill > MedicineMaxQuantity {
			f[key("quantity_per_refill")] = fmt.Sprintf("must be between 1 and %d", MedicineMaxQuantity)
		}
		if it.RefillIntervalDays < 1 || it.RefillIntervalDays > 180 {
			f[key("refill_interval_days")] = "must be between 1 and 180"
		}
		if it.LastPrescribed != "" {
			if _, err := time.Parse(dateLayout, it.LastPrescribed); err != nil {
				f[key("last_prescribed")] = "must be a date YYYY-MM-DD"
			} else if it.LastPrescribed > today {
				f[key("last_prescribed")] = "must not be in the future"
			}
		}
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

// List reads a person's medication list (the household on resident
// routes, through personFor; staff within their reach).
func (s *MedicationService) List(ctx context.Context, p Principal, id int64) ([]model.Medication, error) {
	db := s.db.WithContext(ctx)
	m, err := personFor(db, p, id)
	if err != nil {
		return nil, err
	}
	var out []model.Medication
	err = db.Where("person_id = ?", m.ID).Order("position").Find(&out).Error
	return out, err
}

// Replace replaces a covered person's list: only a member of the team of
// the person's active contract may (anyone else: 404).
func (s *MedicationService) Replace(ctx context.Context, p Principal, id int64, items []MedicationInput) ([]model.Medication, error) {
	now := s.clock.Now()
	if err := normalizeMedications(items, now.In(s.loc).Format(dateLayout)); err != nil {
		return nil, err
	}
	var out []model.Medication
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		out = nil
		var m model.Person
		if err := tx.First(&m, id).Error; err != nil {
			return notFound(err)
		}
		c, err := coveringContract(tx, m.ID)
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, ok, err := inTeam(tx, p, c.TeamID); err != nil || !ok {
			if err != nil {
				return err
			}
			return ErrNotFound
		}
		if err := tx.Where("person_id = ?", m.ID).Delete(&model.Medication{}).Error; err != nil {
			return err
		}
		for i, it := range items {
			out = append(out, model.Medication{PersonID: m.ID, Position: i + 1, Drug: it.Drug, Strength: it.Strength, Form: it.Form,
				Dose: it.Dose, QuantityPerRefill: it.QuantityPerRefill, RefillIntervalDays: it.RefillIntervalDays,
				LastPrescribed: it.LastPrescribed, UpdatedBy: p.UserID, CreatedAt: now, UpdatedAt: now})
		}
		if len(out) == 0 {
			out = []model.Medication{}
			return nil
		}
		return tx.Create(&out).Error
	})
	return out, err
}
