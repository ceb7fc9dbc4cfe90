package service

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"familycare/model"
	"familycare/pii"

	"gorm.io/gorm"
)

// ErrDeliveryInProgress stops deleting an account while medicine is on its way.
var ErrDeliveryInProgress = newErr(KindConflict, "delivery_in_progress", "a medicine delivery is on its way; delete the account after it arrives")

// AccountService exports a user's personal data and deletes the account
// (PIPL rights to access and to deletion). Deletion removes or anonymises
// personal data and keeps what aggregate history needs: bookings,
// contracts and orders stay as rows (so session counts, coverage and
// delivery figures stay true) but no longer say who.
type AccountService struct {
	db       *gorm.DB
	clock    Clock
	pii      *pii.Box
	log      *slog.Logger
	bookings *BookingService
	circles  *CircleService
	auth     *AuthService
	// Uploads, when set: the export lists the user's files and deleting
	// the account deletes them.
	Uploads *UploadService
}

// NewAccountService builds the account service.
func NewAccountService(deps Deps, auth *AuthService, bookings *BookingService, circles *CircleService) *AccountService {
	return &AccountService{db: deps.DB, clock: deps.Clock, pii: deps.PII, log: deps.Log, auth: auth, bookings: bookings, circles: circles}
}

// AccountExport is everything familycare holds about a user, readable.
type AccountExport struct {
	ExportedAt     time.Time       `json:"exported_at"`
	User           ExportUser      `json:"user"`
	Members        []ExportMember  `json:"members"`
	Consents       []ExportConsent `json:"consents"`
	Bookings       []ExportBooking `json:"bookings"`
	Contracts      []ExportRecord  `json:"family_contracts"`
	MedicineOrders []ExportOrder   `json:"medicine_orders"`
	Posts          []ExportText    `json:"posts"`
	Comments       []ExportText    `json:"comments"`
	Notifications  []ExportText    `json:"notifications"`
	Uploads        []ExportUpload  `json:"uploads"`
}

