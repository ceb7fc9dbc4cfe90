package service

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"
	"familycare/pagination"
	"familycare/pii"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Errors of medicine orders.
var (
	ErrNoActiveContract     = newErr(KindForbidden, "no_active_contract", "this family member has no active family-doctor contract; home medicine delivery needs one")
	ErrHandoverCodeMismatch = newErr(KindInvalid, "handover_code_mismatch", "the hand-over code is wrong")
	ErrHandoverLocked       = newErr(KindConflict, "handover_locked", "too many wrong hand-over codes: staff must reset the code (POST /staff/medicine-orders/{id}/reset-handover) before delivery")
)

// Notification events of medicine orders (all to the resident).
const (
	EventMedicineRequested      = "medicine_requested"
	EventMedicineApproved       = "medicine_approved"
	EventMedicineRejected       = "medicine_rejected"
	EventMedicineCancelled      = "medicine_cancelled"
	EventMedicineDispatched     = "medicine_dispatched"
	EventMedicineDelivered      = "medicine_delivered"
	EventMedicineHandoverLocked = "medicine_handover_locked"
	EventMedicineHandoverReset  = "medicine_handover_reset"
)

// Medicine order rules.
const (
	MedicineMaxItems       = 20
	MedicineMaxQuantity    = 99
	MedicineHandoverTries  = 5 // wrong hand-over codes that lock delivery
	medicineHandoverDigits = 6
)

// medicinePhone is a mainland China mobile number.
var medicinePhone = regexp.MustCompile(`^1[3-9]\d{9}$`)

// medicineTransitions is the medicine order state machine.
var medicineTransitions = map[string][]string{
	model.MedicineRequested:  {model.MedicineApproved, model.MedicineRejected, model.MedicineCancelled},
	model.MedicineApproved:   {model.MedicineDispatched, model.MedicineCancelled},
	model.MedicineDispatched: {model.MedicineDelivered},
}

// MedicineService handles home medicine delivery for members covered by an
// active family-doctor contract. Addresses and phone numbers are never
// logged.
type MedicineService struct {
	db     *gorm.DB
	pii    *pii.Box // seals address, contact phone and hand-over code at rest
	clock  Clock
	loc    *time.Location
	log    *slog.Logger
	notify ContractNotifier
}

// MedicineItemInput is one medicine asked for.
type MedicineItemInput struct {
	Name     string
	Spec     string
	Quantity int
}

// MedicineOrderInput is a delivery request.
type MedicineOrderInput struct {
	MemberID        int64
	Items           []MedicineItemInput
	Address         string
	ContactPhone    string
	PreferredWindow string
	Note            string
}

// MedicineOrderView is an order with its items, member and history.
type MedicineOrderView struct {
	Order   model.MedicineOrder
	Items   []model.MedicineOrderItem
	Member  CareMember
	History []model.MedicineOrderEvent
}

// HandoverLocked reports whether wrong codes locked delivery.
func (v MedicineOrderView) HandoverLocked() bool {
	return v.Order.HandoverFailures >= MedicineHandoverTries
}

