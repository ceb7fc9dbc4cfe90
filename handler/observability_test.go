package handler_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"familycare/app"
	"familycare/config"
	"familycare/testkit"
)

const (
	obsPhone        = "13812345678"
	obsContactPhone = "13700246810"
	obsAddress      = "石桥镇幸福路88号3单元502室"
	obsSessionKey   = "sk-openid1" // what the fake WeChat returns for code-openid1
	obsClinic       = 3            // 石桥镇卫生院
	obsService      = 4            // its noon vaccination clinic
	obsTeam         = 1            // doctor team of clinic 3
)

// obsSession publishes a session of service 4 at clinic 3 two days on.
func obsSession(h *testkit.Harness, staff testkit.User) int64 {
	h.T.Helper()
	start := h.Clock.Now().Add(48 * time.Hour)
	var out struct {
		ID int64 `json:"id"`
	}
	h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": obsService, "starts_at": start.Format(time.RFC3339),
		"ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": 5}, testkit.Token(staff.Token)).Expect(201).JSON(&out)
	return out.ID
}

// obsWeChatLogin signs in through WeChat (not dev login) with code.
func obsWeChatLogin(h *testkit.Harness, code string) testkit.User {
	h.T.Helper()
	var out struct {
		Token string `json:"token"`
		User  struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": code}).Expect(200).JSON(&out)
	return testkit.User{ID: out.User.ID, Token: out.Token}
}

// obsLogLines decodes the captured JSON log lines.
func obsLogLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("a log line is not JSON: %v: %s", err, sc.Text())
		}
		lines = append(lines, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scan logs: %v", err)
	}
	return lines
}

