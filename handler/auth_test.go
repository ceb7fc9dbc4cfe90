package handler_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"familycare/config"
	"familycare/testkit"

	"github.com/golang-jwt/jwt/v5"
)

func TestWeChatLogin_CreatesUserOnce(t *testing.T) {
	h := testkit.New(t)
	first := h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-o123"}).Expect(200).Map()
	if first["is_new"] != true || first["token"] == "" {
		t.Fatalf("first login: %v", first)
	}
	again := h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-o123"}).Expect(200).Map()
	if again["is_new"] != false {
		t.Fatalf("second login should not be new: %v", again)
	}
	if first["user"].(map[string]any)["id"] != again["user"].(map[string]any)["id"] {
		t.Fatal("same openid must be the same user")
	}
	tok := again["token"].(string)
	h.Do("GET", "/api/v1/me", nil, testkit.Token(tok)).Expect(200)
}

func TestWeChatLogin_Errors(t *testing.T) {
	h := testkit.New(t)
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": ""}).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/auth/wechat/login", `{"code":`).ExpectError(400, "bad_json")
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "garbage"}).ExpectError(401, "wechat_code_invalid")
	h.WeChat.SetLoginErr(40163)
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-x"}).ExpectError(401, "wechat_code_invalid")
	h.WeChat.SetLoginErr(0)
	h.WeChat.SetDown(true)
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-x"}).ExpectError(502, "wechat_unavailable")
	h.WeChat.SetDown(false)
	h.WeChat.SetHang(true)
	start := time.Now()
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-x"}).ExpectError(502, "wechat_unavailable")
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("a hanging WeChat must time out, took %v", d)
	}
}

func TestDevLogin_OnlyWhenEnabled(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) { c.EnableDevLogin = false }))
	h.Do("POST", "/api/v1/auth/dev/login", map[string]any{"openid": "x"}).ExpectError(404, "not_found")
}

func TestDevLogin_NeverInProd(t *testing.T) {
	// Even when the flag is set by mistake, prod never mounts the route (and
	// config validation refuses to start with it).
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) { c.Env = config.EnvProd; c.EnableDevLogin = true }))
	h.Do("POST", "/api/v1/auth/dev/login", map[string]any{"openid": "x", "role": "admin"}).ExpectError(404, "not_found")
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-x"}).Expect(200)
}

func TestDevLogin_RoleNeedsRealClinic(t *testing.T) {
	h := testkit.New(t)
	h.Do("POST", "/api/v1/auth/dev/login", map[string]any{"openid": "s", "role": "staff"}).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/auth/dev/login", map[string]any{"openid": "s", "role": "staff", "clinic_id": 999}).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/auth/dev/login", map[string]any{"openid": "s", "role": "king"}).ExpectError(422, "invalid_request")
}

func TestAuth_BadTokens(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("p1")
	secret := []byte(h.Config.JWTSecret)
	sign := func(m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	valid := jwt.MapClaims{"sub": "1", "role": "admin", "iss": "familycare", "exp": h.Clock.Now().Add(time.Hour).Unix()}
	expired := jwt.MapClaims{"sub": "1", "role": "resident", "iss": "familycare", "exp": h.Clock.Now().Add(-time.Minute).Unix()}
	b64 := func(v any) string { raw, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(raw) }
	parts := strings.Split(u.Token, ".")
	tampered := parts[0] + "." + b64(map[string]any{"sub": "1", "role": "admin", "iss": "familycare", "exp": valid["exp"]}) + "." + parts[2]
	none := b64(map[string]any{"alg": "none", "typ": "JWT"}) + "." + b64(valid) + "."
	cases := map[string]string{
		"missing":        "",
		"garbage":        "Bearer not-a-jwt",
		"expired":        "Bearer " + sign(jwt.SigningMethodHS256, secret, expired),
		"wrong secret":   "Bearer " + sign(jwt.SigningMethodHS256, []byte("another-secret-another-secret-123"), valid),
		"tampered":       "Bearer " + tampered,
		"alg none":       "Bearer " + none,
		"HS512":          "Bearer " + sign(jwt.SigningMethodHS512, secret, valid),
		"no exp":         "Bearer " + sign(jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "1", "role": "admin", "iss": "familycare"}),
		"wrong scheme":   "Basic " + u.Token,
		"unknown role":   "Bearer " + sign(jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "1", "role": "root", "iss": "familycare", "exp": valid["exp"]}),
		"wrong issuer":   "Bearer " + sign(jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "1", "role": "admin", "iss": "x", "exp": valid["exp"]}),
		"non-numeric id": "Bearer " + sign(jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "abc", "role": "admin", "iss": "familycare", "exp": valid["exp"]}),
	}
	for name, hdr := range cases {
		t.Run(name, func(t *testing.T) {
			r := testkit.Do(t, h.App.Engine, "GET", "/api/v1/me", nil, testkit.Header("Authorization", hdr))
			if r.Status != http.StatusUnauthorized || r.ErrorCode() != "unauthorized" {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
		})
	}
	// A real token works until it expires on the (harness) clock.
	h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token)).Expect(200)
	h.Clock.Advance(h.Config.JWTTTL + time.Second)
	h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token)).ExpectError(401, "unauthorized")
}

