package handler_test

import (
	"net/http"
	"strings"
	"testing"

	"familycare/config"
	"familycare/handler"
	"familycare/testkit"
)

const consoleOrigin = "https://console.example.com"

func withCORS(origins ...string) testkit.Option {
	return testkit.WithConfig(func(c *config.Config) { c.CORSOrigins = origins })
}

func preflight(h *testkit.Harness, path, origin, method string) *testkit.Response {
	h.T.Helper()
	return h.Do("OPTIONS", path, nil,
		testkit.Header("Origin", origin),
		testkit.Header("Access-Control-Request-Method", method),
		testkit.Header("Access-Control-Request-Headers", "authorization, content-type, idempotency-key, accept-language"))
}

func varies(r *testkit.Response, name string) bool {
	for _, v := range r.Header.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return true
			}
		}
	}
	return false
}

func TestCORS_PreflightOfListedOrigin(t *testing.T) {
	h := testkit.New(t, withCORS(consoleOrigin, "http://localhost:5173"))
	h.Seed()

	r := preflight(h, "/api/v1/me", consoleOrigin, "PUT").Expect(http.StatusNoContent)
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != consoleOrigin {
		t.Fatalf("Allow-Origin %q", got)
	}
	methods := r.Header.Get("Access-Control-Allow-Methods")
	for _, m := range []string{"GET", "PUT"} {
		if !strings.Contains(methods, m) {
			t.Errorf("Allow-Methods %q lacks %s", methods, m)
		}
	}
	if strings.Contains(methods, "POST") {
		t.Errorf("Allow-Methods %q names a method /me does not take", methods)
	}
	allowHeaders := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers"))
	for _, hd := range []string{"authorization", "content-type", "idempotency-key", "accept-language"} {
		if !strings.Contains(allowHeaders, hd) {
			t.Errorf("Allow-Headers %q lacks %s", allowHeaders, hd)
		}
	}
	if r.Header.Get("Access-Control-Max-Age") != "600" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("Max-Age %q, Allow-Credentials %q", r.Header.Get("Access-Control-Max-Age"), r.Header.Get("Access-Control-Allow-Credentials"))
	}
	if !varies(r, "Origin") || len(r.Body) != 0 {
		t.Errorf("Vary %v, body %q", r.Header.Values("Vary"), r.Body)
	}

	// A path with parameters, a create with Idempotency-Key, the second origin.
	preflight(h, "/api/v1/bookings", "http://localhost:5173", "POST").Expect(http.StatusNoContent)
	preflight(h, "/api/v1/staff/bookings/12/confirm", consoleOrigin, "POST").Expect(http.StatusNoContent)

	// A method the route does not take is not allowed: 405, no CORS grant.
	r = preflight(h, "/api/v1/me", consoleOrigin, "POST").Expect(http.StatusMethodNotAllowed)
	if r.Header.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("405 carries Allow-Methods %q", r.Header.Get("Access-Control-Allow-Methods"))
	}
	// An unknown path stays 404.
	preflight(h, "/api/v1/nothing-here", consoleOrigin, "GET").Expect(http.StatusNotFound)
	// OPTIONS without Access-Control-Request-Method is not a preflight.
	h.Do("OPTIONS", "/api/v1/me", nil, testkit.Header("Origin", consoleOrigin)).Expect(http.StatusMethodNotAllowed)
}

func TestCORS_UnlistedOriginGetsNoCORSHeaders(t *testing.T) {
	h := testkit.New(t, withCORS(consoleOrigin))
	h.Seed()
	mum := h.Login("mum")
	for _, origin := range []string{"https://evil.example.com", "https://console.example.com.evil.example", "http://console.example.com", "null"} {
		r := preflight(h, "/api/v1/me", origin, "PUT").Expect(http.StatusMethodNotAllowed)
		r2 := h.Do("GET", "/api/v1/me", nil, testkit.Token(mum.Token), testkit.Header("Origin", origin)).Expect(200)
		for _, res := range []*testkit.Response{r, r2} {
			for k := range res.Header {
				if strings.HasPrefix(k, "Access-Control-") {
					t.Errorf("origin %s: %s: %v", origin, k, res.Header[k])
				}
			}
			if !varies(res, "Origin") {
				t.Errorf("origin %s: no Vary: Origin (%v)", origin, res.Header.Values("Vary"))
			}
		}
	}
}

