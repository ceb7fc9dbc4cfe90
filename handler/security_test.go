package handler_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"familycare/testkit"

	"github.com/golang-jwt/jwt/v5"
)

func TestSecurity_EveryRouteClassified(t *testing.T) {
	h := testkit.New(t)
	routes := secV1Routes(h.App.Engine)
	served := map[string]bool{}
	for _, key := range routes {
		served[key] = true
		r, ok := secRoutes[key]
		if !ok {
			t.Errorf("%s is not classified in secRoutes (handler/security_test.go): say who may call it and add its fixtures", key)
			continue
		}
		method, path := secSplit(key)
		hasID := strings.Contains(path, ":id")
		switch {
		case strings.HasPrefix(path, "/api/v1/admin/") && r.class != secAdmin:
			t.Errorf("%s: /admin routes must be class admin", key)
		case strings.HasPrefix(path, "/api/v1/staff/") && r.class != secClinic && r.class != secClinicList && r.class != secNetwork && r.class != secAdmin:
			t.Errorf("%s: /staff routes must be clinic, clinic-list, network or admin", key)
		case !strings.HasPrefix(path, "/api/v1/staff/") && !strings.HasPrefix(path, "/api/v1/admin/") && (r.class == secClinic || r.class == secClinicList || r.class == secNetwork):
			t.Errorf("%s: staff classes belong under /staff", key)
		}
		if (r.class == secOwned || r.class == secClinic) && (!hasID || r.fixture == "") {
			t.Errorf("%s: class %s needs :id and a fixture", key, r.class)
		}
		if hasID && r.fixture == "" {
			t.Errorf("%s: a route with :id needs a fixture", key)
		}
		if (r.class == secPublic || r.class == secNetwork || r.class == secShared) && r.why == "" {
			t.Errorf("%s: class %s must say why", key, r.class)
		}
		if r.body != nil && method == "GET" {
			t.Errorf("%s: GET takes no body", key)
		}
	}
	for key := range secRoutes {
		if !served[key] {
			t.Errorf("secRoutes classifies %s, which the engine does not serve", key)
		}
	}
	// Every route whose spec documents a JSON body has a sample body here
	// (the hostile-body test mutates it), and no other route has one; a body
	// the spec calls optional may be empty.
	spec := secSpec(t)
	for _, key := range routes {
		r, o := secRoutes[key], spec[key]
		if o.body != (r.body != nil) {
			t.Errorf("%s: docs/swagger.json body parameter %v, sample body in secRoutes %v", key, o.body, r.body != nil)
		}
		if o.body && !o.required && !r.optional {
			t.Errorf("%s: the spec says the body is optional: mark it optional", key)
		}
	}
}

// secSpec is the generated spec: for every operation its body parameter
// (required or not) and its query parameters.
type secSpecOp struct {
	body     bool
	required bool
	query    []string
}

