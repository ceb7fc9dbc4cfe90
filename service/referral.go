package service

import (
	"context"
	"strings"
	"time"

	"familycare/model"
	"familycare/pagination"
	"familycare/pii"

	"gorm.io/gorm"
)

// Referral errors.
var ErrReferralNotUsable = newErr(KindConflict, "referral_not_usable", "this referral cannot be used for this session")

// referralMachine: a family doctor issues a referral; booking with it moves
// it to booked (a freed booking gives it back), check-in completes it. An
// unused referral expires (the referral_expiry job) or is cancelled by its
// clinic or the family; a booked one is cancelled by cancelling its booking
// first.
var referralMachine = &Machine{
	Name: "referral", Table: "referrals",
	States: []string{model.ReferralIssued, model.ReferralBooked, model.ReferralCompleted, model.ReferralExpired, model.ReferralCancelled},
	Moves: []Move{
		{"", model.ReferralIssued, []string{SideStaff}},
		{model.ReferralIssued, model.ReferralBooked, []string{SideResident, SideStaff}},
		{model.ReferralBooked, model.ReferralIssued, []string{SideSystem}},
		{model.ReferralBooked, model.ReferralCompleted, []string{SideSystem, SideStaff}},
		{model.ReferralIssued, model.ReferralExpired, []string{SideSystem}},
		{model.ReferralIssued, model.ReferralCancelled, []string{SideStaff, SideResident}},
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
	// PersonName is set in staff lists.
	PersonName string
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
		if err := s.notify.Notify(tx, Notice{UserID: r.UserID, Event: EventReferralIssued, Title: "转诊单已开具",
			Body: "家庭医生为" + person.Name + "开具了转诊单，可预约转诊专用号源。", RefType: "referral", RefID: r.ID}); err != nil {
			return err
		}
		urgent := ""
		if r.Urgency == "urgent" {
			urgent = "（加急）"
		}
		return notifyClinicStaff(tx, s.notify, r.ToClinicID, Notice{Event: EventReferralReceived, Title: "新的转诊" + urgent,
			Body: person.Name + "经家庭医生转诊，请优先安排号源与收治。", RefType: "referral", RefID: r.ID})
	})
	if err != nil {
		return ReferralView{}, err
	}
	return s.Get(ctx, p, r.ID)
}

// referralScope: a family sees the referrals of the persons it acts for;
// staff those their clinics issued or receive.
func referralScope(q *gorm.DB, p Principal) *gorm.DB {
	if p.Scope == ScopeClinic {
		return q.Where("(from_clinic_id IN ? OR to_clinic_id IN ?)", p.clinics(), p.clinics())
	}
	return p.Apply(q, Cols{Person: "person_id IN (?)"})
}

