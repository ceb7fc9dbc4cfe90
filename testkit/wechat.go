package testkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// FakeWeChat answers the WeChat API calls familycare makes: access token,
// code2session, phone number, subscribe messages and msgSecCheck. Switches
// make it answer error codes, or be unreachable (Down) or hang (Hang).
//
// A code "code-<openid>" logs in as <openid>; "phone-<digits>" binds <digits>.
type FakeWeChat struct {
	AppID  string
	server *httptest.Server

	mu sync.Mutex
	// Down makes every call fail to connect; Hang makes every call block
	// until the caller's deadline.
	down, hang bool
	// LoginErrCode and PhoneErrCode make those calls answer an errcode.
	loginErr, phoneErr int
	// Verdict is msgSecCheck's suggest (pass by default); RiskyWords makes
	// texts containing them risky whatever the verdict.
	verdict    string
	riskyWords []string
	subErr     int
	sent       []map[string]any
	checks     []string
	tokens     atomic.Int64
	calls      map[string]int
	// media are the mediaCheckAsync requests; traces counts trace ids.
	media  []MediaCheck
	traces atomic.Int64
	// stableForced counts stable_token calls with force_refresh.
	stableForced int
	// templates are the subscribe templates the fake knows, by id: their
	// data keys. A send to a known template with other keys, or a value
	// breaking its key type's rule, is refused with 47003 as WeChat does.
	templates map[string][]string
}

// SetTemplate declares a subscribe template and its data keys (thing1,
// time2 …); sends to it are then checked key by key.
func (f *FakeWeChat) SetTemplate(id string, keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.templates == nil {
		f.templates = map[string][]string{}
	}
	f.templates[id] = keys
}

var (
	fakeTimeRe  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$|^\d{2}:\d{2}$|^\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2})?$`)
	fakeDateRe  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$|^\d{4}年\d{1,2}月\d{1,2}日$`)
	fakeNumRe   = regexp.MustCompile(`^\d[\d.]{0,31}$`)
	fakeCharRe  = regexp.MustCompile(`^[\x21-\x7e]{1,32}$`)
	fakeKeyRe   = regexp.MustCompile(`^([a-z_]+?)\d+$`)
	fakeHanOnly = regexp.MustCompile(`^\p{Han}{1,5}$`)
)

// templateValueOK applies WeChat's rule for a key type to a value.
func templateValueOK(key, v string) bool {
	m := fakeKeyRe.FindStringSubmatch(key)
	if m == nil || v == "" {
		return false
	}
	switch m[1] {
	case "thing":
		return utf8.RuneCountInString(v) <= 20
	case "time":
		return fakeTimeRe.MatchString(v)
	case "date":
		return fakeDateRe.MatchString(v)
	case "number":
		return fakeNumRe.MatchString(v)
	case "character_string":
		return fakeCharRe.MatchString(v)
	case "phrase":
		return fakeHanOnly.MatchString(v)
	case "name":
		return utf8.RuneCountInString(v) <= 20
	case "phone_number":
		return len(v) <= 17
	}
	return false
}

// MediaCheck is one mediaCheckAsync request the fake received.
type MediaCheck struct {
	TraceID  string
	MediaURL string
	OpenID   string
	Scene    int
}

var (
	registryMu sync.Mutex
	registry   = map[string]*FakeWeChat{}
	appSeq     atomic.Int64
)

// NewFakeWeChat starts a fake for a fresh app id.
func NewFakeWeChat() *FakeWeChat {
	f := &FakeWeChat{AppID: fmt.Sprintf("wxtest%06d", appSeq.Add(1)), verdict: "pass", calls: map[string]int{}}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	registryMu.Lock()
	registry[f.AppID] = f
	registryMu.Unlock()
	return f
}

// Close stops the fake.
func (f *FakeWeChat) Close() {
	registryMu.Lock()
	delete(registry, f.AppID)
	registryMu.Unlock()
	f.server.Close()
}

