package service

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"familycare/model"
	"familycare/pii"

	"gorm.io/gorm"
)

// ErrMemberHasActiveBookings stops deleting a member who still holds bookings.
var ErrMemberHasActiveBookings = newErr(KindConflict, "member_has_active_bookings", "this family member still has active bookings; cancel them first")

// FamilyService manages the profile and the family members of a user.
type FamilyService struct {
	db    *gorm.DB
	clock Clock
	loc   *time.Location
	pii   *pii.Box
	log   *slog.Logger
	// Uploads, when set, lets avatars be uploads (AvatarUploadID).
	Uploads *UploadService
}

// NewFamilyService builds the family service.
func NewFamilyService(deps Deps) *FamilyService {
	return &FamilyService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, pii: deps.PII, log: deps.Log}
}

// ProfileUpdate holds the profile fields a user may change (nil: unchanged).
type ProfileUpdate struct {
	Nickname, RealName, AvatarURL *string
	// AvatarUploadID is an upload of purpose avatar by the caller. It
	// becomes avatar_url once WeChat passed it (at once if it needs no
	// check); a risky one never does.
	AvatarUploadID *int64
}

// Me returns the caller.
func (s *FamilyService) Me(ctx context.Context, userID int64) (model.User, error) {
	var u model.User
	if err := s.db.WithContext(ctx).First(&u, userID).Error; err != nil {
		return u, notFound(err)
	}
	return openUser(s.pii, u)
}

const noHiddenChars = "must not contain control, zero-width or text-direction characters"

// displayName refuses what can make a name shown to staff look like another:
// control characters, format characters (zero-width spaces and joiners, bidi
// overrides and isolates, soft hyphens) and invalid UTF-8.
func displayName(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// UpdateProfile changes the caller's profile.
func (s *FamilyService) UpdateProfile(ctx context.Context, userID int64, in ProfileUpdate) (model.User, error) {
	fields := map[string]any{}
	bad := map[string]string{}
	if in.Nickname != nil {
		fields["nickname"] = strings.TrimSpace(*in.Nickname)
		if !displayName(*in.Nickname) {
			bad["nickname"] = noHiddenChars
		}
	}
	if in.RealName != nil {
		fields["real_name"] = strings.TrimSpace(*in.RealName)
		if !displayName(*in.RealName) {
			bad["real_name"] = noHiddenChars
		}
	}
	if len(bad) > 0 {
		return model.User{}, Invalid(bad)
	}
	if in.AvatarURL != nil {
		fields["avatar_url"] = *in.AvatarURL
	}
	if in.AvatarUploadID != nil && s.Uploads == nil {
		return model.User{}, InvalidField("avatar_upload_id", "uploads are not enabled")
	}
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		if in.AvatarUploadID != nil {
			ups, err := Attach(tx, s.clock.Now(), userID, model.UploadAvatar, RefUserAvatar, userID, []int64{*in.AvatarUploadID})
			if err != nil {
				return err
			}
			if ups[0].CheckState == model.CheckNone || ups[0].CheckState == model.CheckPass {
				if err := s.Uploads.useAvatar(tx, ups[0]); err != nil {
					return err
				}
			}
		}
		if len(fields) > 0 {
			return tx.Model(&model.User{}).Where("id = ?", userID).Updates(fields).Error
		}
		return nil
	})
	if err != nil {
		return model.User{}, err
	}
	return s.Me(ctx, userID)
}

// MemberInput is a member to create or the fields to change (nil: unchanged).
type MemberInput struct {
	Name              *string
	Relation          *string
	Gender            *string
	BirthDate         *string
	DueDate           *string
	ChronicConditions *[]string
}

// Members lists the caller's family members.
func (s *FamilyService) Members(ctx context.Context, userID int64) ([]model.Member, error) {
	var ms []model.Member
	err := s.db.WithContext(ctx).Where("user_id = ?", userID).Order("id").Find(&ms).Error
	return ms, err
}

// Member returns one of the caller's members; another user's member is
// ErrNotFound.
func (s *FamilyService) Member(ctx context.Context, userID, memberID int64) (model.Member, error) {
	return ownedMember(s.db.WithContext(ctx), userID, memberID)
}

func ownedMember(db *gorm.DB, userID, memberID int64) (model.Member, error) {
	var m model.Member
	err := db.Where("id = ? AND user_id = ?", memberID, userID).First(&m).Error
	return m, notFound(err)
}