func (in *MedicineOrderInput) normalize() error {
	f := map[string]string{}
	in.Address = strings.TrimSpace(in.Address)
	in.ContactPhone = strings.TrimSpace(in.ContactPhone)
	in.PreferredWindow = strings.TrimSpace(in.PreferredWindow)
	in.Note = strings.TrimSpace(in.Note)
	if in.MemberID <= 0 {
		f["member_id"] = "required"
	}
	switch n := len(in.Items); {
	case n == 0:
		f["items"] = "must have at least 1 items"
	case n > MedicineMaxItems:
		f["items"] = fmt.Sprintf("must have at most %d items", MedicineMaxItems)
	}
	for i := range in.Items {
		it := &in.Items[i]
		it.Name, it.Spec = strings.TrimSpace(it.Name), strings.TrimSpace(it.Spec)
		if it.Name == "" || utf8.RuneCountInString(it.Name) > 64 {
			f[fmt.Sprintf("items[%d].name", i)] = "must be 1 to 64 characters"
		}
		if utf8.RuneCountInString(it.Spec) > 64 {
			f[fmt.Sprintf("items[%d].spec", i)] = "must be at most 64 characters"
		}
		if it.Quantity < 1 || it.Quantity > MedicineMaxQuantity {
			f[fmt.Sprintf("items[%d].quantity", i)] = fmt.Sprintf("must be 1 to %d", MedicineMaxQuantity)
		}
	}
	if in.Address == "" || utf8.RuneCountInString(in.Address) > 255 {
		f["address"] = "must be 1 to 255 characters"
	}
	if !medicinePhone.MatchString(in.ContactPhone) {
		f["contact_phone"] = "must be a mainland mobile number (11 digits starting 13-19)"
	}
	if utf8.RuneCountInString(in.PreferredWindow) > 64 {
		f["preferred_window"] = "must be at most 64 characters"
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		f["note"] = "must be at most 500 characters"
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

// Create asks for a member's medicines to be delivered home. The member
// must be the caller's and covered by an active contract (403
// no_active_contract); the order goes to the contract team's clinic.
func (s *MedicineService) Create(ctx context.Context, p Principal, in MedicineOrderInput) (MedicineOrderView, error) {
	if err := in.normalize(); err != nil {
		return MedicineOrderView{}, err
	}
	var view MedicineOrderView
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := ownedMember(tx, p.UserID, in.MemberID)
		if err != nil {
			return notFoundAs(err, ErrNotFound.Msg("no such family member").With(map[string]any{"member_id": in.MemberID}))
		}
		o := model.MedicineOrder{UserID: p.UserID, MemberID: m.ID, Address: in.Address, ContactPhone: in.ContactPhone,
			PreferredWindow: in.PreferredWindow, Note: in.Note}
		items := make([]model.MedicineOrderItem, len(in.Items))
		for i, it := range in.Items {
			items[i] = model.MedicineOrderItem{Position: i + 1, Name: it.Name, Spec: it.Spec, Quantity: it.Quantity}
		}
		view, err = s.place(tx, p, o, items)
		return err
	})
	if err != nil {
		return MedicineOrderView{}, err
	}
	s.log.Info("medicine order requested", "order_id", view.Order.ID, "member_id", in.MemberID, "items", len(in.Items))
	return view, nil
}

// place stores a new order for o.MemberID, checking its coverage.
func (s *MedicineService) place(tx *gorm.DB, p Principal, o model.MedicineOrder, items []model.MedicineOrderItem) (MedicineOrderView, error) {
	noContract := ErrNoActiveContract.With(map[string]any{"member_id": o.MemberID})
	var covering []int64
	if err := tx.Model(&model.ContractMember{}).Where("member_id = ? AND active = ?", o.MemberID, true).
		Limit(1).Pluck("contract_id", &covering).Error; err != nil {
		return MedicineOrderView{}, err
	}
	if len(covering) == 0 {
		return MedicineOrderView{}, noContract
	}
	// The covering contract's row only, locked (MySQL) so a concurrent
	// termination either waits for this order or is seen by it.
	var c model.FamilyContract
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("id = ? AND status = ?", covering[0], model.ContractActive).First(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return MedicineOrderView{}, noContract
	}
	if err != nil {
		return MedicineOrderView{}, err
	}
	code, err := newHandoverCode()
	if err != nil {
		return MedicineOrderView{}, err
	}
	now := s.clock.Now()
	o.ContractID, o.ClinicID, o.Status, o.HandoverCode = c.ID, c.ClinicID, model.MedicineRequested, code
	o.CreatedAt, o.UpdatedAt = now, now
	for _, f := range []*string{&o.Address, &o.ContactPhone, &o.HandoverCode} {
		if *f, err = s.seal(*f); err != nil {
			return MedicineOrderView{}, err
		}
	}
	if err := tx.Create(&o).Error; err != nil {
		return MedicineOrderView{}, err
	}
	for i := range items {
		items[i].ID = 0
		items[i].OrderID = o.ID
	}
	if err := tx.Create(&items).Error; err != nil {
		return MedicineOrderView{}, err
	}
	if err := tx.Create(&model.MedicineOrderEvent{OrderID: o.ID, ToStatus: model.MedicineRequested, At: now,
		ByUserID: p.UserID, ByRole: p.Role}).Error; err != nil {
		return MedicineOrderView{}, err
	}
	if err := s.notify.Notify(tx, Notice{UserID: o.UserID, Event: EventMedicineRequested, Title: "送药上门申请已提交",
		Body:    fmt.Sprintf("已提交 %d 种药品的送药申请，家庭医生团队审核后安排配送。", len(items)),
		RefType: "medicine_order", RefID: o.ID}); err != nil {
		return MedicineOrderView{}, err
	}
	return s.view(tx, o)
}