func TestObservability_LogsCarryNoSecrets(t *testing.T) {
	h := testkit.New(t)
	h.Seed()

	// WeChat login, phone binding and a token refresh.
	u := obsWeChatLogin(h, "code-openid1")
	me := h.Do("POST", "/api/v1/me/phone", map[string]any{"code": "phone-" + obsPhone}, testkit.Token(u.Token),
		testkit.Header("X-Request-ID", "obs-phone-1")).Expect(200).Map()
	if me["phone"] == obsPhone {
		t.Fatalf("the phone must be masked in the answer: %v", me)
	}
	var refreshed struct {
		Token string `json:"token"`
	}
	h.Do("POST", "/api/v1/auth/refresh", nil, testkit.Token(u.Token)).Expect(200).JSON(&refreshed)

	// A child, a session at clinic 3 and a booking.
	child := h.Member(u, map[string]any{"name": "小满", "relation": "child", "gender": "female", "birth_date": h.DateAgo(2, 0, 0)})
	staff := h.Staff("obs-staff-3", obsClinic)
	session := obsSession(h, staff)
	var booking struct {
		ID int64 `json:"id"`
	}
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": session, "member_id": child}, testkit.Token(u.Token),
		testkit.Header("X-Request-ID", "obs-booking-1")).Expect(201).JSON(&booking)
	h.Do("GET", fmt.Sprintf("/api/v1/bookings/%d", booking.ID), nil, testkit.Token(refreshed.Token)).Expect(200)

	// A medicine order with an address and a contact phone, for an elderly
	// parent covered by a family-doctor contract.
	elder := h.Member(u, map[string]any{"name": "王桂芳", "relation": "parent", "gender": "female",
		"birth_date": h.DateAgo(76, 0, 0), "chronic_conditions": []string{"高血压"}})
	var contract struct {
		ID int64 `json:"id"`
	}
	h.Do("POST", "/api/v1/family-contracts", map[string]any{"team_id": obsTeam, "member_ids": []int64{elder}},
		testkit.Token(u.Token)).Expect(201).JSON(&contract)
	h.Do("POST", fmt.Sprintf("/api/v1/staff/family-contracts/%d/approve", contract.ID), nil, testkit.Token(staff.Token)).Expect(200)
	var order struct {
		ID int64 `json:"id"`
	}
	h.Do("POST", "/api/v1/medicine-orders", map[string]any{"member_id": elder, "address": obsAddress, "contact_phone": obsContactPhone,
		"items": []map[string]any{{"name": "苯磺酸氨氯地平片", "spec": "5mg*28片", "quantity": 2}}},
		testkit.Token(u.Token)).Expect(201).JSON(&order)
	h.Do("GET", fmt.Sprintf("/api/v1/medicine-orders/%d", order.ID), nil, testkit.Token(u.Token)).Expect(200)
	h.Do("GET", "/api/v1/staff/medicine-orders", nil, testkit.Token(staff.Token)).Expect(200)
	// Bad input that carries personal data is refused without echoing it
	// into the logs.
	h.Do("POST", "/api/v1/medicine-orders", map[string]any{"member_id": elder, "address": obsAddress, "contact_phone": obsContactPhone},
		testkit.Token(u.Token)).ExpectError(422, "invalid_request")

	// WeChat failures: errors with errcodes, then WeChat unreachable (the
	// SDK's errors carry the request URL, with the app secret, the login
	// code or the access token in its query).
	h.WeChat.SetPhoneErr(40029)
	h.Do("POST", "/api/v1/me/phone", map[string]any{"code": "phone-" + obsPhone}, testkit.Token(u.Token)).ExpectError(401, "wechat_code_invalid")
	h.WeChat.SetPhoneErr(0)
	h.WeChat.SetDown(true)
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-openid1"}).ExpectError(502, "wechat_unavailable")
	h.Do("POST", "/api/v1/me/phone", map[string]any{"code": "phone-" + obsPhone}, testkit.Token(u.Token)).ExpectError(502, "wechat_unavailable")
	h.WeChat.SetDown(false)
	// A token whose signature was tampered with.
	h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token+"x")).ExpectError(401, "unauthorized")

	logs := h.Log.String()
	secrets := map[string]string{
		"resident token":         u.Token,
		"refreshed token":        refreshed.Token,
		"staff token":            staff.Token,
		"phone":                  obsPhone,
		"contact phone":          obsContactPhone,
		"address":                obsAddress,
		"address (part)":         "幸福路88号",
		"session key":            obsSessionKey,
		"wx.login code":          "code-openid1",
		"WeChat app secret":      "secret=" + h.Config.WeChatSecret,
		"WeChat access token":    "AT_" + h.WeChat.AppID,
		"JWT secret":             h.Config.JWTSecret,
		"access_token parameter": "access_token=",
	}
	for _, tok := range []string{u.Token, refreshed.Token, staff.Token} {
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("not a JWT: %q", tok)
		}
		secrets["token signature "+parts[2][:8]] = parts[2]
	}
	for what, s := range secrets {
		if s == "" {
			t.Fatalf("empty needle for %s", what)
		}
		if i := strings.Index(logs, s); i >= 0 {
			from, to := max(0, i-200), min(len(logs), i+len(s)+200)
			t.Errorf("the logs hold the %s: …%s…", what, logs[from:to])
		}
	}

	// Every access log line carries a request id; lines of signed-in
	// requests carry the user id.
	lines := obsLogLines(t, logs)
	byRequest := map[string]map[string]any{}
	access := 0
	for _, l := range lines {
		if l["msg"] != "http request" {
			continue
		}
		access++
		rid, _ := l["request_id"].(string)
		if rid == "" {
			t.Errorf("access log line without request_id: %v", l)
		}
		byRequest[rid] = l
		route, _ := l["route"].(string)
		if strings.HasPrefix(route, "/api/v1/staff/") || route == "/api/v1/bookings" || route == "/api/v1/medicine-orders" ||
			route == "/api/v1/me/members" || route == "/api/v1/auth/refresh" {
			if uid, _ := l["user_id"].(float64); uid <= 0 {
				t.Errorf("access log line of a signed-in request without user_id: %v", l)
			}
		}
	}
	if access < 15 {
		t.Fatalf("expected an access log line per request, found %d", access)
	}
	for rid, want := range map[string]struct {
		route  string
		status float64
	}{"obs-booking-1": {"/api/v1/bookings", 201}, "obs-phone-1": {"/api/v1/me/phone", 200}} {
		l := byRequest[rid]
		if l == nil {
			t.Fatalf("no access log line with request_id %s", rid)
		}
		if l["route"] != want.route || l["status"] != want.status || l["method"] != "POST" || l["user_id"] != float64(u.ID) {
			t.Errorf("access log line %s: %v (want route %s, status %v, user_id %d)", rid, l, want.route, want.status, u.ID)
		}
	}
}

// obsSample is one sample of the Prometheus text format.
type obsSample struct {
	name   string
	labels map[string]string
	value  float64
}

