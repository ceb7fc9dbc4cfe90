package service

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"familycare/model"
	"familycare/pii"

	"gorm.io/gorm"
)

// WeChatAuth is what sign-in needs from WeChat.
type WeChatAuth interface {
	Code2Session(ctx context.Context, code string) (WeChatSession, error)
	PhoneNumber(ctx context.Context, code string) (string, error)
}

// AuthService signs users in and manages roles.
type AuthService struct {
	db     *gorm.DB
	wx     WeChatAuth
	tokens *Tokens
	pii    *pii.Box
	log    *slog.Logger

	// versions caches each user's auth version (or that the account is
	// gone) for versionTTL, so checking a token costs no query on most
	// requests. This process drops an entry the moment it changes the user;
	// other replicas see the change within versionTTL.
	mu       sync.Mutex
	versions map[int64]authVersion
}

type authVersion struct {
	version int
	gone    bool
	at      time.Time
}

const (
	versionTTL         = 10 * time.Second
	maxCachedVersions  = 100_000
	errAccountGoneText = "this account no longer exists"
)

// NewAuthService builds the auth service.
func NewAuthService(deps Deps, wx WeChatAuth, tokens *Tokens) *AuthService {
	return &AuthService{db: deps.DB, wx: wx, tokens: tokens, pii: deps.PII, log: deps.Log, versions: map[int64]authVersion{}}
}

// Authorize refuses a verified token whose user was deleted or whose access
// shrank after it was issued (a staff member demoted or moved).
func (s *AuthService) Authorize(ctx context.Context, p Principal) error {
	s.mu.Lock()
	v, ok := s.versions[p.UserID]
	s.mu.Unlock()
	if !ok || time.Since(v.at) > versionTTL {
		var u model.User
		err := s.db.WithContext(ctx).Select("id", "auth_version").First(&u, p.UserID).Error
		switch {
		case err == nil:
			v = authVersion{version: u.AuthVersion, at: time.Now()}
		case errors.Is(err, gorm.ErrRecordNotFound):
			v = authVersion{gone: true, at: time.Now()}
		default:
			return err
		}
		s.mu.Lock()
		if len(s.versions) >= maxCachedVersions {
			s.versions = map[int64]authVersion{}
		}
		s.versions[p.UserID] = v
		s.mu.Unlock()
	}
	switch {
	case v.gone:
		return ErrUnauthorized.Msg(errAccountGoneText)
	case p.Version < v.version:
		return ErrUnauthorized.Msg("your access has changed; sign in again")
	}
	return nil
}

// Forget drops the cached auth version of a user this process changed.
func (s *AuthService) Forget(userID int64) {
	s.mu.Lock()
	delete(s.versions, userID)
	s.mu.Unlock()
}

// Session is a signed-in user with a token.
type Session struct {
	Token     string
	ExpiresAt time.Time
	User      model.User
	IsNew     bool
}

// ErrUnknownClinic is returned when a role names a clinic that does not exist.
var ErrUnknownClinic = InvalidField("clinic_id", "no such clinic")

// WeChatLogin signs a user in with a wx.login code, creating the user on first
// login.
func (s *AuthService) WeChatLogin(ctx context.Context, code string) (Session, error) {
	ws, err := s.wx.Code2Session(ctx, code)
	if err != nil {
		return Session{}, err
	}
	sealedKey, err := s.pii.Seal(ws.SessionKey)
	if err != nil {
		return Session{}, err
	}
	u, isNew, err := s.upsertUser(ctx, ws.OpenID, func(u *model.User) {
		u.UnionID = ws.UnionID
		u.SessionKey = sealedKey
	})
	if err != nil {
		return Session{}, err
	}
	return s.issue(u, isNew)
}

// DevLogin signs in as any openid, optionally with a role; only wired when
// dev login is enabled.
func (s *AuthService) DevLogin(ctx context.Context, openID, role string, clinicID int64) (Session, error) {
	if role != "" && role != model.RoleResident && role != model.RoleStaff && role != model.RoleAdmin {
		return Session{}, InvalidField("role", "must be resident, staff or admin")
	}
	if role == model.RoleStaff && clinicID == 0 {
		return Session{}, InvalidField("clinic_id", "staff need a clinic_id")
	}
	if clinicID != 0 {
		if err := s.clinicExists(ctx, clinicID); err != nil {
			return Session{}, err
		}
	}
	u, isNew, err := s.upsertUser(ctx, openID, nil)
	if err != nil {
		return Session{}, err
	}
	if role != "" && (role != u.Role || !sameClinic(u.ClinicID, clinicID)) {
		if u, err = s.SetRole(ctx, u.ID, role, clinicID); err != nil {
			return Session{}, err
		}
	}
	return s.issue(u, isNew)
}

func sameClinic(a *int64, b int64) bool {
	if a == nil {
		return b == 0
	}
	return *a == b
}

// Refresh issues a new token with the user's current role.
func (s *AuthService) Refresh(ctx context.Context, userID int64) (Session, error) {
	var u model.User
	if err := s.db.WithContext(ctx).First(&u, userID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Session{}, ErrUnauthorized
		}
		return Session{}, err
	}
	return s.issue(u, false)
}