// seal encrypts a personal field; a value already sealed (copied from
// another order) is opened first, so it is never sealed twice.
func (s *MedicineService) seal(v string) (string, error) {
	plain, err := s.pii.Open(v)
	if err != nil {
		return "", err
	}
	return s.pii.Seal(plain)
}

// open decrypts the personal fields of orders read from the database.
func (s *MedicineService) open(o *model.MedicineOrder) error {
	for _, f := range []*string{&o.Address, &o.ContactPhone, &o.HandoverCode} {
		v, err := s.pii.Open(*f)
		if err != nil {
			return err
		}
		*f = v
	}
	return nil
}

// newHandoverCode is 6 random digits from crypto/rand.
func newHandoverCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("handover code: %w", err)
	}
	return fmt.Sprintf("%0*d", medicineHandoverDigits, n.Int64()), nil
}

// Reorder places a new order like one of the caller's delivered orders:
// same member, items, address, phone and window. The member must still be
// covered by an active contract.
func (s *MedicineService) Reorder(ctx context.Context, p Principal, id int64) (MedicineOrderView, error) {
	var view MedicineOrderView
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		prev, err := s.own(tx, p, id)
		if err != nil {
			return err
		}
		if prev.Status != model.MedicineDelivered {
			return ErrInvalidTransition.Msg("only a delivered order can be reordered").With(map[string]any{"status": prev.Status})
		}
		if _, err := ownedMember(tx, p.UserID, prev.MemberID); err != nil {
			return notFoundAs(err, ErrNotFound.Msg("the family member of this order was removed").With(map[string]any{"member_id": prev.MemberID}))
		}
		var items []model.MedicineOrderItem
		if err := tx.Where("order_id = ?", prev.ID).Order("position").Find(&items).Error; err != nil {
			return err
		}
		o := model.MedicineOrder{UserID: p.UserID, MemberID: prev.MemberID, Address: prev.Address, ContactPhone: prev.ContactPhone,
			PreferredWindow: prev.PreferredWindow, Note: prev.Note, ReorderOfID: &prev.ID}
		view, err = s.place(tx, p, o, items)
		return err
	})
	if err != nil {
		return MedicineOrderView{}, err
	}
	s.log.Info("medicine order reordered", "order_id", view.Order.ID, "reorder_of", id)
	return view, nil
}

// ---- reading ----

// List returns the caller's orders, newest first.
func (s *MedicineService) List(ctx context.Context, p Principal, status string, pg pagination.Page) ([]MedicineOrderView, string, error) {
	return s.list(ctx, s.db.WithContext(ctx).Where("user_id = ?", p.UserID), status, pg, false)
}

// StaffList is the delivery queue of the staff member's clinic (every clinic
// for an admin), oldest first.
func (s *MedicineService) StaffList(ctx context.Context, p Principal, status string, pg pagination.Page) ([]MedicineOrderView, string, error) {
	q := s.db.WithContext(ctx)
	if !p.IsAdmin() {
		q = q.Where("clinic_id = ?", p.ClinicID)
	}
	return s.list(ctx, q, status, pg, true)
}

func (s *MedicineService) list(ctx context.Context, q *gorm.DB, status string, pg pagination.Page, oldestFirst bool) ([]MedicineOrderView, string, error) {
	if status != "" {
		q = q.Where("status = ?", status)
	}
	rows, next, err := findPageByID(q, pg, !oldestFirst, func(o model.MedicineOrder) int64 { return o.ID })
	if err != nil {
		return nil, "", err
	}
	views, err := s.views(s.db.WithContext(ctx), rows)
	return views, next, err
}

// Get returns one of the caller's orders.
func (s *MedicineService) Get(ctx context.Context, p Principal, id int64) (MedicineOrderView, error) {
	db := s.db.WithContext(ctx)
	o, err := s.own(db, p, id)
	if err != nil {
		return MedicineOrderView{}, err
	}
	return s.view(db, o)
}

// StaffGet returns one order of the staff member's clinic.
func (s *MedicineService) StaffGet(ctx context.Context, p Principal, id int64) (MedicineOrderView, error) {
	db := s.db.WithContext(ctx)
	o, err := s.staffOrder(db, p, id)
	if err != nil {
		return MedicineOrderView{}, err
	}
	return s.view(db, o)
}