// ExportUpload is an uploaded image in an export.
type ExportUpload struct {
	ID          int64     `json:"id"`
	URL         string    `json:"url"`
	Purpose     string    `json:"purpose"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	AttachedTo  string    `json:"attached_to,omitempty" example:"post:12"`
	CreatedAt   time.Time `json:"created_at"`
}

// ExportUser is the profile part of an export.
type ExportUser struct {
	ID        int64     `json:"id"`
	OpenID    string    `json:"openid"`
	Nickname  string    `json:"nickname"`
	RealName  string    `json:"real_name"`
	Phone     string    `json:"phone"`
	Role      string    `json:"role" enums:"resident,staff,admin"`
	CreatedAt time.Time `json:"created_at"`
}

// ExportMember is a family member in an export.
type ExportMember struct {
	ID                int64    `json:"id"`
	Name              string   `json:"name"`
	Relation          string   `json:"relation" enums:"self,spouse,child,parent,grandchild,grandparent,sibling,other"`
	Gender            string   `json:"gender" enums:"male,female,unknown"`
	BirthDate         string   `json:"birth_date,omitempty"`
	DueDate           string   `json:"due_date,omitempty"`
	ChronicConditions []string `json:"chronic_conditions"`
	IDType            string   `json:"id_type,omitempty" enums:"resident_id,birth_certificate,hmt_permit,passport"`
	IDNumberMasked    string   `json:"id_number_masked,omitempty"`
}

// ExportConsent is a consent recorded for one of the persons.
type ExportConsent struct {
	PersonID  int64     `json:"person_id"`
	Purpose   string    `json:"purpose" enums:"personal_data,family_contract,medicine_delivery"`
	Method    string    `json:"method" enums:"self,guardian,counter,phone"`
	GivenBy   int64     `json:"given_by"`
	CreatedAt time.Time `json:"created_at"`
}

// ExportBooking is a booking in an export.
type ExportBooking struct {
	ID        int64     `json:"id"`
	MemberID  int64     `json:"member_id"`
	SessionID int64     `json:"session_id"`
	StartsAt  time.Time `json:"starts_at"`
	Status    string    `json:"status" enums:"pending,confirmed,checked_in,cancelled,rejected,no_show,waitlisted"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

// ExportRecord is a contract in an export.
type ExportRecord struct {
	ID         int64     `json:"id"`
	Status     string    `json:"status" enums:"pending,scheduled,active,rejected,terminated,expired"`
	ValidFrom  string    `json:"valid_from"`
	ValidUntil string    `json:"valid_until"`
	CreatedAt  time.Time `json:"created_at"`
}

// ExportOrder is a medicine order in an export.
type ExportOrder struct {
	ID           int64     `json:"id"`
	MemberID     int64     `json:"member_id"`
	Status       string    `json:"status" enums:"requested,approved,dispatched,delivered,rejected,cancelled"`
	Address      string    `json:"address"`
	ContactPhone string    `json:"contact_phone"`
	Note         string    `json:"note"`
	CreatedAt    time.Time `json:"created_at"`
}

// ExportText is a post, comment or notification in an export.
type ExportText struct {
	ID        int64     `json:"id"`
	Text      string    `json:"text"`
	Status    string    `json:"status,omitempty" enums:"pending_review,published,hidden,rejected,deleted"`
	CreatedAt time.Time `json:"created_at"`
}

// Export gathers the user's personal data.
func (s *AccountService) Export(ctx context.Context, userID int64) (AccountExport, error) {
	db := s.db.WithContext(ctx)
	var u model.User
	if err := db.First(&u, userID).Error; err != nil {
		return AccountExport{}, notFound(err)
	}
	u, err := openUser(s.pii, u)
	if err != nil {
		return AccountExport{}, err
	}
	out := AccountExport{ExportedAt: s.clock.Now(), User: ExportUser{ID: u.ID, OpenID: u.OpenID, Nickname: u.Nickname,
		RealName: u.RealName, Phone: u.Phone, Role: u.Role, CreatedAt: u.CreatedAt},
		Members: []ExportMember{}, Bookings: []ExportBooking{}, Contracts: []ExportRecord{}, MedicineOrders: []ExportOrder{},
		Posts: []ExportText{}, Comments: []ExportText{}, Notifications: []ExportText{}, Uploads: []ExportUpload{}}
	var members []model.Person
	if err := db.Where("id IN (?)", actsFor(db, userID)).Order("id").Find(&members).Error; err != nil {
		return out, err
	}
	ids := make([]int64, 0, len(members))
	for _, m := range members {
		ids = append(ids, m.ID)
		out.Members = append(out.Members, ExportMember{ID: m.ID, Name: m.Name, Relation: m.Relation, Gender: m.Gender,
			BirthDate: m.BirthDate, DueDate: m.DueDate, ChronicConditions: append([]string{}, m.ChronicConditions...),
			IDType: m.IDType, IDNumberMasked: m.IDMasked})
	}
	var consents []model.Consent
	if err := db.Where("person_id IN ?", ids).Order("id").Find(&consents).Error; err != nil {
		return out, err
	}
	out.Consents = []ExportConsent{}
	for _, c := range consents {
		out.Consents = append(out.Consents, ExportConsent{PersonID: c.PersonID, Purpose: c.Purpose, Method: c.Method, GivenBy: c.GivenBy, CreatedAt: c.CreatedAt})
	}
	var bookings []model.Booking
	if err := db.Where("user_id = ?", userID).Order("id").Find(&bookings).Error; err != nil {
		return out, err
	}
	for _, b := range bookings {
		out.Bookings = append(out.Bookings, ExportBooking{ID: b.ID, MemberID: b.MemberID, SessionID: b.SessionID,
			StartsAt: b.StartsAt, Status: b.Status, Note: b.Note, CreatedAt: b.CreatedAt})
	}
	var contracts []model.FamilyContract
	if err := db.Where("user_id = ?", userID).Order("id").Find(&contracts).Error; err != nil {
		return out, err
	}
	for _, c := range contracts {
		out.Contracts = append(out.Contracts, ExportRecord{ID: c.ID, Status: c.Status, ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil, CreatedAt: c.CreatedAt})
	}
	var orders []model.MedicineOrder
	if err := db.Where("user_id = ?", userID).Order("id").Find(&orders).Error; err != nil {
		return out, err
	}
	for _, o := range orders {
		addr, err := s.pii.Open(o.Address)
		if err != nil {
			return out, err
		}
		phone, err := s.pii.Open(o.ContactPhone)
		if err != nil {
			return out, err
		}
		out.MedicineOrders = append(out.MedicineOrders, ExportOrder{ID: o.ID, MemberID: o.MemberID, Status: o.Status,
			Address: addr, ContactPhone: phone, Note: o.Note, CreatedAt: o.CreatedAt})
	}
	var posts []model.Post
	if err := db.Where("user_id = ?", userID).Order("id").Find(&posts).Error; err != nil {
		return out, err
	}
	for _, p := range posts {
		out.Posts = append(out.Posts, ExportText{ID: p.ID, Text: p.Content, Status: p.Status, CreatedAt: p.CreatedAt})
	}
	var comments []model.PostComment
	if err := db.Where("user_id = ?", userID).Order("id").Find(&comments).Error; err != nil {
		return out, err
	}
	for _, c := range comments {
		out.Comments = append(out.Comments, ExportText{ID: c.ID, Text: c.Content, Status: c.Status, CreatedAt: c.CreatedAt})
	}
	var notes []model.Notification
	if err := db.Where("user_id = ?", userID).Order("id").Find(&notes).Error; err != nil {
		return out, err
	}
	for _, n := range notes {
		out.Notifications = append(out.Notifications, ExportText{ID: n.ID, Text: n.Title + "：" + n.Body, CreatedAt: n.CreatedAt})
	}
	if s.Uploads != nil {
		ups, err := s.Uploads.ListUser(ctx, userID)
		if err != nil {
			return out, err
		}
		for _, u := range ups {
			e := ExportUpload{ID: u.ID, URL: u.URL, Purpose: u.Purpose, ContentType: u.ContentType, Size: u.Size, CreatedAt: u.CreatedAt}
			if u.RefType != "" {
				e.AttachedTo = fmt.Sprintf("%s:%d", u.RefType, u.RefID)
			}
			out.Uploads = append(out.Uploads, e)
		}
	}
	return out, nil
}

// Delete removes the user's personal data. Future bookings are cancelled
// (their seats go to the waitlist), posts and comments are deleted, open
// medicine orders cancelled and every contract ended; the rows stay,
// anonymised, for the clinics' aggregate figures.
func (s *AccountService) Delete(ctx context.Context, userID int64) error {
	db := s.db.WithContext(ctx)
	var u model.User
	if err := db.First(&u, userID).Error; err != nil {
		return notFound(err)
	}
	var n int64
	if err := db.Model(&model.MedicineOrder{}).Where("user_id = ? AND status = ?", userID, model.MedicineDispatched).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return ErrDeliveryInProgress
	}
	now := s.clock.Now()
	// The account's tokens stop working at once here, within seconds on
	// other replicas.
	defer s.auth.Forget(userID)
	if err := s.deleteAccountRows(ctx, db, userID, now); err != nil {
		return err
	}
	// The files go after the rows are anonymised (a failure here leaves
	// files, never a half-deleted account); a retry of the delete finds
	// them again.
	if s.Uploads != nil {
		if err := s.Uploads.DeleteUser(ctx, userID); err != nil {
			return err
		}
	}
	return nil
}

