package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"
	"familycare/pii"

	"gorm.io/gorm"
)

// Errors of medicine orders.
var (
	ErrNoActiveContract     = newErr(KindForbidden, "no_active_contract", "this family member has no active family-doctor contract; home medicine delivery needs one")
	ErrHandoverCodeMismatch = newErr(KindInvalid, "handover_code_mismatch", "the hand-over code is wrong")
	ErrHandoverLocked       = newErr(KindConflict, "handover_locked", "too many wrong hand-over codes: staff must reset the code (POST /staff/medicine-orders/{id}/reset-handover) before delivery")
	ErrRefillTooSoon        = newErr(KindInvalid, "refill_too_soon", "an item is asked for before its refill interval is over: give a reason, or order from the earliest date")
	ErrPharmacistRequired   = newErr(KindForbidden, "pharmacist_required", "only a pharmacist (staff position pharmacist, or the contract team's pharmacist) approves medicine orders")
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

// medicineMachine is the medicine order state machine. A hand-over reset
// and a wrong hand-over code are moves of a dispatched order to itself, a
// reorder one of the delivered order: each is recorded in the history.
var medicineMachine = &Machine{
	Name: "medicine order", Table: "medicine_orders",
	States: []string{model.MedicineRequested, model.MedicineApproved, model.MedicineDispatched, model.MedicineDelivered,
		model.MedicineRejected, model.MedicineCancelled},
	Moves: []Move{
		{"", model.MedicineRequested, []string{SideResident, SideStaff}}, // staff: a phone order
		{model.MedicineRequested, model.MedicineApproved, []string{SideStaff}},
		{model.MedicineRequested, model.MedicineRejected, []string{SideStaff}},
		{model.MedicineRequested, model.MedicineCancelled, []string{SideResident, SideSystem}},
		{model.MedicineApproved, model.MedicineDispatched, []string{SideStaff}},
		{model.MedicineApproved, model.MedicineCancelled, []string{SideResident, SideSystem}},
		{model.MedicineDispatched, model.MedicineDelivered, []string{SideStaff}},
		{model.MedicineDispatched, model.MedicineDispatched, []string{SideStaff}},  // hand-over reset, wrong code
		{model.MedicineDelivered, model.MedicineDelivered, []string{SideResident}}, // reordered
	},
	model: func() any { return &model.MedicineOrder{} },
	event: func(st Step, at time.Time) any {
		return &model.MedicineOrderEvent{OrderID: st.ID, Transition: st.record(at)}
	},
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
	// realName: deliveries only for verified persons (REAL_NAME_FOR_CARE).
	realName bool
}

// NewMedicineService builds the service.
func NewMedicineService(deps Deps, notifier ContractNotifier) *MedicineService {
	return &MedicineService{db: deps.DB, pii: deps.PII, clock: deps.Clock, loc: deps.Loc, log: deps.Log, notify: notifier,
		realName: deps.Config.RealNameForCare}
}

// MedicineItemInput is one medicine asked for: an entry of the person's
// medication list (MedicationID) or free text (Name, Spec) for the
// pharmacist to review.
type MedicineItemInput struct {
	MedicationID int64
	Name         string
	Spec         string
	Quantity     int
}

// MedicineOrderInput is a delivery request. RefillReason is needed when an
// item is asked for before its refill interval is over. RequestedVia is
// how the resident asked (staff orders: phone, counter or visit).
type MedicineOrderInput struct {
	MemberID        int64
	Items           []MedicineItemInput
	Address         string
	ContactPhone    string
	PreferredWindow string
	Note            string
	RefillReason    string
	RequestedVia    string
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
	in.RefillReason = strings.TrimSpace(in.RefillReason)
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
		switch {
		case it.MedicationID < 0:
			f[fmt.Sprintf("items[%d].medication_id", i)] = "must be positive"
		case it.MedicationID == 0 && (it.Name == "" || utf8.RuneCountInString(it.Name) > 64):
			f[fmt.Sprintf("items[%d].name", i)] = "must be 1 to 64 characters (or give medication_id)"
		case utf8.RuneCountInString(it.Name) > 64:
			f[fmt.Sprintf("items[%d].name", i)] = "must be at most 64 characters"
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
	if utf8.RuneCountInString(in.RefillReason) > 255 {
		f["refill_reason"] = "must be at most 255 characters"
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
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		// The person's row is locked: orders for one person are placed one
		// at a time, so two cannot both pass the refill check.
		m, err := actedPerson(tx, p.UserID, in.MemberID, true)
		if err != nil {
			return notFoundAs(err, ErrNotFound.Msg("no such family member").With(map[string]any{"member_id": in.MemberID}))
		}
		if err := requireVerified(s.realName, m); err != nil {
			return err
		}
		o := model.MedicineOrder{UserID: p.UserID, MemberID: m.ID, Address: in.Address, ContactPhone: in.ContactPhone,
			PreferredWindow: in.PreferredWindow, Note: in.Note, RefillReason: in.RefillReason, RequestedVia: model.RequestedViaApp}
		items, err := s.pick(tx, m.ID, in.Items, in.RefillReason != "")
		if err != nil {
			return err
		}
		if view, err = s.place(tx, p, o, items); err != nil {
			return err
		}
		return recordConsent(tx, m.ID, model.ConsentDelivery, consentMethod(tx, p.UserID, m.ID), p.UserID, p.UserID)
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
	c, err := coveringContract(tx, o.MemberID)
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
	if p.Scope == ScopeClinic && !p.Sees(c.ClinicID) {
		return MedicineOrderView{}, ErrNoActiveContract.Msg("this person's active contract is with another clinic's team").With(map[string]any{"member_id": o.MemberID})
	}
	for _, it := range items {
		if it.MedicationID == nil {
			o.NeedsReview = true
		}
	}
	if o.UserID == 0 { // a staff order: the contract's family account follows it
		o.UserID = c.UserID
	}
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
	if err := medicineMachine.Start(tx, now, Step{ID: o.ID, To: model.MedicineRequested, By: actorOf(p)}); err != nil {
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
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		prev, err := s.load(tx, p, id)
		if err != nil {
			return err
		}
		if !medicineMachine.Allowed(prev.Status, model.MedicineDelivered, SideResident) {
			return medicineMachine.refuse(prev.Status, model.MedicineDelivered)
		}
		if _, err := actedPerson(tx, p.UserID, prev.MemberID, true); err != nil {
			return notFoundAs(err, ErrNotFound.Msg("the family member of this order was removed").With(map[string]any{"member_id": prev.MemberID}))
		}
		var prevItems []model.MedicineOrderItem
		if err := tx.Where("order_id = ?", prev.ID).Order("position").Find(&prevItems).Error; err != nil {
			return err
		}
		items, err := s.repick(tx, prev.MemberID, prevItems)
		if err != nil {
			return err
		}
		o := model.MedicineOrder{UserID: p.UserID, MemberID: prev.MemberID, Address: prev.Address, ContactPhone: prev.ContactPhone,
			PreferredWindow: prev.PreferredWindow, Note: prev.Note, ReorderOfID: &prev.ID, RequestedVia: model.RequestedViaApp}
		if view, err = s.place(tx, p, o, items); err != nil {
			return err
		}
		return s.move(tx, &prev, Step{To: prev.Status, By: actorOf(p), Reason: fmt.Sprintf("reordered as #%d", view.Order.ID)})
	})
	if err != nil {
		return MedicineOrderView{}, err
	}
	s.log.Info("medicine order reordered", "order_id", view.Order.ID, "reorder_of", id)
	return view, nil
}