// SetDown makes WeChat unreachable (or reachable again).
func (f *FakeWeChat) SetDown(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

// SetHang makes every call hang until the client's deadline.
func (f *FakeWeChat) SetHang(hang bool) { f.mu.Lock(); f.hang = hang; f.mu.Unlock() }

// SetLoginErr makes code2session answer errcode (0: normal).
func (f *FakeWeChat) SetLoginErr(code int) { f.mu.Lock(); f.loginErr = code; f.mu.Unlock() }

// SetPhoneErr makes getuserphonenumber answer errcode (0: normal).
func (f *FakeWeChat) SetPhoneErr(code int) { f.mu.Lock(); f.phoneErr = code; f.mu.Unlock() }

// SetVerdict sets msgSecCheck's suggest: pass, review or risky.
func (f *FakeWeChat) SetVerdict(v string) { f.mu.Lock(); f.verdict = v; f.mu.Unlock() }

// SetRiskyWords makes texts containing any of words risky.
func (f *FakeWeChat) SetRiskyWords(words ...string) { f.mu.Lock(); f.riskyWords = words; f.mu.Unlock() }

// SetSubscribeErr makes subscribe sends answer errcode (0: normal).
func (f *FakeWeChat) SetSubscribeErr(code int) { f.mu.Lock(); f.subErr = code; f.mu.Unlock() }

// Sent returns the subscribe messages accepted so far.
func (f *FakeWeChat) Sent() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.sent...)
}

// Checked returns the texts sent to msgSecCheck so far.
func (f *FakeWeChat) Checked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.checks...)
}

// TokensIssued counts the distinct access tokens the fake has issued.
func (f *FakeWeChat) TokensIssued() int64 { return f.tokens.Load() }

// MediaChecks returns the mediaCheckAsync requests so far.
func (f *FakeWeChat) MediaChecks() []MediaCheck {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]MediaCheck(nil), f.media...)
}

