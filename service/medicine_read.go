package service

import (
	"context"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// List returns the orders in the caller's scope: its own, newest first, or
// its clinic's (the network's) delivery queue, oldest first.
// needsReview keeps the orders with free-text items.
func (s *MedicineService) List(ctx context.Context, p Principal, status string, needsReview bool, pg pagination.Page) ([]MedicineOrderView, string, error) {
	q := filterBy(s.db.WithContext(ctx), "status", status)
	if needsReview {
		q = q.Where("needs_review = ?", true)
	}
	rows, next, err := findPageByIDEach(p.ApplyEach(q, ownerClinic), pg, p.Scope == ScopeSelf, func(o model.MedicineOrder) int64 { return o.ID })
	if err != nil {
		return nil, "", err
	}
	views, err := s.views(s.db.WithContext(ctx), rows)
	return views, next, err
}

// Get returns one order in the caller's scope.
func (s *MedicineService) Get(ctx context.Context, p Principal, id int64) (MedicineOrderView, error) {
	db := s.db.WithContext(ctx)
	o, err := s.load(db, p, id)
	if err != nil {
		return MedicineOrderView{}, err
	}
	return s.view(db, o)
}

// load reads an order in the caller's scope; any other is not found.
func (s *MedicineService) load(db *gorm.DB, p Principal, id int64) (model.MedicineOrder, error) {
	var o model.MedicineOrder
	err := p.Apply(db.Where("id = ?", id), ownerClinic).First(&o).Error
	return o, notFoundAs(err, ErrNotFound.Msg("no such medicine order"))
}

func (s *MedicineService) view(db *gorm.DB, o model.MedicineOrder) (MedicineOrderView, error) {
	vs, err := s.views(db, []model.MedicineOrder{o})
	if err != nil {
		return MedicineOrderView{}, err
	}
	return vs[0], nil
}

func (s *MedicineService) views(db *gorm.DB, os []model.MedicineOrder) ([]MedicineOrderView, error) {
	out := make([]MedicineOrderView, len(os))
	if len(os) == 0 {
		return out, nil
	}
	ids := make([]int64, len(os))
	memberIDs := make([]int64, len(os))
	for i, o := range os {
		ids[i], memberIDs[i] = o.ID, o.MemberID
	}
	members, err := loadCareMembers(db, memberIDs, s.clock.Now(), s.loc)
	if err != nil {
		return nil, err
	}
	itemsBy, err := loadGrouped(db, "order_id", ids, "order_id, position", func(it model.MedicineOrderItem) int64 { return it.OrderID })
	if err != nil {
		return nil, err
	}
	evBy, err := loadGrouped(db, "order_id", ids, "id", func(e model.MedicineOrderEvent) int64 { return e.OrderID })
	if err != nil {
		return nil, err
	}
	for i, o := range os {
		if err := s.open(&o); err != nil {
			return nil, err
		}
		out[i] = MedicineOrderView{Order: o, Items: itemsBy[o.ID], Member: members[o.MemberID], History: evBy[o.ID]}
	}
	return out, nil
}