// AddMember adds a family member.
func (s *FamilyService) AddMember(ctx context.Context, userID int64, in MemberInput) (model.Member, error) {
	m := model.Member{UserID: userID, Gender: "unknown", ChronicConditions: []string{}}
	if err := s.apply(&m, in); err != nil {
		return model.Member{}, err
	}
	if m.Name == "" || m.Relation == "" {
		f := map[string]string{}
		if m.Name == "" {
			f["name"] = "required"
		}
		if m.Relation == "" {
			f["relation"] = "required"
		}
		return model.Member{}, Invalid(f)
	}
	return m, s.db.WithContext(ctx).Create(&m).Error
}

// UpdateMember changes a family member.
func (s *FamilyService) UpdateMember(ctx context.Context, userID, memberID int64, in MemberInput) (model.Member, error) {
	db := s.db.WithContext(ctx)
	m, err := ownedMember(db, userID, memberID)
	if err != nil {
		return m, err
	}
	if err := s.apply(&m, in); err != nil {
		return model.Member{}, err
	}
	err = db.Model(&m).Select("name", "relation", "gender", "birth_date", "due_date", "chronic_conditions").Updates(&m).Error
	return m, err
}

// DeleteMember removes a family member who holds no active booking.
func (s *FamilyService) DeleteMember(ctx context.Context, userID, memberID int64) error {
	return transact(ctx, s.db, func(tx *gorm.DB) error {
		// The same row lock a booking of this member takes first.
		m, err := ownedMember(forUpdate(tx), userID, memberID)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&model.Booking{}).Where("member_id = ? AND active = ?", m.ID, true).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrMemberHasActiveBookings
		}
		if err := tx.Model(&model.BookingSuspension{}).Where("member_id = ? AND ends_at > ?", m.ID, s.clock.Now()).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrMemberSuspended
		}
		return tx.Delete(&m).Error
	})
}

var (
	relations = map[string]bool{model.RelationSelf: true, model.RelationChild: true, model.RelationSpouse: true, model.RelationParent: true, model.RelationOther: true}
	genders   = map[string]bool{"male": true, "female": true, "unknown": true}
)

// apply validates in and copies it onto m.
func (s *FamilyService) apply(m *model.Member, in MemberInput) error {
	fields := map[string]string{}
	today := s.clock.Now().In(s.loc).Format(dateLayout)
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || utf8.RuneCountInString(n) > 64 {
			fields["name"] = "must be 1 to 64 characters"
		} else if !displayName(n) {
			fields["name"] = noHiddenChars
		}
		m.Name = n
	}
	if in.Relation != nil {
		if !relations[*in.Relation] {
			fields["relation"] = "must be one of self, child, spouse, parent, other"
		}
		m.Relation = *in.Relation
	}
	if in.Gender != nil {
		if !genders[*in.Gender] {
			fields["gender"] = "must be one of male, female, unknown"
		}
		m.Gender = *in.Gender
	}
	if in.BirthDate != nil {
		d := *in.BirthDate
		switch t, err := time.Parse(dateLayout, d); {
		case d == "":
		case err != nil:
			fields["birth_date"] = "must be a date YYYY-MM-DD"
		case d > today:
			fields["birth_date"] = "must not be in the future"
		case t.Year() < 1900:
			fields["birth_date"] = "must be after 1900"
		}
		m.BirthDate = d
	}
	if in.DueDate != nil {
		d := *in.DueDate
		limit := s.clock.Now().In(s.loc).AddDate(0, 0, 300).Format(dateLayout)
		switch _, err := time.Parse(dateLayout, d); {
		case d == "":
		case err != nil:
			fields["due_date"] = "must be a date YYYY-MM-DD"
		case d < today:
			fields["due_date"] = "must not be in the past"
		case d > limit:
			fields["due_date"] = "must be at most 300 days ahead"
		}
		m.DueDate = d
	}
	if in.ChronicConditions != nil {
		cs := make([]string, 0, len(*in.ChronicConditions))
		for _, c := range *in.ChronicConditions {
			c = strings.TrimSpace(c)
			if c == "" || utf8.RuneCountInString(c) > 64 {
				fields["chronic_conditions"] = "each must be 1 to 64 characters"
				break
			}
			cs = append(cs, c)
		}
		if len(cs) > 20 {
			fields["chronic_conditions"] = "at most 20"
		}
		m.ChronicConditions = cs
	}
	if len(fields) > 0 {
		return Invalid(fields)
	}
	return nil
}

// AgeYears returns the age in whole years on the business date of now, or -1
// without a birth date.
func AgeYears(birthDate string, now time.Time, loc *time.Location) int {
	b, err := time.Parse(dateLayout, birthDate)
	if err != nil {
		return -1
	}
	n := now.In(loc)
	age := n.Year() - b.Year()
	if n.Month() < b.Month() || (n.Month() == b.Month() && n.Day() < b.Day()) {
		age--
	}
	return age
}