// Calls counts the calls to a path such as /cgi-bin/token.
func (f *FakeWeChat) Calls(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func errBody(code int, msg string) map[string]any {
	return map[string]any{"errcode": code, "errmsg": msg}
}

func (f *FakeWeChat) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls[r.URL.Path]++
	loginErr, phoneErr, verdict, subErr, risky := f.loginErr, f.phoneErr, f.verdict, f.subErr, f.riskyWords
	f.mu.Unlock()
	q := r.URL.Query()
	if r.URL.Path != "/cgi-bin/token" && r.URL.Path != "/sns/jscode2session" && r.URL.Path != "/cgi-bin/stable_token" &&
		!strings.HasPrefix(q.Get("access_token"), "AT_"+f.AppID+"_") {
		writeJSON(w, errBody(40001, "invalid credential, access_token is invalid"))
		return
	}
	var body map[string]any
	if r.Method == http.MethodPost {
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
	}
	switch r.URL.Path {
	case "/cgi-bin/token":
		writeJSON(w, map[string]any{"access_token": fmt.Sprintf("AT_%s_%d", f.AppID, f.tokens.Add(1)), "expires_in": 7200})
	case "/cgi-bin/stable_token":
		// getStableAccessToken: the same token for every caller until it
		// expires (or force_refresh), so callers never invalidate each other.
		if body["grant_type"] != "client_credential" || body["appid"] != f.AppID || body["secret"] == "" {
			writeJSON(w, errBody(40013, "invalid appid"))
			return
		}
		f.mu.Lock()
		if force, _ := body["force_refresh"].(bool); force {
			f.stableForced++
			f.tokens.Add(1)
		}
		if f.tokens.Load() == 0 {
			f.tokens.Add(1)
		}
		f.mu.Unlock()
		writeJSON(w, map[string]any{"access_token": fmt.Sprintf("AT_%s_%d", f.AppID, f.tokens.Load()), "expires_in": 7200})
	case "/wxa/media_check_async":
		url, _ := body["media_url"].(string)
		openid, _ := body["openid"].(string)
		scene, _ := body["scene"].(float64)
		mt, _ := body["media_type"].(float64)
		ver, _ := body["version"].(float64)
		if url == "" || openid == "" || mt != 2 || ver != 2 || scene < 1 || scene > 4 {
			writeJSON(w, errBody(40003, "invalid media_check_async request"))
			return
		}
		trace := fmt.Sprintf("trace-%s-%d", f.AppID, f.traces.Add(1))
		f.mu.Lock()
		f.media = append(f.media, MediaCheck{TraceID: trace, MediaURL: url, OpenID: openid, Scene: int(scene)})
		f.mu.Unlock()
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "trace_id": trace})
	case "/sns/jscode2session":
		code := q.Get("js_code")
		switch {
		case loginErr != 0:
			writeJSON(w, errBody(loginErr, "invalid code"))
		case strings.HasPrefix(code, "code-"):
			openid := strings.TrimPrefix(code, "code-")
			writeJSON(w, map[string]any{"openid": openid, "session_key": "sk-" + openid, "unionid": ""})
		default:
			writeJSON(w, errBody(40029, "invalid code"))
		}
	case "/wxa/business/getuserphonenumber":
		code, _ := body["code"].(string)
		if phoneErr != 0 || !strings.HasPrefix(code, "phone-") {
			if phoneErr == 0 {
				phoneErr = 40029
			}
			writeJSON(w, errBody(phoneErr, "invalid code"))
			return
		}
		p := strings.TrimPrefix(code, "phone-")
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "phone_info": map[string]any{
			"phoneNumber": "+86" + p, "purePhoneNumber": p, "countryCode": "86"}})
	case "/wxa/msg_sec_check":
		content, _ := body["content"].(string)
		f.mu.Lock()
		f.checks = append(f.checks, content)
		f.mu.Unlock()
		for _, w := range risky {
			if strings.Contains(content, w) {
				verdict = "risky"
			}
		}
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "result": map[string]any{"suggest": verdict, "label": 100}})
	case "/cgi-bin/message/subscribe/send":
		if subErr != 0 {
			writeJSON(w, errBody(subErr, "subscribe failed"))
			return
		}
		f.mu.Lock()
		keys, known := f.templates[fmt.Sprint(body["template_id"])]
		f.mu.Unlock()
		if known {
			data, _ := body["data"].(map[string]any)
			if len(data) != len(keys) {
				writeJSON(w, errBody(47003, "argument invalid! data.keys do not match the template"))
				return
			}
			for _, k := range keys {
				item, _ := data[k].(map[string]any)
				v, _ := item["value"].(string)
				if !templateValueOK(k, v) {
					writeJSON(w, errBody(47003, "argument invalid! data."+k+".value invalid"))
					return
				}
			}
		}
		f.mu.Lock()
		f.sent = append(f.sent, body)
		f.mu.Unlock()
		writeJSON(w, errBody(0, "ok"))
	default:
		writeJSON(w, errBody(-1, "fake wechat: unknown path "+r.URL.Path))
	}
}

// Transport routes the SDK's requests (hard-coded to api.weixin.qq.com) to
// the fake of the app id they carry, so tests in one process never share a
// fake even though the SDK's HTTP client is process-wide.
type Transport struct{}

// RoundTrip implements http.RoundTripper.
func (Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	appid := q.Get("appid")
	if appid == "" && req.URL.Path == "/cgi-bin/stable_token" && req.Body != nil {
		// getStableAccessToken carries the app id in its JSON body.
		raw, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		var b struct {
			AppID string `json:"appid"`
		}
		_ = json.Unmarshal(raw, &b)
		appid = b.AppID
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(raw))
		req.ContentLength = int64(len(raw))
	}
	if appid == "" {
		if at := q.Get("access_token"); strings.HasPrefix(at, "AT_") {
			appid, _, _ = strings.Cut(strings.TrimPrefix(at, "AT_"), "_")
		}
	}
	registryMu.Lock()
	f := registry[appid]
	registryMu.Unlock()
	if f == nil {
		return nil, errors.New("fake wechat: no fake for app id " + appid)
	}
	f.mu.Lock()
	down, hang := f.down, f.hang
	f.mu.Unlock()
	if down {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	if hang {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	u, _ := url.Parse(f.server.URL)
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = u.Scheme, u.Host, u.Host
	return http.DefaultTransport.RoundTrip(out)
}
