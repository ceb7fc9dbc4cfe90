package service

import (
	"errors"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID   int64
	Role     string
	ClinicID int64 // staff only
	// Version is the user's auth version when the token was issued; a token
	// of an older version is refused (see AuthService.Authorize).
	Version int
	// Scope is whom the caller acts for, set by the route group (never by
	// the token): zero is the caller's own family.
	Scope Scope
	// Clinics are the clinics a staff caller sees (set with Scope by
	// ActFor, see StaffClinics); empty means ClinicID alone.
	Clinics []int64
}

// IsStaff reports staff or admin.
func (p Principal) IsStaff() bool { return p.Role == "staff" || p.Role == "admin" }

// IsAdmin reports admin.
func (p Principal) IsAdmin() bool { return p.Role == "admin" }

// Tokens issues and verifies HS256 JWTs.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	clock  Clock
}

// NewTokens builds a token issuer.
func NewTokens(secret string, ttl time.Duration, clock Clock) *Tokens {
	return &Tokens{secret: []byte(secret), ttl: ttl, clock: clock}
}

const tokenIssuer = "familycare"

type claims struct {
	Role     string `json:"role"`
	ClinicID int64  `json:"clinic_id,omitempty"`
	Version  int    `json:"ver,omitempty"`
	jwt.RegisteredClaims
}

// Issue returns a signed token for p and its expiry.
func (t *Tokens) Issue(p Principal) (string, time.Time, error) {
	now := t.clock.Now()
	exp := now.Add(t.ttl)
	c := claims{
		Role:     p.Role,
		ClinicID: p.ClinicID,
		Version:  p.Version,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatInt(p.UserID, 10),
			Issuer:    tokenIssuer,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	return s, exp, err
}

// Verify parses a token; anything but a valid, unexpired HS256 token signed
// with our secret is ErrUnauthorized.
func (t *Tokens) Verify(raw string) (Principal, error) {
	var c claims
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.clock.Now),
	)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return Principal{}, ErrUnauthorized.Msg("the token has expired")
		}
		return Principal{}, ErrUnauthorized
	}
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || id <= 0 {
		return Principal{}, ErrUnauthorized
	}
	switch c.Role {
	case "resident", "staff", "admin":
	default:
		return Principal{}, ErrUnauthorized
	}
	return Principal{UserID: id, Role: c.Role, ClinicID: c.ClinicID, Version: c.Version}, nil
}