func TestRefresh_PicksUpNewRole(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	admin := h.Admin("boss")
	u := h.Login("nurse")
	h.Do("GET", "/api/v1/staff/bookings", nil, testkit.Token(u.Token)).ExpectError(403, "forbidden")
	h.Do("POST", "/api/v1/admin/users/"+itoa(u.ID)+"/role", map[string]any{"role": "staff", "clinic_id": 2}, testkit.Token(u.Token)).ExpectError(403, "forbidden")
	h.Do("POST", "/api/v1/admin/users/"+itoa(u.ID)+"/role", map[string]any{"role": "staff"}, testkit.Token(admin.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/admin/users/999999/role", map[string]any{"role": "resident"}, testkit.Token(admin.Token)).ExpectError(404, "not_found")
	user := h.Do("POST", "/api/v1/admin/users/"+itoa(u.ID)+"/role", map[string]any{"role": "staff", "clinic_id": 2}, testkit.Token(admin.Token)).Expect(200).Map()
	if user["role"] != "staff" || user["clinic_id"] != float64(2) {
		t.Fatalf("role not set: %v", user)
	}
	fresh := h.Do("POST", "/api/v1/auth/refresh", nil, testkit.Token(u.Token)).Expect(200).Map()
	if fresh["user"].(map[string]any)["role"] != "staff" {
		t.Fatalf("refresh must carry the new role: %v", fresh)
	}
}

func TestBindPhone_Masked(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("p1")
	got := h.Do("POST", "/api/v1/me/phone", map[string]any{"code": "phone-13812341234"}, testkit.Token(u.Token)).Expect(200).Map()
	if got["phone"] != "138****1234" {
		t.Fatalf("phone must be masked: %v", got["phone"])
	}
	h.Do("POST", "/api/v1/me/phone", map[string]any{"code": "bad"}, testkit.Token(u.Token)).ExpectError(401, "wechat_code_invalid")
	h.WeChat.SetDown(true)
	h.Do("POST", "/api/v1/me/phone", map[string]any{"code": "phone-13812341234"}, testkit.Token(u.Token)).ExpectError(502, "wechat_unavailable")
	if strings.Contains(h.Log.String(), "13812341234") {
		t.Fatal("the phone number must never be logged")
	}
	// The stable access token is fetched once and cached.
	if n := h.WeChat.Calls("/cgi-bin/stable_token"); n != 1 {
		t.Fatalf("access token fetched %d times, want 1", n)
	}
}

func TestAuth_DemotedStaffTokenStopsWorking(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	admin := h.Admin("boss")
	nurse := h.Staff("nurse", 3)
	h.Do("GET", "/api/v1/staff/bookings", nil, testkit.Token(nurse.Token)).Expect(200)
	// Moved to another clinic: the token for clinic 3 is refused at once.
	h.Do("POST", "/api/v1/admin/users/"+itoa(nurse.ID)+"/role", map[string]any{"role": "staff", "clinic_id": 2}, testkit.Token(admin.Token)).Expect(200)
	h.Do("GET", "/api/v1/staff/bookings", nil, testkit.Token(nurse.Token)).ExpectError(401, "unauthorized")
	h.Do("POST", "/api/v1/auth/refresh", nil, testkit.Token(nurse.Token)).ExpectError(401, "unauthorized")
	// Signing in again gives a token for the new clinic.
	again := h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-nurse"}).Expect(200).Map()
	tok := again["token"].(string)
	h.Do("GET", "/api/v1/staff/bookings", nil, testkit.Token(tok)).Expect(200)
	// Demoted to resident: refused at once, also on another replica within
	// its cache time (here: a fresh replica has no cache).
	h.Do("POST", "/api/v1/admin/users/"+itoa(nurse.ID)+"/role", map[string]any{"role": "resident"}, testkit.Token(admin.Token)).Expect(200)
	h.Do("GET", "/api/v1/me", nil, testkit.Token(tok)).ExpectError(401, "unauthorized")
	testkit.Do(t, h.Replica().Engine, "GET", "/api/v1/me", nil, testkit.Token(tok)).ExpectError(401, "unauthorized")
	// A promotion takes nothing away: the old token keeps working, and a
	// refresh carries the new role.
	u := h.Login("clerk")
	h.Do("POST", "/api/v1/admin/users/"+itoa(u.ID)+"/role", map[string]any{"role": "staff", "clinic_id": 3}, testkit.Token(admin.Token)).Expect(200)
	h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token)).Expect(200)
}