func (s *MedicineService) own(db *gorm.DB, p Principal, id int64) (model.MedicineOrder, error) {
	var o model.MedicineOrder
	err := db.Where("id = ? AND user_id = ?", id, p.UserID).First(&o).Error
	return o, notFoundAs(err, ErrNotFound.Msg("no such medicine order"))
}

// staffOrder loads an order of the staff member's clinic; another clinic's
// order is not found.
func (s *MedicineService) staffOrder(db *gorm.DB, p Principal, id int64) (model.MedicineOrder, error) {
	var o model.MedicineOrder
	q := db.Where("id = ?", id)
	if !p.IsAdmin() {
		q = q.Where("clinic_id = ?", p.ClinicID)
	}
	err := q.First(&o).Error
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
	var items []model.MedicineOrderItem
	if err := db.Where("order_id IN ?", ids).Order("order_id, position").Find(&items).Error; err != nil {
		return nil, err
	}
	itemsBy := map[int64][]model.MedicineOrderItem{}
	for _, it := range items {
		itemsBy[it.OrderID] = append(itemsBy[it.OrderID], it)
	}
	var evs []model.MedicineOrderEvent
	if err := db.Where("order_id IN ?", ids).Order("id").Find(&evs).Error; err != nil {
		return nil, err
	}
	evBy := map[int64][]model.MedicineOrderEvent{}
	for _, e := range evs {
		evBy[e.OrderID] = append(evBy[e.OrderID], e)
	}
	for i, o := range os {
		if err := s.open(&o); err != nil {
			return nil, err
		}
		out[i] = MedicineOrderView{Order: o, Items: itemsBy[o.ID], Member: members[o.MemberID], History: evBy[o.ID]}
	}
	return out, nil
}

// ---- transitions ----

// medicineMove is one transition of an order.
type medicineMove struct {
	to     string
	by     contractActor
	reason string
	set    map[string]any
	where  []any
}

// move applies a transition with a conditional update and writes history.
func (s *MedicineService) move(tx *gorm.DB, o *model.MedicineOrder, m medicineMove) error {
	if !medicineCan(o.Status, m.to) {
		return ErrInvalidTransition.Msg("a %s order cannot become %s", o.Status, m.to).With(map[string]any{"status": o.Status})
	}
	now := s.clock.Now()
	fields := map[string]any{"status": m.to, "updated_at": now}
	for k, v := range m.set {
		fields[k] = v
	}
	q := tx.Model(&model.MedicineOrder{}).Where("id = ? AND status = ?", o.ID, o.Status)
	if len(m.where) > 0 {
		q = q.Where(m.where[0], m.where[1:]...)
	}
	res := q.Updates(fields)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return s.lostRace(tx, o.ID)
	}
	if err := tx.Create(&model.MedicineOrderEvent{OrderID: o.ID, FromStatus: o.Status, ToStatus: m.to, At: now,
		ByUserID: m.by.UserID, ByRole: m.by.Role, Reason: truncate(m.reason, 255)}).Error; err != nil {
		return err
	}
	o.Status = m.to
	return nil
}

// lostRace explains a conditional update that changed nothing.
func (s *MedicineService) lostRace(tx *gorm.DB, id int64) error {
	var cur model.MedicineOrder
	if err := tx.Select("id", "status", "handover_failures").First(&cur, id).Error; err != nil {
		return notFound(err)
	}
	if cur.Status == model.MedicineDispatched && cur.HandoverFailures >= MedicineHandoverTries {
		return ErrHandoverLocked
	}
	return ErrInvalidTransition.Msg("the order is %s now", cur.Status).With(map[string]any{"status": cur.Status})
}

