package service

import (
	"context"
	"strings"
	"time"

	"familycare/model"
	"familycare/pii"

	"gorm.io/gorm"
)

// Referral errors.
var ErrReferralNotUsable = newErr(KindConflict, "referral_not_usable", "this referral cannot be used for this session")

// referralMachine: a family doctor issues a referral; booking with it moves
// it to booked (a freed booking gives it back), check-in completes it.
var referralMachine = &Machine{
	Name: "referral", Table: "referrals",
	States: []string{model.ReferralIssued, model.ReferralBooked, model.ReferralCompleted, model.ReferralExpired, model.ReferralCancelled},
	Moves: []Move{
		{"", model.ReferralIssued, []string{SideStaff}},
		{model.ReferralIssued, model.ReferralBooked, []string{SideResident, SideStaff}},
		{model.ReferralBooked, model.ReferralIssued, []string{SideSystem}},
		{model.ReferralBooked, model.ReferralCompleted, []string{SideSystem, SideStaff}},
		{model.ReferralIssued, model.ReferralExpired, []string{SideSystem}},
		{model.ReferralIssued, model.ReferralCancelled, []string{SideStaff}},
	},
	model: func() any { return &model.Referral{} },
	event: func(st Step, at time.Time) any {
		return &model.ReferralEvent{ReferralID: st.ID, Transition: st.record(at)}
	},
}

// referralFollow moves a booking's referral with the booking: a check-in
// completes it, a booking that lets its seat go gives the referral back.
func referralFollow(tx *gorm.DB, st Step, at time.Time) error {
	b, ok := st.Row.(*model.Booking)
	if !ok || b.ReferralID == 0 || !holdsSeat(st.From) {
		return nil
	}
	switch {
	case st.To == model.BookingCheckedIn:
		return referralMachine.Apply(tx, at, Step{ID: b.ReferralID, From: model.ReferralBooked, To: model.ReferralCompleted, By: systemActor})
	case !holdsSeat(st.To):
		return referralMachine.Apply(tx, at, Step{ID: b.ReferralID, From: model.ReferralBooked, To: model.ReferralIssued, By: systemActor,
			Reason: "预约已结束，转诊单可再次使用", Set: map[string]any{"booking_id": 0}})
	}
	return nil
}

// ReferralService issues and shows referrals.
type ReferralService struct {
	db     *gorm.DB
	clock  Clock
	box    *pii.Box
	notify *NotificationService
}

// NewReferralService builds the referral service.
func NewReferralService(deps Deps, notify *NotificationService) *ReferralService {
	return &ReferralService{db: deps.DB, clock: deps.Clock, box: deps.PII, notify: notify}
}

// NewReferral is a referral as a doctor writes it.
type NewReferral struct {
	PersonID, ServiceID, ExpertID int64
	Reason, Urgency               string
}

// ReferralView is a referral with its reason opened and its history.
type ReferralView struct {
	model.Referral
	History []model.ReferralEvent
}

// referralValidity is how long an unused referral lasts.
const referralValidity = 30 * 24 * time.Hour

// Issue refers a person within the caller's clinic work to a service or an
// expert; the family and the receiving clinic are notified.
func (s *ReferralService) Issue(ctx context.Context, p Principal, in NewReferral) (ReferralView, error) {
	if (in.ServiceID == 0) == (in.ExpertID == 0) {
		return ReferralView{}, InvalidField("service_id", "give service_id or expert_id")
	}
	if strings.TrimSpace(in.Reason) == "" {
		return ReferralView{}, ErrReasonRequired
	}
	var r model.Referral
	err := transact(ctx, s.db.WithContext(ctx), func(tx *gorm.DB) error {
		person, err := personFor(tx, p, in.PersonID)
		if err != nil {
			return err
		}
		to := int64(0)
		if in.ServiceID != 0 {
			var sv model.Service
			if err := tx.First(&sv, in.ServiceID).Error; err != nil {
				return InvalidField("service_id", "no such service")
			}
			to = sv.ClinicID
		} else {
			var e model.Expert
			if err := tx.First(&e, in.ExpertID).Error; err != nil {
				return InvalidField("expert_id", "no such expert")
			}
			to = e.ClinicID
		}
		sealed, err := s.box.Seal(strings.TrimSpace(in.Reason))
		if err != nil {
			return err
		}
		now := s.clock.Now()
		from := p.ClinicID
		r = model.Referral{PersonID: person.ID, UserID: personOwner(person), FromClinicID: from, ToClinicID: to, ServiceID: in.ServiceID,
			ExpertID: in.ExpertID, Reason: sealed, Urgency: in.Urgency, PriorityAdmission: true, Status: model.ReferralIssued,
			IssuedBy: p.UserID, ExpiresAt: now.Add(referralValidity)}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		if err := referralMachine.Start(tx, now, Step{ID: r.ID, To: r.Status, By: actorOf(p)}); err != nil {
			return err
		}
		return s.notify.Notify(tx, Notice{UserID: r.UserID, Event: "referral_issued", Title: "转诊单已开具",
			Body: "家庭医生为" + person.Name + "开具了转诊单，可预约转诊专用号源。", RefType: "referral", RefID: r.ID})
	})
	if err != nil {
		return ReferralView{}, err
	}
	return s.Get(ctx, p, r.ID)
}

// referralScope: a family sees its own referrals; staff those their
// clinics issued or receive.
func referralScope(q *gorm.DB, p Principal) *gorm.DB {
	if p.Scope == ScopeClinic {
		return q.Where("from_clinic_id IN ? OR to_clinic_id IN ?", p.clinics(), p.clinics())
	}
	return p.Apply(q, Cols{Owner: "user_id"})
}

// Get returns one referral in the caller's scope with its history.
func (s *ReferralService) Get(ctx context.Context, p Principal, id int64) (ReferralView, error) {
	var r model.Referral
	if err := referralScope(s.db.WithContext(ctx).Where("id = ?", id), p).First(&r).Error; err != nil {
		return ReferralView{}, notFound(err)
	}
	v := ReferralView{Referral: r}
	var err error
	if v.Reason, err = s.box.Open(r.Reason); err != nil {
		return v, err
	}
	return v, s.db.WithContext(ctx).Where("referral_id = ?", id).Order("id").Find(&v.History).Error
}

// List returns the referrals in the caller's scope, newest first (at most
// 100).
func (s *ReferralService) List(ctx context.Context, p Principal) ([]ReferralView, error) {
	var rows []model.Referral
	if err := referralScope(s.db.WithContext(ctx), p).Order("id DESC").Limit(100).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ReferralView, len(rows))
	for i, r := range rows {
		out[i] = ReferralView{Referral: r}
		var err error
		if out[i].Reason, err = s.box.Open(r.Reason); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// useReferral locks and checks the referral a booking is made with, for the
// person and session booked.
func useReferral(tx *gorm.DB, id int64, person int64, sess model.Session, now time.Time) (model.Referral, error) {
	var r model.Referral
	if err := forUpdate(tx).Where("id = ? AND person_id = ?", id, person).First(&r).Error; err != nil {
		return r, notFoundAs(err, ErrNotFound.Msg("no such referral"))
	}
	if r.Status != model.ReferralIssued || !now.Before(r.ExpiresAt) ||
		!((r.ServiceID != 0 && r.ServiceID == sess.ServiceID) || (r.ExpertID != 0 && r.ExpertID == sess.ExpertID)) {
		return r, ErrReferralNotUsable.With(map[string]any{"status": r.Status})
	}
	return r, nil
}