// cancelBookings cancels the account's coming bookings inside the deletion's
// transaction, through the booking state machine so seats and the waitlist
// stay exact. The members are locked first, as a booking locks its member:
// a booking racing the deletion either finishes first (and is cancelled
// here) or finds its member gone.
func (s *AccountService) cancelBookings(tx *gorm.DB, userID int64, orphans []int64, now time.Time) error {
	var active []int64
	if err := forUpdate(tx.Model(&model.Booking{})).Where("member_id IN ? AND active = ? AND status <> ? AND starts_at > ?", orphans, true, model.BookingCheckedIn, now).
		Order("id").Pluck("id", &active).Error; err != nil {
		return err
	}
	by := actorOf(Principal{UserID: userID, Role: model.RoleResident})
	for _, id := range active {
		if err := s.bookings.cancelInTx(tx, id, by, "account deleted"); err != nil {
			return fmt.Errorf("cancel booking %d: %w", id, err)
		}
	}
	return nil
}

func (s *AccountService) deleteAccountRows(ctx context.Context, db *gorm.DB, userID int64, now time.Time) error {
	return withRetry(ctx, func() error {
		return db.Transaction(func(tx *gorm.DB) error {
			orphans, err := s.orphans(tx, userID)
			if err != nil {
				return err
			}
			if err := s.cancelBookings(tx, userID, orphans, now); err != nil {
				return err
			}
			if err := s.deleteTexts(tx, userID); err != nil {
				return err
			}
			if err := s.endContracts(tx, userID, orphans, now); err != nil {
				return err
			}
			if err := s.forgetOrders(tx, userID, orphans, now); err != nil {
				return err
			}
			if err := s.closePersons(tx, userID, orphans, now); err != nil {
				return err
			}
			if err := s.leaveCircles(tx, userID); err != nil {
				return err
			}
			for _, m := range []any{&model.Notification{}, &model.SubscriptionQuota{}, &model.IdempotencyRecord{}, &model.ArticleFavorite{}, &model.CircleMute{}} {
				if err := tx.Where("user_id = ?", userID).Delete(m).Error; err != nil {
					return err
				}
			}
			res := tx.Model(&model.User{}).Where("id = ?", userID).Updates(map[string]any{
				"open_id": fmt.Sprintf("deleted:%d", userID), "union_id": "", "session_key": "", "nickname": "",
				"real_name": "", "avatar_url": "", "phone": "", "phone_hash": "", "role": model.RoleResident, "clinic_id": nil,
				"deleted_at": now})
			if res.Error != nil {
				return res.Error
			}
			s.log.Info("account deleted", "user_id", userID)
			return nil
		})
	})
}

