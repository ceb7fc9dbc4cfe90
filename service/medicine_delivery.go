package service

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"

	"gorm.io/gorm"
)

// medicineNotices are the resident's notification of each move.
var medicineNotices = map[string]struct{ event, title, body string }{
	model.MedicineApproved:   {EventMedicineApproved, "送药申请已通过", "家庭医生团队已审核通过您的送药申请，正在备药。"},
	model.MedicineRejected:   {EventMedicineRejected, "送药申请未通过", "原因：%s"},
	model.MedicineCancelled:  {EventMedicineCancelled, "送药申请已取消", "您的送药申请已取消。"},
	model.MedicineDispatched: {EventMedicineDispatched, "药品已出发", "药品正在送往您家，请在收货时向配送人员出示订单上的 6 位交接码。"},
	model.MedicineDelivered:  {EventMedicineDelivered, "药品已送达", "药品已送达并完成交接，请按医嘱服用。"},
}

// move applies one order move through the machine and reads o again.
func (s *MedicineService) move(tx *gorm.DB, o *model.MedicineOrder, st Step) error {
	st.ID, st.From, st.Row = o.ID, o.Status, o
	return medicineMachine.Apply(tx, s.clock.Now(), st)
}

// transition loads an order in the caller's scope, moves it and notifies
// the resident, in one transaction.
func (s *MedicineService) transition(ctx context.Context, p Principal, id int64, st Step) (MedicineOrderView, error) {
	return s.transitionIf(ctx, p, id, st, nil)
}

// transitionIf is transition with a guard run on the loaded order before
// the move (nil: none).
func (s *MedicineService) transitionIf(ctx context.Context, p Principal, id int64, st Step,
	guard func(tx *gorm.DB, p Principal, o model.MedicineOrder) error) (MedicineOrderView, error) {
	var view MedicineOrderView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		o, err := s.load(tx, p, id)
		if err != nil {
			return err
		}
		if guard != nil {
			if err := guard(tx, p, o); err != nil {
				return err
			}
		}
		if err := s.move(tx, &o, st); err != nil {
			return err
		}
		if err := s.tell(tx, o, st.Reason); err != nil {
			return err
		}
		view, err = s.view(tx, o)
		return err
	})
	if err != nil {
		return MedicineOrderView{}, err
	}
	s.log.Info("medicine order changed", "order_id", view.Order.ID, "status", st.To, "by", st.By.UserID, "role", st.By.Role)
	return view, nil
}

// tell notifies the resident of the order's new status.
func (s *MedicineService) tell(tx *gorm.DB, o model.MedicineOrder, reason string) error {
	n := medicineNotices[o.Status]
	body := n.body
	if strings.Contains(body, "%s") {
		body = fmt.Sprintf(body, reason)
	}
	return s.notify.Notify(tx, Notice{UserID: o.UserID, Event: n.event, Title: n.title, Body: body,
		RefType: "medicine_order", RefID: o.ID})
}

// Cancel withdraws one of the caller's orders before it is dispatched.
func (s *MedicineService) Cancel(ctx context.Context, p Principal, id int64, reason string) (MedicineOrderView, error) {
	reason = strings.TrimSpace(reason)
	return s.transition(ctx, p, id, Step{To: model.MedicineCancelled, By: actorOf(p), Reason: reason,
		Set: map[string]any{"reason": truncate(reason, 255)}})
}

// Approve accepts a requested order: only a pharmacist may (mayApprove,
// 403 pharmacist_required).
func (s *MedicineService) Approve(ctx context.Context, p Principal, id int64) (MedicineOrderView, error) {
	return s.transitionIf(ctx, p, id, Step{To: model.MedicineApproved, By: actorOf(p)}, s.mayApprove)
}

// Reject refuses a requested order with a reason.
func (s *MedicineService) Reject(ctx context.Context, p Principal, id int64, reason string) (MedicineOrderView, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return MedicineOrderView{}, InvalidField("reason", "required")
	}
	return s.transition(ctx, p, id, Step{To: model.MedicineRejected, By: actorOf(p), Reason: reason,
		Set: map[string]any{"reason": truncate(reason, 255)}})
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
		if in.ETA.After(s.clock.Now().Add(ETAHorizon)) {
			return MedicineOrderView{}, InvalidField("eta", "must be within 14 days")
		}
		set["eta"] = in.ETA.UTC()
	}
	return s.transition(ctx, p, id, Step{To: model.MedicineDispatched, By: actorOf(p), Set: set})
}