func secSpec(t testing.TB) map[string]secSpecOp {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "docs", "swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				In       string `json:"in"`
				Name     string `json:"name"`
				Required bool   `json:"required"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	out := map[string]secSpecOp{}
	for p, ops := range spec.Paths {
		ginPath := strings.ReplaceAll(p, "{id}", ":id")
		for m, op := range ops {
			var o secSpecOp
			for _, prm := range op.Parameters {
				switch prm.In {
				case "body":
					o.body, o.required = true, prm.Required
				case "query":
					o.query = append(o.query, prm.Name)
				}
			}
			sort.Strings(o.query)
			out[strings.ToUpper(m)+" "+ginPath] = o
		}
	}
	return out
}

func TestSecurity_NoTokenIs401(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		p := strings.ReplaceAll(path, ":id", "1")
		if r.signIn {
			continue
		}
		if r.class == secPublic {
			// A public route says more to a signed-in user, so a bad token
			// is still refused.
			res := h.Do(method, p, nil, testkit.Header("Authorization", "Bearer not-a-token"))
			if res.Status != http.StatusUnauthorized || res.ErrorCode() != "unauthorized" {
				t.Errorf("%s with a bad token: %d %s", key, res.Status, res.Body)
			}
			continue
		}
		for name, hdr := range map[string]string{"no header": "", "empty bearer": "Bearer ", "basic": "Basic dXNlcjpwYXNz"} {
			var opt testkit.Req = func(*http.Request) {}
			if hdr != "" {
				opt = testkit.Header("Authorization", hdr)
			}
			res := h.Do(method, p, nil, opt)
			if res.Status != http.StatusUnauthorized || res.ErrorCode() != "unauthorized" {
				t.Errorf("%s (%s): %d %s, want 401 unauthorized", key, name, res.Status, res.Body)
			}
		}
	}
}

func TestSecurity_RolesOnStaffAndAdminRoutes(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	resident := h.Login("sec-resident")
	staff := h.Staff("sec-staff", 2)
	before := secCountsOf(t, h)
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		p := strings.ReplaceAll(path, ":id", "1")
		var body any
		if r.body != nil {
			body = map[string]any{} // the role check comes before the body
		}
		staffOnly := strings.HasPrefix(path, "/api/v1/staff/") || strings.HasPrefix(path, "/api/v1/admin/")
		if staffOnly {
			res := h.Do(method, p, body, testkit.Token(resident.Token))
			if res.Status != http.StatusForbidden || res.ErrorCode() != "forbidden" {
				t.Errorf("resident on %s: %d %s, want 403 forbidden", key, res.Status, res.Body)
			}
		}
		if r.class == secAdmin {
			if r.body != nil {
				body = r.body(&secWorld{h: h, ids: map[string]int64{}})
			}
			res := h.Do(method, p, body, testkit.Token(staff.Token))
			if res.Status != http.StatusForbidden || res.ErrorCode() != "forbidden" {
				t.Errorf("staff on admin route %s: %d %s, want 403 forbidden", key, res.Status, res.Body)
			}
		}
	}
	if after := secCountsOf(t, h); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("refused calls changed rows:\nbefore %v\nafter  %v", before, after)
	}
}

func secCountsOf(t testing.TB, h *testkit.Harness) map[string]int64 {
	w := &secWorld{h: h, tables: secTables(t, h.DB)}
	return w.counts()
}

// TestSecurity_OtherUsersObjects404 calls every owned route with resident
// A's object as resident B, and every hidden shared object as B: 404, and
// not one row changes.
func TestSecurity_OtherUsersObjects404(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	base := w.snapshot()
	checked := 0
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		fixture := ""
		switch {
		case r.class == secOwned:
			fixture = r.fixture
		case r.hidden != "":
			fixture = r.hidden
		case r.foreign:
		default:
			continue
		}
		var body any
		if r.body != nil {
			body = r.body(w)
		}
		res := h.Do(method, w.path(path, fixture), body, w.user("other"))
		if res.Status != http.StatusNotFound || res.ErrorCode() != "not_found" {
			t.Errorf("B on A's %s via %s: %d %.300s, want 404 not_found", fixture, key, res.Status, res.Body)
		}
		if bytes.Contains(res.Body, []byte(secMarker)) {
			t.Errorf("B on %s sees A's data: %s", key, res.Body)
		}
		if now := w.snapshot(); len(secChanged(base, now)) > 0 {
			t.Errorf("B on %s changed %v", key, secChanged(base, now))
			base = now
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d cross-user calls made", checked)
	}
	t.Logf("%d cross-user calls", checked)
	// B may not delete A's (visible) post either; it stays.
	h.Do("DELETE", w.path("/api/v1/posts/:id", "post"), nil, w.user("other")).ExpectError(403, "forbidden")
	if ch := secChanged(base, w.snapshot()); len(ch) > 0 {
		t.Fatalf("B's delete of A's post changed %v", ch)
	}
	// The fixtures are real: A reads each of them.
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		if method != "GET" || r.class != secOwned {
			continue
		}
		res := h.Do(method, w.path(path, r.fixture), nil, w.user("owner")).Expect(200)
		if !bytes.Contains(res.Body, []byte(secMarker)) {
			t.Errorf("A's own %s lacks the marker: %.300s", key, res.Body)
		}
	}
	h.Do("GET", w.path("/api/v1/posts/:id", "postPending"), nil, w.user("owner")).Expect(200)
}

// TestSecurity_OtherClinicsObjects404 calls every clinic route with clinic
// 3's object as staff of clinic 2: 404, and not one row changes; the
// clinic-list routes never show or create clinic 3's objects for them.
func TestSecurity_OtherClinicsObjects404(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	base := w.snapshot()
	checked := 0
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		switch r.class {
		case secClinic:
			var body any
			if r.body != nil {
				body = r.body(w)
			}
			res := h.Do(method, w.path(path, r.fixture), body, w.user("staff2"))
			if res.Status != http.StatusNotFound || res.ErrorCode() != "not_found" {
				t.Errorf("clinic-2 staff on clinic 3's %s via %s: %d %.300s, want 404 not_found", r.fixture, key, res.Status, res.Body)
			}
		case secClinicList:
			var body any
			switch {
			case r.crossBody != nil:
				body = r.crossBody(w)
			case method != "GET":
				continue // creates at the caller's own clinic only
			}
			res := h.Do(method, path+r.crossQuery, body, w.user("staff2"))
			switch {
			case r.crossStatus != 0 && res.Status != r.crossStatus:
				t.Errorf("clinic-2 staff on %s%s: %d %.300s, want %d", key, r.crossQuery, res.Status, res.Body, r.crossStatus)
			case method != "GET" && (res.Status < 400 || res.Status >= 500):
				t.Errorf("clinic-2 staff creating for clinic 3 via %s: %d %.300s, want 4xx", key, res.Status, res.Body)
			}
			if bytes.Contains(res.Body, []byte(secMarker)) {
				t.Errorf("clinic-2 staff see clinic 3's data on %s%s: %.300s", key, r.crossQuery, res.Body)
			}
		default:
			continue
		}
		if now := w.snapshot(); len(secChanged(base, now)) > 0 {
			t.Errorf("clinic-2 staff on %s changed %v", key, secChanged(base, now))
			base = now
		}
		checked++
	}
	if checked < 25 {
		t.Fatalf("only %d cross-clinic calls made", checked)
	}
	t.Logf("%d cross-clinic calls", checked)
	// The fixtures are real: staff of clinic 3 read them, and their lists
	// show them.
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		if method != "GET" || (r.class != secClinic && r.class != secClinicList) {
			continue
		}
		res := h.Do(method, w.path(path, r.fixture), nil, w.user("staff3")).Expect(200)
		if r.class == secClinic && !bytes.Contains(res.Body, []byte(secMarker)) {
			t.Errorf("clinic 3's own %s lacks the marker: %.300s", key, res.Body)
		}
	}
}

// TestSecurity_NoLeakInAnyRead reads every GET route as resident B (and the
// staff routes as staff of clinic 2): A's personal data never shows.
func TestSecurity_NoLeakInAnyRead(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		if method != "GET" {
			continue
		}
		fixture := r.fixture
		if r.hidden != "" {
			fixture = r.hidden
		}
		callers := []string{"other"}
		if r.class == secClinic || r.class == secClinicList {
			callers = append(callers, "staff2")
		}
		for _, who := range callers {
			for _, q := range []string{"", "?limit=100", "?status=pending", "?unread=true"} {
				res := h.Do(method, w.path(path, fixture)+q, nil, w.user(who))
				if res.Status >= 500 {
					t.Errorf("%s as %s: %d %s", key+q, who, res.Status, res.Body)
				}
				if bytes.Contains(res.Body, []byte(secMarker)) {
					t.Errorf("%s as %s shows A's data: %.300s", key+q, who, res.Body)
				}
			}
		}
	}
	// Network-wide moderation is on purpose: staff of clinic 2 see A's
	// post waiting for review.
	res := h.Do("GET", "/api/v1/staff/posts?status=pending_review", nil, w.user("staff2")).Expect(200)
	if !bytes.Contains(res.Body, []byte(secMarker)) {
		t.Fatalf("moderation is network-wide: clinic-2 staff must see the pending post: %s", res.Body)
	}
}

// TestSecurity_JWTAlgorithmConfusion adds to TestAuth_BadTokens (tampering,
// alg none, expired, wrong secret, HS512): a token that names RS256 — signed
// with a real RSA key, or HMAC-signed with the secret as if it were the
// public key — is refused.
func TestSecurity_JWTAlgorithmConfusion(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("p1")
	for name, tok := range secConfusedTokens(t, []byte(h.Config.JWTSecret), u.ID, h.Clock.Now()) {
		res := h.Do("GET", "/api/v1/me", nil, testkit.Header("Authorization", "Bearer "+tok))
		if res.Status != http.StatusUnauthorized || res.ErrorCode() != "unauthorized" {
			t.Errorf("%s: %d %s", name, res.Status, res.Body)
		}
	}
	h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token)).Expect(200)
}

// TestSecurity_HostileQueries sends hostile values in every documented query
// parameter (and cursor and limit) of every GET route: never a 5xx.
func TestSecurity_HostileQueries(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	spec := secSpec(t)
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	values := []string{
		"' OR 1=1 --", "1; DROP TABLE users", `"`, `\`, "%_", "+-~<>()@*\"", "*", "null", "[]", "{}", "-1", "0",
		"99999999999999999999", "1e400", "true", strings.Repeat("长", 3000), "\x00", "\xff\xfe", "😀",
		cursor(`{"t":"0000-01-01T00:00:00Z","id":-1}`), cursor(`{"t":"9999-12-31T23:59:59+14:00","id":9223372036854775807}`),
		cursor(`{"h":-5,"p":"0001-01-01T00:00:00Z","id":0}`), cursor(`{"id":1e400}`), cursor(`[]`), cursor(`"x"`),
		cursor(`{"id":"1 OR 1=1"}`), strings.Repeat("A", 600),
	}
	checked := 0
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		if method != "GET" {
			continue
		}
		params := []string{"cursor", "limit"}
		for _, q := range spec[key].query {
			if q != "cursor" && q != "limit" {
				params = append(params, q)
			}
		}
		who := r.legit()
		for _, prm := range params {
			for _, v := range values {
				p := w.path(path, r.fixture) + "?" + url.Values{prm: {v}}.Encode()
				res := h.Do(method, p, nil, w.user(who))
				checked++
				if res.Status >= 500 {
					t.Errorf("%s ?%s=%.40q: %d %s", key, prm, v, res.Status, res.Body)
				} else if res.Status >= 400 {
					secEnvelope(t, res, key+" ?"+prm)
				}
			}
		}
	}
	t.Logf("%d hostile queries", checked)
}