func TestCORS_ListedOriginReadsAnswersAndErrors(t *testing.T) {
	h := testkit.New(t, withCORS(consoleOrigin))
	h.Seed()
	mum := h.Login("mum")

	r := h.Do("GET", "/api/v1/me", nil, testkit.Token(mum.Token), testkit.Header("Origin", consoleOrigin)).Expect(200)
	if r.Header.Get("Access-Control-Allow-Origin") != consoleOrigin || !varies(r, "Origin") {
		t.Fatalf("headers %v", r.Header)
	}
	exposed := r.Header.Get("Access-Control-Expose-Headers")
	for _, hd := range handler.CORSExposeHeaders {
		if !strings.Contains(exposed, hd) {
			t.Errorf("Expose-Headers %q lacks %s", exposed, hd)
		}
	}
	// Errors are readable too (the page shows error.message).
	r = h.Do("GET", "/api/v1/me", nil, testkit.Header("Origin", consoleOrigin)).ExpectError(401, "unauthorized")
	if r.Header.Get("Access-Control-Allow-Origin") != consoleOrigin {
		t.Errorf("401 without Allow-Origin: %v", r.Header)
	}
	// Vary keeps what a route sets itself (guidance answers vary by token).
	r = h.Do("GET", "/api/v1/articles", nil, testkit.Header("Origin", consoleOrigin)).Expect(200)
	if !varies(r, "Origin") || !varies(r, "Authorization") {
		t.Errorf("Vary %v", r.Header.Values("Vary"))
	}
}

func TestCORS_NoneByDefault(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	// The mini-program sends no Origin; a browser page from anywhere gets nothing.
	r := preflight(h, "/api/v1/me", consoleOrigin, "PUT").Expect(http.StatusMethodNotAllowed)
	r2 := h.Do("GET", "/api/v1/clinics", nil, testkit.Header("Origin", consoleOrigin)).Expect(200)
	r3 := h.Do("GET", "/api/v1/clinics", nil).Expect(200)
	for _, res := range []*testkit.Response{r, r2, r3} {
		for k := range res.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: %v", k, res.Header[k])
			}
		}
		if varies(res, "Origin") {
			t.Errorf("Vary: Origin without an allow-list")
		}
	}
}

func TestCORS_ConfigRefusesBadOrigins(t *testing.T) {
	for _, tc := range []struct {
		env, origins string
		ok           bool
	}{
		{"dev", "https://console.example.com, http://localhost:5173", true},
		{"dev", "*", false},
		{"dev", "https://console.example.com/", false},
		{"dev", "https://console.example.com/admin", false},
		{"dev", "console.example.com", false},
		{"dev", "https://Console.example.com", false},
		{"dev", "ftp://console.example.com", false},
		{"prod", "http://console.example.com", false},
	} {
		env := map[string]string{"APP_ENV": tc.env, "CORS_ORIGINS": tc.origins}
		_, err := config.Load(func(k string) string { return env[k] })
		if tc.env == "prod" {
			if err == nil || !strings.Contains(err.Error(), "CORS_ORIGINS") {
				t.Errorf("%s %q: %v", tc.env, tc.origins, err)
			}
			continue
		}
		if (err == nil) != tc.ok {
			t.Errorf("%s %q: err %v, want ok=%v", tc.env, tc.origins, err, tc.ok)
		}
	}
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"CORS_ORIGINS": " https://a.example.com ,http://localhost:5173"}[k]
	})
	if err != nil || len(cfg.CORSOrigins) != 2 || cfg.CORSOrigins[0] != "https://a.example.com" {
		t.Fatalf("%v %q", err, cfg.CORSOrigins)
	}
}
