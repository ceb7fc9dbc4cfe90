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
	Uploads    *UploadService
	households *HouseholdService
}

// NewFamilyService builds the family service.
func NewFamilyService(deps Deps) *FamilyService {
	return &FamilyService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, pii: deps.PII, log: deps.Log,
		households: NewHouseholdService(deps)}
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

// The /me/members routes (kept until 2027-06-30) are the persons of the
// caller's first guardian household (made on first use).

// MemberInput is a member to create or the fields to change (nil: unchanged).
type MemberInput = PersonInput

// Members lists the persons the caller acts for.
func (s *FamilyService) Members(ctx context.Context, userID int64) ([]model.Person, error) {
	db := s.db.WithContext(ctx)
	var ms []model.Person
	err := db.Where("id IN (?)", actsFor(db, userID)).Order("id").Find(&ms).Error
	return ms, err
}

// Member returns a person the caller acts for; anyone else is ErrNotFound.
func (s *FamilyService) Member(ctx context.Context, userID, memberID int64) (model.Person, error) {
	return actedPerson(s.db.WithContext(ctx), userID, memberID, false)
}

// AddMember adds a person to the caller's first guardian household.
func (s *FamilyService) AddMember(ctx context.Context, userID int64, in MemberInput) (model.Person, error) {
	var out PersonView
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		hid, err := s.households.defaultHousehold(tx, userID)
		if err != nil {
			return err
		}
		out, err = s.households.addPerson(tx, userID, hid, in, false)
		return err
	})
	return out.Person, err
}

// UpdateMember changes a person the caller acts for.
func (s *FamilyService) UpdateMember(ctx context.Context, userID, memberID int64, in MemberInput) (model.Person, error) {
	v, err := s.households.UpdatePerson(ctx, Principal{UserID: userID}, memberID, in)
	return v.Person, err
}

// DeleteMember takes a person out of the caller's households.
func (s *FamilyService) DeleteMember(ctx context.Context, userID, memberID int64) error {
	return s.households.RemovePerson(ctx, Principal{UserID: userID}, memberID)
}

var genders = map[string]bool{"male": true, "female": true, "unknown": true}

// validatePerson checks the plain fields of in and copies them onto p; it
// returns the offending fields (empty: all good).
func validatePerson(p *model.Person, in PersonInput, now time.Time) map[string]string {
	fields := map[string]string{}
	today := now.Format(dateLayout)
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || utf8.RuneCountInString(n) > 64 {
			fields["name"] = "must be 1 to 64 characters"
		} else if !displayName(n) {
			fields["name"] = noHiddenChars
		}
		p.Name = n
	}
	if in.Relation != nil {
		if !validRelation(*in.Relation) {
			fields["relation"] = "must be one of " + strings.Join(model.Relations, ", ")
		}
		p.Relation = *in.Relation
	}
	if in.Gender != nil {
		if !genders[*in.Gender] {
			fields["gender"] = "must be one of male, female, unknown"
		}
		p.Gender = *in.Gender
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
		p.BirthDate = d
	}
	if in.DueDate != nil {
		d := *in.DueDate
		limit := now.AddDate(0, 0, 300).Format(dateLayout)
		switch _, err := time.Parse(dateLayout, d); {
		case d == "":
		case err != nil:
			fields["due_date"] = "must be a date YYYY-MM-DD"
		case d < today:
			fields["due_date"] = "must not be in the past"
		case d > limit:
			fields["due_date"] = "must be at most 300 days ahead"
		}
		p.DueDate = d
	}
	if f, ok := birthRecord(in.BirthWeightG, 300, 7000); !ok {
		fields["birth_weight_g"] = "must be 300 to 7000 grams"
	} else if in.BirthWeightG != nil {
		p.BirthWeightG = f
	}
	if f, ok := birthRecord(in.BirthWeeks, 20, 45); !ok {
		fields["birth_weeks"] = "must be 20 to 45 weeks"
	} else if in.BirthWeeks != nil {
		p.BirthWeeks = f
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
		p.ChronicConditions = cs
	}
	return fields
}

// birthRecord checks one number of the birth record: absent or 0 (clear)
// is fine, else it must lie in [lo, hi].
func birthRecord(v *int, lo, hi int) (*int, bool) {
	if v == nil || *v == 0 {
		return nil, true
	}
	return v, *v >= lo && *v <= hi
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