var obsLabelRe = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// obsScrape reads GET /metrics and parses its samples.
func obsScrape(t *testing.T, a *app.App) (string, []obsSample) {
	t.Helper()
	res := testkit.Do(t, a.Engine, "GET", "/metrics", nil).Expect(200)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("/metrics content type %q", ct)
	}
	text := string(res.Body)
	var out []obsSample
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := obsSample{labels: map[string]string{}}
		head, val := line, ""
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			head, val = line[:i], line[i+1:]
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		s.value = v
		if i := strings.IndexByte(head, '{'); i >= 0 {
			s.name = head[:i]
			for _, m := range obsLabelRe.FindAllStringSubmatch(head[i:], -1) {
				s.labels[m[1]] = m[2]
			}
		} else {
			s.name = head
		}
		out = append(out, s)
	}
	return text, out
}

// obsValue returns the value of the sample of name whose labels include
// want; ok is false when there is none.
func obsValue(samples []obsSample, name string, want map[string]string) (float64, bool) {
	for _, s := range samples {
		if s.name != name {
			continue
		}
		match := true
		for k, v := range want {
			if s.labels[k] != v {
				match = false
				break
			}
		}
		if match {
			return s.value, true
		}
	}
	return 0, false
}

func obsExpect(t *testing.T, samples []obsSample, name string, want map[string]string, value float64) {
	t.Helper()
	got, ok := obsValue(samples, name, want)
	if !ok {
		t.Errorf("no sample %s%v", name, want)
		return
	}
	if got != value {
		t.Errorf("%s%v = %v, want %v", name, want, got, value)
	}
}

func TestObservability_MetricsEndpoint(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("obs-staff-3", obsClinic)
	session := obsSession(h, staff)

	// HTTP requests by route template, never the raw path.
	h.Do("GET", fmt.Sprintf("/api/v1/sessions/%d", session), nil).Expect(200)
	h.Do("GET", "/api/v1/sessions/99999999", nil).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/no-such-thing/12345", nil).ExpectError(404, "not_found")
	h.Do("FROB", "/api/v1/sessions", nil)

	// Bookings by outcome.
	parent := h.Login("obs-parent")
	child := h.Member(parent, map[string]any{"name": "小禾", "relation": "child", "birth_date": h.DateAgo(3, 0, 0)})
	book := map[string]any{"session_id": session, "member_id": child}
	h.Do("POST", "/api/v1/bookings", book, testkit.Token(parent.Token)).Expect(201)
	h.Do("POST", "/api/v1/bookings", book, testkit.Token(parent.Token)).ExpectError(409, "already_booked")

	// WeChat calls by API and errcode.
	obsWeChatLogin(h, "code-openid1")
	h.WeChat.SetLoginErr(40029)
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-openid1"}).ExpectError(401, "wechat_code_invalid")
	h.WeChat.SetLoginErr(0)
	h.WeChat.SetDown(true)
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-openid1"}).ExpectError(502, "wechat_unavailable")
	h.WeChat.SetDown(false)

	text, samples := obsScrape(t, h.App)
	const reqs = "familycare_http_requests_total"
	obsExpect(t, samples, reqs, map[string]string{"method": "GET", "route": "/api/v1/sessions/:id", "status": "200"}, 1)
	obsExpect(t, samples, reqs, map[string]string{"method": "GET", "route": "/api/v1/sessions/:id", "status": "404"}, 1)
	obsExpect(t, samples, reqs, map[string]string{"method": "GET", "route": "unmatched", "status": "404"}, 1)
	obsExpect(t, samples, reqs, map[string]string{"method": "OTHER", "route": "unmatched"}, 1)
	obsExpect(t, samples, reqs, map[string]string{"method": "POST", "route": "/api/v1/bookings", "status": "201"}, 1)
	obsExpect(t, samples, reqs, map[string]string{"method": "POST", "route": "/api/v1/bookings", "status": "409"}, 1)
	obsExpect(t, samples, reqs, map[string]string{"method": "POST", "route": "/api/v1/staff/sessions", "status": "201"}, 1)
	obsExpect(t, samples, "familycare_http_request_duration_seconds_count", map[string]string{"method": "GET", "route": "/api/v1/sessions/:id"}, 2)
	obsExpect(t, samples, "familycare_http_request_duration_seconds_bucket", map[string]string{"method": "GET", "route": "/api/v1/sessions/:id", "le": "+Inf"}, 2)
	if strings.Contains(text, "no-such-thing") || strings.Contains(text, "FROB") {
		t.Errorf("/metrics holds a raw path or method:\n%s", text)
	}
	rawID := regexp.MustCompile(`/\d+(/|$)`)
	for _, s := range samples {
		if r, ok := s.labels["route"]; ok && (rawID.MatchString(r) || r != "unmatched" && !strings.HasPrefix(r, "/")) {
			t.Errorf("route label %q is not a route template", r)
		}
	}

	obsExpect(t, samples, "familycare_bookings_total", map[string]string{"outcome": "pending"}, 1)
	obsExpect(t, samples, "familycare_bookings_total", map[string]string{"outcome": "already_booked"}, 1)

	const wx = "familycare_wechat_calls_total"
	obsExpect(t, samples, wx, map[string]string{"api": "code2session", "errcode": "0"}, 1)
	obsExpect(t, samples, wx, map[string]string{"api": "code2session", "errcode": "40029"}, 1)
	obsExpect(t, samples, wx, map[string]string{"api": "code2session", "errcode": "network"}, 1)

	// Database pool statistics.
	if _, ok := obsValue(samples, "go_sql_max_open_connections", map[string]string{"db_name": "familycare"}); !ok {
		t.Errorf("no database pool statistics in /metrics")
	}
	if _, ok := obsValue(samples, "go_goroutines", nil); !ok {
		t.Errorf("no Go runtime metrics in /metrics")
	}
	// The scrape itself is counted under its own route on the next scrape.
	_, samples = obsScrape(t, h.App)
	obsExpect(t, samples, reqs, map[string]string{"method": "GET", "route": "/metrics", "status": "200"}, 1)
}