func (s *AccountService) deleteTexts(tx *gorm.DB, userID int64) error {
	var posts []model.Post
	movable := []string{model.PostPendingReview, model.PostPublished, model.PostHidden}
	if err := tx.Where("user_id = ? AND status IN ?", userID, movable).Find(&posts).Error; err != nil {
		return err
	}
	for i := range posts {
		if err := s.circles.movePost(tx, &posts[i], model.PostDeleted, Actor{UserID: userID, Role: model.RoleResident, Side: SideSystem}, "account deleted", map[string]any{"content": "", "image_urls": "[]"}); err != nil {
			return err
		}
	}
	if err := tx.Model(&model.Post{}).Where("user_id = ?", userID).Updates(map[string]any{"content": "", "image_urls": "[]"}).Error; err != nil {
		return err
	}
	var comments []model.PostComment
	if err := tx.Where("user_id = ? AND status IN ?", userID, movable).Find(&comments).Error; err != nil {
		return err
	}
	for i := range comments {
		if err := s.circles.moveComment(tx, &comments[i], model.PostDeleted, Actor{UserID: userID, Role: model.RoleResident, Side: SideSystem}, "account deleted", map[string]any{"content": ""}); err != nil {
			return err
		}
	}
	return tx.Model(&model.PostComment{}).Where("user_id = ?", userID).Update("content", "").Error
}

func (s *AccountService) endContracts(tx *gorm.DB, userID int64, orphans []int64, now time.Time) error {
	var open []model.FamilyContract
	if err := tx.Where("id IN (?) AND status IN ?", tx.Session(&gorm.Session{NewDB: true}).Model(&model.ContractMember{}).
		Select("contract_id").Where("member_id IN ?", orphans),
		[]string{model.ContractPending, model.ContractScheduled, model.ContractActive}).Find(&open).Error; err != nil {
		return err
	}
	by := Actor{UserID: userID, Role: model.RoleResident, Side: SideSystem}
	for i := range open {
		c := &open[i]
		to := model.ContractTerminated
		if c.Status == model.ContractPending {
			to = model.ContractRejected
		}
		if err := contractMachine.Apply(tx, now, Step{ID: c.ID, From: c.Status, To: to, By: by, Reason: "account deleted",
			Set: map[string]any{"reason": "account deleted"}, Row: c}); err != nil {
			return err
		}
	}
	return nil
}

func (s *AccountService) forgetOrders(tx *gorm.DB, userID int64, orphans []int64, now time.Time) error {
	var open []model.MedicineOrder
	if err := tx.Where("member_id IN ? AND status IN ?", orphans, []string{model.MedicineRequested, model.MedicineApproved}).Find(&open).Error; err != nil {
		return err
	}
	by := Actor{UserID: userID, Role: model.RoleResident, Side: SideSystem}
	for _, o := range open {
		if err := medicineMachine.Apply(tx, now, Step{ID: o.ID, From: o.Status, To: model.MedicineCancelled, By: by,
			Reason: "account deleted", Set: map[string]any{"reason": "account deleted"}}); err != nil {
			return err
		}
	}
	return tx.Model(&model.MedicineOrder{}).Where("member_id IN ? AND status IN ?", orphans,
		[]string{model.MedicineCancelled, model.MedicineDelivered, model.MedicineRejected}).
		Updates(map[string]any{"address": "", "contact_phone": "", "note": "", "handover_code": ""}).Error
}