// Deliver records the hand-over of a dispatched order, in one transaction
// that reads the order once. The resident's 6-digit code must match: a
// wrong code is counted (a dispatched → dispatched move, committed) and
// answered 422 handover_code_mismatch with the tries left; after
// MedicineHandoverTries wrong codes delivery is locked (409 handover_locked)
// until staff reset the code.
func (s *MedicineService) Deliver(ctx context.Context, p Principal, id int64, code string) (MedicineOrderView, error) {
	var (
		view  MedicineOrderView
		wrong bool
		left  int
	)
	by := actorOf(p)
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		o, err := s.load(tx, p, id)
		if err != nil {
			return err
		}
		if !medicineMachine.Allowed(o.Status, model.MedicineDelivered, by.Side) {
			return medicineMachine.refuse(o.Status, model.MedicineDelivered)
		}
		if o.HandoverFailures >= MedicineHandoverTries {
			return ErrHandoverLocked
		}
		want, err := s.pii.Open(o.HandoverCode)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(code), []byte(want)) == 1 {
			// The stored (sealed) code in the condition: a concurrent reset wins.
			if err := s.move(tx, &o, Step{To: model.MedicineDelivered, By: by,
				Set:   map[string]any{"delivered_at": s.clock.Now()},
				Where: []any{"handover_failures < ? AND handover_code = ?", MedicineHandoverTries, o.HandoverCode},
				Else:  ErrHandoverLocked.Msg("the hand-over was locked or reset meanwhile: ask for the current code")}); err != nil {
				return err
			}
			if err := s.tell(tx, o, ""); err != nil {
				return err
			}
			view, err = s.view(tx, o)
			return err
		}
		wrong = true
		if err := s.move(tx, &o, Step{To: o.Status, By: by, Reason: "wrong hand-over code",
			Set:   map[string]any{"handover_failures": gorm.Expr("handover_failures + 1")},
			Where: []any{"handover_failures < ?", MedicineHandoverTries}, Else: ErrHandoverLocked}); err != nil {
			return err
		}
		if left = MedicineHandoverTries - o.HandoverFailures; left > 0 {
			return nil
		}
		s.log.Warn("medicine hand-over locked after wrong codes", "order_id", o.ID, "by", p.UserID)
		return s.notify.Notify(tx, Notice{UserID: o.UserID, Event: EventMedicineHandoverLocked, Title: "送药交接已锁定",
			Body:    "交接码多次输入错误，交接已锁定。工作人员重置后会生成新的交接码，请留意订单。",
			RefType: "medicine_order", RefID: o.ID})
	})
	switch {
	case err != nil:
		return MedicineOrderView{}, err
	case wrong:
		return MedicineOrderView{}, ErrHandoverCodeMismatch.Msg("the hand-over code is wrong; %d tries left", left).
			With(map[string]any{"tries_left": left})
	}
	s.log.Info("medicine order changed", "order_id", id, "status", model.MedicineDelivered, "by", p.UserID, "role", p.Role)
	return view, nil
}

// HandoverResetLimit is how often staff may give one order a new hand-over
// code: enough for a lost code or a lock, too few to cycle codes.
const HandoverResetLimit = 3

const handoverResetReason = "hand-over code reset"

// ErrHandoverResetLimit: the order's codes were reset HandoverResetLimit times.
var ErrHandoverResetLimit = newErr(KindConflict, "handover_reset_limit", "this order's hand-over code was reset too often; cancel and reorder instead")

// ResetHandover gives a dispatched order a new hand-over code and clears the
// wrong tries (after a lock, or when the resident lost the code). The new
// code shows on the resident's order; they are notified.
func (s *MedicineService) ResetHandover(ctx context.Context, p Principal, id int64) (MedicineOrderView, error) {
	code, err := newHandoverCode()
	if err != nil {
		return MedicineOrderView{}, err
	}
	if code, err = s.seal(code); err != nil {
		return MedicineOrderView{}, err
	}
	var view MedicineOrderView
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		o, err := s.load(tx, p, id)
		if err != nil {
			return err
		}
		if o.Status != model.MedicineDispatched {
			return medicineMachine.refuse(o.Status, model.MedicineDispatched)
		}
		// At most HandoverResetLimit resets per order, counted from the
		// history (which also records who reset it), under the order's
		// row lock so two resets at once cannot both pass.
		if err := forUpdate(tx).Select("id").First(&model.MedicineOrder{}, o.ID).Error; err != nil {
			return err
		}
		var resets int64
		if err := tx.Model(&model.MedicineOrderEvent{}).Where("order_id = ? AND reason = ?", o.ID, handoverResetReason).
			Count(&resets).Error; err != nil {
			return err
		}
		if resets >= HandoverResetLimit {
			return ErrHandoverResetLimit.With(map[string]any{"limit": HandoverResetLimit})
		}
		if err := s.move(tx, &o, Step{To: o.Status, By: actorOf(p), Reason: handoverResetReason,
			Set: map[string]any{"handover_code": code, "handover_failures": 0}}); err != nil {
			return err
		}
		if err := s.notify.Notify(tx, Notice{UserID: o.UserID, Event: EventMedicineHandoverReset, Title: "交接码已更新",
			Body: "工作人员已为您的送药订单生成新的交接码，请在订单中查看。", RefType: "medicine_order", RefID: o.ID}); err != nil {
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