// SetRole makes a user resident, staff of a clinic, or admin.
func (s *AuthService) SetRole(ctx context.Context, userID int64, role string, clinicID int64) (model.User, error) {
	var clinic *int64
	switch role {
	case model.RoleResident:
	case model.RoleStaff:
		if clinicID == 0 {
			return model.User{}, InvalidField("clinic_id", "staff need a clinic_id")
		}
		fallthrough
	case model.RoleAdmin:
		if clinicID != 0 {
			if err := s.clinicExists(ctx, clinicID); err != nil {
				return model.User{}, err
			}
			clinic = &clinicID
		}
	default:
		return model.User{}, InvalidField("role", "must be resident, staff or admin")
	}
	db := s.db.WithContext(ctx)
	var before model.User
	if err := db.First(&before, userID).Error; err != nil {
		return model.User{}, notFound(err)
	}
	fields := map[string]any{"role": role, "clinic_id": clinic}
	if role != model.RoleStaff {
		fields["position"] = "" // a position is a staff member's
	}
	if shrinks(before, role, clinic) {
		// Tokens issued before carry access the user no longer has.
		fields["auth_version"] = gorm.Expr("auth_version + 1")
	}
	res := db.Model(&model.User{}).Where("id = ?", userID).Updates(fields)
	if res.Error != nil {
		return model.User{}, res.Error
	}
	s.Forget(userID)
	var u model.User
	if err := db.First(&u, userID).Error; err != nil {
		return model.User{}, notFound(err)
	}
	s.log.Info("role changed", "user_id", userID, "role", role, "clinic_id", clinicID)
	return u, nil
}

// shrinks reports whether changing u to role (at clinic) takes access away:
// any step down from admin or staff, or staff moved to another clinic.
func shrinks(u model.User, role string, clinic *int64) bool {
	rank := map[string]int{model.RoleResident: 0, model.RoleStaff: 1, model.RoleAdmin: 2}
	if rank[role] < rank[u.Role] {
		return true
	}
	return u.Role == model.RoleStaff && role == model.RoleStaff && !sameClinic(u.ClinicID, derefOr(clinic))
}

func derefOr(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// SetRoleByOpenID is SetRole for the command line, where the openid is known.
func (s *AuthService) SetRoleByOpenID(ctx context.Context, openID, role string, clinicID int64) (model.User, error) {
	u, _, err := s.upsertUser(ctx, openID, nil)
	if err != nil {
		return model.User{}, err
	}
	return s.SetRole(ctx, u.ID, role, clinicID)
}

// BindPhone binds the phone number of a getPhoneNumber code to the user.
func (s *AuthService) BindPhone(ctx context.Context, userID int64, code string) (model.User, error) {
	phone, err := s.wx.PhoneNumber(ctx, code)
	if err != nil {
		return model.User{}, err
	}
	sealed, err := s.pii.Seal(phone)
	if err != nil {
		return model.User{}, err
	}
	db := s.db.WithContext(ctx)
	if err := db.Model(&model.User{}).Where("id = ?", userID).
		Updates(map[string]any{"phone": sealed, "phone_hash": s.pii.Hash(phone)}).Error; err != nil {
		return model.User{}, err
	}
	var u model.User
	if err := db.First(&u, userID).Error; err != nil {
		return model.User{}, notFound(err)
	}
	return openUser(s.pii, u)
}

// openUser decrypts the personal fields of a user read from the database.
func openUser(box *pii.Box, u model.User) (model.User, error) {
	var err error
	if u.Phone, err = box.Open(u.Phone); err != nil {
		return u, err
	}
	u.SessionKey = "" // never leaves the auth service
	return u, nil
}

func (s *AuthService) clinicExists(ctx context.Context, id int64) error {
	var n int64
	if err := s.db.WithContext(ctx).Model(&model.Clinic{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrUnknownClinic
	}
	return nil
}

// upsertUser finds the user of openID or creates it; concurrent first logins
// of one user create one row (the unique openid key decides). The openid of a
// deleted account (kept, anonymised, as deleted:<id>) cannot sign in again.
func (s *AuthService) upsertUser(ctx context.Context, openID string, update func(*model.User)) (model.User, bool, error) {
	db := s.db.WithContext(ctx)
	for attempt := 0; attempt < 3; attempt++ {
		var u model.User
		err := db.Unscoped().Where("open_id = ?", openID).First(&u).Error
		switch {
		case err == nil && u.DeletedAt.Valid:
			return model.User{}, false, ErrAccountDeleted
		case err == nil:
			if update != nil {
				var f model.User
				update(&f)
				if err := db.Model(&u).Updates(map[string]any{"union_id": f.UnionID, "session_key": f.SessionKey}).Error; err != nil {
					return model.User{}, false, err
				}
			}
			return u, false, nil
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return model.User{}, false, err
		}
		u = model.User{OpenID: openID, Role: model.RoleResident}
		if update != nil {
			update(&u)
		}
		err = db.Create(&u).Error
		if err == nil {
			return u, true, nil
		}
		if !isDuplicate(err) {
			return model.User{}, false, err
		}
		// Another request created it first: read it.
	}
	return model.User{}, false, ErrDatabaseBusy
}

func (s *AuthService) issue(u model.User, isNew bool) (Session, error) {
	if u.SuspendedAt != nil {
		return Session{}, ErrAccountSuspended
	}
	u, err := openUser(s.pii, u)
	if err != nil {
		return Session{}, err
	}
	p := Principal{UserID: u.ID, Role: u.Role, Version: u.AuthVersion}
	if u.ClinicID != nil {
		p.ClinicID = *u.ClinicID
	}
	tok, exp, err := s.tokens.Issue(p)
	if err != nil {
		return Session{}, err
	}
	return Session{Token: tok, ExpiresAt: exp, User: u, IsNew: isNew}, nil
}