// referralReads is referralScope as reads of the staff list, merged by
// findPageByIDEach: for staff, the referrals each clinic issued (an ordered
// range of the from_clinic_id index) and those each receives (of the
// to_clinic_id index), a referral between two of the caller's clinics met
// on both sides and kept once; direction "incoming" keeps the receiving
// side, "outgoing" the issuing one.
func referralReads(q *gorm.DB, p Principal, direction string) []*gorm.DB {
	if p.Scope != ScopeClinic {
		return []*gorm.DB{referralScope(q, p)}
	}
	var reads []*gorm.DB
	if direction != "incoming" {
		reads = append(reads, p.ApplyEach(q, Cols{Clinic: "from_clinic_id"})...)
	}
	if direction != "outgoing" {
		reads = append(reads, p.ApplyEach(q, Cols{Clinic: "to_clinic_id"})...)
	}
	return reads
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

// Referral notification events.
const (
	EventReferralIssued    = "referral_issued"
	EventReferralReceived  = "referral_received"
	EventReferralCancelled = "referral_cancelled"
	EventReferralExpired   = "referral_expired"
)

// notifyClinicStaff sends n to every staff account of the clinic, in the
// caller's transaction.
func notifyClinicStaff(tx *gorm.DB, notify ContractNotifier, clinicID int64, n Notice) error {
	var staff []int64
	if err := tx.Model(&model.User{}).Where("role = ? AND clinic_id = ?", model.RoleStaff, clinicID).
		Order("id").Pluck("id", &staff).Error; err != nil {
		return err
	}
	for _, uid := range staff {
		n.UserID = uid
		if err := notify.Notify(tx, n); err != nil {
			return err
		}
	}
	return nil
}

// ReferralFilter filters the staff list of referrals.
type ReferralFilter struct {
	// Direction: "incoming" (referred to the caller's clinics), "outgoing"
	// (issued by them); empty: both.
	Direction string
	Status    string
}

// ListStaff pages the referrals of the caller's clinics (an admin's: all),
// newest first, with each person's name: the receiving clinic's worklist of
// priority admissions (Direction incoming).
func (s *ReferralService) ListStaff(ctx context.Context, p Principal, f ReferralFilter, pg pagination.Page) ([]ReferralView, string, error) {
	q := filterBy(s.db.WithContext(ctx).Model(&model.Referral{}), "status", f.Status)
	rows, next, err := findPageByIDEach(referralReads(q, p, f.Direction), pg, true, func(r model.Referral) int64 { return r.ID })
	if err != nil {
		return nil, "", err
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.PersonID)
	}
	var persons []model.Person
	if err := s.db.WithContext(ctx).Unscoped().Select("id", "name").Where("id IN ?", ids).Find(&persons).Error; err != nil {
		return nil, "", err
	}
	names := indexBy(persons, func(m model.Person) int64 { return m.ID })
	out := make([]ReferralView, len(rows))
	for i, r := range rows {
		out[i] = ReferralView{Referral: r, PersonName: names[r.PersonID].Name}
		if out[i].Reason, err = s.box.Open(r.Reason); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

// Cancel cancels an unused referral: staff of the issuing clinic (or an
// admin), or the family it is for. A booked referral is 409
// invalid_transition: cancel its booking first. The other side is told.
func (s *ReferralService) Cancel(ctx context.Context, p Principal, id int64, reason string) (ReferralView, error) {
	reason = strings.TrimSpace(reason)
	err := transact(ctx, s.db.WithContext(ctx), func(tx *gorm.DB) error {
		q := tx.Where("id = ?", id)
		if p.Scope == ScopeClinic {
			q = q.Where("from_clinic_id IN ?", p.clinics())
		} else {
			q = referralScope(q, p)
		}
		var r model.Referral
		if err := forUpdate(q).First(&r).Error; err != nil {
			return notFound(err)
		}
		if err := referralMachine.Apply(tx, s.clock.Now(), Step{ID: r.ID, From: r.Status, To: model.ReferralCancelled, By: actorOf(p),
			Reason: truncate(reason, 255)}); err != nil {
			return err
		}
		var person model.Person
		if err := tx.Unscoped().Select("id", "name").First(&person, r.PersonID).Error; err != nil {
			return err
		}
		if p.Scope == ScopeSelf { // the family declined: the issuing doctor is told
			return s.notify.Notify(tx, Notice{UserID: r.IssuedBy, Event: EventReferralCancelled, Title: "转诊单已被家属取消",
				Body: person.Name + "的转诊单已由家属取消。", RefType: "referral", RefID: r.ID})
		}
		body := person.Name + "的转诊单已被医生取消"
		if reason != "" {
			body += "：" + reason
		}
		return s.notify.Notify(tx, Notice{UserID: r.UserID, Event: EventReferralCancelled, Title: "转诊单已取消",
			Body: body + "。", RefType: "referral", RefID: r.ID})
	})
	if err != nil {
		return ReferralView{}, err
	}
	return s.Get(ctx, p, id)
}

// ExpireDue expires the issued referrals whose validity has passed (at most
// 500 a run) and tells each family. Each is moved by the lifecycle's
// conditional update, so replicas running the job at once expire each
// referral once; a referral booked in the meantime is left alone.
func (s *ReferralService) ExpireDue(ctx context.Context) (int, error) {
	now := s.clock.Now()
	var due []model.Referral
	if err := s.db.WithContext(ctx).Select("id", "person_id", "user_id").Where("status = ? AND expires_at <= ?", model.ReferralIssued, now).
		Order("id").Limit(500).Find(&due).Error; err != nil {
		return 0, err
	}
	expired := 0
	for _, r := range due {
		err := transact(ctx, s.db, func(tx *gorm.DB) error {
			if err := referralMachine.Apply(tx, now, Step{ID: r.ID, From: model.ReferralIssued, To: model.ReferralExpired, By: systemActor,
				Reason: "超过有效期未使用", Where: []any{"expires_at <= ?", now}}); err != nil {
				return err
			}
			var person model.Person
			if err := tx.Unscoped().Select("id", "name").First(&person, r.PersonID).Error; err != nil {
				return err
			}
			return s.notify.Notify(tx, Notice{UserID: r.UserID, Event: EventReferralExpired, Title: "转诊单已过期",
				Body: person.Name + "的转诊单超过有效期未使用，已失效；如仍需就诊请联系家庭医生。", RefType: "referral", RefID: r.ID})
		})
		if lostRace(err) {
			continue
		}
		if err != nil {
			return expired, err
		}
		expired++
	}
	return expired, nil
}