// orphans locks the persons the account acts for (as a booking locks its
// person) and returns those no other account acts for: the ones its
// deletion leaves without a family in the app. Persons another account
// still acts for (the other parent, the father on his own phone) keep
// everything.
func (s *AccountService) orphans(tx *gorm.DB, userID int64) ([]int64, error) {
	// Locking reads only until the persons are locked: a plain read (or
	// the plain half of a subquery) would fix the transaction's snapshot
	// before a racing booking commits, and the bookings read next would
	// miss it. A booking holds these same rows (actedPerson with lock).
	var ids []int64
	if err := forUpdate(actingLinks(tx).Where("ha.user_id = ?", userID)).
		Order("hp.person_id").Pluck("hp.person_id", &ids).Error; err != nil {
		return nil, err
	}
	var persons []model.Person
	if err := forUpdate(tx).Where("id IN ?", ids).Order("id").Find(&persons).Error; err != nil {
		return nil, err
	}
	// Those another account acts for, in one query.
	var others []int64
	if err := actingLinks(tx).Where("hp.person_id IN ? AND ha.user_id <> ?", ids, userID).
		Distinct("hp.person_id").Pluck("hp.person_id", &others).Error; err != nil {
		return nil, err
	}
	out := []int64{}
	for _, p := range persons {
		if !slices.Contains(others, p.ID) {
			out = append(out, p.ID)
		}
	}
	return out, nil
}

// closePersons takes the account out of its households. Of the persons it
// leaves without a family, those with a clinic record (a booking attended,
// a vaccination, a measurement, a contract, an order) keep their record for
// the clinic, out of every household; the others are anonymised and closed.
func (s *AccountService) closePersons(tx *gorm.DB, userID int64, orphans []int64, now time.Time) error {
	if err := tx.Where("user_id = ?", userID).Delete(&model.HouseholdAccount{}).Error; err != nil {
		return err
	}
	for _, id := range orphans {
		kept, err := hasClinicRecord(tx, id)
		if err != nil {
			return err
		}
		if err := tx.Where("person_id = ?", id).Delete(&model.HouseholdPerson{}).Error; err != nil {
			return err
		}
		if kept {
			continue
		}
		if err := tx.Model(&model.Person{}).Where("id = ?", id).Updates(map[string]any{
			"name": "已注销", "birth_date": "", "due_date": "", "chronic_conditions": "[]", "id_type": "", "id_number": "",
			"id_masked": "", "id_hash": nil, "deleted_at": now}).Error; err != nil {
			return err
		}
	}
	return nil
}

// hasClinicRecord reports whether the clinics hold a record of the person
// that they must keep (medical records outlive the app account).
func hasClinicRecord(tx *gorm.DB, personID int64) (bool, error) {
	for _, q := range []*gorm.DB{
		tx.Model(&model.Booking{}).Where("member_id = ? AND status IN ?", personID, []string{model.BookingCheckedIn}),
		tx.Model(&model.VaccinationDose{}).Where("person_id = ?", personID),
		tx.Model(&model.GrowthMeasurement{}).Where("person_id = ? AND self_reported = ?", personID, false),
		tx.Model(&model.CheckupRecord{}).Where("person_id = ?", personID),
		tx.Model(&model.ContractMember{}).Joins("JOIN family_contracts AS fc ON fc.id = contract_members.contract_id").
			Where("contract_members.member_id = ? AND fc.status NOT IN ?", personID, []string{model.ContractPending, model.ContractRejected}),
		tx.Model(&model.MedicineOrder{}).Where("member_id = ? AND status = ?", personID, model.MedicineDelivered),
	} {
		var n int64
		if err := q.Session(&gorm.Session{}).Limit(1).Count(&n).Error; err != nil {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

func (s *AccountService) leaveCircles(tx *gorm.DB, userID int64) error {
	var joined []model.CircleMember
	if err := tx.Where("user_id = ?", userID).Find(&joined).Error; err != nil {
		return err
	}
	for _, m := range joined {
		res := tx.Where("id = ?", m.ID).Delete(&model.CircleMember{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			if err := tx.Model(&model.Circle{}).Where("id = ?", m.CircleID).
				UpdateColumn("member_count", gorm.Expr("member_count - 1")).Error; err != nil {
				return err
			}
		}
	}
	return nil
}