func medicineCan(from, to string) bool {
	for _, s := range medicineTransitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// medicineNotices are the resident's notification of each transition.
var medicineNotices = map[string]struct{ event, title, body string }{
	model.MedicineApproved:   {EventMedicineApproved, "送药申请已通过", "家庭医生团队已审核通过您的送药申请，正在备药。"},
	model.MedicineRejected:   {EventMedicineRejected, "送药申请未通过", "原因：%s"},
	model.MedicineCancelled:  {EventMedicineCancelled, "送药申请已取消", "您的送药申请已取消。"},
	model.MedicineDispatched: {EventMedicineDispatched, "药品已出发", "药品正在送往您家，请在收货时向配送人员出示订单上的 6 位交接码。"},
	model.MedicineDelivered:  {EventMedicineDelivered, "药品已送达", "药品已送达并完成交接，请按医嘱服用。"},
}

// transition runs one staff or resident transition of an order in a
// transaction and notifies the resident.
func (s *MedicineService) transition(ctx context.Context, load func(*gorm.DB) (model.MedicineOrder, error), m medicineMove) (MedicineOrderView, error) {
	var view MedicineOrderView
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		o, err := load(tx)
		if err != nil {
			return err
		}
		if err := s.move(tx, &o, m); err != nil {
			return err
		}
		n := medicineNotices[m.to]
		body := n.body
		if strings.Contains(body, "%s") {
			body = fmt.Sprintf(body, m.reason)
		}
		if err := s.notify.Notify(tx, Notice{UserID: o.UserID, Event: n.event, Title: n.title, Body: body,
			RefType: "medicine_order", RefID: o.ID}); err != nil {
			return err
		}
		if err := tx.First(&o, o.ID).Error; err != nil {
			return err
		}
		view, err = s.view(tx, o)
		return err
	})
	if err != nil {
		return MedicineOrderView{}, err
	}
	s.log.Info("medicine order changed", "order_id", view.Order.ID, "status", m.to, "by", m.by.UserID, "role", m.by.Role)
	return view, nil
}

func (s *MedicineService) ownLoader(p Principal, id int64) func(*gorm.DB) (model.MedicineOrder, error) {
	return func(tx *gorm.DB) (model.MedicineOrder, error) { return s.own(tx, p, id) }
}

func (s *MedicineService) staffLoader(p Principal, id int64) func(*gorm.DB) (model.MedicineOrder, error) {
	return func(tx *gorm.DB) (model.MedicineOrder, error) { return s.staffOrder(tx, p, id) }
}

// Cancel withdraws one of the caller's orders before it is dispatched.
func (s *MedicineService) Cancel(ctx context.Context, p Principal, id int64, reason string) (MedicineOrderView, error) {
	return s.transition(ctx, s.ownLoader(p, id), medicineMove{to: model.MedicineCancelled, by: contractActorOf(p),
		reason: strings.TrimSpace(reason), set: map[string]any{"reason": truncate(strings.TrimSpace(reason), 255)}})
}

// Approve accepts a requested order.
func (s *MedicineService) Approve(ctx context.Context, p Principal, id int64) (MedicineOrderView, error) {
	return s.transition(ctx, s.staffLoader(p, id), medicineMove{to: model.MedicineApproved, by: contractActorOf(p)})
}

// Reject refuses a requested order with a reason.
func (s *MedicineService) Reject(ctx context.Context, p Principal, id int64, reason string) (MedicineOrderView, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return MedicineOrderView{}, InvalidField("reason", "required")
	}
	return s.transition(ctx, s.staffLoader(p, id), medicineMove{to: model.MedicineRejected, by: contractActorOf(p),
		reason: reason, set: map[string]any{"reason": truncate(reason, 255)}})
}

// MedicineDispatchInput is who carries the order and when it should arrive.
type MedicineDispatchInput struct {
	Courier string
	ETA     *time.Time
}

// Dispatch sends an approved order out.
func (s *MedicineService) Dispatch(ctx context.Context, p Principal, id int64, in MedicineDispatchInput) (MedicineOrderView, error) {
	courier := strings.TrimSpace(in.Courier)
	if utf8.RuneCountInString(courier) > 64 {
		return MedicineOrderView{}, InvalidField("courier", "must be at most 64 characters")
	}
	set := map[string]any{"courier": courier}
	if in.ETA != nil {
		if in.ETA.Before(s.clock.Now()) {
			return MedicineOrderView{}, InvalidField("eta", "must not be in the past")
		}
		set["eta"] = in.ETA.UTC()
	}
	return s.transition(ctx, s.staffLoader(p, id), medicineMove{to: model.MedicineDispatched, by: contractActorOf(p), set: set})
}