// secConfusedTokens are tokens that claim another algorithm than HS256.
func secConfusedTokens(t *testing.T, secret []byte, userID int64, now time.Time) map[string]string {
	t.Helper()
	claims := jwt.MapClaims{"sub": fmt.Sprint(userID), "role": "admin", "iss": "familycare", "exp": now.Add(time.Hour).Unix()}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(m jwt.SigningMethod, key any) string {
		s, err := jwt.NewWithClaims(m, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// The classic confusion: the header says RS256, the signature is an
	// HMAC made with what the server holds as its key.
	b64 := func(v any) string { raw, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(raw) }
	unsigned := b64(map[string]any{"alg": "RS256", "typ": "JWT"}) + "." + b64(claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(unsigned))
	hmacAsRSA := unsigned + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	// Header alg in another case, and a key id pointing elsewhere.
	unsignedLower := b64(map[string]any{"alg": "hs256", "typ": "JWT"}) + "." + b64(claims)
	mac = hmac.New(sha256.New, secret)
	mac.Write([]byte(unsignedLower))
	return map[string]string{
		"RS256 with a real RSA key":      sign(jwt.SigningMethodRS256, rsaKey),
		"PS256 with a real RSA key":      sign(jwt.SigningMethodPS256, rsaKey),
		"ES256 with a real EC key":       sign(jwt.SigningMethodES256, ecKey),
		"RS256 header, HMAC signature":   hmacAsRSA,
		"lower-case alg, HMAC signature": unsignedLower + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)),
	}
}

// TestSecurity_LoginCodeNeverReachesWeChatUnchecked: the SDK puts the
// wx.login code into the code2session URL unescaped; a code that is not
// letters, digits, - or _ is refused before any call (it was a 502, and
// "&name=" could add parameters to the request).
func TestSecurity_LoginCodeNeverReachesWeChatUnchecked(t *testing.T) {
	h := testkit.New(t)
	for _, code := range []string{"code-a&appid=other", "code-a b", "code-a#frag", "code-a%26x", "' OR 1=1 --", "code-码", strings.Repeat("a", 129)} {
		r := h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": code})
		if r.Status != http.StatusUnauthorized && r.Status != http.StatusUnprocessableEntity {
			t.Errorf("code %q: %d %s", code, r.Status, r.Body)
		}
	}
	if n := h.WeChat.Calls("/sns/jscode2session"); n != 0 {
		t.Fatalf("%d malformed codes reached WeChat", n)
	}
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-Ok_1"}).Expect(200)
}