func TestObservability_JobRuns(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// One round of every job, then a failing job, then a job that stops
	// the loop (RunJobs checks the context before each job and after a round).
	h.App.Jobs = append(h.App.Jobs,
		app.Job{Name: "obs_failing", Run: func(context.Context) error { return errors.New("obs: boom") }},
		app.Job{Name: "obs_stop", Run: func(context.Context) error { cancel(); return nil }},
	)
	h.App.RunJobs(ctx, time.Minute)

	_, samples := obsScrape(t, h.App)
	for _, j := range h.App.Jobs {
		var runs float64
		for _, s := range samples {
			if s.name == "familycare_job_runs_total" && s.labels["job"] == j.Name {
				runs += s.value
			}
		}
		if runs != 1 {
			t.Errorf("job %s: %v runs counted, want 1", j.Name, runs)
		}
		obsExpect(t, samples, "familycare_job_duration_seconds_count", map[string]string{"job": j.Name}, 1)
	}
	obsExpect(t, samples, "familycare_job_runs_total", map[string]string{"job": "obs_failing", "result": "error"}, 1)
	obsExpect(t, samples, "familycare_job_runs_total", map[string]string{"job": "obs_stop", "result": "ok"}, 1)
	obsExpect(t, samples, "familycare_job_runs_total", map[string]string{"job": "booking_reminders", "result": "ok"}, 1)
}

func TestObservability_MetricsToken(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) { c.MetricsToken = "obs-metrics-token" }))
	h.Do("GET", "/metrics", nil).ExpectError(401, "unauthorized")
	h.Do("GET", "/metrics", nil, testkit.Token("wrong-token")).ExpectError(401, "unauthorized")
	h.Do("GET", "/metrics", nil, testkit.Header("Authorization", "Basic b2JzLW1ldHJpY3MtdG9rZW4=")).ExpectError(401, "unauthorized")
	res := h.Do("GET", "/metrics", nil, testkit.Token("obs-metrics-token")).Expect(200)
	if !strings.Contains(string(res.Body), `familycare_http_requests_total{method="GET",route="/metrics",status="401"} 3`) {
		t.Fatalf("refused scrapes are counted too:\n%s", res.Body)
	}
	if strings.Contains(h.Log.String(), "obs-metrics-token") {
		t.Fatal("the metrics token is in the logs")
	}
}

func TestObservability_RegistryPerApp(t *testing.T) {
	h := testkit.New(t)
	replica := h.Replica() // a second app in the same process must not collide
	testkit.Do(t, replica.Engine, "GET", "/healthz", nil).Expect(200)
	testkit.Do(t, replica.Engine, "GET", "/healthz", nil).Expect(200)
	h.Do("GET", "/healthz", nil).Expect(200)

	_, mine := obsScrape(t, h.App)
	_, theirs := obsScrape(t, replica)
	obsExpect(t, mine, "familycare_http_requests_total", map[string]string{"route": "/healthz", "status": "200"}, 1)
	obsExpect(t, theirs, "familycare_http_requests_total", map[string]string{"route": "/healthz", "status": "200"}, 2)
}