// Deliver records the hand-over of a dispatched order. The resident's
// 6-digit code must match: a wrong code is 422 handover_code_mismatch with
// the tries left (counted by a conditional update), and after
// MedicineHandoverTries wrong codes delivery is locked (409 handover_locked)
// until staff reset the code.
func (s *MedicineService) Deliver(ctx context.Context, p Principal, id int64, code string) (MedicineOrderView, error) {
	db := s.db.WithContext(ctx)
	o, err := s.staffOrder(db, p, id)
	if err != nil {
		return MedicineOrderView{}, err
	}
	if o.Status != model.MedicineDispatched {
		return MedicineOrderView{}, ErrInvalidTransition.Msg("only a dispatched order can be delivered").With(map[string]any{"status": o.Status})
	}
	if o.HandoverFailures >= MedicineHandoverTries {
		return MedicineOrderView{}, ErrHandoverLocked
	}
	want, err := s.pii.Open(o.HandoverCode)
	if err != nil {
		return MedicineOrderView{}, err
	}
	if subtle.ConstantTimeCompare([]byte(code), []byte(want)) == 1 {
		// The stored (sealed) code in the condition: a concurrent reset wins.
		return s.transition(ctx, s.staffLoader(p, id), medicineMove{to: model.MedicineDelivered, by: contractActorOf(p),
			set:   map[string]any{"delivered_at": s.clock.Now()},
			where: []any{"handover_failures < ? AND handover_code = ?", MedicineHandoverTries, o.HandoverCode}})
	}
	left := 0
	err = db.Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&model.MedicineOrder{}).
			Where("id = ? AND status = ? AND handover_failures < ?", o.ID, model.MedicineDispatched, MedicineHandoverTries).
			Updates(map[string]any{"handover_failures": gorm.Expr("handover_failures + 1"), "updated_at": s.clock.Now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return s.lostRace(tx, o.ID)
		}
		var cur model.MedicineOrder
		if err := tx.Select("id", "handover_failures").First(&cur, o.ID).Error; err != nil {
			return err
		}
		left = MedicineHandoverTries - cur.HandoverFailures
		if left > 0 {
			return nil
		}
		s.log.Warn("medicine hand-over locked after wrong codes", "order_id", o.ID, "by", p.UserID)
		return s.notify.Notify(tx, Notice{UserID: o.UserID, Event: EventMedicineHandoverLocked, Title: "送药交接已锁定",
			Body:    "交接码多次输入错误，交接已锁定。工作人员重置后会生成新的交接码，请留意订单。",
			RefType: "medicine_order", RefID: o.ID})
	})
	if err != nil {
		return MedicineOrderView{}, err
	}
	return MedicineOrderView{}, ErrHandoverCodeMismatch.Msg("the hand-over code is wrong; %d tries left", left).
		With(map[string]any{"tries_left": left})
}

// ResetHandover gives a dispatched order a new hand-over code and clears the
// wrong tries (after a lock, or when the resident lost the code). The new
// code shows on the resident's order; they are notified.
func (s *MedicineService) ResetHandover(ctx context.Context, p Principal, id int64) (MedicineOrderView, error) {
	var view MedicineOrderView
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		o, err := s.staffOrder(tx, p, id)
		if err != nil {
			return err
		}
		if o.Status != model.MedicineDispatched {
			return ErrInvalidTransition.Msg("only a dispatched order has a hand-over to reset").With(map[string]any{"status": o.Status})
		}
		code, err := newHandoverCode()
		if err != nil {
			return err
		}
		if code, err = s.seal(code); err != nil {
			return err
		}
		now := s.clock.Now()
		res := tx.Model(&model.MedicineOrder{}).Where("id = ? AND status = ?", o.ID, model.MedicineDispatched).
			Updates(map[string]any{"handover_code": code, "handover_failures": 0, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return s.lostRace(tx, o.ID)
		}
		if err := tx.Create(&model.MedicineOrderEvent{OrderID: o.ID, FromStatus: o.Status, ToStatus: o.Status, At: now,
			ByUserID: p.UserID, ByRole: p.Role, Reason: "hand-over code reset"}).Error; err != nil {
			return err
		}
		if err := s.notify.Notify(tx, Notice{UserID: o.UserID, Event: EventMedicineHandoverReset, Title: "交接码已更新",
			Body: "工作人员已为您的送药订单生成新的交接码，请在订单中查看。", RefType: "medicine_order", RefID: o.ID}); err != nil {
			return err
		}
		if err := tx.First(&o, o.ID).Error; err != nil {
			return err
		}
		view, err = s.view(tx, o)
		return err
	})
	if err != nil {
		return MedicineOrderView{}, err
	}
	s.log.Info("medicine hand-over reset", "order_id", id, "by", p.UserID)
	return view, nil
}
